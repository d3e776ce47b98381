"""``CachedVMPool`` and ``AsyncCachedVMPool``: thin shells that perform the pool's effects.

Rule of this module: no pool decision lives here. A driver advances a flow from
``_pool_state`` while holding the pool's lock -- so each step between two effects is one
atomic decision -- and performs the effect it yields after releasing the lock: API calls
through the client's ``_run`` pump, waiting for a turn on an event, running flows side by
side on threads (sync) or tasks (async). The two drivers differ only in that.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import attrs

from ._flow import Flow, Now, finish_despite_cancel, finish_despite_interrupt
from ._models import VM, CachedVM
from ._pool_state import (
    Call,
    Outcome,
    PoolEffect,
    PoolFlow,
    PoolState,
    PoolStats,
    Signal,
    Ticket,
    Wait,
    acquire_flow,
    close_flow,
    open_flow,
    release_flow,
)
from ._waiting import CACHED_VM_DEAD_STATES, check_timeout, wait_for_vm_state

if TYPE_CHECKING:
    from ._api import Api
    from ._client import AsyncCakework, Cakework

T = TypeVar("T")
S = TypeVar("S", bound=Signal)

DEFAULT_ACQUIRE_TIMEOUT = 300.0
"""Seconds ``acquire`` waits for a free VM by default."""

DEFAULT_START_TIMEOUT = 300.0
"""Seconds a handed-out VM may take to reach ``started`` (the VM-state wait default)."""


@attrs.frozen
class _ApiOps:
    """The pool's API flows, bound to one image and sizing (implements ``PoolOps``)."""

    api: Api
    image_id: str
    cpu: int | None
    memory: int | None
    port: int | None
    env_vars: Mapping[str, str] | None = attrs.field(repr=False)
    disk_size: int | None
    start_timeout: float | None
    rng: random.Random = attrs.field(repr=False)

    def create(self) -> Flow[CachedVM]:
        return self.api.cache_vm(
            image_id=self.image_id,
            cpu=self.cpu,
            memory=self.memory,
            port=self.port,
            env_vars=self.env_vars,
            disk_size=self.disk_size,
        )

    def start(self, vm_id: str) -> Flow[None]:
        return self.api.start_cached_vm(vm_id)

    def wait_started(self, vm_id: str) -> Flow[VM]:
        # A cached VM goes stopped -> created -> started; only `destroyed` is hopeless.
        return wait_for_vm_state(
            self.api,
            vm_id,
            "started",
            timeout=self.start_timeout,
            rng=self.rng,
            dead_states=CACHED_VM_DEAD_STATES,
        )

    def stop(self, vm_id: str) -> Flow[None]:
        return self.api.stop_cached_vm(vm_id)

    def destroy(self, vm_id: str) -> Flow[None]:
        return self.api.destroy_cached_vm(vm_id)


class _Driver:
    """The part both drivers share: stepping a flow under the lock and waking waiters."""

    def __init__(self, state: PoolState) -> None:
        self.state = state
        self.lock = threading.Lock()

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
        """The event to wait on for ``ticket``, or ``None`` if it is ready already.

        Made under the lock, so a wake-up cannot fall between the check and the wait.
        """
        with self.lock:
            if ticket.ready:
                return None
            if ticket.signal is None:
                ticket.signal = make()
            return cast(S, ticket.signal)


class _InterruptedCreate(Exception):
    """A create finished although an interrupt arrived meanwhile: both must be delivered."""

    def __init__(self, result: object, interrupt: BaseException) -> None:
        super().__init__("interrupted while a cached VM was being created")
        self.result = result
        self.interrupt = interrupt


class _Stepper:
    """One pool flow in a driver's loop: what it is resumed with next (both drivers)."""

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


class _SyncDriver(_Driver):
    def __init__(self, state: PoolState, client: Cakework) -> None:
        super().__init__(state)
        self.client = client

    def run(self, flow: PoolFlow[T]) -> T:
        step = _Stepper(self, flow)
        while True:
            try:
                effect = step.next_effect()
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                step.performed(self._perform(effect))
            except BaseException as exc:  # KeyboardInterrupt too: the flow cleans up
                step.failed(exc)

    def _perform(self, effect: PoolEffect) -> Any:
        if isinstance(effect, Now):
            return time.monotonic()
        if isinstance(effect, Call) and effect.op == "create":
            # Ctrl-C during cacheVM would lose the new VM's id; wait for the answer.
            created, interrupt = finish_despite_interrupt(
                functools.partial(self.client._run, effect.flow)
            )
            if interrupt is not None:
                raise _InterruptedCreate(created, interrupt)
            return created
        if isinstance(effect, Call):
            return self.client._run(effect.flow)
        if isinstance(effect, Wait):
            event = self.signal_for(effect.ticket, threading.Event)
            if event is not None:
                # acquire(timeout=math.inf) is valid; Event.wait overflows past TIMEOUT_MAX.
                timeout = effect.timeout
                event.wait(None if timeout is None or timeout > threading.TIMEOUT_MAX else timeout)
            return None
        return self._parallel(effect.flows)

    def _parallel(self, flows: Sequence[PoolFlow[Any]]) -> tuple[Outcome, ...]:
        outcomes = [Outcome()] * len(flows)

        def work(index: int, flow: PoolFlow[Any]) -> None:
            try:
                outcomes[index] = Outcome(value=self.run(flow))
            except BaseException as exc:
                outcomes[index] = Outcome(error=exc)

        threads = [
            threading.Thread(target=work, args=(i, f), name=f"cakework-pool-{i}", daemon=True)
            for i, f in enumerate(flows)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:
            # Ctrl-C while waiting: let every create/destroy finish so each VM is known
            # (and gets destroyed) before the interrupt goes on. A second Ctrl-C ends it.
            for thread in threads:
                thread.join()
            raise
        return tuple(outcomes)


class _AsyncDriver(_Driver):
    def __init__(self, state: PoolState, client: AsyncCakework) -> None:
        super().__init__(state)
        self.client = client

    async def run(self, flow: PoolFlow[T]) -> T:
        step = _Stepper(self, flow)
        while True:
            try:
                effect = step.next_effect()
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                step.performed(await self._perform(effect))
            except BaseException as exc:  # CancelledError too: the flow cleans up
                step.failed(exc)

    async def _perform(self, effect: PoolEffect) -> Any:
        if isinstance(effect, Now):
            return time.monotonic()
        if isinstance(effect, Call) and effect.op == "create":
            # Cancelled during cacheVM, the new VM's id would be lost: let the request
            # finish (shielded), record the VM, then let the cancellation go on.
            created, cancel = await finish_despite_cancel(self.client._run(effect.flow))
            if cancel is not None:
                raise _InterruptedCreate(created, cancel)
            return created
        if isinstance(effect, Call):
            return await self.client._run(effect.flow)
        if isinstance(effect, Wait):
            event = self.signal_for(effect.ticket, asyncio.Event)
            if event is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), effect.timeout)
            return None
        return await self._parallel(effect.flows)

    async def _outcome(self, flow: PoolFlow[Any]) -> Outcome:
        try:
            return Outcome(value=await self.run(flow))
        except BaseException as exc:
            return Outcome(error=exc)

    async def _parallel(self, flows: Sequence[PoolFlow[Any]]) -> tuple[Outcome, ...]:
        if not flows:
            return ()
        tasks = [asyncio.ensure_future(self._outcome(flow)) for flow in flows]
        try:
            await asyncio.wait(tasks)
        except BaseException:
            # Cancelled while waiting: the children are not cancelled; let them finish so
            # each VM is known (and gets destroyed) before the cancellation goes on.
            await asyncio.wait(tasks)
            raise
        return tuple(task.result() for task in tasks)


class _PoolBase:
    """Configuration, state and reporting shared by both pools."""

    _driver: _Driver

    def __init__(
        self,
        api: Api,
        *,
        image_id: str,
        size: int,
        cpu: int | None,
        memory: int | None,
        port: int | None,
        env_vars: Mapping[str, str] | None,
        disk_size: int | None,
        max_size: int | None,
        adopt: Sequence[str] | None,
        destroy_adopted: bool,
        start_timeout: float | None,
    ) -> None:
        check_timeout(start_timeout, "start_timeout")
        self._state = PoolState(
            size=size,
            max_size=max_size,
            adopt=() if adopt is None else adopt,
            destroy_adopted=destroy_adopted,
        )
        self._ops = _ApiOps(
            api,
            image_id,
            cpu,
            memory,
            port,
            dict(env_vars) if env_vars is not None else None,
            disk_size,
            start_timeout,
            random.Random(),
        )
        # Api checks arguments when a flow is made: a bad cpu/memory/... fails here, in
        # the caller's thread, rather than later inside a warm-up thread.
        self._ops.create().close()
        self.image_id = image_id

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


class CachedVMPool(_PoolBase):
    """A pool of warm cached VMs handed out one job at a time (thread-safe).

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
        client: The client whose connection pool, retries, clock and sleep are used.
        image_id: The image every VM runs.
        size: VMs created at open and kept (0: create on demand only).
        cpu: CPUs per VM, 1-8.
        memory: Memory per VM in MB, 256-16384.
        port: The internal port to open.
        env_vars: Environment variables of every VM.
        disk_size: Persistent storage per VM in GB, 1-500.
        max_size: The pool grows up to this many VMs when all are in use (default
            ``size``).
        adopt: Ids of existing, stopped cached VMs to use instead of creating new ones.
        destroy_adopted: Also destroy adopted VMs on close.
        start_timeout: Seconds a VM may take to reach ``started`` before it counts as
            failed (``None``: no limit).

    Raises:
        InvalidParameterError: A size, timeout or VM setting is out of range.
    """

    def __init__(
        self,
        client: Cakework,
        *,
        image_id: str,
        size: int,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_size: int | None = None,
        max_size: int | None = None,
        adopt: Sequence[str] | None = None,
        destroy_adopted: bool = False,
        start_timeout: float | None = DEFAULT_START_TIMEOUT,
    ) -> None:
        super().__init__(
            client._api,
            image_id=image_id,
            size=size,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            disk_size=disk_size,
            max_size=max_size,
            adopt=adopt,
            destroy_adopted=destroy_adopted,
            start_timeout=start_timeout,
        )
        self._driver = self._sync = _SyncDriver(self._state, client)

    def open(self) -> Self:
        """Create the pool's VMs side by side (warm-up) and return the pool.

        Raises:
            APIError: A create failed; every VM created so far has been destroyed.
            PoolClosedError: The pool was opened or closed before.
        """
        self._sync.run(open_flow(self._state, self._ops))
        return self

    def close(self) -> None:
        """Destroy every VM the pool created (and adopted ones if asked); idempotent.

        Waiting acquirers get :class:`PoolClosedError`; VMs still in use are destroyed
        too. Failed destroys are logged and counted, not raised.
        """
        self._sync.run(close_flow(self._state, self._ops))

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def acquire(self, timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT) -> Iterator[VM]:
        """Hold one started VM for the ``with`` block; it is stopped and returned after.

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
        check_timeout(timeout)
        vm = self._sync.run(
            acquire_flow(self._state, self._ops, image_id=self.image_id, timeout=timeout)
        )
        try:
            yield vm
        finally:
            self._sync.run(release_flow(self._state, self._ops, vm.id))


class AsyncCachedVMPool(_PoolBase):
    """The asyncio :class:`CachedVMPool` (task-safe within one event loop).

    Same arguments and behaviour; ``async with pool:``, ``await pool.open()``,
    ``await pool.close()`` (or ``aclose``), ``async with pool.acquire() as vm:``.
    Cancelling a task inside ``acquire`` stops and returns its VM; cancelling during a
    start destroys that VM.
    """

    def __init__(
        self,
        client: AsyncCakework,
        *,
        image_id: str,
        size: int,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_size: int | None = None,
        max_size: int | None = None,
        adopt: Sequence[str] | None = None,
        destroy_adopted: bool = False,
        start_timeout: float | None = DEFAULT_START_TIMEOUT,
    ) -> None:
        super().__init__(
            client._api,
            image_id=image_id,
            size=size,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            disk_size=disk_size,
            max_size=max_size,
            adopt=adopt,
            destroy_adopted=destroy_adopted,
            start_timeout=start_timeout,
        )
        self._driver = self._async = _AsyncDriver(self._state, client)

    async def open(self) -> Self:
        """Create the pool's VMs side by side (see :meth:`CachedVMPool.open`)."""
        await self._async.run(open_flow(self._state, self._ops))
        return self

    async def close(self) -> None:
        """Destroy every VM the pool created (see :meth:`CachedVMPool.close`)."""
        await self._async.run(close_flow(self._state, self._ops))

    async def aclose(self) -> None:
        """Alias of :meth:`close`."""
        await self.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def acquire(
        # Same name as the sync pool's (DESIGN.md); it bounds the wait for a free VM only.
        self,
        timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT,  # noqa: ASYNC109
    ) -> AsyncIterator[VM]:
        """Hold one started VM for the ``async with`` block (see :meth:`CachedVMPool.acquire`).

        Args:
            timeout: Seconds to wait for a free VM; ``None`` waits as long as it takes.

        Yields:
            The VM as getVM reports it, ``started``.
        """
        check_timeout(timeout)
        vm = await self._async.run(
            acquire_flow(self._state, self._ops, image_id=self.image_id, timeout=timeout)
        )
        try:
            yield vm
        finally:
            await self._async.run(release_flow(self._state, self._ops, vm.id))
