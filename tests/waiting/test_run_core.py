"""vms.run's context managers over the fake Api: the VM is stopped on every way out."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import pytest

from cakework._async.vms import run_vm as arun_vm
from cakework._flow import Flow
from cakework._params import VMSpec
from cakework._sync.vms import run_vm
from cakework.errors import APIConnectionError, UnreachableStateError, WaitTimeoutError

from ._fakes import FakeApi, SimClock, adrive, conflict, connection_error, drive


def sync_runner(clock: SimClock) -> Any:
    return lambda flow: drive(flow, clock)


def make_api(clock: SimClock, boot: float = 3.0) -> FakeApi:
    return FakeApi(clock, vm_state=lambda t: "started" if t >= boot else "created")


def test_run_starts_waits_yields_and_stops(clock: SimClock) -> None:
    api = make_api(clock)
    with run_vm(
        sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
    ) as vm:
        assert vm.state == "started"
        assert api.stopped == []
    assert api.stopped == ["vm-1"]


def test_run_stops_after_an_exception_in_the_body(clock: SimClock) -> None:
    api = make_api(clock)
    with (
        pytest.raises(ZeroDivisionError),
        run_vm(
            sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
        ),
    ):
        _ = 1 / 0
    assert api.stopped == ["vm-1"]


def test_run_stops_on_keyboard_interrupt(clock: SimClock) -> None:
    api = make_api(clock)
    with (
        pytest.raises(KeyboardInterrupt),
        run_vm(
            sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
        ),
    ):
        raise KeyboardInterrupt
    assert api.stopped == ["vm-1"]


@pytest.mark.parametrize("state", ["boot never ends", "dies"])
def test_run_stops_when_the_wait_fails(clock: SimClock, state: str) -> None:
    if state == "dies":
        api = FakeApi(clock, vm_state=lambda t: "destroyed" if t >= 2 else "created")
        expected: type[Exception] = UnreachableStateError
    else:
        api = FakeApi(clock)
        expected = WaitTimeoutError
    with (
        pytest.raises(expected),
        run_vm(
            sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=30.0, rng=random.Random(0)
        ),
    ):
        pytest.fail("the body must not run")  # pragma: no cover
    assert api.calls["stopVM"] == 1


def test_failed_stop_is_logged_and_does_not_mask_the_body_error(
    clock: SimClock, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(clock)
    api.failures["stopVM"] = [connection_error("stopVM")]
    with (
        caplog.at_level(logging.ERROR, logger="cakework"),
        pytest.raises(ZeroDivisionError),
        run_vm(
            sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
        ),
    ):
        _ = 1 / 0
    assert any("could not stop VM vm-1" in r.getMessage() for r in caplog.records)


def test_failed_stop_after_a_clean_body_is_raised(
    clock: SimClock, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(clock)
    api.failures["stopVM"] = [connection_error("stopVM")]
    with (
        caplog.at_level(logging.ERROR, logger="cakework"),
        pytest.raises(APIConnectionError),
        run_vm(
            sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
        ),
    ):
        pass
    assert any("could not stop VM vm-1" in r.getMessage() for r in caplog.records)


def test_already_stopped_is_fine(clock: SimClock) -> None:
    api = make_api(clock)
    api.failures["stopVM"] = [conflict()]
    with run_vm(
        sync_runner(clock), api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)
    ):
        pass
    assert api.calls["stopVM"] == 1


async def test_async_run_stops_on_cancellation(clock: SimClock) -> None:
    api = make_api(clock)
    entered = asyncio.Event()

    async def body() -> None:
        async with arun_vm(
            lambda flow: adrive(flow, clock),
            api,
            VMSpec(image_id="img-1"),
            timeout=300.0,
            rng=random.Random(0),
        ):
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(body())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.stopped == ["vm-1"]


async def test_async_run_exception_and_clean_exit(clock: SimClock) -> None:
    api = make_api(clock)
    with pytest.raises(ZeroDivisionError):
        async with arun_vm(
            lambda flow: adrive(flow, clock),
            api,
            VMSpec(image_id="img-1"),
            timeout=300.0,
            rng=random.Random(0),
        ):
            _ = 1 / 0
    async with arun_vm(
        lambda flow: adrive(flow, clock),
        api,
        VMSpec(image_id="img-1"),
        timeout=300.0,
        rng=random.Random(0),
    ) as vm:
        assert vm.state == "started"
    assert api.stopped == ["vm-1", "vm-1"]


async def test_async_cancel_during_start_still_stops_the_new_vm(clock: SimClock) -> None:
    api = make_api(clock)
    release = asyncio.Event()
    started = asyncio.Event()

    async def run(flow: Flow[Any]) -> Any:
        if not started.is_set():
            # startVM in flight: the server has created the VM, the answer is late
            started.set()
            await release.wait()
        return await adrive(flow, clock)

    async def body() -> None:
        async with arun_vm(run, api, VMSpec(image_id="img-1"), timeout=300.0, rng=random.Random(0)):
            pytest.fail("the body must not run")  # pragma: no cover

    task = asyncio.create_task(body())
    await started.wait()
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.calls["startVM"] == 1
    assert api.stopped == ["vm-1"]
