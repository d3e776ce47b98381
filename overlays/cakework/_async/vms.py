"""``client.vms``: one-time VMs -- calls, waits, log and list readers, and ``run``.

Every method checks its arguments first (``InvalidParameterError``, also a
``ValueError``, before anything is sent) and raises an ``APIError`` subclass when a
request fails for good: an ``APIStatusError`` subclass for an error status,
``APIConnectionError``/``APITimeoutError`` without a response, ``ResponseValidationError``
for a body the spec does not allow.

``run`` follows these cleanup rules:

* the VM is stopped on every exit: normal, an exception in the body, Ctrl-C
  (``KeyboardInterrupt``) or task cancellation, and also when waiting for it failed;
* startVM and stopVM are carried through a Ctrl-C or cancellation that arrives while
  they are in flight (``_concurrency``): their answer is awaited, then the interrupt goes
  on -- otherwise the new VM's id, or the stop itself, would be lost and the VM left
  running; a second one gives up;
* a VM that is already stopped (409) counts as stopped;
* a failed stop is logged on ``logging.getLogger("cakework")`` and never replaces the
  exception that is already on its way out; after a clean body it is raised, because a
  VM that may still be running costs money and the caller must hear of it.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from .. import _polling
from .. import _validate as check
from .._concurrency import is_interrupt_async, through_interrupt_async
from .._flow import Flow
from .._log_stream import open_log_stream
from .._lost import create_or_adopt
from .._models import VM, LogPage, VMPage
from .._pages import LogBatch, LogPosition, LogRequest, VMListRequest
from .._params import VMSpec, log_request, vm_list_request
from .._request import Api
from .._states import VM_FINISHED_STATES
from .._vm_list import VMListStream
from .._waits import wait_for_vm_state
from ..errors import ConflictError
from .iterators import AsyncLogIterator, AsyncVMIterator
from .pump import AsyncPump

logger = logging.getLogger("cakework")


class RunApi(Protocol):
    """What ``run`` uses (``Api``; tests pass a fake)."""

    def start_vm(self, spec: VMSpec) -> Flow[VM]:
        """Flow of startVM."""
        ...

    def stop_vm(self, vm_id: str) -> Flow[None]:
        """Flow of stopVM."""
        ...

    def get_vm(self, vm_id: str) -> Flow[VM]:
        """Flow of getVM."""
        ...

    def list_vms(self, request: VMListRequest) -> Flow[VMPage]:
        """Flow of listVMs."""
        ...


class AsyncVMs:
    """One-time VM operations (``client.vms``).

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    def __init__(self, api: Api, pump: AsyncPump) -> None:
        self._api = api
        self._pump = pump

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
            APIError: startVM is not re-sent after a timeout or a 5xx (it might create
                a second VM), so such a failure may leave a VM you did not hear about:
                the error then has ``maybe_created=True`` and its message says how to
                find the VM (``vms.list(image_id=..., status="started")``).
        """
        spec = VMSpec.checked(
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            disk_gb=volume_gb,
        )
        return await self._pump(self._api.start_vm(spec))

    async def get(self, vm_id: str) -> VM:
        """Get a VM.

        Args:
            vm_id: The VM.

        Returns:
            The VM; ``state`` may also be a value newer than this client knows.

        Raises:
            NotFoundError: No such VM (or it belongs to another API key).
        """
        return await self._pump(self._api.get_vm(check.ident("vm_id", vm_id)))

    async def stop(self, vm_id: str) -> None:
        """Stop (and destroy) a VM. A retried stop that finds it stopped succeeds.

        Args:
            vm_id: The VM.

        Raises:
            ConflictError: It was already stopped or destroyed (and this was not a
                retry).
            NotFoundError: No such VM.
        """
        await self._pump(self._api.stop_vm(check.ident("vm_id", vm_id)))

    async def list_page(
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
        """
        request = vm_list_request(image_id=image_id, status=status, pagination=pagination)
        return await self._pump(self._api.list_vms(request))

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
        """
        vm_id = check.ident("vm_id", vm_id)
        request = log_request(
            query=query, batch=batch, order=order, pagination=pagination, from_=from_, to=to
        )
        answer = await self._pump(self._api.get_vm_logs(vm_id, request))
        return answer.page()

    async def wait_for_state(
        self,
        vm_id: str,
        state: str = "started",
        timeout: float | None = _polling.VM_STATE_TIMEOUT,  # noqa: ASYNC109 - a deadline
    ) -> VM:
        """Wait until a VM is in ``state`` and return it (cancellable with asyncio).

        Args:
            vm_id: The VM.
            state: ``created``, ``started`` (default), ``stopped`` (``destroyed`` also
                counts) or ``destroyed``.
            timeout: Seconds to wait (default 5 min); ``None`` waits forever.

        Raises:
            UnreachableStateError: The VM reached a state from which ``state`` can no
                longer be reached (e.g. ``stopped`` while waiting for ``started``).
            WaitTimeoutError: ``timeout`` passed first.
        """
        vm_id = check.ident("vm_id", vm_id)
        check.check_timeout(timeout)
        flow = wait_for_vm_state(
            self._api,
            vm_id,
            check.vm_state(state),
            timeout=timeout,
            rng=self._pump.new_rng(),
        )
        return await self._pump(flow)

    def logs(
        self,
        vm_id: str,
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
        """Iterate over a VM's log lines (arguments as ``images.build_logs``).

        With ``follow=True`` it ends once the VM is stopped or destroyed and its last
        lines are read.
        """
        vm_id = check.ident("vm_id", vm_id)
        api = self._api

        def fetch(request: LogRequest) -> Flow[LogBatch]:
            return api.get_vm_logs(vm_id, request)

        def is_finished() -> Flow[bool]:
            vm = yield from api.get_vm(vm_id)
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

    def list(self, image_id: str | None = None, status: str | None = None) -> AsyncVMIterator:
        """Iterate over your VMs across all listVMs pages, optionally filtered."""
        first = vm_list_request(image_id=image_id, status=status)
        return AsyncVMIterator(VMListStream(self._api.list_vms, first), self._pump)

    def run(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
        timeout: float | None = _polling.VM_STATE_TIMEOUT,
        adopt_lost: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[VM]:
        """Start a VM, wait until it is started, and stop it when the block ends.

        ``async with client.vms.run(image_id=...) as vm:`` -- the VM is stopped on every
        way out of the block (see the module docstring), also after an exception,
        Ctrl-C or a cancellation, even one that arrives while startVM is in flight.

        Args:
            image_id: The image to run.
            cpu: CPUs, 1-8.
            memory: Memory in MB, 256-16384.
            port: The internal port to open.
            env_vars: Environment variables.
            volume_gb: Persistent storage in GB, 1-500.
            timeout: Seconds to wait for ``started``; ``None`` waits forever.
            adopt_lost: When startVM's answer is lost (``maybe_created``), find the VM it
                made and use it (see ``_lost``: listVMs of the image before and after,
                adopted only if exactly one unknown VM appeared), instead of raising and
                leaving it running. Costs one listVMs before the start.
        """
        check.check_timeout(timeout)
        check.flag("adopt_lost", adopt_lost)
        spec = VMSpec.checked(
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            disk_gb=volume_gb,
        )
        return run_vm(
            self._pump,
            self._api,
            spec,
            timeout=timeout,
            rng=self._pump.new_rng(),
            adopt_lost=adopt_lost,
        )


def stop_after_use(api: RunApi, vm_id: str, *, raise_errors: bool) -> Flow[None]:
    """Stop the VM handed out by ``run``; 409 (already stopped) is success.

    Args:
        api: Provides ``stop_vm``.
        vm_id: The VM.
        raise_errors: Re-raise a failed stop (after logging it). False while another
            exception is already propagating, which must not be masked.
    """
    try:
        yield from api.stop_vm(vm_id)
    except ConflictError:
        logger.debug("VM %s was already stopped", vm_id)
    except Exception as exc:
        logger.error("could not stop VM %s, it may still be running: %r", vm_id, exc)
        if raise_errors:
            raise


@contextlib.asynccontextmanager
async def run_vm(
    pump: Callable[[Flow[Any]], Any],
    api: RunApi,
    spec: VMSpec,
    *,
    timeout: float | None,  # noqa: ASYNC109 - a deadline for the start, not an I/O timeout
    rng: random.Random,
    adopt_lost: bool = False,
) -> AsyncIterator[VM]:
    """``vms.run``: start, wait for ``started``, hand out, always stop (module docstring).

    Args:
        pump: Runs a flow (the client's pump).
        api: Provides ``start_vm``, ``get_vm`` and ``stop_vm``.
        spec: The checked VM spec.
        timeout: Seconds to wait for ``started``; ``None`` waits forever.
        rng: Jitter source of the poll schedule.
        adopt_lost: Recover a VM whose startVM answer was lost (``_lost``).

    Yields:
        The started VM.
    """
    start = api.start_vm(spec)
    if adopt_lost:

        def list_page(token: str | None) -> Flow[VMPage]:
            return api.list_vms(VMListRequest(image_id=spec.image_id, pagination=token))

        start = create_or_adopt(start, list_page, operation="startVM")
    started: list[VM] = []  # filled as soon as startVM answers

    async def start_vm() -> VM:
        started.append(await pump(start))
        return started[0]

    try:
        vm = await through_interrupt_async(start_vm)
        if vm.state != "started":
            vm = await pump(wait_for_vm_state(api, vm.id, "started", timeout=timeout, rng=rng))
        yield vm
    except BaseException as exc:
        if started:
            vm_id = started[0].id
            stop = stop_after_use(api, vm_id, raise_errors=False)
            # On the way out after a Ctrl-C (or cancellation), the next one is the
            # second: it gives up at once and says what may be left running.
            interrupted = is_interrupt_async(exc)
            try:
                await through_interrupt_async(lambda: pump(stop), patient=not interrupted)
            except BaseException as second:
                if second is not exc:
                    second.add_note(
                        f"cakework: VM {vm_id} may still be running (its stopVM was cut"
                        f" short); stop it with client.vms.stop({vm_id!r})"
                    )
                raise
        raise
    stop = stop_after_use(api, vm.id, raise_errors=True)
    await through_interrupt_async(lambda: pump(stop))
