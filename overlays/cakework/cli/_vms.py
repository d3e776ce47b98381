"""``cakework vms ...`` and ``cakework cached-vms ...``."""

from __future__ import annotations

import contextlib
import itertools
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from cakework import VM, CachedVM, CakeworkError, ConflictError, LogLine, pending
from cakework._states import VM_STATES

from ._errors import ExitCode, UsageFailure
from ._interrupts import (
    GIVE_UP,
    CtrlC,
    cut_short_line,
    fates,
    left_line,
    stopped_line,
    stopping_line,
)
from ._output import LIST_COLUMNS
from ._progress import Progress
from ._root import (
    App,
    LogFilters,
    env_mapping,
    log_options,
    output_option,
    pass_app,
    vm_spec_options,
    wait_timeout_option,
)

VM_WAIT_TIMEOUT = 300.0
# How long ``vms run`` lets the log reader print the VM's last lines once it is stopped; the
# reader may be in a poll sleep of several seconds, and nobody waits for that at exit.
LOG_DRAIN_SECONDS = 2.0

# ---- vms ------------------------------------------------------------------------------------


@click.group()
def vms() -> None:
    """Start, inspect, stop and run one-time VMs."""


@vms.command("start")
@click.argument("image_id")
@vm_spec_options(disk="volume_gb")
@click.option("--wait", is_flag=True, help="Wait until the VM is started.")
@wait_timeout_option(VM_WAIT_TIMEOUT)
@output_option(VM)
@pass_app
def vms_start(
    app: App,
    image_id: str,
    cpu: int | None,
    memory: int | None,
    port: int | None,
    env: tuple[tuple[str, str], ...],
    volume_gb: int | None,
    wait: bool,
    wait_timeout: float,
) -> None:
    """Start a one-time VM from an image (billed until stopped)."""
    client = app.client()
    with CtrlC(app.output.warn) as ctrl_c:
        waiting = (
            f"interrupted: the VM of image {image_id} is stopped once startVM answers… {GIVE_UP}"
        )
        try:
            # startVM's answer is the only place the new VM's id appears: a first Ctrl-C
            # waits for it, so the VM can be stopped rather than left billing unseen.
            with ctrl_c.deferred(waiting):
                vm = client.vms.start(
                    image_id=image_id,
                    cpu=cpu,
                    memory=memory,
                    port=port,
                    env_vars=env_mapping(env),
                    volume_gb=volume_gb,
                )
        except KeyboardInterrupt:
            app.output.warn(cut_short_line(image_id))
            raise
        try:
            ctrl_c.interrupt_if_pressed()
            if wait:
                ctrl_c.on_press = stopping_line("VM", vm.id)
                progress = Progress(app.chatter, live=app.live, text=f"VM {vm.id} {vm.state}")
                with progress:
                    vm = client.vms.wait_for_state(vm.id, "started", timeout=wait_timeout)
                progress.finish(f"VM {vm.id} started on {vm.hostname}")
            ctrl_c.on_press = None
        except BaseException:
            # This command started it; a failed or interrupted wait must not leave it billing.
            stop_after(app, ctrl_c, "VM", vm.id, client.vms.stop)
            raise
    app.output.item(vm)


def stop_after(
    app: App, ctrl_c: CtrlC, kind: str, vm_id: str, stop: Callable[[str], object]
) -> None:
    """Stop what this command started, after a failure or Ctrl-C, saying what became of it.

    A Ctrl-C during the stop gives up on it (re-raised, after saying the VM may still run).

    Args:
        app: The command's settings and consoles.
        ctrl_c: The command's Ctrl-C handler.
        kind: ``VM`` or ``cached VM`` (for the messages).
        vm_id: What to stop.
        stop: ``client.vms.stop`` or ``client.cached_vms.stop``.
    """
    ctrl_c.on_press = None
    ctrl_c.say(stopping_line(kind, vm_id) if ctrl_c.pressed else f"stopping {kind} {vm_id}…")
    try:
        stop(vm_id)
    except KeyboardInterrupt:
        app.output.warn(left_line(kind, vm_id))
        raise
    except ConflictError:
        app.output.note(stopped_line(kind, vm_id))  # it had stopped already
    except CakeworkError as exc:
        app.output.warn(f"could not stop {kind} {vm_id}: {' '.join(str(exc).split())}")
        app.output.warn(left_line(kind, vm_id))
    else:
        app.output.note(stopped_line(kind, vm_id))


@vms.command("get")
@click.argument("vm_id")
@output_option(VM)
@pass_app
def vms_get(app: App, vm_id: str) -> None:
    """Show a VM."""
    app.output.item(app.client().vms.get(vm_id))


@vms.command("stop")
@click.argument("vm_id")
@pass_app
def vms_stop(app: App, vm_id: str) -> None:
    """Stop (and so destroy) a VM."""
    app.client().vms.stop(vm_id)
    app.output.note(f"VM {vm_id} stopped")


@vms.command("list")
@click.option("--image-id", help="Only VMs of this image.")
@click.option("--status", type=click.Choice(VM_STATES), help="Only VMs in this state.")
@click.option(
    "-L",
    "--limit",
    type=click.IntRange(min=1),
    help="Stop after this many VMs (pages are read only as far as needed). [default: all]",
)
@output_option(VM)
@pass_app
def vms_list(app: App, image_id: str | None, status: str | None, limit: int | None) -> None:
    """List your VMs (every page, or the first --limit)."""
    listed: Iterable[VM] = app.client().vms.list(image_id=image_id, status=status)
    if limit is not None:
        listed = itertools.islice(listed, limit)
    app.output.items(listed, LIST_COLUMNS, empty="no VMs")


@vms.command("logs")
@click.argument("vm_id")
@log_options
@output_option(LogLine)
@pass_app
def vms_logs(app: App, vm_id: str, filters: LogFilters) -> None:
    """Print a VM's log lines (--follow: until the VM has stopped)."""
    app.output.log_lines(filters.lines(app.client().vms.logs, vm_id))


RUN_HELP = """Start a VM, stream its logs, stop it on exit or Ctrl-C.

\b
cakework vms run IMAGE_ID            streams the VM's logs until Ctrl-C
cakework vms run IMAGE_ID -- CMD...  runs CMD here while the VM is up, with
                                     CAKEWORK_VM_ID and CAKEWORK_VM_HOSTNAME set,
                                     and exits with CMD's status
"""


@vms.command("run", help=RUN_HELP)
@click.argument("image_id")
@vm_spec_options(disk="volume_gb")
@wait_timeout_option(VM_WAIT_TIMEOUT)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@pass_app
def vms_run(
    app: App,
    image_id: str,
    cpu: int | None,
    memory: int | None,
    port: int | None,
    env: tuple[tuple[str, str], ...],
    volume_gb: int | None,
    wait_timeout: float,
    command: tuple[str, ...],
) -> None:
    """Start a VM, stream its logs, stop it on exit or Ctrl-C (help: ``RUN_HELP``)."""
    client = app.client()
    progress = Progress(app.chatter, live=app.live, text=f"starting a VM from image {image_id}")
    status = 0
    reader: LogReader | None = None
    vm_id: str | None = None
    with CtrlC(app.output.warn) as ctrl_c:
        # vms.run carries startVM and stopVM through a first Ctrl-C and gives up on the
        # second; what became of the VM comes back in the notes of the exception.
        ctrl_c.on_press = (
            f"interrupted: stopping the VM of image {image_id} once it is known… {GIVE_UP}"
        )
        try:
            with contextlib.ExitStack() as stack:
                with progress:
                    vm = stack.enter_context(
                        client.vms.run(
                            image_id=image_id,
                            cpu=cpu,
                            memory=memory,
                            port=port,
                            env_vars=env_mapping(env),
                            volume_gb=volume_gb,
                            timeout=wait_timeout,
                        )
                    )
                vm_id = vm.id
                ctrl_c.on_press = stopping_line("VM", vm.id)
                progress.finish(f"VM {vm.id} started on {vm.hostname}")
                if command:
                    reader = _stream_logs_in_background(app, vm.id)
                    status = _run_command(app, vm.id, vm.hostname, command)
                else:
                    # No command: the VM's logs are the show, under a status line until Ctrl-C.
                    text = f"VM {vm.id} running; Ctrl-C stops it"
                    with Progress(
                        app.chatter, live=app.live, text=text, since=progress.started
                    ) as running:
                        for line in client.vms.logs(vm.id, follow=True):
                            running.log(line)
                ctrl_c.on_press = None
                ctrl_c.say(f"stopping VM {vm.id}…")
                ctrl_c.on_press = f"interrupted: still stopping VM {vm.id}… {GIVE_UP}"
        except BaseException as exc:
            tell_fates(app, exc, vm_id=vm_id)
            raise
    if reader is not None:
        # The followed log ends by itself once the VM is stopped and its last lines are read.
        reader.join(LOG_DRAIN_SECONDS)
        reader.done.set()
    app.output.note(stopped_line("VM", vm.id))
    if status:
        raise click.exceptions.Exit(status)


def tell_fates(app: App, exc: BaseException, *, vm_id: str | None) -> None:
    """Say what became of the VM ``vms.run`` started, from the library's notes on ``exc``.

    Args:
        app: The command's settings and consoles.
        exc: What left ``vms.run``.
        vm_id: The VM, if ``run`` handed it out before ``exc``.
    """
    told = fates(exc)
    # Said here, so the library's report at exit (``cakework.pending``) need not repeat it.
    pending(clear=True)
    for stopped in told.stopped:
        app.output.note(stopped_line("VM", stopped))
    for left in told.left:
        app.output.warn(left_line("VM", left))
    for image_id in told.cut_short:
        app.output.warn(cut_short_line(image_id))
    if not told.known and isinstance(exc, KeyboardInterrupt):
        app.output.warn(
            left_line("VM", vm_id) if vm_id is not None else "interrupted: no VM was started"
        )


def _stream_logs_in_background(app: App, vm_id: str) -> LogReader:
    """Print a VM's log lines on stderr from a thread, until the VM has stopped."""
    lines = app.client().vms.logs(vm_id, follow=True)

    def pump() -> None:
        # A failing log read must not end the command the user is running.
        with contextlib.suppress(CakeworkError):
            for line in lines:
                if reader.done.is_set():
                    return
                app.output.progress_line(line)

    reader = LogReader(target=pump, name="cakework-vm-logs", daemon=True)
    reader.start()
    return reader


class LogReader(threading.Thread):
    """The thread printing a VM's logs; ``done`` tells it to print nothing more."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.done = threading.Event()


def _run_command(app: App, vm_id: str, hostname: str, command: Sequence[str]) -> int:
    """Run ``command`` locally with the VM's id and hostname in its environment."""
    env = dict(os.environ, CAKEWORK_VM_ID=vm_id, CAKEWORK_VM_HOSTNAME=hostname)
    try:
        child = subprocess.Popen(list(command), env=env)
    except OSError as exc:
        app.output.warn(f"{app.command}: cannot run {shlex.join(command)}: {exc.strerror}")
        return 127
    try:
        return child.wait()
    except KeyboardInterrupt:
        # A terminal's Ctrl-C reached the child too; a signal sent to us alone is passed on.
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


# ---- cached VMs -----------------------------------------------------------------------------


@click.group("cached-vms")
def cached_vms() -> None:
    """Create, start, stop and destroy cached VMs (fast to start again)."""


@cached_vms.command("create")
@click.argument("image_id")
@vm_spec_options(disk="disk_size")
@output_option(CachedVM)
@pass_app
def cached_create(
    app: App,
    image_id: str,
    cpu: int | None,
    memory: int | None,
    port: int | None,
    env: tuple[tuple[str, str], ...],
    disk_size: int | None,
) -> None:
    """Create a cached VM (stopped until `cached-vms start`)."""
    app.output.item(
        app.client().cached_vms.create(
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_mapping(env),
            disk_size=disk_size,
        )
    )


@cached_vms.command("start")
@click.argument("cached_vm_id")
@click.option("--wait", is_flag=True, help="Wait until it is started, then show it.")
@wait_timeout_option(VM_WAIT_TIMEOUT)
@output_option(CachedVM)
@pass_app
def cached_start(app: App, cached_vm_id: str, wait: bool, wait_timeout: float) -> None:
    """Start a cached VM."""
    client = app.client()
    with CtrlC(app.output.warn) as ctrl_c:
        with ctrl_c.deferred(
            f"interrupted: cached VM {cached_vm_id} is stopped once its start is answered… "
            f"{GIVE_UP}"
        ):
            try:
                client.cached_vms.start(cached_vm_id)
            except KeyboardInterrupt:
                app.output.warn(left_line("cached VM", cached_vm_id))
                raise
        try:
            ctrl_c.interrupt_if_pressed()
            if not wait:
                app.output.note(f"cached VM {cached_vm_id} starting")
                return
            ctrl_c.on_press = stopping_line("cached VM", cached_vm_id)
            progress = Progress(
                app.chatter, live=app.live, text=f"cached VM {cached_vm_id} starting"
            )
            with progress:
                vm = client.cached_vms.wait_for_state(cached_vm_id, "started", timeout=wait_timeout)
            ctrl_c.on_press = None
        except BaseException:
            # This command started it; stop it again rather than leave it running unseen.
            stop_after(app, ctrl_c, "cached VM", cached_vm_id, client.cached_vms.stop)
            raise
    progress.finish(f"cached VM {vm.id} started on {vm.hostname}")
    app.output.item(vm)


@cached_vms.command("stop")
@click.argument("cached_vm_id")
@pass_app
def cached_stop(app: App, cached_vm_id: str) -> None:
    """Stop a cached VM (it can be started again)."""
    app.client().cached_vms.stop(cached_vm_id)
    app.output.note(f"cached VM {cached_vm_id} stopped")


@cached_vms.command("destroy")
@click.argument("cached_vm_id")
@click.option("-y", "--yes", is_flag=True, help="Do not ask (needed when stdin is not a terminal).")
@pass_app
def cached_destroy(app: App, cached_vm_id: str, yes: bool) -> None:
    """Destroy a cached VM for good (asks first on a terminal; --yes does not ask)."""
    if not yes:
        if not sys.stdin.isatty():
            raise UsageFailure(
                f"destroying cached VM {cached_vm_id} cannot be undone: pass --yes to confirm"
            )
        if not click.confirm(
            f"Destroy cached VM {cached_vm_id}? This cannot be undone", default=False, err=True
        ):
            app.output.warn(f"cached VM {cached_vm_id} kept")
            raise click.exceptions.Exit(ExitCode.USAGE)
    app.client().cached_vms.destroy(cached_vm_id)
    app.output.note(f"cached VM {cached_vm_id} destroyed")


@cached_vms.command("logs")
@click.argument("cached_vm_id")
@log_options
@output_option(LogLine)
@pass_app
def cached_logs(app: App, cached_vm_id: str, filters: LogFilters) -> None:
    """Print a cached VM's log lines (--follow: until it has stopped)."""
    app.output.log_lines(filters.lines(app.client().cached_vms.logs, cached_vm_id))
