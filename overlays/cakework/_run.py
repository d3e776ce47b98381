"""``vms.run(...)``: start a VM, wait until it is started, hand it out, always stop it.

Rule of this module: the steps are flows (``start_vm``, :func:`wait_for_vm_state`,
:func:`stop_after_use`); the sync and async context managers below only sequence them
around the ``with`` body, so the cleanup rules live in one place:

* the VM is stopped on every exit: normal, an exception in the body, Ctrl-C
  (``KeyboardInterrupt``) or task cancellation, and also when waiting for it failed;
* a VM that is already stopped (409) counts as stopped;
* a failed stop is logged on ``logging.getLogger("cakework")`` and never replaces the
  exception that is already on its way out; after a clean body it is raised, because a
  VM that may still be running costs money and the caller must hear of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from ._flow import Flow, finish_despite_interrupt
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
        vm, interrupt = finish_despite_interrupt(start_vm)
        if interrupt is not None:
            raise interrupt
        if vm.state != "started":
            vm = run(wait_for_vm_state(api, vm.id, "started", timeout=timeout, rng=rng))
        yield vm
    except BaseException:
        if started:
            run(stop_after_use(api, started[0].id, raise_errors=False))
        raise
    run(stop_after_use(api, started[0].id, raise_errors=True))


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
    start = asyncio.ensure_future(
        run(api.start_vm(**_start_kwargs(image_id, cpu, memory, port, env_vars, volume_gb)))
    )
    try:
        vm: VM = await asyncio.shield(start)
    except asyncio.CancelledError:
        await _stop_late_start(run, api, start)
        raise
    try:
        if vm.state != "started":
            vm = await run(wait_for_vm_state(api, vm.id, "started", timeout=start_timeout, rng=rng))
        yield vm
    except BaseException:
        await run(stop_after_use(api, vm.id, raise_errors=False))
        raise
    await run(stop_after_use(api, vm.id, raise_errors=True))


async def _stop_late_start(
    run: Callable[[Flow[Any]], Awaitable[Any]], api: RunApi, start: asyncio.Future[Any]
) -> None:
    """Cancelled during startVM: wait for its answer, then stop what it created."""
    try:
        vm: VM = await start
    except BaseException as exc:  # the start failed (or we are cancelled again): nothing known
        if not start.done():
            start.cancel()
        logger.debug("startVM did not complete after cancellation: %r", exc)
        return
    await run(stop_after_use(api, vm.id, raise_errors=False))
