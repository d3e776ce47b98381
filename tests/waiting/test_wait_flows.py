"""wait_for_build / wait_for_vm_state as pure flows: no server, no clock (simulated time)."""

from __future__ import annotations

import itertools
import random

import pytest

from cakework import _validate as check
from cakework._flow import Flow, Sleep
from cakework._models import VM, Build, LogLine
from cakework._polling import DEFAULT_SCHEDULE
from cakework._waits import wait_for_build, wait_for_vm_state
from cakework.errors import (
    APIConnectionError,
    BuildFailedError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
    UnreachableStateError,
    WaitTimeoutError,
)

from ._fakes import (
    EPOCH_MS,
    FakeApi,
    SimClock,
    connection_error,
    drive,
    make_vm,
    server_error,
)


def expected_sleeps(seed: int, until: float) -> list[float]:
    """The schedule's sleeps up to and including the first poll at or after ``until``."""
    sleeps: list[float] = []
    for delay in DEFAULT_SCHEDULE.delays(random.Random(seed)):
        sleeps.append(delay)
        if sum(sleeps) >= until:
            return sleeps
    raise AssertionError  # pragma: no cover


def status_at(done_at: float, final: str = "succeeded") -> object:
    return lambda t: final if t >= done_at else "created"


# -- wait_for_build -----------------------------------------------------------------


def test_build_succeeds_with_the_exact_sleep_sequence(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 20 else "created")
    build = drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(1)), clock)
    assert build.status == "succeeded"
    assert build.image_id == "img-1"
    assert clock.sleeps == expected_sleeps(1, 20.0)
    assert clock.sleeps[0] == pytest.approx(1.0, rel=0.2)  # first poll after ~1 s
    assert api.calls["getBuild"] == len(clock.sleeps)
    assert api.calls["getBuildLogs"] == 0  # no on_log: no log traffic


@pytest.mark.parametrize("seed", range(20))
def test_ten_minute_build_costs_at_most_50_get_build_calls(seed: int) -> None:
    clock = SimClock()
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 600 else "created")
    drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(seed)), clock)
    assert api.calls["getBuild"] == len(expected_sleeps(seed, 600.0))
    assert api.calls["getBuild"] <= 50  # the vendor's 2 s loop: 300
    assert clock.t < 600 + 1.2 * 15  # noticed within one capped poll interval


def test_ten_minute_build_exact_count_seed_0(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 600 else "created")
    drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(0)), clock)
    assert api.calls["getBuild"] == 44


def test_failed_build_raises_with_the_last_50_log_lines(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "failed" if t >= 30 else "created")
    for i in range(120):
        api.logs.add(0, EPOCH_MS + i, f"Step {i}/120 : RUN make")
    api.logs.add(0, EPOCH_MS + 500, "error: step 120 failed: make: *** [all] Error 2", "error")
    with pytest.raises(BuildFailedError) as info:
        drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(0)), clock)
    err = info.value
    assert err.build.status == "failed"
    assert len(err.log_tail) == 50
    assert err.log_tail[-1].message.startswith("error: step 120 failed")
    assert [line.message for line in err.log_tail[:-1]] == [
        f"Step {i}/120 : RUN make" for i in range(71, 120)
    ]
    # one request for the tail: newest first, a batch of 50
    assert api.log_kwargs == [{"order": "newest_first", "batch": 50}]


def test_timeout_never_sleeps_past_the_deadline(clock: SimClock) -> None:
    api = FakeApi(clock)  # stays "created" forever
    with pytest.raises(WaitTimeoutError) as info:
        drive(wait_for_build(api, "b-1", timeout=60.0, rng=random.Random(2)), clock)
    err = info.value
    assert err.resource_id == "b-1"
    assert err.last_state == "created"
    assert err.elapsed == pytest.approx(60.0)
    assert sum(clock.sleeps) == pytest.approx(60.0)  # the last sleep was shortened
    full = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(2)), len(clock.sleeps)))
    assert clock.sleeps[:-1] == full[:-1]
    assert clock.sleeps[-1] < full[-1]
    # one last look exactly at the deadline
    assert api.calls["getBuild"] == len(clock.sleeps)


def test_a_retry_sleep_inside_a_poll_never_ends_past_the_deadline(clock: SimClock) -> None:
    class SlowRetryApi(FakeApi):
        def get_vm(self, vm_id: str) -> Flow[VM]:
            # What the request layer does on a 429 with Retry-After: 100.
            yield Sleep(100.0)
            return make_vm("started", vm_id)

    api = SlowRetryApi(clock)
    with pytest.raises(WaitTimeoutError) as info:
        drive(wait_for_vm_state(api, "vm-1", "started", timeout=20.0, rng=random.Random(0)), clock)
    assert clock.t <= 20.0
    assert 100.0 not in clock.sleeps
    assert info.value.elapsed == pytest.approx(20.0)


def test_a_retry_sleep_that_fits_before_the_deadline_is_kept(clock: SimClock) -> None:
    class ShortRetryApi(FakeApi):
        def get_vm(self, vm_id: str) -> Flow[VM]:
            yield Sleep(0.25)
            return make_vm("started", vm_id)

    api = ShortRetryApi(clock)
    vm = drive(wait_for_vm_state(api, "vm-1", "started", timeout=20.0, rng=random.Random(0)), clock)
    assert vm.state == "started"
    assert 0.25 in clock.sleeps


def test_timeout_zero_gives_up_without_a_request(clock: SimClock, api: FakeApi) -> None:
    with pytest.raises(WaitTimeoutError) as info:
        drive(wait_for_build(api, "b-1", timeout=0.0, rng=random.Random(0)), clock)
    assert info.value.last_state is None
    assert api.calls["getBuild"] == 0
    assert clock.sleeps == []


def test_timeout_none_waits_forever_but_must_be_explicit(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 36_000 else "created")
    build = drive(wait_for_build(api, "b-1", timeout=None, rng=random.Random(0)), clock)
    assert build.status == "succeeded"
    assert clock.t >= 36_000
    with pytest.raises(TypeError):
        wait_for_build(api, "b-1", rng=random.Random(0))  # type: ignore[call-arg]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_invalid_timeout(clock: SimClock, api: FakeApi, bad: float) -> None:
    with pytest.raises(InvalidParameterError):
        check.check_timeout(bad)


def test_transient_errors_are_retried_inside_the_deadline(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 5 else "created")
    api.failures["getBuild"] = [
        connection_error(),
        server_error(),
        RateLimitError("slow down", operation="getBuild", status_code=429, body=""),
        connection_error(),
    ]
    build = drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(0)), clock)
    assert build.status == "succeeded"
    assert api.failures["getBuild"] == []


def test_transient_errors_until_the_deadline_give_a_timeout(clock: SimClock) -> None:
    api = FakeApi(clock)
    api.failures["getBuild"] = [connection_error() for _ in range(100)]
    with pytest.raises(WaitTimeoutError) as info:
        drive(wait_for_build(api, "b-1", timeout=30.0, rng=random.Random(0)), clock)
    assert info.value.last_state is None
    assert isinstance(info.value.__cause__, type(connection_error()))


def test_non_transient_error_ends_the_wait(clock: SimClock, api: FakeApi) -> None:
    api.failures["getBuild"] = [
        NotFoundError("no such build", operation="getBuild", status_code=404, body="")
    ]
    with pytest.raises(NotFoundError):
        drive(wait_for_build(api, "b-1", timeout=1800.0, rng=random.Random(0)), clock)
    assert api.calls["getBuild"] == 1


def test_on_status_once_per_observed_change(clock: SimClock) -> None:
    timeline = [(0, "created"), (4, "queued"), (10, "created"), (25, "succeeded")]

    def status(t: float) -> str:
        return [s for at, s in timeline if t >= at][-1]

    api = FakeApi(clock, build_status=status)
    seen: list[Build] = []
    drive(
        wait_for_build(api, "b-1", timeout=1800.0, on_status=seen.append, rng=random.Random(0)),
        clock,
    )
    # unknown "queued" is just another running status, reported, never fatal
    assert [b.status for b in seen] == ["created", "queued", "created", "succeeded"]
    assert api.calls["getBuild"] > len(seen)  # several polls saw no change


def test_on_log_gets_every_line_once_in_order_while_waiting(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "failed" if t >= 100 else "created")
    expected: list[LogLine] = []
    # lines written over 100 s, three per second sharing one millisecond, two identical
    for second in range(100):
        ts = EPOCH_MS + second * 1000 + 250
        for message in (f"Step {second}", "tick", "tick"):
            api.logs.add(second + 0.5, ts, message)
            expected.append(LogLine(ts, "info", message))
    got: list[tuple[float, LogLine]] = []
    statuses: list[str] = []
    with pytest.raises(BuildFailedError) as info:
        drive(
            wait_for_build(
                api,
                "b-1",
                timeout=1800.0,
                on_log=lambda line: got.append((clock.t, line)),
                on_status=lambda b: statuses.append(b.status),
                rng=random.Random(0),
            ),
            clock,
        )
    assert [line for _, line in got] == expected
    # delivered while waiting, not all at the end
    assert got[0][0] < 5
    assert statuses == ["created", "failed"]
    # the tail comes from the lines already read: no extra newest_first request
    assert list(info.value.log_tail) == expected[-50:]
    assert all(kw["order"] == "oldest_first" for kw in api.log_kwargs)


def test_on_log_survives_a_failing_log_read(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 10 else "created")
    for second in range(10):
        api.logs.add(second, EPOCH_MS + second * 1000, f"line {second}")
    api.failures["getBuildLogs"] = [connection_error("getBuildLogs")] * 3
    got: list[LogLine] = []
    drive(
        wait_for_build(api, "b-1", timeout=1800.0, on_log=got.append, rng=random.Random(0)),
        clock,
    )
    assert [line.message for line in got] == [f"line {i}" for i in range(10)]


# -- wait_for_vm_state --------------------------------------------------------------


def test_vm_reaches_started(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 4 else "created")
    vm = drive(wait_for_vm_state(api, "vm-1", timeout=300.0, rng=random.Random(0)), clock)
    assert vm.state == "started"
    assert clock.sleeps == expected_sleeps(0, 4.0)


@pytest.mark.parametrize("dead", ["stopped", "destroyed"])
def test_unreachable_state_raises_at_once(clock: SimClock, dead: str) -> None:
    api = FakeApi(clock, vm_state=lambda t: dead if t >= 2 else "created")
    with pytest.raises(UnreachableStateError) as info:
        drive(wait_for_vm_state(api, "vm-1", "started", timeout=300.0, rng=random.Random(0)), clock)
    assert info.value.state == dead
    assert info.value.wanted == "started"
    assert clock.t < 10  # not the 300 s deadline


def test_waiting_for_stopped_accepts_destroyed(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "destroyed" if t >= 2 else "started")
    vm = drive(
        wait_for_vm_state(api, "vm-1", "stopped", timeout=300.0, rng=random.Random(0)), clock
    )
    assert vm.state == "destroyed"


def test_cached_vm_may_pass_through_stopped(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "stopped")
    vm = drive(
        wait_for_vm_state(
            api, "vm-1", "started", timeout=300.0, rng=random.Random(0), dead_states={"destroyed"}
        ),
        clock,
    )
    assert vm.state == "started"


def test_unknown_vm_state_keeps_waiting(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 8 else "booting")
    vm = drive(wait_for_vm_state(api, "vm-1", timeout=300.0, rng=random.Random(0)), clock)
    assert vm.state == "started"


def test_vm_wait_times_out_with_last_state(clock: SimClock) -> None:
    api = FakeApi(clock)
    with pytest.raises(WaitTimeoutError) as info:
        drive(wait_for_vm_state(api, "vm-1", timeout=20.0, rng=random.Random(0)), clock)
    assert (info.value.resource_id, info.value.last_state) == ("vm-1", "created")
    assert info.value.elapsed == pytest.approx(20.0)
    assert sum(clock.sleeps) == pytest.approx(20.0)


def test_vm_wait_retries_transient_errors(clock: SimClock) -> None:
    api = FakeApi(clock, vm_state=lambda t: "started" if t >= 3 else "created")
    api.failures["getVM"] = [connection_error("getVM"), server_error("getVM")]
    vm = drive(wait_for_vm_state(api, "vm-1", timeout=300.0, rng=random.Random(0)), clock)
    assert vm.state == "started"
    assert api.calls["getVM"] >= 3


def test_invalid_state_is_rejected_before_any_request(clock: SimClock, api: FakeApi) -> None:
    with pytest.raises(InvalidParameterError):
        check.vm_state("running")
    assert api.calls["getVM"] == 0


# -- callbacks ----------------------------------------------------------------------


def test_an_on_log_error_ends_the_wait_unchanged_even_if_it_looks_transient(
    clock: SimClock,
) -> None:
    # A callback that forwards lines with another client may raise one of our transient
    # errors; that is the caller's failure, not a hiccup of the wait to retry (which
    # used to swallow it and silently drop the line it failed on).
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 30 else "created")
    for second in range(5):
        api.logs.add(second, EPOCH_MS + second * 1000, f"line {second}")
    theirs = connection_error("theirService")
    calls: list[LogLine] = []

    def on_log(line: LogLine) -> None:
        calls.append(line)
        raise theirs

    with pytest.raises(APIConnectionError) as info:
        drive(
            wait_for_build(api, "b-1", timeout=1800.0, on_log=on_log, rng=random.Random(0)),
            clock,
        )
    assert info.value is theirs
    assert [line.message for line in calls] == ["line 0"]


def test_an_on_status_error_ends_the_wait_unchanged(clock: SimClock) -> None:
    api = FakeApi(clock, build_status=lambda t: "succeeded" if t >= 30 else "created")

    def on_status(build: Build) -> None:
        raise KeyError(build.status)

    with pytest.raises(KeyError, match="created"):
        drive(
            wait_for_build(api, "b-1", timeout=1800.0, on_status=on_status, rng=random.Random(0)),
            clock,
        )
    assert api.calls["getBuild"] == 1
