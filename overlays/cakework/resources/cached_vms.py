"""``client.cached_vms``: reusable VMs that start fast."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._long_running import AsyncCachedVMsLongRunning, CachedVMsLongRunning
from .._models import CachedVM, LogLine
from .._pool import DEFAULT_START_TIMEOUT, AsyncCachedVMPool, CachedVMPool

if TYPE_CHECKING:
    from .._client import AsyncCakework, Cakework


class CachedVMs(CachedVMsLongRunning):
    """Cached VM operations of :class:`~cakework.Cakework`.

    Every method raises ``InvalidParameterError`` (also a ``ValueError``) for an invalid
    argument before anything is sent, and an ``APIError`` subclass when a request fails
    for good (after the retries the operation allows).
    """

    def __init__(self, client: Cakework) -> None:
        self._client = client

    def create(
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
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(
            self._client._api.cache_vm(
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                disk_size=disk_size,
            )
        )

    def start(self, id: str) -> None:
        """Start a cached VM; it becomes ``started`` shortly after (see ``vms.get``).

        Args:
            id: The cached VM.

        Raises:
            ConflictError: The cached VM was destroyed.
            NotFoundError: No such cached VM.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        self._client._run(self._client._api.start_cached_vm(id))

    def stop(self, id: str) -> None:
        """Stop a cached VM; it can be started again.

        Args:
            id: The cached VM.

        Raises:
            ConflictError: It was not running (and this was not a retry).
            NotFoundError: No such cached VM.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        self._client._run(self._client._api.stop_cached_vm(id))

    def destroy(self, id: str) -> None:
        """Destroy a cached VM for good.

        Args:
            id: The cached VM.

        Raises:
            ConflictError: It was already destroyed before this call.
            NotFoundError: No such cached VM.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        self._client._run(self._client._api.destroy_cached_vm(id))

    def get_logs(self, id: str) -> tuple[LogLine, ...]:
        """All log lines of a cached VM (the API has no paging for these).

        Args:
            id: The cached VM.

        Returns:
            Its log lines, oldest first.

        Raises:
            NotFoundError: No such cached VM.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(self._client._api.get_cached_vm_logs(id))

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
    ) -> CachedVMPool:
        """A pool of warm cached VMs; nothing is created until ``with pool:`` / ``open()``.

        See :class:`~cakework.CachedVMPool` for the arguments and behaviour.
        """
        return CachedVMPool(
            self._client,
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


class AsyncCachedVMs(AsyncCachedVMsLongRunning):
    """Cached VM operations of :class:`~cakework.AsyncCakework` (see :class:`CachedVMs`)."""

    def __init__(self, client: AsyncCakework) -> None:
        self._client = client

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
        """Create a cached VM (see :meth:`CachedVMs.create`)."""
        return await self._client._run(
            self._client._api.cache_vm(
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                disk_size=disk_size,
            )
        )

    async def start(self, id: str) -> None:
        """Start a cached VM."""
        await self._client._run(self._client._api.start_cached_vm(id))

    async def stop(self, id: str) -> None:
        """Stop a cached VM; it can be started again."""
        await self._client._run(self._client._api.stop_cached_vm(id))

    async def destroy(self, id: str) -> None:
        """Destroy a cached VM for good."""
        await self._client._run(self._client._api.destroy_cached_vm(id))

    async def get_logs(self, id: str) -> tuple[LogLine, ...]:
        """All log lines of a cached VM."""
        return await self._client._run(self._client._api.get_cached_vm_logs(id))

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
        """A pool of warm cached VMs; nothing is created until ``async with pool:``.

        See :class:`~cakework.AsyncCachedVMPool` for the arguments and behaviour.
        """
        return AsyncCachedVMPool(
            self._client,
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
