"""``client.vms``: one-time VMs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._long_running import AsyncVMsLongRunning, VMsLongRunning
from .._models import VM, LogPage, VMPage

if TYPE_CHECKING:
    from .._client import AsyncCakework, Cakework


class VMs(VMsLongRunning):
    """One-time VM operations of :class:`~cakework.Cakework`.

    Every method raises ``InvalidParameterError`` (also a ``ValueError``) for an invalid
    argument before anything is sent, and an ``APIError`` subclass when a request fails
    for good (after the retries the operation allows).
    """

    def __init__(self, client: Cakework) -> None:
        self._client = client

    def start(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
    ) -> VM:
        """Start a one-time VM from an image. It is billed until stopped.

        Args:
            image_id: The image to run.
            cpu: CPUs, 1-8 (server default 1).
            memory: Memory in MB, 256-16384 (server default 256).
            port: The internal port to open, 1-65535.
            env_vars: Environment variables.
            volume_gb: Persistent storage in GB, 1-500.

        Returns:
            The VM, usually in state ``created``; it becomes ``started`` after booting.

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
                startVM is not re-sent after a timeout or a 5xx (it might create a
                second VM), so such a failure may leave a VM you did not hear about.
        """
        return self._client._run(
            self._client._api.start_vm(
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                volume_gb=volume_gb,
            )
        )

    def get(self, vm_id: str) -> VM:
        """Get a VM.

        Args:
            vm_id: The VM.

        Returns:
            The VM; ``state`` may also be a value newer than this client knows.

        Raises:
            NotFoundError: No such VM (or it belongs to another API key).
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(self._client._api.get_vm(vm_id))

    def stop(self, vm_id: str) -> None:
        """Stop (and destroy) a VM. A retried stop that finds it stopped succeeds.

        Args:
            vm_id: The VM.

        Raises:
            ConflictError: It was already stopped or destroyed (and this was not a
                retry).
            NotFoundError: No such VM.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        self._client._run(self._client._api.stop_vm(vm_id))

    def list_page(
        self,
        *,
        image_id: str | None = None,
        status: str | None = None,
        pagination: str | None = None,
    ) -> VMPage:
        """Get one page of your VMs, optionally filtered by image and state.

        Args:
            image_id: Only VMs of this image.
            status: Only VMs in this state (``created``, ``started``, ``stopped``,
                ``destroyed``).
            pagination: Continuation token from the previous page.

        Returns:
            The page (``list`` follows the pages for you).

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(
            self._client._api.list_vms(image_id=image_id, status=status, pagination=pagination)
        )

    def get_logs(
        self,
        vm_id: str,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> LogPage:
        """Get one page of a VM's logs (parameters as ``images.get_build_logs``).

        Args:
            vm_id: The VM.
            query: Case-insensitive substring filter.
            batch: Lines per page, 50-1000.
            order: ``"oldest_first"`` or ``"newest_first"``.
            pagination: Continuation token from the previous page.
            from_: Continuation ``from`` value from the previous page.
            to: Continuation ``to`` value from the previous page.

        Returns:
            The page (``logs`` follows the pages for you).

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(
            self._client._api.get_vm_logs(
                vm_id,
                query=query,
                batch=batch,
                order=order,
                pagination=pagination,
                from_=from_,
                to=to,
            )
        )


class AsyncVMs(AsyncVMsLongRunning):
    """One-time VM operations of :class:`~cakework.AsyncCakework` (see :class:`VMs`)."""

    def __init__(self, client: AsyncCakework) -> None:
        self._client = client

    async def start(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
    ) -> VM:
        """Start a one-time VM from an image (see :meth:`VMs.start`)."""
        return await self._client._run(
            self._client._api.start_vm(
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                volume_gb=volume_gb,
            )
        )

    async def get(self, vm_id: str) -> VM:
        """Get a VM."""
        return await self._client._run(self._client._api.get_vm(vm_id))

    async def stop(self, vm_id: str) -> None:
        """Stop (and destroy) a VM (see :meth:`VMs.stop`)."""
        await self._client._run(self._client._api.stop_vm(vm_id))

    async def list_page(
        self,
        *,
        image_id: str | None = None,
        status: str | None = None,
        pagination: str | None = None,
    ) -> VMPage:
        """Get one page of your VMs (see :meth:`VMs.list_page`)."""
        return await self._client._run(
            self._client._api.list_vms(image_id=image_id, status=status, pagination=pagination)
        )

    async def get_logs(
        self,
        vm_id: str,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> LogPage:
        """Get one page of a VM's logs (see :meth:`VMs.get_logs`)."""
        return await self._client._run(
            self._client._api.get_vm_logs(
                vm_id,
                query=query,
                batch=batch,
                order=order,
                pagination=pagination,
                from_=from_,
                to=to,
            )
        )
