"""``client.cached_vms``: reusable VMs that start fast -- calls, waits, logs and ``pool``.

Every method checks its arguments first (``InvalidParameterError``, also a
``ValueError``, before anything is sent) and raises an ``APIError`` subclass when a
request fails for good: an ``APIStatusError`` subclass for an error status,
``APIConnectionError``/``APITimeoutError`` without a response, ``ResponseValidationError``
for a body the spec does not allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .. import _polling
from .. import _validate as check
from .._cached_logs import cached_page_flow
from .._flow import Flow
from .._log_stream import open_log_stream
from .._models import VM, CachedVM, LogLine, LogPage
from .._pages import LogPosition, LogRequest
from .._params import VMSpec
from .._request import Api
from .._states import CACHED_VM_DEAD_STATES, VM_FINISHED_STATES
from .._waits import wait_for_vm_state
from .iterators import AsyncLogIterator
from .pump import AsyncPump

if TYPE_CHECKING:
    from .pool import AsyncCachedVMPool


class AsyncCachedVMs:
    """Cached VM operations (``client.cached_vms``).

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    def __init__(self, api: Api, pump: AsyncPump) -> None:
        self._api = api
        self._pump = pump

    async def create(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_size: int | None = None,
    ) -> CachedVM:
        """Create a cached VM (``cacheVM``); it stays stopped until :meth:`start`.

        Args:
            image_id: The image to run.
            cpu: CPUs, 1-8.
            memory: Memory in MB, 256-16384.
            port: The internal port to open.
            env_vars: Environment variables.
            disk_size: Persistent storage in GB, 1-500.

        Returns:
            The cached VM (``id`` and ``hostname``; other fields when the API sends them).

        Raises:
            APIError: cacheVM is not re-sent after a timeout or a 5xx (it might create a
                second cached VM); such an error has ``maybe_created=True`` and its
                message says how to find what it made.
        """
        spec = _cache_spec(image_id, cpu, memory, port, env_vars, disk_size)
        return await self._pump(self._api.cache_vm(spec))

    async def start(self, id: str) -> None:
        """Start a cached VM; it becomes ``started`` shortly after (see ``vms.get``).

        Args:
            id: The cached VM.

        Raises:
            ConflictError: The cached VM was destroyed.
            NotFoundError: No such cached VM.
        """
        await self._pump(self._api.start_cached_vm(check.ident("id", id)))

    async def stop(self, id: str) -> None:
        """Stop a cached VM; it can be started again.

        Args:
            id: The cached VM.

        Raises:
            ConflictError: It was not running (and this was not a retry).
            NotFoundError: No such cached VM.
        """
        await self._pump(self._api.stop_cached_vm(check.ident("id", id)))

    async def destroy(self, id: str) -> None:
        """Destroy a cached VM for good.

        Args:
            id: The cached VM.

        Raises:
            ConflictError: It was already destroyed before this call.
            NotFoundError: No such cached VM.
        """
        await self._pump(self._api.destroy_cached_vm(check.ident("id", id)))

    async def get_logs(self, id: str) -> tuple[LogLine, ...]:
        """All log lines of a cached VM (the API has no paging for these).

        Args:
            id: The cached VM.

        Returns:
            Its log lines, oldest first.

        Raises:
            NotFoundError: No such cached VM.
        """
        return await self._pump(self._api.get_cached_vm_logs(check.ident("id", id)))

    async def wait_for_state(
        self,
        id: str,
        state: str = "started",
        timeout: float | None = _polling.VM_STATE_TIMEOUT,  # noqa: ASYNC109 - a deadline
    ) -> VM:
        """Wait until a cached VM is in ``state`` (e.g. after ``start``) and return it.

        Unlike ``vms.wait_for_state``, seeing ``stopped`` while waiting for ``started`` is
        not final: a cached VM may still read ``stopped`` just after startCachedVM. Only
        ``destroyed`` ends the wait early.

        Args:
            id: The cached VM.
            state: ``started`` (default), ``stopped`` or ``destroyed``.
            timeout: Seconds to wait (default 5 min); ``None`` waits forever.

        Returns:
            The VM (getVM's view of the cached VM) in the wanted state.

        Raises:
            UnreachableStateError: The cached VM was destroyed.
            WaitTimeoutError: ``timeout`` passed first.
        """
        id = check.ident("vm_id", id)
        check.check_timeout(timeout)
        flow = wait_for_vm_state(
            self._api,
            id,
            check.vm_state(state),
            timeout=timeout,
            rng=self._pump.new_rng(),
            dead_states=CACHED_VM_DEAD_STATES,
        )
        return await self._pump(flow)

    def logs(
        self,
        id: str,
        *,
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> AsyncLogIterator:
        """Iterate over a cached VM's log lines (arguments as ``vms.logs``).

        The API sends a cached VM's whole log at once, without paging or filters, so the
        lines are selected and ordered here (see ``_cached_logs``); ``batch`` is checked
        and otherwise unused. With ``follow=True`` it ends once the cached VM is stopped
        or destroyed and its last lines are read.

        Args:
            id: The cached VM.
            query: Case-insensitive substring filter.
            order: ``"oldest_first"`` or ``"newest_first"``.
            batch: Lines per request, 50-1000 (no effect: one request reads all).
            since: Start of the time window (datetime, or an ISO 8601 string).
            until: End of the time window.
            max_items: Stop after this many lines.
            follow: Like ``tail -f``: keep polling for new lines until the cached VM is
                stopped or destroyed.
            cursor: Continue where an earlier iterator stopped (its ``.cursor``).

        Returns:
            A lazy iterator of LogLine; nothing is sent before the first line is asked
            for.
        """
        id = check.ident("id", id)
        api = self._api

        def fetch(request: LogRequest) -> Flow[LogPage]:
            return cached_page_flow(api.get_cached_vm_logs(id), request)

        def is_finished() -> Flow[bool]:
            vm = yield from api.get_vm(id)
            return vm.state in VM_FINISHED_STATES

        stream = open_log_stream(
            fetch,
            is_finished,
            query=query,
            order=order,
            batch=batch,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
            rng=self._pump.new_rng(),
        )
        return AsyncLogIterator(stream, self._pump)

    def pool(
        self,
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
        start_timeout: float | None = _polling.POOL_START_TIMEOUT,
        adopt_lost: bool = False,
    ) -> AsyncCachedVMPool:
        """A pool of warm cached VMs; nothing is created until it is opened.

        See :class:`~cakework.CachedVMPool` for the arguments and behaviour.
        """
        # The pool machinery is loaded when a pool is made, not with every client.
        from .pool import AsyncCachedVMPool

        spec = _cache_spec(image_id, cpu, memory, port, env_vars, disk_size)
        return AsyncCachedVMPool(
            self._api,
            self._pump,
            spec,
            size=size,
            max_size=max_size,
            adopt=adopt,
            destroy_adopted=destroy_adopted,
            start_timeout=start_timeout,
            adopt_lost=adopt_lost,
        )


def _cache_spec(
    image_id: str,
    cpu: int | None,
    memory: int | None,
    port: int | None,
    env_vars: Mapping[str, str] | None,
    disk_size: int | None,
) -> VMSpec:
    return VMSpec.checked(
        image_id=image_id,
        cpu=cpu,
        memory=memory,
        port=port,
        env_vars=env_vars,
        disk_gb=disk_size,
        disk_name="disk_size",
    )
