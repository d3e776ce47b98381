"""Each retry rule against the emulator's fault injection, for both clients.

Every test asserts how many requests the emulator received and how many resources exist
afterwards: a creating POST must never be duplicated.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from cakework import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    ResponseValidationError,
)
from cakework.testing import Emulator

from .conftest import MakeClient, Runner

ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"


async def _image(client: Runner) -> str:
    image = await client.call(client.c.images.import_image(image_uri=ECR_URI, password="p"))
    return image.image_id


async def _started_vm(client: Runner, emu: Emulator) -> str:
    vm = await client.call(client.c.vms.start(image_id=await _image(client)))
    emu.advance(30)
    return vm.id


# --- safe operations: GETs and state transitions --------------------------------------


async def test_get_503_twice_then_success_takes_three_requests(
    client: Runner, emu: Emulator
) -> None:
    vm_id = await _started_vm(client, emu)
    emu.inject("getVM", status=503, times=2)
    vm = await client.call(client.c.vms.get(vm_id))
    assert vm.id == vm_id
    assert emu.request_count("getVM") == 3
    assert len(client.sleeps) == 2
    assert all(0 <= s <= 8 for s in client.sleeps)


async def test_get_gives_up_after_max_retries(client: Runner, emu: Emulator) -> None:
    vm_id = await _started_vm(client, emu)
    emu.inject("getVM", status=502, body="html", times=5)
    with pytest.raises(InternalServerError) as info:
        await client.call(client.c.vms.get(vm_id))
    assert info.value.status_code == 502
    assert emu.request_count("getVM") == 3  # 1 + max_retries=2


async def test_max_retries_zero_sends_once(client: Runner, emu: Emulator) -> None:
    emu.inject("listVMs", status=503)
    once = client.derive(max_retries=0)
    with pytest.raises(InternalServerError):
        await once.call(once.c.vms.list_page())
    assert emu.request_count("listVMs") == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_get_retries_each_retryable_status(
    client: Runner, emu: Emulator, status: int
) -> None:
    emu.inject("listVMs", status=status, retry_after="0" if status == 429 else None)
    await client.call(client.c.vms.list_page())
    assert emu.request_count("listVMs") == 2


async def test_get_retries_a_dropped_connection(client: Runner, emu: Emulator) -> None:
    vm_id = await _started_vm(client, emu)
    emu.inject("getVM", "drop_before")
    assert (await client.call(client.c.vms.get(vm_id))).id == vm_id
    assert emu.request_count("getVM") == 2


async def test_get_retries_a_read_timeout(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client(base_url=emu.base_url, api_key=emu.api_key, timeout=0.2)
    emu.inject("listVMs", "latency", seconds=1.0)
    await client.call(client.c.vms.list_page())
    assert emu.request_count("listVMs") == 2


async def test_stop_retried_after_close_after_processing_treats_409_as_success(
    client: Runner, emu: Emulator
) -> None:
    vm_id = await _started_vm(client, emu)
    emu.inject("stopVM", "drop_after")
    await client.call(client.c.vms.stop(vm_id))  # no ConflictError
    assert emu.request_count("stopVM") == 2
    assert emu.resources()["running_vms"] == 0


async def test_cached_stop_retried_after_close_after_processing(
    client: Runner, emu: Emulator
) -> None:
    cached = await client.call(client.c.cached_vms.create(image_id=await _image(client)))
    await client.call(client.c.cached_vms.start(cached.id))
    emu.advance(30)
    emu.inject("stopCachedVM", "drop_after")
    await client.call(client.c.cached_vms.stop(cached.id))
    assert emu.request_count("stopCachedVM") == 2
    assert emu.resources()["running_vms"] == 0


async def test_cached_destroy_retried_after_close_after_processing(
    client: Runner, emu: Emulator
) -> None:
    cached = await client.call(client.c.cached_vms.create(image_id=await _image(client)))
    emu.inject("destroyCachedVM", "drop_after")
    await client.call(client.c.cached_vms.destroy(cached.id))  # 409 on the retry: done
    assert emu.request_count("destroyCachedVM") == 2
    assert (await client.call(client.c.vms.get(cached.id))).state == "destroyed"


# --- creating POSTs: resent only if the server never saw them, or on 429 ----------------


async def test_start_vm_connection_closed_after_processing_is_not_resent(
    client: Runner, emu: Emulator
) -> None:
    image_id = await _image(client)
    emu.inject("startVM", "drop_after")
    with pytest.raises(APIConnectionError) as info:
        await client.call(client.c.vms.start(image_id=image_id))
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.HTTPError)
    assert emu.request_count("startVM") == 1
    assert emu.resources()["vms"] == 1  # exactly one VM, never two
    assert client.sleeps == []


async def test_cache_vm_connection_closed_before_answer_is_not_resent(
    client: Runner, emu: Emulator
) -> None:
    image_id = await _image(client)
    emu.inject("cacheVM", "drop_before")
    with pytest.raises(APIConnectionError):
        await client.call(client.c.cached_vms.create(image_id=image_id))
    # The client cannot tell "dropped before" from "dropped after": it must not resend.
    assert emu.request_count("cacheVM") == 1
    assert emu.resources()["cached_vms"] == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_start_vm_error_status_is_not_resent(
    client: Runner, emu: Emulator, status: int
) -> None:
    image_id = await _image(client)
    emu.inject("startVM", status=status)
    with pytest.raises(APIStatusError) as info:
        await client.call(client.c.vms.start(image_id=image_id))
    assert info.value.status_code == status
    assert emu.request_count("startVM") == 1
    assert emu.resources()["vms"] == 0


async def test_start_vm_429_with_retry_after_is_retried(client: Runner, emu: Emulator) -> None:
    image_id = await _image(client)
    emu.inject("startVM", status=429, retry_after="2")
    vm = await client.call(client.c.vms.start(image_id=image_id))
    assert vm.image_id == image_id
    assert client.sleeps == [2.0]
    assert emu.request_count("startVM") == 2
    assert emu.resources()["vms"] == 1


async def test_retry_after_over_the_cap_is_not_waited_for(client: Runner, emu: Emulator) -> None:
    emu.inject("buildImageFromFiles", status=429, retry_after="600")
    with pytest.raises(RateLimitError) as info:
        await client.call(
            client.c.images.build_from_files(dockerfile="FROM python:3.11\n", files=[])
        )
    assert info.value.retry_after == 600.0
    assert client.sleeps == []
    assert emu.request_count("buildImageFromFiles") == 1
    assert emu.resources()["builds"] == 0


async def test_start_vm_read_timeout_is_not_resent(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client(base_url=emu.base_url, api_key=emu.api_key, timeout=0.2)
    image_id = await _image(client)
    emu.inject("startVM", "latency", seconds=1.0)
    with pytest.raises(APITimeoutError) as info:
        await client.call(client.c.vms.start(image_id=image_id))
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert emu.request_count("startVM") == 1
    assert emu.resources()["vms"] <= 1


async def test_import_image_bad_json_after_processing_is_not_resent(
    client: Runner, emu: Emulator
) -> None:
    emu.inject("importImage", "bad_json", bad_json="truncated")
    with pytest.raises(ResponseValidationError) as info:
        await client.call(client.c.images.import_image(image_uri=ECR_URI, password="p"))
    assert info.value.operation == "importImage"
    assert info.value.body
    assert emu.request_count("importImage") == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_creating_post_is_resent_when_the_connection_is_refused(
    make_client: MakeClient,
) -> None:
    # Nothing listens on the port: the request never reached a server, so resending is safe.
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}/v1")
    with pytest.raises(APIConnectionError) as info:
        await client.call(client.c.vms.start(image_id="img"))
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(client.sleeps) == 2  # three attempts
