"""``vms.run(...)``: start a VM, wait until it is started, hand it out, always stop it.

Rule of this module: the steps are flows (``start_vm``, :func:`wait_for_vm_state`,
:func:`stop_after_use`); the sync and async context managers below only sequence them
around the ``with`` body, so the cleanup rules live in one place:

* the VM is stopped on every exit: normal, an exception in the body, Ctrl-C
  (``KeyboardInterrupt``) or task cancellation, and also when waiting for it failed;
* startVM and stopVM are carried through a Ctrl-C or cancellation that arrives while
  they are in flight (``_flow.finish_despite_interrupt`` / ``finish_despite_cancel``):
  their answer is awaited, then the interrupt goes on -- otherwise the new VM's id, or
  the stop itself, would be lost and the VM left running; a second one gives up;
* a VM that is already stopped (409) counts as stopped;
* a failed stop is logged on ``logging.getLogger("cakework")`` and never replaces the
  exception that is already on its way out; after a clean body it is raised, because a
  VM that may still be running costs money and the caller must hear of it.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from ._flow import Flow, finish_despite_cancel, finish_despite_interrupt
from ._models import VM
from ._waiting import wait_for_vm_state
from .errors import ConflictError

logger = logging.getLogger("cakework")

T = TypeVar("T")


class RunApi(Protocol):
    """The part of ``Api`` that ``vms.run`` uses."""

    def start_vm(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
    ) -> Flow[VM]:
        """Flow of startVM."""
        ...

    def stop_vm(self, vm_id: str) -> Flow[None]:
        """Flow of stopVM."""
        ...

    def get_vm(self, vm_id: str) -> Flow[VM]:
        """Flow of getVM."""
        ...


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


def _start_kwargs(
    image_id: str,
    cpu: int | None,
    memory: int | None,
    port: int | None,
    env_vars: Mapping[str, str] | None,
    volume_gb: int | None,
) -> dict[str, Any]:
    return {
        "image_id": image_id,
        "cpu": cpu,
        "memory": memory,
        "port": port,
        "env_vars": env_vars,
        "volume_gb": volume_gb,
    }


@contextlib.contextmanager
def run_vm(
    run: Callable[[Flow[Any]], Any],
    api: RunApi,
    *,
    image_id: str,
    cpu: int | None = None,
    memory: int | None = None,
    port: int | None = None,
    env_vars: Mapping[str, str] | None = None,
    volume_gb: int | None = None,
    timeout: float | None,
    rng: random.Random,
) -> Iterator[VM]:
    """Sync ``vms.run``: see the module docstring.

    Args:
        run: The client's sync pump (``client._run``).
        api: The client's ``Api``.
        image_id: Image to start.
        cpu: CPUs (1-8).
        memory: Memory in MB (256-16384).
        port: Port to open.
        env_vars: Environment variables.
        volume_gb: Persistent storage in GB (1-500).
        timeout: Seconds to wait for ``started``; ``None`` waits forever.
        rng: Jitter source of the poll schedule.

    Yields:
        The started VM.
    """
    start = api.start_vm(**_start_kwargs(image_id, cpu, memory, port, env_vars, volume_gb))
    started: list[VM] = []  # filled as soon as startVM answers, whichever thread gets it

    def start_vm() -> VM:
        started.append(run(start))
        return started[0]

    try:
        # A Ctrl-C during startVM waits for its answer, so the new VM is stopped below.
        vm = _through_interrupt(start_vm)
        if vm.state != "started":
            vm = run(wait_for_vm_state(api, vm.id, "started", timeout=timeout, rng=rng))
        yield vm
    except BaseException:
        if started:
            _through_interrupt(lambda: run(_stop(api, started[0], raise_errors=False)))
        raise
    _through_interrupt(lambda: run(_stop(api, vm, raise_errors=True)))


def _through_interrupt(call: Callable[[], T]) -> T:
    """``call()``; a Ctrl-C meanwhile waits for its answer and is raised after it."""
    result, interrupt = finish_despite_interrupt(call)
    if interrupt is not None:
        raise interrupt
    return result


def _stop(api: RunApi, vm: VM, *, raise_errors: bool) -> Flow[None]:
    return stop_after_use(api, vm.id, raise_errors=raise_errors)


@contextlib.asynccontextmanager
async def arun_vm(
    run: Callable[[Flow[Any]], Awaitable[Any]],
    api: RunApi,
    *,
    image_id: str,
    cpu: int | None = None,
    memory: int | None = None,
    port: int | None = None,
    env_vars: Mapping[str, str] | None = None,
    volume_gb: int | None = None,
    start_timeout: float | None,
    rng: random.Random,
) -> AsyncIterator[VM]:
    """Async ``vms.run``: the same steps as :func:`run_vm`, awaited.

    A cancellation that arrives while startVM is in flight does not abandon the VM:
    the request is allowed to finish (it may already have created the VM), the VM is
    stopped, and the cancellation goes on.

    Args: as :func:`run_vm`, with ``run`` the client's async pump and ``start_timeout``
        for ``timeout``.

    Yields:
        The started VM.
    """
    start = api.start_vm(**_start_kwargs(image_id, cpu, memory, port, env_vars, volume_gb))
    started: list[VM] = []

    async def start_vm() -> VM:
        started.append(await run(start))
        return started[0]

    try:
        # Cancelled during startVM: its answer is awaited, so the new VM is stopped below.
        vm = await _through_cancel(start_vm())
        if vm.state != "started":
            vm = await run(wait_for_vm_state(api, vm.id, "started", timeout=start_timeout, rng=rng))
        yield vm
    except BaseException:
        if started:
            await _through_cancel(run(_stop(api, started[0], raise_errors=False)))
        raise
    await _through_cancel(run(_stop(api, vm, raise_errors=True)))


async def _through_cancel(call: Awaitable[T]) -> T:
    """Await ``call``; a cancellation meanwhile waits for its answer and is raised after."""
    result, cancel = await finish_despite_cancel(call)
    if cancel is not None:
        raise cancel
    return result
