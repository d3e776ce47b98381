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
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from cakework_spec.resources import AsyncVMsBase

from .. import _polling
from .. import _validate as check
from .._concurrency import is_interrupt_async, through_interrupt_async
from .._flow import Flow
from .._log_stream import open_log_stream
from .._lost import create_or_adopt
from .._models import LogPage
from .._pages import LogBatch, LogPosition, LogRequest, VMListRequest
from .._params import VMSpec, log_request, split_log_filters, vm_list_request
from .._pending import may_be_created, may_be_running, name_left
from .._states import VM_FINISHED_STATES
from .._vm_list import VMListStream
from .._waits import wait_for_vm_state
from ..errors import ConflictError
from .iterators import AsyncLogIterator, AsyncVMIterator
from .resource import AsyncResource

if TYPE_CHECKING:
    from cakework_spec.params import (
        GetVMLogsFilters,
        GetVMLogsParams,
        ListVMsFilters,
        StartVMParams,
    )

    from .._models import VM, VMPage

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


class AsyncVMs(AsyncResource, AsyncVMsBase):
    """One-time VM operations (``client.vms``).

    The plain calls (``start``, ``get``, ``stop``, ``list_page``, and any operation the
    spec adds) are generated in ``AsyncVMsBase``; this class adds the behaviour.

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    async def get_logs(self, vm_id: str, **params: Unpack[GetVMLogsParams]) -> LogPage:
        """Get one page of a VM's logs (``getVMLogs``; arguments as ``images.get_build_logs``).

        Args:
            vm_id: The VM.
            **params: The operation's query arguments (``query``, ``batch``, ``order``,
                and ``pagination``, ``from_``, ``to`` from the previous page).

        Returns:
            The page (``logs`` follows the pages for you).
        """
        vm_id = check.ident("vm_id", vm_id)
        request = log_request("getVMLogs", params)
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
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
        **params: Unpack[GetVMLogsFilters],
    ) -> AsyncLogIterator:
        """Iterate over a VM's log lines (arguments as ``images.build_logs``).

        With ``follow=True`` it ends once the VM is stopped or destroyed and its last
        lines are read.
        """
        vm_id = check.ident("vm_id", vm_id)
        api = self._api
        query, order, batch, extra = split_log_filters(params)

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
            extra=extra,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
            rng=self._pump.new_rng(),
        )
        return AsyncLogIterator(stream, self._pump)

    def list(self, **params: Unpack[ListVMsFilters]) -> AsyncVMIterator:
        """Iterate over your VMs across all listVMs pages, optionally filtered.

        Args:
            **params: listVMs' filters (``image_id``, ``status``, ...), repeated on
                every page.
        """
        first = vm_list_request(params)
        return AsyncVMIterator(VMListStream(self._api.list_vms, first), self._pump)

    def run(
        self,
        *,
        timeout: float | None = _polling.VM_STATE_TIMEOUT,
        adopt_lost: bool = False,
        **params: Unpack[StartVMParams],
    ) -> contextlib.AbstractAsyncContextManager[VM]:
        """Start a VM, wait until it is started, and stop it when the block ends.

        ``async with client.vms.run(image_id=...) as vm:`` -- the VM is stopped on every
        way out of the block (see the module docstring), also after an exception,
        Ctrl-C or a cancellation, even one that arrives while startVM is in flight.

        Args:
            timeout: Seconds to wait for ``started``; ``None`` waits forever.
            adopt_lost: When startVM's answer is lost (``maybe_created``), find the VM it
                made and use it (listVMs of the image before and after the start; it is
                adopted only if exactly one unknown VM appeared), instead of raising and
                leaving it running. Costs one listVMs before the start.
            **params: startVM's arguments, as ``start`` takes them (``image_id``,
                ``cpu``, ``memory``, ...).
        """
        check.check_timeout(timeout)
        check.flag("adopt_lost", adopt_lost)
        spec = VMSpec.checked("startVM", params)
        return run_vm(
            self._pump,
            self._api,
            spec,
            timeout=timeout,
            rng=self._pump.new_rng(),
            adopt_lost=adopt_lost,
        )


def stop_after_use(api: RunApi, vm_id: str, *, raise_errors: bool) -> Flow[bool]:
    """Stop the VM handed out by ``run``; 409 (already stopped) is success.

    Args:
        api: Provides ``stop_vm``.
        vm_id: The VM.
        raise_errors: Re-raise a failed stop (after logging it). False while another
            exception is already propagating, which must not be masked.

    Returns:
        Whether the VM is known to be stopped (``False``: the stop failed, and was logged).
    """
    try:
        yield from api.stop_vm(vm_id)
    except ConflictError:
        logger.debug("VM %s was already stopped", vm_id)
    except Exception as exc:
        logger.error("could not stop VM %s, it may still be running: %r", vm_id, exc)
        if raise_errors:
            raise
        return False
    return True


def stopped_note(vm_id: str) -> str:
    """The note ``run`` adds to an exception once the VM it leaves behind is stopped."""
    return f"cakework: VM {vm_id} stopped"


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
        if not started:
            if is_interrupt_async(exc):
                # A second interrupt gave up on startVM's answer (the first one waits
                # for it): the VM it may have made has no id we know.
                cause = "an interrupt cut startVM short before its answer arrived"
                name_left(exc, [may_be_created("startVM", spec.image_id, cause)])
            raise
        # On the way out after a Ctrl-C (or cancellation), the next one is the
        # second: it gives up at once and says what may be left running.
        await _stop_or_name(pump, api, started[0].id, spec.image_id, after=exc)
        raise
    await _stop_or_name(pump, api, vm.id, spec.image_id, after=None)


async def _stop_or_name(
    pump: Callable[[Flow[Any]], Any],
    api: RunApi,
    vm_id: str,
    image_id: str,
    *,
    after: BaseException | None,
) -> None:
    """Stop ``run``'s VM; if an interrupt gives up on the stop, name the VM it leaves.

    Args:
        pump: Runs a flow.
        api: Provides ``stop_vm``.
        vm_id: The VM.
        image_id: Its image, for the note.
        after: The exception already on its way out (a failed stop is then logged, not
            raised, and after an interrupt the next one gives up at once); ``None``
            after a clean exit from the block.
    """
    stop = stop_after_use(api, vm_id, raise_errors=after is None)
    stopped: list[bool] = []

    async def stop_vm() -> None:
        stopped.append(await pump(stop))

    # What became of the VM is told in notes on the exception that leaves ``run``, so a
    # caller (the ``cakework`` command) can say "VM ... stopped" or "may still be running".
    patient = after is None or not is_interrupt_async(after)
    try:
        await through_interrupt_async(stop_vm, patient=patient)
    except BaseException as exc:
        if not stopped and exc is not after and is_interrupt_async(exc):
            cause = "an interrupt cut its stopVM short"
            name_left(exc, [may_be_running("vm", vm_id, "stopVM", cause, image_id)])
        elif stopped and stopped[0] and is_interrupt_async(exc):
            # A first Ctrl-C during the stop waited for its answer: the VM is stopped.
            exc.add_note(stopped_note(vm_id))
        raise
    if after is not None:
        if stopped[0]:
            after.add_note(stopped_note(vm_id))
        else:
            cause = "its stopVM failed"
            name_left(after, [may_be_running("vm", vm_id, "stopVM", cause, image_id)])
