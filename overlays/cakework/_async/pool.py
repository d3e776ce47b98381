"""``CachedVMPool``: a thin shell that performs the pool's effects.

Rule of this module: no pool decision lives here. A driver advances a flow from
``_pool_state`` while holding the pool's lock -- so each step between two effects is one
atomic decision -- and performs the effect it yields after releasing the lock: API calls
through the client's pump, waiting for a turn on a signal, running flows side by side
(threads or tasks, ``_concurrency``). Time comes from the pump's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import attrs

from .. import _polling
from .. import _validate as check
from .._concurrency import (
    all_done_async,
    finish_despite_cancel,
    new_signal_async,
    wait_signal_async,
)
from .._flow import Flow, Now
from .._lost import PoolAdopter
from .._models import VM, CachedVM, VMPage
from .._pages import VMListRequest
from .._params import VMSpec
from .._pool_state import (
    Outcome,
    PoolEffect,
    PoolFlow,
    PoolState,
    PoolStats,
    RunFlow,
    Signal,
    Ticket,
    WaitTurn,
    acquire_flow,
    close_flow,
    open_flow,
    release_flow,
)
from .._request import Api
from .._states import CACHED_VM_DEAD_STATES
from .._waits import wait_for_vm_state
from .pump import AsyncPump

T = TypeVar("T")
S = TypeVar("S", bound=Signal)

DEFAULT_ACQUIRE_TIMEOUT = 300.0
"""Seconds ``acquire`` waits for a free VM by default."""

DEFAULT_START_TIMEOUT = _polling.POOL_START_TIMEOUT
"""Seconds a handed-out VM may take to reach ``started`` (the VM-state wait default)."""


@attrs.frozen
class PoolApi:
    """The pool's API flows, bound to one VM spec (implements ``PoolOps``)."""

    api: Api
    spec: VMSpec
    start_timeout: float | None
    new_rng: Callable[[], Any] = attrs.field(repr=False)
    adopter: PoolAdopter | None = attrs.field(default=None, repr=False)

    def create(self) -> Flow[CachedVM]:
        if self.adopter is None:
            return self.api.cache_vm(self.spec)
        api, image_id = self.api, self.spec.image_id

        def list_page(token: str | None) -> Flow[VMPage]:
            return api.list_vms(VMListRequest(image_id=image_id, pagination=token))

        return self.adopter.create(api.cache_vm(self.spec), list_page)

    def start(self, vm_id: str) -> Flow[None]:
        return self.api.start_cached_vm(vm_id)

    def wait_started(self, vm_id: str) -> Flow[VM]:
        # A cached VM goes stopped -> created -> started; only `destroyed` is hopeless.
        return wait_for_vm_state(
            self.api,
            vm_id,
            "started",
            timeout=self.start_timeout,
            rng=self.new_rng(),
            dead_states=CACHED_VM_DEAD_STATES,
        )

    def stop(self, vm_id: str) -> Flow[None]:
        return self.api.stop_cached_vm(vm_id)

    def destroy(self, vm_id: str) -> Flow[None]:
        return self.api.destroy_cached_vm(vm_id)


class _InterruptedCreate(Exception):
    """A create finished although an interrupt arrived meanwhile: both must be delivered."""

    def __init__(self, result: object, interrupt: BaseException) -> None:
        super().__init__("interrupted while a cached VM was being created")
        self.result = result
        self.interrupt = interrupt


class _Stepper:
    """One pool flow in the driver's loop: what it is resumed with next."""

    def __init__(self, driver: _Driver, flow: PoolFlow[Any]) -> None:
        self._driver = driver
        self._flow = flow
        self._ok = True
        self._value: Any = None
        self._pending: BaseException | None = None  # interrupt held back by a create

    def next_effect(self) -> PoolEffect:
        """Resume the flow and return its next effect.

        Raises:
            StopIteration: The flow finished (its value is the exception's ``value``).
        """
        while True:
            try:
                effect = self._driver.advance(self._flow, self._ok, self._value)
            except StopIteration:
                if self._pending is not None:
                    raise self._pending from None
                raise
            if self._pending is None:
                return effect
            # The created VM is recorded in the pool now (close destroys it); the
            # interrupt goes into the flow at its next step, as if it arrived there.
            self._ok, self._value, self._pending = False, self._pending, None

    def performed(self, value: Any) -> None:
        """The effect gave ``value``."""
        self._ok, self._value = True, value

    def failed(self, error: BaseException) -> None:
        """The effect raised ``error`` (KeyboardInterrupt and CancelledError too)."""
        if isinstance(error, _InterruptedCreate):
            self._ok, self._value, self._pending = True, error.result, error.interrupt
        else:
            self._ok, self._value = False, error


class _Driver:
    """Steps pool flows under the lock and performs their effects outside it."""

    def __init__(self, state: PoolState, pump: AsyncPump) -> None:
        self.state = state
        self.lock = threading.Lock()
        self.pump = pump
        self.patient = True
        """False while the pool closes because of a Ctrl-C or cancellation: the next
        one then gives up at once instead of waiting for the requests in flight."""

    def advance(self, flow: PoolFlow[Any], ok: bool, value: Any) -> PoolEffect:
        """One atomic step: resume ``flow`` with a result (or throw an error) under the lock.

        Raises:
            StopIteration: The flow finished (its value is the exception's ``value``).
        """
        with self.lock:
            try:
                return flow.send(value) if ok else flow.throw(value)
            finally:
                for ticket in self.state.take_woken():
                    if ticket.signal is not None:
                        ticket.signal.set()

    def signal_for(self, ticket: Ticket, make: Callable[[], S]) -> S | None:
        """The signal to wait on for ``ticket``, or ``None`` if it is ready already.

        Made under the lock, so a wake-up cannot fall between the check and the wait.
        """
        with self.lock:
            if ticket.ready:
                return None
            if ticket.signal is None:
                ticket.signal = make()
            return cast(S, ticket.signal)

    async def run(self, flow: PoolFlow[T]) -> T:
        """Drive ``flow`` to its end and return its value."""
        step = _Stepper(self, flow)
        while True:
            try:
                effect = step.next_effect()
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                step.performed(await self._perform(effect))
            except BaseException as exc:  # KeyboardInterrupt, CancelledError: flow cleans up
                step.failed(exc)

    async def _perform(self, effect: PoolEffect) -> Any:
        if isinstance(effect, Now):
            return self.pump.clock()
        if isinstance(effect, RunFlow) and effect.op == "create":
            # Interrupted during cacheVM, the new VM's id would be lost: let the request
            # finish, record the VM, then let the interrupt go on.
            flow = effect.flow
            created, interrupt = await finish_despite_cancel(
                lambda: self.pump(flow), patient=self.patient
            )
            if interrupt is not None:
                raise _InterruptedCreate(created, interrupt)
            return created
        if isinstance(effect, RunFlow):
            return await self.pump(effect.flow)
        if isinstance(effect, WaitTurn):
            signal = self.signal_for(effect.ticket, new_signal_async)
            if signal is not None:
                await wait_signal_async(signal, effect.timeout)
            return None
        jobs = [lambda flow=flow: self._outcome(flow) for flow in effect.flows]
        return tuple(await all_done_async(jobs, patient=self.patient))

    async def _outcome(self, flow: PoolFlow[Any]) -> Outcome:
        try:
            return Outcome(value=await self.run(flow))
        except BaseException as exc:
            return Outcome(error=exc)


class AsyncCachedVMPool:
    """A pool of warm cached VMs handed out one job at a time.

    The blocking pool is thread-safe; the asyncio pool is task-safe within one event
    loop, and cancelling a task inside ``acquire`` stops and returns its VM (cancelling
    during a start destroys it).

    Made by ``client.cached_vms.pool(...)``. ``with pool:`` (or :meth:`open`) creates
    ``size`` cached VMs side by side; leaving the block (or :meth:`close`) destroys every
    VM the pool created -- also after an error or Ctrl-C in the block. :meth:`acquire`
    hands out one started VM exclusively and stops and returns it afterwards.

    A VM that fails to start or stop is destroyed and replaced; the failure is logged on
    the ``cakework`` logger and counted in :meth:`stats`. Adopted VMs (``adopt=[ids]``,
    existing cached VMs, stopped) are used like the pool's own but only destroyed on close
    if ``destroy_adopted``.

    Example::

        with client.cached_vms.pool(image_id=image.image_id, size=3) as pool:
            with pool.acquire(timeout=60) as vm:  # started, and only yours
                serve(vm.hostname)

    Args:
        api: The operations as flows.
        pump: The client's pump (its connection pool, retries, clock and sleep).
        spec: Image and sizing of every VM (``cached_vms.pool`` takes them as
            ``image_id``, ``cpu``, ``memory``, ``port``, ``env_vars``, ``disk_size``).
        size: VMs created at open and kept (0: create on demand only).
        max_size: The pool grows up to this many VMs when all are in use (default
            ``size``).
        adopt: Ids of existing, stopped cached VMs to use instead of creating new ones.
        destroy_adopted: Also destroy adopted VMs on close.
        start_timeout: Seconds a VM may take to reach ``started`` before it counts as
            failed (``None``: no limit).
        adopt_lost: When a cacheVM answer is lost (``maybe_created``), find the cached
            VM it made (listVMs of the image: one that appeared meanwhile, unknown to
            the pool) and use it, instead of failing and leaving it behind. Costs one
            listVMs per create.

    Raises:
        InvalidParameterError: A size, timeout or VM setting is out of range.
    """

    def __init__(
        self,
        api: Api,
        pump: AsyncPump,
        spec: VMSpec,
        *,
        size: int,
        max_size: int | None = None,
        adopt: Sequence[str] | None = None,
        destroy_adopted: bool = False,
        start_timeout: float | None = DEFAULT_START_TIMEOUT,
        adopt_lost: bool = False,
    ) -> None:
        check.check_timeout(start_timeout, "start_timeout")
        adopter = PoolAdopter() if check.flag("adopt_lost", adopt_lost) else None
        self._state = PoolState(
            size=size,
            max_size=max_size,
            adopt=check.id_list("adopt", adopt),
            destroy_adopted=check.flag("destroy_adopted", destroy_adopted),
        )
        self._ops = PoolApi(api, spec, start_timeout, pump.new_rng, adopter)
        # The body is built (and its encoding checked) now, in the caller's thread,
        # rather than later inside a warm-up thread.
        self._ops.create().close()
        self.image_id = spec.image_id
        self._driver = _Driver(self._state, pump)

    @property
    def size(self) -> int:
        """VMs the pool keeps (created at open, replaced when they fail)."""
        return self._state.size

    @property
    def max_size(self) -> int:
        """The most VMs the pool grows to when every VM is in use."""
        return self._state.max_size

    def stats(self) -> PoolStats:
        """A consistent snapshot of the pool's counters (see :class:`PoolStats`)."""
        with self._driver.lock:
            return self._state.stats()

    def __repr__(self) -> str:
        stats = self.stats()
        return (
            f"{type(self).__name__}(image_id={self.image_id!r}, size={self.size}, "
            f"max_size={self.max_size}, idle={stats.idle}, in_use={stats.in_use})"
        )

    async def open(self) -> Self:
        """Create the pool's VMs side by side (warm-up) and return the pool.

        Raises:
            APIError: A create failed; every VM created so far has been destroyed.
            PoolClosedError: The pool was opened or closed before.
        """
        await self._driver.run(open_flow(self._state, self._ops))
        return self

    async def close(self) -> None:
        """Destroy every VM the pool created (and adopted ones if asked); idempotent.

        Waiting acquirers get :class:`PoolClosedError`; VMs still in use are destroyed
        too. Failed destroys are logged and counted, not raised.
        """
        await self._driver.run(close_flow(self._state, self._ops))

    # unasync: async-only
    async def aclose(self) -> None:
        """Alias of :meth:`close`."""
        await self.close()

    # unasync: end
    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
            await self.close()
            return
        # Leaving on a Ctrl-C (or cancellation): a second one gives up at once and says
        # which cached VMs may be left behind.
        self._driver.patient = False
        try:
            await self.close()
        except BaseException as second:
            if second is not exc:
                with self._driver.lock:
                    left = self._state.held_ids()
                if left:
                    second.add_note(
                        f"cakework: the pool's cached VMs {', '.join(left)} may be left"
                        " (closing was cut short); destroy each with"
                        " client.cached_vms.destroy(id)"
                    )
            raise

    @contextlib.asynccontextmanager
    async def acquire(
        self,
        timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT,  # noqa: ASYNC109 - a queue wait
    ) -> AsyncIterator[VM]:
        """Hold one started VM for the block; it is stopped and returned after.

        Waits for a free VM (or grows the pool up to ``max_size``). Starting the VM is
        bounded by the pool's ``start_timeout``, not by ``timeout``.

        Args:
            timeout: Seconds to wait for a free VM; ``None`` waits as long as it takes.

        Yields:
            The VM as getVM reports it, ``started``.

        Raises:
            PoolTimeoutError: No VM became free in time.
            PoolClosedError: The pool is not open.
            APIError: Starting failed on several VMs in a row (each was replaced).
        """
        check.check_timeout(timeout)
        vm = await self._driver.run(
            acquire_flow(self._state, self._ops, image_id=self.image_id, timeout=timeout)
        )
        try:
            yield vm
        finally:
            await self._driver.run(release_flow(self._state, self._ops, vm.id))
