"""Sync ``vms.run``: a Ctrl-C that arrives while startVM is in flight still stops the VM.

The async client has done this since the start (``asyncio.shield``, see
``test_run_core``); the sync one used to read startVM's answer on the main thread, so a
``KeyboardInterrupt`` there lost the only copy of the new VM's id and left it running.

Ctrl-C is a real SIGINT sent to the main thread at the moment the server has created the
VM and its answer is on the way. A test handler raises ``KeyboardInterrupt`` (as Python's
default one does) and records that it ran, so the fake "network" can wait until the
interrupt has landed before answering: the order is fixed, nothing is timed.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cakework import Cakework
from cakework._async.vms import run_vm as arun_vm
from cakework._flow import Flow
from cakework._params import VMSpec
from cakework._sync.vms import run_vm
from cakework.testing import Emulator

from .._signals import ctrl_c_presses
from ._fakes import FakeApi, SimClock, adrive, drive

ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"


@pytest.fixture
def ctrl_c() -> Iterator[Callable[[], None]]:
    """``press()`` sends SIGINT to the main thread (see ``tests/_signals.py``)."""
    with ctrl_c_presses() as press:
        yield press


def test_ctrl_c_while_start_vm_is_in_flight_stops_the_new_vm(
    clock: SimClock, ctrl_c: Callable[[], None]
) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "created")
    calls = 0

    def run(flow: Flow[Any]) -> Any:
        nonlocal calls
        calls += 1
        result = drive(flow, clock)
        if calls == 1:  # startVM: the server created the VM; Ctrl-C before we hear back
            ctrl_c()
        return result

    with (
        pytest.raises(KeyboardInterrupt),
        run_vm(run, api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)),
    ):
        pytest.fail("the body must not run")  # pragma: no cover
    assert api.calls["startVM"] == 1
    assert api.stopped == ["vm-1"]


def test_ctrl_c_during_start_vm_against_the_emulator(ctrl_c: Callable[[], None]) -> None:
    def on_response(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/vm/start"):
            ctrl_c()  # the VM exists on the server; its answer is being read

    with (
        Emulator(manual_clock=True) as emu,
        httpx.Client(event_hooks={"response": [on_response]}) as http,
        Cakework(
            api_key=emu.api_key,
            base_url=emu.base_url,
            http_client=http,
            clock=emu.now,
            sleep=emu.advance,
        ) as client,
    ):
        image = client.images.import_image(image_uri=ECR_URI, password="pw")
        with (
            pytest.raises(KeyboardInterrupt),
            client.vms.run(image_id=image.image_id),
        ):
            pytest.fail("the body must not run")  # pragma: no cover
        assert emu.request_count("startVM") == 1
        assert emu.request_count("stopVM") == 1
        assert emu.resources()["running_vms"] == 0


def test_run_from_a_worker_thread_needs_no_extra_thread(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "created")
    threads: list[str] = []

    def run(flow: Flow[Any]) -> Any:
        threads.append(threading.current_thread().name)
        return drive(flow, clock)

    def body() -> None:
        with run_vm(run, api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)) as vm:
            assert vm.state == "started"

    worker = threading.Thread(target=body, name="user-worker")
    worker.start()
    worker.join()
    assert set(threads) == {"user-worker"}
    assert api.stopped == ["vm-1"]


def test_ctrl_c_during_the_final_stop_still_stops_the_vm(
    clock: SimClock, ctrl_c: Callable[[], None]
) -> None:
    # A slow stop (retries, a 60 s timeout) is exactly when people press Ctrl-C; the
    # stop used to be abandoned and the VM left running.
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "created")
    calls = 0

    def run(flow: Flow[Any]) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:  # startVM, the wait, then stopVM: Ctrl-C before it is answered
            ctrl_c()
        return drive(flow, clock)

    with (
        pytest.raises(KeyboardInterrupt),
        run_vm(run, api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)) as vm,
    ):
        assert vm.state == "started"
    assert api.stopped == ["vm-1"]


async def test_cancel_during_the_final_stop_still_stops_the_vm(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "created")
    stopping, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def run(flow: Flow[Any]) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:  # stopVM is in flight when the task is cancelled
            stopping.set()
            await release.wait()
        return await adrive(flow, clock)

    async def body() -> None:
        async with arun_vm(run, api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)):
            pass

    task = asyncio.create_task(body())
    await stopping.wait()
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.stopped == ["vm-1"]
