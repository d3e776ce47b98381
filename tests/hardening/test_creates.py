"""Retried starts and ambiguous creates, against the emulator's real faults.

* A startCachedVM whose first answer was lost and whose retry gets 409 ("already
  started") succeeded: the VM started as asked.
* A create whose answer was lost (``drop_after``: the server made it, the connection
  closed) is an error marked ``maybe_created`` that names the operation and the image
  and says how to find what was made.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from cakework import APIConnectionError, Cakework
from cakework.testing import Emulator

ECR = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1"


@pytest.fixture(scope="module")
def _emu() -> Iterator[Emulator]:
    with Emulator(speed=1000) as emu:
        yield emu


@pytest.fixture
def emu(_emu: Emulator) -> Emulator:
    _emu.reset()
    return _emu


@pytest.fixture
def client(emu: Emulator) -> Iterator[Cakework]:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=lambda s: None) as c:
        yield c


def _image(client: Cakework) -> str:
    return client.images.import_image(image_uri=ECR, password="pw").image_id


def test_retried_start_answered_409_is_success(client: Cakework, emu: Emulator) -> None:
    cached = client.cached_vms.create(image_id=_image(client))
    emu.inject("startCachedVM", "drop_after")
    client.cached_vms.start(cached.id)  # no ConflictError: the first attempt started it
    assert emu.request_count("startCachedVM") == 2
    assert client.cached_vms.wait_for_state(cached.id).state == "started"


def test_lost_start_vm_answer_is_marked_maybe_created(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    emu.inject("startVM", "drop_after")
    with pytest.raises(APIConnectionError) as caught:
        client.vms.start(image_id=image_id)
    error = caught.value
    assert error.maybe_created is True
    assert error.operation == "startVM"
    assert error.image_id == image_id
    assert f"client.vms.list(image_id={image_id!r}, status='started')" in str(error)
    assert emu.request_count("startVM") == 1  # never re-sent: that could make a second VM
    orphans = list(client.vms.list(image_id=image_id))
    assert len(orphans) == 1  # ... and the hint finds the one that was made


def test_lost_cache_vm_answer_is_marked_maybe_created(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    emu.inject("cacheVM", "drop_after")
    with pytest.raises(APIConnectionError) as caught:
        client.cached_vms.create(image_id=image_id)
    assert caught.value.maybe_created is True
    assert caught.value.operation == "cacheVM"
    assert image_id in str(caught.value)


def test_refused_connection_is_not_maybe_created() -> None:
    """Nothing reached a server: no VM can exist, so no ``maybe_created``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed again: connecting is refused.
    client = Cakework(api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with client, pytest.raises(APIConnectionError) as caught:
        client.vms.start(image_id="img1")
    assert caught.value.maybe_created is False
    assert "may have" not in str(caught.value)


def test_a_read_error_is_not_maybe_created(client: Cakework, emu: Emulator) -> None:
    emu.inject("getVM", "drop_after", times=5)
    with pytest.raises(APIConnectionError) as caught:
        client.vms.get("e784996f346483")
    assert caught.value.maybe_created is False


def test_run_names_the_lost_vm(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    emu.inject("startVM", "drop_after")
    with pytest.raises(APIConnectionError) as caught, client.vms.run(image_id=image_id):
        pytest.fail("the body must not run")  # pragma: no cover
    assert caught.value.maybe_created is True
    assert "client.vms.list" in str(caught.value)


def test_run_can_adopt_the_orphan_when_asked(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    other = client.vms.start(image_id=image_id)  # existed before: must not be adopted
    emu.inject("startVM", "drop_after")
    with client.vms.run(image_id=image_id, adopt_lost=True) as vm:
        assert vm.id != other.id
        assert vm.state == "started"
    assert client.vms.get(vm.id).state in ("stopped", "destroyed")
    assert emu.request_count("startVM") == 2
    running = [v for v in client.vms.list(image_id=image_id, status="started")]
    assert [v.id for v in running] == [other.id]


def test_pool_names_its_lost_creates(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    emu.inject("cacheVM", "drop_after")
    pool = client.cached_vms.pool(image_id=image_id, size=2)
    with pytest.raises(APIConnectionError) as caught, pool:
        pytest.fail("the pool must not open")  # pragma: no cover
    assert caught.value.maybe_created is True
    assert caught.value.operation == "cacheVM"


def test_pool_can_adopt_orphans_when_asked(client: Cakework, emu: Emulator) -> None:
    image_id = _image(client)
    emu.inject("cacheVM", "drop_after", times=2)
    with client.cached_vms.pool(image_id=image_id, size=3, adopt_lost=True) as pool:
        assert pool.stats().size == 3
        # Two answers were lost and their VMs adopted: nothing was created twice.
        assert emu.resources()["cached_vms"] == 3
        with pool.acquire() as vm:
            assert vm.state == "started"
    assert emu.resources()["live_cached_vms"] == 0  # adopted orphans are the pool's own
