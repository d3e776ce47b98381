"""``client.cached_vms``: reusable VMs that start fast -- calls, waits, logs and ``pool``.

Every method checks its arguments first (``InvalidParameterError``, also a
``ValueError``, before anything is sent) and raises an ``APIError`` subclass when a
request fails for good: an ``APIStatusError`` subclass for an error status,
``APIConnectionError``/``APITimeoutError`` without a response, ``ResponseValidationError``
for a body the spec does not allow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

from .. import _polling
from .. import _validate as check
from .._models import VM, CachedVM, LogLine
from .._pagination import CachedLogSource
from .._params import VMSpec
from .._request import Api
from .._waits import CACHED_VM_DEAD_STATES, wait_for_vm_state
from .iterators import AsyncPager
from .pool import DEFAULT_START_TIMEOUT, AsyncCachedVMPool
from .pump import AsyncPump


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

    def logs(self, id: str) -> AsyncIterator[LogLine]:
        """Iterate over all log lines of a cached VM (one request; the API has no paging).

        Args:
            id: The cached VM.

        Returns:
            An iterator of LogLine (typed as a plain iterator: the pager behind it is
            private). The request is sent when the first line is asked for.
        """
        id = check.ident("id", id)
        api = self._api
        return AsyncPager(CachedLogSource(lambda: api.get_cached_vm_logs(id)), self._pump)

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
        start_timeout: float | None = DEFAULT_START_TIMEOUT,
    ) -> AsyncCachedVMPool:
        """A pool of warm cached VMs; nothing is created until it is opened.

        See :class:`~cakework.CachedVMPool` for the arguments and behaviour.
        """
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
