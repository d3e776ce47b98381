"""A response is freed when the client is done with it, not at the next garbage collection.

httpx links a response and its body stream in a reference cycle; the pumps break it
(``_flow.unlinked``). Without that, the responses of a long log read pile up beside a
big application heap, where full collections are rare. Here the collector is off, so a
response that is not freed by its last reference going stays, and the test sees it.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator, Timings


class _Recording(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.responses: list[weakref.ref[httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.responses.append(weakref.ref(response))
        return response


class _AsyncRecording(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.responses: list[weakref.ref[httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.responses.append(weakref.ref(response))
        return response


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(manual_clock=True, timings=Timings(boot=1.0, log_interval=0.01)) as emu:
        yield emu


def _vm_with_logs(emu: Emulator) -> str:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        image = client.images.import_image(image_uri=_ECR, password="pw")
        vm = client.vms.start(image_id=image.image_id)
        emu.advance(1.0 + 3.0)  # about 300 lines: three pages of 100
        return vm.id


_ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"


def test_sync_responses_go_with_their_call_and_before_their_lines(
    emu: Emulator, no_gc: None
) -> None:
    vm_id = _vm_with_logs(emu)
    transport = _Recording()
    with (
        httpx.Client(transport=transport) as http,
        Cakework(api_key=emu.api_key, base_url=emu.base_url, http_client=http) as client,
    ):
        assert client.vms.get(vm_id).id == vm_id
        assert [alive() for alive in transport.responses] == [None]
        reader = iter(client.vms.logs(vm_id, batch=100))
        next(reader)  # the first line: its page's response is gone already
        assert [alive() for alive in transport.responses] == [None, None]
        assert len(list(reader)) > 200
        assert len(transport.responses) > 3
        assert all(alive() is None for alive in transport.responses)


def test_async_responses_go_with_their_call_and_before_their_lines(
    emu: Emulator, no_gc: None
) -> None:
    vm_id = _vm_with_logs(emu)
    transport = _AsyncRecording()

    async def run() -> None:
        async with (
            httpx.AsyncClient(transport=transport) as http,
            AsyncCakework(api_key=emu.api_key, base_url=emu.base_url, http_client=http) as client,
        ):
            assert (await client.vms.get(vm_id)).id == vm_id
            assert [alive() for alive in transport.responses] == [None]
            pages = client.vms.logs(vm_id, batch=100).pages().__aiter__()
            await pages.__anext__()
            assert [alive() for alive in transport.responses] == [None, None]
            assert len([page async for page in pages]) >= 2
            assert all(alive() is None for alive in transport.responses)

    asyncio.run(run())
