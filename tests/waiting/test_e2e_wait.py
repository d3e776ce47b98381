"""Waits and vms.run against the emulator, for Cakework and AsyncCakework.

The emulator runs on a manual clock that only the client's injected sleep advances, so
a 10-minute build takes no real time and every count is exact.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from cakework import AsyncCakework, Build, BuildFailedError, LogLine, WaitTimeoutError
from cakework._polling import DEFAULT_SCHEDULE
from cakework.errors import UnreachableStateError
from cakework.testing import Emulator, Timings

from ._e2e import Harness
from .conftest import MakeHarness

SMALL = "FROM python:3.11-slim\nRUN pip install flask\nCMD python app.py\n"
TEN_STEPS = "FROM python:3.11-slim\n" + "".join(f"RUN echo step {i}\n" for i in range(1, 10))
MISSING_COPY = (
    "FROM python:3.11-slim\nRUN pip install flask\nCOPY app.py /srv/\nCMD python /srv/app.py\n"
)


def polls_until(seed: int, seconds: float) -> int:
    """getBuild calls the schedule makes for a build that takes ``seconds``."""
    elapsed = 0.0
    for n, delay in enumerate(DEFAULT_SCHEDULE.delays(random.Random(seed)), start=1):
        elapsed += delay
        if elapsed >= seconds:
            return n
    raise AssertionError  # pragma: no cover


async def test_build_succeeds(make_harness: MakeHarness) -> None:
    h = make_harness()
    build_id = await h.build(SMALL)
    statuses: list[Build] = []
    lines: list[LogLine] = []
    build = await h.call(
        h.c.images.wait_for_build(build_id, on_status=statuses.append, on_log=lines.append)
    )
    assert build.status == "succeeded"
    assert build.image_id
    assert [b.status for b in statuses] == ["created", "succeeded"]
    # on_log saw every line exactly once, in order: the same as reading them afterwards
    assert lines == await h.collect(h.c.images.build_logs(build_id))
    assert lines[0].message == "Step 1/3 : FROM python:3.11-slim"
    assert lines[-1].message.startswith("Pushing image")


async def test_build_fails_with_the_failing_step_in_the_log_tail(make_harness: MakeHarness) -> None:
    h = make_harness()
    build_id = await h.build(MISSING_COPY)
    with pytest.raises(BuildFailedError) as info:
        await h.call(h.c.images.wait_for_build(build_id))
    err = info.value
    assert err.build.status == "failed"
    assert err.build.image_id is None
    messages = [line.message for line in err.log_tail]
    assert "Step 3/4 : COPY app.py /srv/" in messages
    assert any("COPY failed" in m and "app.py" in m for m in messages)
    assert messages[-1] == "Build failed"
    assert 0 < len(err.log_tail) <= 50


async def test_failed_build_tail_with_on_log_is_the_last_50_lines(
    make_harness: MakeHarness,
) -> None:
    h = make_harness()
    # 30 steps, then a COPY that cannot work
    dockerfile = TEN_STEPS + "".join(f"RUN echo more {i}\n" for i in range(20)) + "COPY x.py .\n"
    build_id = await h.build(dockerfile)
    seen: list[LogLine] = []
    with pytest.raises(BuildFailedError) as info:
        await h.call(h.c.images.wait_for_build(build_id, on_log=seen.append))
    assert len(seen) > 50
    assert list(info.value.log_tail) == seen[-50:]
    assert seen == await h.collect(h.c.images.build_logs(build_id))


async def test_build_times_out_without_sleeping_past_the_deadline(
    make_harness: MakeHarness, seeded: Callable[[int], None]
) -> None:
    seeded(5)
    h = make_harness(timings=Timings(build_step=100.0))
    build_id = await h.build(SMALL)
    start = h.emu.now()
    with pytest.raises(WaitTimeoutError) as info:
        await h.call(h.c.images.wait_for_build(build_id, timeout=60.0))
    err = info.value
    assert (err.resource_id, err.last_state) == (build_id, "created")
    assert err.elapsed == pytest.approx(60.0)
    assert h.emu.now() - start == pytest.approx(60.0)  # the last sleep ended at the deadline
    assert h.emu.request_count("getBuild") == len(h.sleeps)


@pytest.mark.parametrize("with_logs", [False, True])
async def test_ten_minute_build_get_build_count(
    make_harness: MakeHarness, seeded: Callable[[int], None], with_logs: bool
) -> None:
    seeded(0)
    h = make_harness(timings=Timings(build_step=60.0))
    build_id = await h.build(TEN_STEPS)  # 10 steps x 60 s = a 10-minute build
    lines: list[LogLine] = []
    build = await h.call(
        h.c.images.wait_for_build(build_id, on_log=lines.append if with_logs else None)
    )
    assert build.status == "succeeded"
    calls = h.emu.request_count("getBuild")
    assert calls == polls_until(0, 600.0) == 47
    assert calls <= 50  # the vendor's example polled every 2 s: 300 calls
    if with_logs:
        assert lines == await h.collect(h.c.images.build_logs(build_id))
    else:
        assert h.emu.request_count("getBuildLogs") == 0


async def test_transient_errors_during_a_wait_are_retried(make_harness: MakeHarness) -> None:
    h = make_harness()
    build_id = await h.build(SMALL)
    # more failures in a row than the request's own 2 retries absorb
    h.emu.inject("getBuild", "error", status=503, times=4)
    h.emu.inject("getBuild", "drop_before", times=3)
    build = await h.call(h.c.images.wait_for_build(build_id))
    assert build.status == "succeeded"
    assert h.emu.request_count("getBuild") >= 8


async def test_a_retry_after_inside_a_wait_never_sleeps_past_the_deadline(
    make_harness: MakeHarness,
) -> None:
    h = make_harness(timings=Timings(boot=1000.0))
    vm = await h.call(h.c.vms.start(image_id=await h.image()))
    # Every getVM is refused with "come back in 100 s": the request layer would honour
    # that (<= 120 s), but the wait has only 30 s, so no such sleep may start.
    h.emu.inject("getVM", "error", status=429, retry_after="100", times=None, fraction=1.0)
    h.sleeps.clear()
    with pytest.raises(WaitTimeoutError) as info:
        await h.call(h.c.vms.wait_for_state(vm.id, "started", timeout=30.0))
    assert info.value.elapsed <= 30.0
    assert sum(h.sleeps) <= 30.0 + 1e-6  # float noise of the real monotonic clock
    assert max(h.sleeps) < 100.0
    assert h.emu.request_count("getVM") >= 2  # it kept looking until the deadline


async def test_vm_wait_for_started_and_unreachable_state(make_harness: MakeHarness) -> None:
    h = make_harness()
    image_id = await h.image()
    vm = await h.call(h.c.vms.start(image_id=image_id))
    assert vm.state == "created"
    started = await h.call(h.c.vms.wait_for_state(vm.id))
    assert started.state == "started"
    await h.call(h.c.vms.stop(vm.id))
    before = h.emu.request_count("getVM")
    with pytest.raises(UnreachableStateError) as info:
        await h.call(h.c.vms.wait_for_state(vm.id, "started", timeout=300.0))
    assert info.value.state in ("stopped", "destroyed")
    assert h.emu.request_count("getVM") == before + 1  # raised at once, not at the deadline
    gone = await h.call(h.c.vms.wait_for_state(vm.id, "destroyed"))
    assert gone.state == "destroyed"


async def test_vm_wait_times_out(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(boot=1000.0))
    vm = await h.call(h.c.vms.start(image_id=await h.image()))
    with pytest.raises(WaitTimeoutError) as info:
        await h.call(h.c.vms.wait_for_state(vm.id, timeout=30.0))
    assert (info.value.resource_id, info.value.last_state) == (vm.id, "created")
    assert info.value.elapsed == pytest.approx(30.0)


# -- vms.run ------------------------------------------------------------------------------


async def test_run_yields_a_started_vm_and_stops_it(make_harness: MakeHarness) -> None:
    h = make_harness()
    image_id = await h.image()
    if isinstance(h.client, AsyncCakework):
        async with h.client.vms.run(image_id=image_id) as vm:
            assert vm.state == "started"
            assert h.emu.resources()["running_vms"] == 1
    else:
        with h.client.vms.run(image_id=image_id) as vm:
            assert vm.state == "started"
            assert h.emu.resources()["running_vms"] == 1
    assert h.emu.resources()["running_vms"] == 0
    after = await h.call(h.c.vms.get(vm.id))
    assert after.state in ("stopped", "destroyed")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
async def test_run_stops_the_vm_when_the_body_raises(
    make_harness: MakeHarness, error: type[BaseException]
) -> None:
    h = make_harness()
    image_id = await h.image()
    with pytest.raises(error):
        await h.run_and_raise(image_id, error())
    resources = h.emu.resources()
    assert (resources["vms"], resources["running_vms"]) == (1, 0)
    assert h.emu.request_count("stopVM") == 1


async def test_run_failed_stop_does_not_mask_the_body_error(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = make_harness()
    image_id = await h.image()
    h.emu.inject("stopVM", "error", status=500, times=10)
    with pytest.raises(ZeroDivisionError):
        await h.run_and_raise(image_id, ZeroDivisionError())
    assert any(
        r.name == "cakework" and "could not stop VM" in r.getMessage() for r in caplog.records
    )


async def test_async_run_stops_the_vm_on_cancellation() -> None:
    with Emulator(manual_clock=True) as emu:
        h = Harness(emu, "async")
        client = h.client
        assert isinstance(client, AsyncCakework)
        image_id = await h.image()
        inside = asyncio.Event()

        async def job() -> None:
            async with client.vms.run(image_id=image_id):
                inside.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(job())
        await inside.wait()
        assert emu.resources()["running_vms"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert emu.resources()["running_vms"] == 0
        assert emu.request_count("stopVM") == 1
        await h.close()


async def test_async_cancelled_wait_propagates_and_leaves_nothing_running() -> None:
    with Emulator(manual_clock=True, timings=Timings(build_step=100.0)) as emu:
        h = Harness(emu, "async")
        client = h.client
        assert isinstance(client, AsyncCakework)
        build_id = await h.build(TEN_STEPS)
        lines: list[LogLine] = []
        first_poll = asyncio.Event()

        def on_status(build: Build) -> None:
            first_poll.set()

        task = asyncio.create_task(
            client.images.wait_for_build(build_id, on_status=on_status, on_log=lines.append)
        )
        await first_poll.wait()
        assert lines  # it was really waiting and reading logs when cancelled
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        count = emu.request_count("getBuild")
        for _ in range(20):
            await asyncio.sleep(0)
        assert emu.request_count("getBuild") == count  # no poll after the cancellation
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert others == []
        await h.close()


async def test_cached_vm_wait_for_state_across_restarts(make_harness: MakeHarness) -> None:
    h = make_harness()
    cached = await h.call(h.c.cached_vms.create(image_id=await h.image()))
    for _ in range(2):  # a cached VM starts and stops any number of times
        await h.call(h.c.cached_vms.start(cached.id))
        vm = await h.call(h.c.cached_vms.wait_for_state(cached.id, "started"))
        assert vm.state == "started"
        await h.call(h.c.cached_vms.stop(cached.id))
        assert (await h.call(h.c.cached_vms.wait_for_state(cached.id, "stopped"))).id == vm.id
    await h.call(h.c.cached_vms.destroy(cached.id))
    before = h.emu.request_count("getVM")
    with pytest.raises(UnreachableStateError) as info:
        await h.call(h.c.cached_vms.wait_for_state(cached.id, "started"))
    assert info.value.state == "destroyed"
    assert h.emu.request_count("getVM") == before + 1  # raised at once
