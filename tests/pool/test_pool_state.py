"""The pool's decision core and flows, stepped by a simulator: no server, no clock, no threads."""

from __future__ import annotations

import logging
from collections import Counter, deque

import pytest

from cakework._pool_state import (
    Outcome,
    Parallel,
    PoolState,
    PoolStats,
    RunFlow,
    WaitTurn,
    acquire_flow,
    close_flow,
    open_flow,
    percentile,
    release_flow,
)
from cakework.errors import (
    InvalidParameterError,
    PoolClosedError,
    PoolTimeoutError,
    WaitTimeoutError,
)

from ._sim import FakeAPIError, FakeOps, FakeServer, Sim, drive_until, later, resume, user


def _invariants(state: PoolState) -> None:
    stats = state.stats()
    assert stats.size == stats.idle + stats.in_use
    assert state._live() + state._creating <= state.max_size
    assert state._creating >= 0
    idle = list(state._idle)
    assert len(idle) == len(set(idle)), "a VM is idle twice"
    for vm_id in idle:
        assert state._records[vm_id].status == "idle"


def _opened(
    size: int, max_size: int | None = None, server: FakeServer | None = None, seed: int = 0
) -> tuple[PoolState, FakeServer, Sim]:
    state = PoolState(size=size, max_size=max_size)
    server = server or FakeServer()
    sim = Sim(state, server, seed=seed, check=lambda: _invariants(state))
    [opened] = sim.run(open_flow(state, FakeOps()))
    assert opened.error is None
    return state, server, sim


def _close(state: PoolState, sim: Sim) -> None:
    [closed] = sim.run(close_flow(state, FakeOps()))
    assert closed.error is None


def _errors(outcomes: list[Outcome]) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None]


@pytest.mark.parametrize("seed", range(12))
def test_fifty_acquirers_on_five_never_share_and_all_finish(seed: int) -> None:
    state, server, sim = _opened(5, seed=seed)
    holders: Counter[str] = Counter()
    outcomes = sim.run(*(user(state, holders, hold=seed % 4) for _ in range(50)))
    assert _errors(outcomes) == []
    assert len(outcomes) == 50
    assert set(holders) <= set(server.vms)
    stats = state.stats()
    assert (stats.size, stats.idle, stats.in_use, stats.created) == (5, 5, 0, 5)
    assert server.calls["start"] == server.calls["stop"] == 50
    _close(state, sim)
    assert server.vms == {}
    assert state.stats().destroyed == 5


def test_growth_stops_at_max_size() -> None:
    state, server, sim = _opened(2, max_size=6, seed=3)
    holders: Counter[str] = Counter()
    peak = 0

    def check() -> None:
        nonlocal peak
        _invariants(state)
        peak = max(peak, len(server.vms))

    sim.check = check
    outcomes = sim.run(*(user(state, holders, hold_seconds=1.0) for _ in range(20)))
    assert _errors(outcomes) == []
    assert peak == 6
    stats = state.stats()
    assert (stats.size, stats.created, stats.idle) == (6, 6, 6)
    _close(state, sim)
    assert server.vms == {}


def test_acquire_times_out_when_the_pool_is_full() -> None:
    state, _server, sim = _opened(1)
    holders: Counter[str] = Counter()
    holder = user(state, holders, hold_seconds=100.0)
    waiter = later(1.0, user(state, holders, timeout=5.0))
    held, timed_out = sim.run(holder, waiter)
    assert held.error is None
    assert isinstance(timed_out.error, PoolTimeoutError)
    assert isinstance(timed_out.error, WaitTimeoutError)
    assert timed_out.error.elapsed == pytest.approx(5.0)
    assert (timed_out.error.in_use, timed_out.error.max_size) == (1, 1)
    assert "1 of 1 VMs in use" in str(timed_out.error)
    assert not state._queue, "the timed-out acquirer left the queue"
    assert state.stats().idle == 1


def test_a_release_within_the_timeout_serves_the_waiter() -> None:
    state, _server, sim = _opened(1)
    holders: Counter[str] = Counter()
    first, second = sim.run(
        user(state, holders, hold_seconds=3.0), user(state, holders, timeout=5.0)
    )
    assert first.error is None
    assert second.error is None
    assert first.value == second.value


def test_start_failure_replaces_the_vm_and_the_acquire_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServer(faults={"start": {1: FakeAPIError("boom")}})
    state, server, sim = _opened(2, server=server)
    with caplog.at_level(logging.WARNING, logger="cakework"):
        [outcome] = sim.run(user(state, Counter()))
    assert outcome.error is None
    stats = state.stats()
    assert (stats.failures, stats.replaced, stats.destroyed, stats.created) == (1, 1, 1, 3)
    assert stats.size == 2
    assert "failed to start" in caplog.text
    _close(state, sim)
    assert server.vms == {}


def test_start_failing_every_time_gives_up_after_the_attempts() -> None:
    boom: dict[int, BaseException] = {n: FakeAPIError(f"boom {n}") for n in range(1, 10)}
    state, server, sim = _opened(1, server=FakeServer(faults={"start": boom}))
    [outcome] = sim.run(user(state, Counter()))
    assert isinstance(outcome.error, FakeAPIError)
    assert str(outcome.error) == "boom 3"
    stats = state.stats()
    assert (stats.failures, stats.replaced, stats.size) == (3, 3, 1)
    _close(state, sim)
    assert server.vms == {}


def test_stop_failure_replaces_the_vm(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(faults={"stop": {1: FakeAPIError("stuck")}})
    state, server, sim = _opened(1, server=server)
    with caplog.at_level(logging.WARNING, logger="cakework"):
        first, second = sim.run(user(state, Counter()), user(state, Counter()))
    assert first.error is None
    assert second.error is None
    assert first.value != second.value, "the VM that failed to stop was not handed out again"
    stats = state.stats()
    assert (stats.failures, stats.replaced, stats.destroyed, stats.size) == (1, 1, 1, 1)
    assert "failed to stop" in caplog.text
    _close(state, sim)
    assert server.vms == {}


def test_warm_up_failure_destroys_what_was_created_and_raises() -> None:
    server = FakeServer(faults={"create": {3: FakeAPIError("no capacity")}})
    state = PoolState(size=5)
    sim = Sim(state, server, seed=1)
    [opened] = sim.run(open_flow(state, FakeOps()))
    assert isinstance(opened.error, FakeAPIError)
    assert server.calls["create"] == 5, "every create ran to the end before cleanup"
    assert server.vms == {}
    stats = state.stats()
    assert (stats.created, stats.destroyed, stats.failures, stats.size) == (4, 4, 1, 0)
    assert state.closed


def test_interrupt_during_warm_up_destroys_what_was_created() -> None:
    state = PoolState(size=3)
    server = FakeServer()
    sim = Sim(state, server)
    flow = open_flow(state, FakeOps())
    parallel = drive_until(flow, Parallel)
    children = sim.run(*parallel.flows)  # the driver lets every create finish first
    assert len(server.vms) == 3
    assert all(c.error is None for c in children)
    [interrupted] = sim.run(resume(flow, throw=KeyboardInterrupt()))
    assert isinstance(interrupted.error, KeyboardInterrupt)
    assert server.vms == {}
    assert state.closed


def test_interrupt_during_start_destroys_the_vm_without_replacing_it() -> None:
    server = FakeServer(faults={"wait_started": {1: KeyboardInterrupt()}})
    state, server, sim = _opened(2, server=server)
    [outcome] = sim.run(user(state, Counter()))
    assert isinstance(outcome.error, KeyboardInterrupt)
    stats = state.stats()
    assert (stats.size, stats.destroyed, stats.replaced, stats.failures) == (1, 1, 0, 0)
    assert len(server.vms) == 1
    _close(state, sim)
    assert server.vms == {}


def test_interrupt_while_waiting_gives_the_turn_back() -> None:
    state, _server, _sim = _opened(1)
    holder = acquire_flow(state, FakeOps(), image_id="img", timeout=None)
    start = drive_until(holder, RunFlow)
    assert start.op == "start"
    waiter = acquire_flow(state, FakeOps(), image_id="img", timeout=None)
    wait = drive_until(waiter, WaitTurn)
    assert state._queue == deque([wait.ticket])
    with pytest.raises(KeyboardInterrupt):
        waiter.throw(KeyboardInterrupt())
    assert not state._queue
    assert state.stats().in_use == 1
    [held] = _sim.run(resume(holder, start))
    assert held.error is None
    _sim.run(release_flow(state, FakeOps(), held.value.id))
    assert state.stats().idle == 1


def test_close_wakes_waiters_with_pool_closed() -> None:
    state, _server, sim = _opened(1)
    holders: Counter[str] = Counter()
    outcomes = sim.run(
        user(state, holders, hold_seconds=10.0),
        later(0.5, user(state, holders, timeout=None)),
        later(1.0, close_flow(state, FakeOps())),
    )
    assert isinstance(outcomes[1].error, PoolClosedError)
    assert outcomes[2].error is None
    assert sim.server.vms == {}


def test_acquire_before_open_or_after_close_is_refused() -> None:
    state = PoolState(size=1)
    with pytest.raises(PoolClosedError, match="not open"):
        drive_until(acquire_flow(state, FakeOps(), image_id="img", timeout=1.0), WaitTurn)
    sim = Sim(state, FakeServer())
    sim.run(open_flow(state, FakeOps()))
    _close(state, sim)
    _close(state, sim)  # twice is harmless
    with pytest.raises(PoolClosedError, match="closed"):
        state.request()
    with pytest.raises(PoolClosedError, match="already closed"):
        state.open()


def test_adopted_vms_are_used_and_not_destroyed_unless_asked() -> None:
    server = FakeServer(vms={"old1": "stopped", "old2": "stopped"})
    state = PoolState(size=3, adopt=["old1", "old2"])
    sim = Sim(state, server)
    sim.run(open_flow(state, FakeOps()))
    assert state.stats().created == 1
    log: list[str] = []
    sim.run(*(user(state, Counter(), log=log) for _ in range(3)))
    assert {"old1", "old2"} <= set(log)
    _close(state, sim)
    assert set(server.vms) == {"old1", "old2"}

    state = PoolState(size=2, adopt=["old1", "old2"], destroy_adopted=True)
    sim = Sim(state, server)
    sim.run(open_flow(state, FakeOps()))
    _close(state, sim)
    assert server.vms == {}


def test_a_failed_adopted_vm_is_let_go_and_replaced_but_not_destroyed() -> None:
    server = FakeServer(
        vms={"old1": "started"}, faults={"start": {1: FakeAPIError("409 already running")}}
    )
    state = PoolState(size=1, adopt=["old1"])
    sim = Sim(state, server)
    sim.run(open_flow(state, FakeOps()))
    [outcome] = sim.run(user(state, Counter()))
    assert outcome.error is None
    assert outcome.value != "old1"
    stats = state.stats()
    assert (stats.failures, stats.replaced, stats.destroyed, stats.size) == (1, 1, 0, 1)
    _close(state, sim)
    assert set(server.vms) == {"old1"}


def test_stats_arithmetic() -> None:
    server = FakeServer(start_latency=2.0)
    state, server, sim = _opened(1, server=server)
    for latency in range(1, 21):
        server.start_latency = float(latency)
        [outcome] = sim.run(user(state, Counter()))
        assert outcome.error is None
    stats = state.stats()
    assert stats.start_latency_mean == pytest.approx(10.5)
    assert stats.start_latency_p95 == 19.0
    assert stats == PoolStats(
        size=1,
        idle=1,
        in_use=0,
        created=1,
        destroyed=0,
        replaced=0,
        failures=0,
        start_latency_mean=10.5,
        start_latency_p95=19.0,
    )
    assert PoolState(size=1).stats().start_latency_mean is None


def test_percentile_nearest_rank() -> None:
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0


@pytest.mark.parametrize(
    ("size", "max_size", "adopt"),
    [(-1, None, ()), (3, 2, ()), (0, 0, ()), (1, 1, ("a", "b"))],
)
def test_bad_sizes_are_refused(size: int, max_size: int | None, adopt: tuple[str, ...]) -> None:
    with pytest.raises(InvalidParameterError):
        PoolState(size=size, max_size=max_size, adopt=adopt)


def test_lazy_pool_of_size_zero_grows_on_demand() -> None:
    state, server, sim = _opened(0, max_size=2)
    assert server.vms == {}
    holders: Counter[str] = Counter()
    outcomes = sim.run(*(user(state, holders) for _ in range(5)))
    assert _errors(outcomes) == []
    assert 1 <= state.stats().created <= 2
    _close(state, sim)
    assert server.vms == {}
