"""A deterministic scheduler for pool flows: no threads, no clock, no server.

It plays the role of the drivers in ``cakework._async.pool``: it steps many pool flows in a
seeded random interleaving (each step is atomic, as under the pool's lock), answers
``RunFlow`` effects from a fake API that can inject failures, parks ``WaitTurn`` effects until
their ticket is ready, and moves a fake clock only when every flow is parked.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from cakework._flow import Flow, Now
from cakework._models import VM, CachedVM
from cakework._pool_state import (
    Outcome,
    Parallel,
    PoolFlow,
    PoolState,
    RunFlow,
    Ticket,
    WaitTurn,
    acquire_flow,
    release_flow,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FakeAPIError(Exception):
    """An injected API failure."""


def _unused() -> Flow[Any]:
    """Stands in for an API flow; the simulator answers the RunFlow itself and closes it."""
    yield Now()
    raise AssertionError("the simulator never runs API flows")


class FakeOps:
    """PoolOps whose flows are placeholders: the simulator looks at RunFlow.op / RunFlow.vm_id."""

    def create(self) -> Flow[CachedVM]:
        return _unused()

    def start(self, vm_id: str) -> Flow[None]:
        return _unused()

    def wait_started(self, vm_id: str) -> Flow[VM]:
        return _unused()

    def stop(self, vm_id: str) -> Flow[None]:
        return _unused()

    def destroy(self, vm_id: str) -> Flow[None]:
        return _unused()


@attrs.define
class FakeServer:
    """The cached VMs that exist, and faults: ``faults[op]`` is a list of the n-th calls
    (1-based) of ``op`` that raise, with the exception to raise."""

    faults: dict[str, dict[int, BaseException]] = attrs.field(factory=dict)
    start_latency: float = 0.0
    vms: dict[str, str] = attrs.field(factory=dict)  # id -> state
    calls: Counter[str] = attrs.field(factory=Counter)
    next_id: int = 0

    def answer(self, call: RunFlow, sim: Sim) -> Any:
        self.calls[call.op] += 1
        fault = self.faults.get(call.op, {}).get(self.calls[call.op])
        if fault is not None:
            raise fault
        vm_id = call.vm_id
        if call.op == "create":
            self.next_id += 1
            new_id = f"vm{self.next_id}"
            self.vms[new_id] = "stopped"
            return CachedVM(id=new_id, hostname=f"{new_id}.example")
        assert vm_id is not None
        if vm_id not in self.vms:
            raise FakeAPIError(f"{vm_id} does not exist")
        if call.op == "start":
            assert self.vms[vm_id] == "stopped", f"start of {vm_id} in {self.vms[vm_id]}"
            self.vms[vm_id] = "started"
            sim.now += self.start_latency
            return None
        if call.op == "wait_started":
            assert self.vms[vm_id] == "started"
            return VM(
                id=vm_id,
                hostname=f"{vm_id}.example",
                cpu=1,
                memory=256,
                image_id="img",
                state="started",
                created_at=EPOCH,
                updated_at=EPOCH,
            )
        if call.op == "stop":
            assert self.vms[vm_id] == "started", f"stop of {vm_id} in {self.vms[vm_id]}"
            self.vms[vm_id] = "stopped"
            return None
        assert call.op == "destroy"
        del self.vms[vm_id]
        return None


@attrs.define(eq=False)
class _Task:
    flow: PoolFlow[Any]
    parent: _Task | None = None
    inbox: tuple[bool, Any] | None = (True, None)  # (ok, value-or-exception), None = parked
    waiting: WaitTurn | None = None
    deadline: float = float("inf")
    pending_children: int = 0
    outcomes: list[Outcome] = attrs.field(factory=list)
    children: list[_Task] = attrs.field(factory=list)
    result: Outcome | None = None


class Sim:
    """Run pool flows to completion in a seeded random interleaving."""

    def __init__(
        self,
        state: PoolState,
        server: FakeServer,
        seed: int = 0,
        check: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.server = server
        self.rng = random.Random(seed)
        self.now = 0.0
        self.check = check
        self.max_steps = 200_000

    def run(self, *flows: PoolFlow[Any]) -> list[Outcome]:
        """Run ``flows`` side by side; return how each ended."""
        roots = [_Task(flow) for flow in flows]
        tasks = list(roots)
        for _ in range(self.max_steps):
            tasks = [t for t in tasks if t.result is None]
            if not tasks:
                return [t.result for t in roots if t.result is not None]
            for task in tasks:
                if task.waiting is not None and task.waiting.ticket.ready:
                    self._resume(task, True, None)
            runnable = [t for t in tasks if t.inbox is not None]
            if not runnable:
                parked = [t for t in tasks if t.waiting is not None]
                assert parked, "deadlock: every flow waits for a Parallel that cannot finish"
                first = min(parked, key=lambda t: t.deadline)
                assert first.deadline != float("inf"), "deadlock: every flow waits forever"
                self.now = max(self.now, first.deadline)
                self._resume(first, True, None)
                continue
            task = self.rng.choice(runnable)
            tasks.extend(self._step(task))
            if self.check is not None:
                self.check()
        raise AssertionError("the simulation did not finish")

    def _resume(self, task: _Task, ok: bool, value: Any) -> None:
        task.waiting = None
        task.deadline = float("inf")
        task.inbox = (ok, value)

    def _step(self, task: _Task) -> list[_Task]:
        assert task.inbox is not None
        ok, value = task.inbox
        task.inbox = None
        try:
            effect = task.flow.send(value) if ok else task.flow.throw(value)
        except StopIteration as stop:
            self._finish(task, Outcome(value=stop.value))
            return []
        except BaseException as exc:  # the flow's own error, e.g. PoolTimeoutError
            self._finish(task, Outcome(error=exc))
            return []
        if isinstance(effect, Now):
            task.inbox = (True, self.now)
        elif isinstance(effect, RunFlow):
            effect.flow.close()
            try:
                task.inbox = (True, self.server.answer(effect, self))
            except BaseException as exc:
                task.inbox = (False, exc)
        elif isinstance(effect, WaitTurn):
            if effect.ticket.ready:
                task.inbox = (True, None)
            else:
                task.waiting = effect
                if effect.timeout is not None:
                    task.deadline = self.now + effect.timeout
        else:
            assert isinstance(effect, Parallel)
            children = [_Task(flow, parent=task) for flow in effect.flows]
            task.children = children
            task.pending_children = len(children)
            if not children:
                task.inbox = (True, ())
            return children
        return []

    def _finish(self, task: _Task, outcome: Outcome) -> None:
        task.result = outcome
        parent = task.parent
        if parent is not None:
            parent.pending_children -= 1
            if parent.pending_children == 0:
                results = tuple(c.result for c in parent.children)
                parent.inbox = (True, results)


def user(
    state: PoolState,
    holders: Counter[str],
    *,
    hold: int = 3,
    hold_seconds: float | None = None,
    timeout: float | None = 60.0,
    log: list[str] | None = None,
) -> PoolFlow[str]:
    """An acquirer: take a VM, hold it (checking nobody else does), give it back."""
    ops = FakeOps()
    vm = yield from acquire_flow(state, ops, image_id="img", timeout=timeout)
    holders[vm.id] += 1
    assert holders[vm.id] == 1, f"{vm.id} handed to two holders"
    if log is not None:
        log.append(vm.id)
    for _ in range(hold):
        yield Now()
    if hold_seconds is not None:
        yield WaitTurn(Ticket(), hold_seconds)  # a ticket nobody readies: pure passage of time
    holders[vm.id] -= 1
    yield from release_flow(state, ops, vm.id)
    return vm.id


def later(seconds: float, flow: PoolFlow[Any]) -> PoolFlow[Any]:
    """Run ``flow`` after ``seconds`` of fake time (to order events in a test)."""
    yield WaitTurn(Ticket(), seconds)
    return (yield from flow)


def resume(
    flow: PoolFlow[Any], effect: Any = None, *, throw: BaseException | None = None
) -> PoolFlow[Any]:
    """Keep running a flow paused by hand at ``effect``, or throw ``throw`` into it first."""
    try:
        if throw is not None:
            effect = flow.throw(throw)
        while True:
            try:
                result = yield effect
            except BaseException as inner:
                effect = flow.throw(inner)
            else:
                effect = flow.send(result)
    except StopIteration as stop:
        return stop.value


def drive_until(flow: PoolFlow[Any], kind: type, first: bool = True) -> Any:
    """Step ``flow`` by hand (answering Now with 0.0) until it yields a ``kind`` effect."""
    effect = next(flow) if first else flow.send(None)
    while not isinstance(effect, kind):
        effect = flow.send(0.0 if isinstance(effect, Now) else None)
    return effect
