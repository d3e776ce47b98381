"""The cached-VM pool's logic, written once: a pure state object and the flows that drive it.

Rule of this module: every decision about the pool -- which VM goes to which acquirer, when
to grow, what to destroy, whether to replace a broken VM -- is a method of
:class:`PoolState`, called by the flows below *between* their effects. A driver (``_pool``)
advances a flow while holding the pool's lock and performs the effect it yields (an API
call, waiting for a turn, running flows side by side) after releasing it. That is
httpcore's connection-pool pattern: decide under the lock, do the I/O outside it. The sync
(threads) and async (tasks) pools differ only in how they perform the effects.

Nothing here blocks, sleeps, reads a clock or touches the network, so the flows are
tested by stepping them by hand (``tests/pool/test_pool_state.py``).

Effects a pool flow yields, and what it receives back:

* ``RunFlow(op, vm_id, flow)`` -> the result of an API flow (``Api``'s ``cache_vm`` ...),
  run by the client's pump; its exception is thrown into the pool flow.
* ``WaitTurn(ticket, timeout)`` -> ``None`` once the ticket is ready or ``timeout`` seconds
  have passed (the flow checks which).
* ``Parallel(flows)`` -> a tuple of :class:`Outcome`, one per pool flow, after *all* of
  them have finished (also when the waiting side is interrupted: a VM created by a flow
  still running must be known before anything is cleaned up).
* ``Now()`` -> monotonic seconds, from the client's clock (the same ``Now`` as in ``_flow``).

They extend the request flows' vocabulary (``Send``/``Sleep``/``Now``) with what only a
pool needs: running a whole request flow, waiting for a turn, and running side by side.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypeVar, cast

import attrs

from ._flow import Flow, Now
from ._pending import PendingResource, may_be_created, name_left
from ._pending import record as record_left
from .errors import (
    APIError,
    ConflictError,
    InvalidParameterError,
    NotFoundError,
    PoolClosedError,
    PoolTimeoutError,
)

if TYPE_CHECKING:
    from ._models import VM, CachedVM

T = TypeVar("T")

logger = logging.getLogger("cakework")

MAX_START_ATTEMPTS = 3
"""An acquire tries at most this many VMs (each failure replaces one) before it gives up."""

LATENCY_WINDOW = 1000
"""Start latencies kept for :meth:`PoolState.stats` (the most recent ones)."""


class Signal(Protocol):
    """What a driver hangs on a ticket to wake its waiter (``threading``/``asyncio.Event``)."""

    def set(self) -> None:
        """Wake the waiter."""


@attrs.define(eq=False)
class Ticket:
    """One waiter: an acquire in the queue, or a ``close`` waiting for in-flight work.

    Attributes:
        vm_id: The VM handed to this acquirer.
        grow: This acquirer may create a new VM for itself (the pool is below ``max_size``).
        closed: The pool was closed while it waited.
        drained: (close tickets) nothing is in flight any more.
        signal: Set by the driver; the state only decides *which* tickets to wake.
    """

    vm_id: str | None = None
    grow: bool = False
    closed: bool = False
    drained: bool = False
    signal: Signal | None = None

    @property
    def ready(self) -> bool:
        """True once the waiter has something to act on."""
        return self.vm_id is not None or self.grow or self.closed or self.drained


@attrs.frozen
class RunFlow:
    """Run one API flow. ``op`` and ``vm_id`` say what it is, for drivers and tests."""

    op: Literal["create", "start", "wait_started", "stop", "destroy"]
    vm_id: str | None
    flow: Flow[Any] = attrs.field(repr=False)


@attrs.frozen
class WaitTurn:
    """Wait until ``ticket.ready`` or ``timeout`` seconds (``None``: no limit)."""

    ticket: Ticket
    timeout: float | None


@attrs.frozen
class Parallel:
    """Run pool flows side by side; receive a tuple of :class:`Outcome` once all are done."""

    flows: tuple[PoolFlow[Any], ...] = attrs.field(repr=False)


@attrs.frozen
class Outcome:
    """How one flow of a :class:`Parallel` ended: its value or its exception."""

    value: Any = None
    error: BaseException | None = None


PoolEffect: TypeAlias = RunFlow | WaitTurn | Parallel | Now
PoolFlow: TypeAlias = Generator[PoolEffect, Any, T]
"""A generator yielding pool effects and returning ``T``."""


class PoolOps(Protocol):
    """The API flows the pool uses (``_pool`` binds them to ``Api``; tests fake them)."""

    def create(self) -> Flow[CachedVM]:
        """Create with cacheVM, using the pool's image and sizing."""

    def start(self, vm_id: str) -> Flow[None]:
        """Start with startCachedVM."""

    def wait_started(self, vm_id: str) -> Flow[VM]:
        """Poll getVM until the VM is ``started``."""

    def stop(self, vm_id: str) -> Flow[None]:
        """Stop with stopCachedVM."""

    def destroy(self, vm_id: str) -> Flow[None]:
        """Destroy with destroyCachedVM."""


@attrs.frozen
class PoolStats:
    """A snapshot of a pool.

    ``size == idle + in_use``; VMs being destroyed are in none of the three. Without
    adopted VMs, ``created - destroyed`` equals ``size`` whenever no create or destroy is
    in flight, unless a destroy failed (then it is counted in ``failures`` and logged).

    Attributes:
        size: VMs in rotation (created by the pool or adopted).
        idle: VMs ready to be handed out.
        in_use: VMs handed out (being started, held, or being stopped).
        created: VMs the pool created (warm-up, growth and replacements).
        destroyed: VMs the pool destroyed.
        replaced: Broken VMs for which a replacement was created.
        failures: Failed creates, starts, stops and destroys.
        start_latency_mean: Mean seconds from startCachedVM to ``started``, over the most
            recent 1,000 acquires; ``None`` before the first.
        start_latency_p95: 95th percentile of the same (nearest rank).
    """

    size: int
    idle: int
    in_use: int
    created: int
    destroyed: int
    replaced: int
    failures: int
    start_latency_mean: float | None
    start_latency_p95: float | None


@attrs.define
class _Record:
    status: Literal["idle", "in_use", "retiring"]
    owned: bool


@attrs.frozen
class Discard:
    """What to do with a VM taken out of rotation."""

    destroy: bool
    replace: bool


def _not_int(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of non-empty ``values`` (``fraction`` in (0, 1])."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class PoolState:
    """Which VMs exist, who holds them, who waits, and the counters. Not thread-safe by itself.

    Every method is short and never blocks; the driver calls them (through the flows)
    while holding the pool's lock. Tickets whose state changed are collected and handed to
    the driver by :meth:`take_woken`, which wakes their waiters.
    """

    def __init__(
        self,
        *,
        size: int,
        max_size: int | None = None,
        adopt: Sequence[str] = (),
        destroy_adopted: bool = False,
    ) -> None:
        if _not_int(size) or size < 0:
            raise InvalidParameterError("size", size, "an integer >= 0")
        limit = size if max_size is None else max_size
        if _not_int(limit) or limit < max(size, 1):
            raise InvalidParameterError("max_size", max_size, f">= size ({size}) and >= 1")
        # A lone id string would otherwise be adopted character by character.
        ids = () if isinstance(adopt, str | bytes) else tuple(adopt)
        if isinstance(adopt, str | bytes) or not all(isinstance(i, str) and i for i in ids):
            raise InvalidParameterError("adopt", adopt, "a sequence of cached-VM ids")
        adopted = list(dict.fromkeys(ids))
        if len(adopted) > limit:
            raise InvalidParameterError("adopt", adopt, f"at most max_size ({limit}) ids")
        self.size = size
        self.max_size = limit
        self.destroy_adopted = destroy_adopted
        self._phase: Literal["new", "open", "closed"] = "new"
        self._records: dict[str, _Record] = {i: _Record("idle", owned=False) for i in adopted}
        self._idle: deque[str] = deque(adopted)
        self._creating = 0
        self._queue: deque[Ticket] = deque()
        self._woken: list[Ticket] = []
        self._drain_waiters: list[Ticket] = []
        self._created = 0
        self._destroyed = 0
        self._replaced = 0
        self._failures = 0
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)

    # -- lifecycle -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._phase == "closed"

    def open(self) -> int:
        """Open the pool; return how many VMs the warm-up must create (reserved here).

        Raises:
            PoolClosedError: The pool was opened or closed before.
        """
        if self._phase != "new":
            raise PoolClosedError(f"the pool is already {self._phase}; a pool opens once")
        self._phase = "open"
        count = max(0, self.size - len(self._records))
        self._creating += count
        return count

    def close(self) -> tuple[str, ...]:
        """Close the pool; return the ids the closing flow must destroy (idempotent).

        Waiting acquirers are woken with ``closed``. VMs in use are taken too: a closed
        pool leaves nothing behind, and their holders' release then has nothing to stop.
        Adopted VMs are only let go unless ``destroy_adopted``.
        """
        if self._phase == "closed":
            return ()
        self._phase = "closed"
        while self._queue:
            ticket = self._queue.popleft()
            ticket.closed = True
            self._woken.append(ticket)
        doomed = []
        for vm_id, record in list(self._records.items()):
            if record.status == "retiring":
                continue  # its destroy is already under way
            if record.owned or self.destroy_adopted:
                record.status = "retiring"
                doomed.append(vm_id)
            else:
                del self._records[vm_id]
        self._idle.clear()
        return tuple(doomed)

    def drain_ticket(self) -> Ticket | None:
        """A ticket ready once no create or destroy is in flight; ``None`` if none is."""
        if self._in_flight() == 0:
            return None
        ticket = Ticket()
        self._drain_waiters.append(ticket)
        return ticket

    # -- acquiring -------------------------------------------------------------------

    def request(self) -> Ticket:
        """Queue an acquirer; it may be served at once (check ``ticket.ready``).

        Raises:
            PoolClosedError: The pool is not open.
        """
        if self._phase != "open":
            what = (
                "not open yet (use `with pool:` or pool.open())"
                if self._phase == "new"
                else "closed"
            )
            raise PoolClosedError(f"the pool is {what}")
        ticket = Ticket()
        self._queue.append(ticket)
        self._assign()
        return ticket

    def withdraw(self, ticket: Ticket) -> None:
        """An acquirer gives up (timeout or interrupt): whatever it was given goes back."""
        if ticket in self._queue:
            self._queue.remove(ticket)
        if ticket.vm_id is not None:
            record = self._records.get(ticket.vm_id)
            if record is not None and record.status == "in_use":
                record.status = "idle"
                self._idle.append(ticket.vm_id)
            ticket.vm_id = None
        if ticket.grow:
            ticket.grow = False
            self._creating -= 1
        self._assign()
        self._check_drained()

    def created(self, vm_id: str, *, ticket: Ticket | None, replacement: bool) -> bool:
        """A create finished. ``ticket``: the acquirer that grew the pool gets the VM.

        Returns:
            ``False`` if the pool closed meanwhile: the caller must destroy the VM.
        """
        self._creating -= 1
        self._created += 1
        if replacement:
            self._replaced += 1
        if self._phase == "closed":
            self._records[vm_id] = _Record("retiring", owned=True)
            return False
        if ticket is not None:
            self._records[vm_id] = _Record("in_use", owned=True)
            ticket.vm_id = vm_id
        else:
            self._records[vm_id] = _Record("idle", owned=True)
            self._idle.append(vm_id)
            self._assign()
        return True

    def create_failed(self, *, counted: bool) -> None:
        """A create failed (``counted``) or was interrupted: its reservation is freed."""
        self._creating -= 1
        self._failures += counted
        self._assign()
        self._check_drained()

    def started(self, latency: float) -> None:
        """A handed-out VM reached ``started`` after ``latency`` seconds."""
        self._latencies.append(latency)

    def holds(self, vm_id: str) -> bool:
        """True if ``vm_id`` is handed out and still the pool's (``close`` takes VMs away)."""
        record = self._records.get(vm_id)
        return record is not None and record.status == "in_use"

    def returned(self, vm_id: str) -> None:
        """A holder stopped its VM; it becomes idle (no-op if ``close`` took it)."""
        if self.holds(vm_id):
            self._records[vm_id].status = "idle"
            self._idle.append(vm_id)
            self._assign()

    def discard(self, vm_id: str, *, failed: bool) -> Discard:
        """Take a handed-out VM out of rotation (it failed, or its start was interrupted).

        A failure is counted; a replacement is reserved when the pool is open and below
        ``size``. Interrupted (not ``failed``) VMs are not replaced: the caller is being
        cancelled and should not start new work; the pool regrows on demand. An adopted
        VM is only let go, not destroyed, unless ``destroy_adopted``: it is not ours.
        """
        if not self.holds(vm_id):
            return Discard(destroy=False, replace=False)  # close already took it
        record = self._records[vm_id]
        destroy = record.owned or self.destroy_adopted
        if destroy:
            record.status = "retiring"
        else:
            del self._records[vm_id]
        self._failures += failed
        replace = failed and self._phase == "open" and self._live() + self._creating < self.size
        if replace:
            self._creating += 1
        self._assign()
        self._check_drained()
        return Discard(destroy=destroy, replace=replace)

    def creating(self) -> int:
        """Creates reserved or in flight (their VMs are not known yet)."""
        return self._creating

    def held_ids(self) -> tuple[str, ...]:
        """Ids of every VM the pool still holds (idle, in use or being retired)."""
        return tuple(self._records)

    def destroyed(self, vm_id: str, *, ok: bool) -> None:
        """A destroy finished (``ok``) or failed (counted; the VM is forgotten either way)."""
        if self._records.pop(vm_id, None) is None:
            return
        if ok:
            self._destroyed += 1
        else:
            self._failures += 1
        self._check_drained()

    def take_woken(self) -> list[Ticket]:
        """Tickets that became ready since the last call (the driver wakes their waiters)."""
        woken, self._woken = self._woken, []
        return woken

    # -- reporting -------------------------------------------------------------------

    def in_use(self) -> int:
        """VMs handed out."""
        return sum(r.status == "in_use" for r in self._records.values())

    def stats(self) -> PoolStats:
        """A consistent snapshot of the counters."""
        idle = len(self._idle)
        in_use = self.in_use()
        latencies = list(self._latencies)
        return PoolStats(
            size=idle + in_use,
            idle=idle,
            in_use=in_use,
            created=self._created,
            destroyed=self._destroyed,
            replaced=self._replaced,
            failures=self._failures,
            start_latency_mean=sum(latencies) / len(latencies) if latencies else None,
            start_latency_p95=percentile(latencies, 0.95) if latencies else None,
        )

    # -- internals -------------------------------------------------------------------

    def _live(self) -> int:
        return sum(r.status != "retiring" for r in self._records.values())

    def _in_flight(self) -> int:
        retiring = sum(r.status == "retiring" for r in self._records.values())
        return self._creating + retiring

    def _assign(self) -> None:
        """Serve queued acquirers in order: an idle VM, else the right to grow, else wait."""
        while self._queue and self._phase == "open":
            ticket = self._queue[0]
            if self._idle:
                vm_id = self._idle.popleft()
                self._records[vm_id].status = "in_use"
                ticket.vm_id = vm_id
            elif self._live() + self._creating < self.max_size:
                self._creating += 1
                ticket.grow = True
            else:
                return
            self._queue.popleft()
            self._woken.append(ticket)

    def _check_drained(self) -> None:
        if self._drain_waiters and self._in_flight() == 0:
            for ticket in self._drain_waiters:
                ticket.drained = True
            self._woken.extend(self._drain_waiters)
            self._drain_waiters = []


# -- the flows ---------------------------------------------------------------------


def open_flow(state: PoolState, ops: PoolOps) -> PoolFlow[None]:
    """Warm-up: create the pool's VMs side by side; on any failure destroy them all and raise."""
    count = state.open()
    try:
        outcomes = yield Parallel(tuple(_create(state, ops) for _ in range(count)))
    except GeneratorExit:
        raise  # the driver abandoned this flow: it can perform no more effects
    except BaseException:
        # Interrupted while waiting: Parallel has let every create finish, so all are known.
        yield from close_flow(state, ops)
        raise
    errors = [o.error for o in outcomes if o.error is not None]
    if errors:
        yield from close_flow(state, ops)
        # Only one error can be raised: the others' lost creates are named on it.
        lost = [
            _lost_create(e, "its answer was lost during the pool's warm-up") for e in errors[1:]
        ]
        name_left(errors[0], [item for item in lost if item is not None])
        raise errors[0]


def close_flow(state: PoolState, ops: PoolOps) -> PoolFlow[None]:
    """Destroy every VM the pool owns, then wait for creates/destroys still in flight."""
    doomed = state.close()
    if doomed:
        yield Parallel(tuple(_destroy(state, ops, vm_id) for vm_id in doomed))
    # A create that was in flight destroys its VM itself when it sees the pool closed;
    # wait for it so that "closed" means "nothing left on the server".
    while (ticket := state.drain_ticket()) is not None:
        yield WaitTurn(ticket, None)


def acquire_flow(
    state: PoolState, ops: PoolOps, *, image_id: str, timeout: float | None
) -> PoolFlow[VM]:
    """Take a VM (waiting or growing), start it and wait until it is ``started``.

    A VM that fails to start is destroyed and replaced, and the next one is tried, up to
    :data:`MAX_START_ATTEMPTS` VMs; then the last error is raised.

    Raises:
        PoolTimeoutError: No VM became free within ``timeout`` seconds.
        PoolClosedError: The pool is not open, or closed while this waited.
    """
    began = yield Now()
    deadline = None if timeout is None else began + timeout
    attempt = 0
    while True:
        vm_id = yield from _take(state, ops, image_id=image_id, began=began, deadline=deadline)
        attempt += 1
        try:
            # Inside the try: an interrupt held back while this VM was being created
            # arrives here, and the VM must leave rotation rather than stay "in use".
            start_at = yield Now()
            yield RunFlow("start", vm_id, ops.start(vm_id))
            vm = cast("VM", (yield RunFlow("wait_started", vm_id, ops.wait_started(vm_id))))
        except Exception as exc:
            if not state.holds(vm_id):
                raise PoolClosedError("the pool was closed while a VM was starting") from exc
            logger.warning(
                "cached VM %s failed to start (attempt %d of %d); replacing it: %s",
                vm_id,
                attempt,
                MAX_START_ATTEMPTS,
                exc,
            )
            yield from _retire(state, ops, vm_id, failed=True)
            if attempt >= MAX_START_ATTEMPTS:
                raise
            continue
        except GeneratorExit:
            raise  # the driver abandoned this flow: it can perform no more effects
        except BaseException:
            # Interrupted mid-start: the VM's state is unknown, so it leaves rotation.
            yield from _retire(state, ops, vm_id, failed=False)
            raise
        done = yield Now()
        state.started(done - start_at)
        return vm


def release_flow(state: PoolState, ops: PoolOps, vm_id: str) -> PoolFlow[None]:
    """Stop a handed-out VM and return it; one that fails to stop is destroyed and replaced."""
    if not state.holds(vm_id):
        return  # the pool was closed meanwhile and has destroyed it
    try:
        yield RunFlow("stop", vm_id, ops.stop(vm_id))
    except Exception as exc:
        if state.holds(vm_id):
            logger.warning("cached VM %s failed to stop; replacing it: %s", vm_id, exc)
            yield from _retire(state, ops, vm_id, failed=True)
        return
    except GeneratorExit:
        raise  # the driver abandoned this flow: it can perform no more effects
    except BaseException:
        yield from _retire(state, ops, vm_id, failed=False)
        raise
    state.returned(vm_id)


def _take(
    state: PoolState, ops: PoolOps, *, image_id: str, began: float, deadline: float | None
) -> PoolFlow[str]:
    """Wait in the queue until given a VM or the right to grow; return a VM id held in use."""
    ticket = state.request()
    try:
        while not ticket.ready:
            now = yield Now()
            if deadline is not None and now >= deadline:
                break
            yield WaitTurn(ticket, None if deadline is None else deadline - now)
    except BaseException:
        state.withdraw(ticket)
        raise
    # The flow runs under the pool's lock, so nothing can be assigned between here and
    # withdraw: a timeout is final, and an assignment that just arrived is used.
    if not ticket.ready:
        now = yield Now()
        state.withdraw(ticket)
        raise PoolTimeoutError(
            image_id, in_use=state.in_use(), max_size=state.max_size, elapsed=now - began
        )
    if ticket.closed or state.closed:
        state.withdraw(ticket)
        raise PoolClosedError("the pool was closed while waiting for a VM")
    if ticket.vm_id is not None:
        return ticket.vm_id
    return (yield from _create(state, ops, ticket=ticket))


def _create(
    state: PoolState, ops: PoolOps, *, ticket: Ticket | None = None, replacement: bool = False
) -> PoolFlow[str]:
    """Create one VM for a reservation already made in ``state``; return its id."""
    try:
        cached = cast("CachedVM", (yield RunFlow("create", None, ops.create())))
    except Exception as exc:
        state.create_failed(counted=True)
        logger.warning("could not create a cached VM for the pool: %s", exc)
        raise
    except BaseException:
        # Interrupted with no answer: the drivers wait for cacheVM's answer through a
        # Ctrl-C or a cancellation, so only a second interrupt can lose a created VM.
        state.create_failed(counted=False)
        raise
    if not state.created(cached.id, ticket=ticket, replacement=replacement):
        yield from _destroy(state, ops, cached.id)
        raise PoolClosedError("the pool was closed while a VM was being created")
    return cached.id


def _destroy(state: PoolState, ops: PoolOps, vm_id: str) -> PoolFlow[None]:
    """Destroy a retiring VM; a failure is logged and counted, never raised."""
    try:
        yield RunFlow("destroy", vm_id, ops.destroy(vm_id))
    except (NotFoundError, ConflictError):
        # 404: it is gone; 409: it is already destroyed (the only conflict destroy has).
        state.destroyed(vm_id, ok=True)
    except Exception as exc:
        state.destroyed(vm_id, ok=False)
        logger.error("could not destroy cached VM %s; it may be left running: %s", vm_id, exc)
    except BaseException:
        state.destroyed(vm_id, ok=False)
        raise
    else:
        state.destroyed(vm_id, ok=True)


def _retire(state: PoolState, ops: PoolOps, vm_id: str, *, failed: bool) -> PoolFlow[None]:
    """Take a VM out of rotation, destroy it and, if reserved, create its replacement."""
    decision = state.discard(vm_id, failed=failed)
    if decision.destroy:
        yield from _destroy(state, ops, vm_id)
    if decision.replace:
        # A failed replacement is logged and counted by _create; the acquirer or releaser
        # that got here carries on, and the pool regrows on demand up to max_size.
        try:
            yield from _create(state, ops, replacement=True)
        except Exception as exc:
            # Nobody hears of this error (it was logged): a VM it may have made is
            # recorded for cakework.pending().
            item = _lost_create(exc, "the answer of a replacement's cacheVM was lost")
            if item is not None:
                record_left([item])


def _lost_create(error: BaseException, cause: str) -> PendingResource | None:
    """What a failed create may have left, if its error says its answer was lost."""
    if isinstance(error, APIError) and error.maybe_created:
        return may_be_created(error.operation, error.image_id, cause)
    return None
