"""``cakework vms ...`` and ``cakework cached-vms ...``."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from cakework import CakeworkError
from cakework._states import VM_STATES

from ._output import LIST_COLUMNS
from ._progress import Progress
from ._root import (
    App,
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
@output_option
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
    vm = client.vms.start(
        image_id=image_id,
        cpu=cpu,
        memory=memory,
        port=port,
        env_vars=env_mapping(env),
        volume_gb=volume_gb,
    )
    if wait:
        progress = Progress(app.err, live=app.live, text=f"VM {vm.id} {vm.state}")
        try:
            with progress:
                vm = client.vms.wait_for_state(vm.id, "started", timeout=wait_timeout)
        except BaseException:
            # This command started it; a failed or interrupted wait must not leave it billing.
            _stop_quietly(app, vm.id)
            raise
        progress.finish(f"VM {vm.id} started on {vm.hostname}")
    app.output.item(vm)


def _stop_quietly(app: App, vm_id: str) -> None:
    try:
        app.client().vms.stop(vm_id)
    except CakeworkError as exc:
        app.output.note(f"could not stop VM {vm_id}: {exc}")
    else:
        app.output.note(f"VM {vm_id} stopped")


@vms.command("get")
@click.argument("vm_id")
@output_option
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
@output_option
@pass_app
def vms_list(app: App, image_id: str | None, status: str | None) -> None:
    """List your VMs (every page)."""
    app.output.items(app.client().vms.list(image_id=image_id, status=status), LIST_COLUMNS)


@vms.command("logs")
@click.argument("vm_id")
@log_options
@output_option
@pass_app
def vms_logs(
    app: App,
    vm_id: str,
    follow: bool,
    query: str | None,
    since: datetime | None,
    until: datetime | None,
    order: str,
    max_lines: int | None,
) -> None:
    """Print a VM's log lines (--follow: until the VM has stopped)."""
    lines = app.client().vms.logs(
        vm_id,
        query=query,
        order=order,
        since=since,
        until=until,
        max_items=max_lines,
        follow=follow,
    )
    app.output.log_lines(lines)


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
    progress = Progress(app.err, live=app.live, text=f"starting a VM from image {image_id}")
    status = 0
    reader: LogReader | None = None
    vm_id: str | None = None
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
            progress.finish(f"VM {vm.id} started on {vm.hostname}")
            if command:
                reader = _stream_logs_in_background(app, vm.id)
                status = _run_command(app, vm.id, vm.hostname, command)
            else:
                # No command: the VM's logs are the show, under a status line until Ctrl-C.
                text = f"VM {vm.id} running; Ctrl-C stops it"
                with Progress(app.err, live=app.live, text=text) as running:
                    for line in client.vms.logs(vm.id, follow=True):
                        running.log(line)
            app.output.note(f"stopping VM {vm.id}")
    except KeyboardInterrupt:
        # vms.run has stopped the VM (also one whose startVM was in flight) before this.
        if vm_id is not None:
            app.output.note(f"interrupted: VM {vm_id} stopped")
        raise
    if reader is not None:
        # The followed log ends by itself once the VM is stopped and its last lines are read.
        reader.join(LOG_DRAIN_SECONDS)
        reader.done.set()
    app.output.note(f"VM {vm.id} stopped")
    if status:
        raise click.exceptions.Exit(status)


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
        app.output.note(f"{app.command}: cannot run {shlex.join(command)}: {exc.strerror}")
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
@output_option
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
@output_option
@pass_app
def cached_start(app: App, cached_vm_id: str, wait: bool, wait_timeout: float) -> None:
    """Start a cached VM."""
    client = app.client()
    client.cached_vms.start(cached_vm_id)
    if not wait:
        app.output.note(f"cached VM {cached_vm_id} starting")
        return
    progress = Progress(app.err, live=app.live, text=f"cached VM {cached_vm_id} starting")
    try:
        with progress:
            vm = client.cached_vms.wait_for_state(cached_vm_id, "started", timeout=wait_timeout)
    except BaseException:
        # This command started it; stop it again rather than leave it running unseen.
        with contextlib.suppress(CakeworkError):
            client.cached_vms.stop(cached_vm_id)
            app.output.note(f"cached VM {cached_vm_id} stopped")
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
@pass_app
def cached_destroy(app: App, cached_vm_id: str) -> None:
    """Destroy a cached VM for good."""
    app.client().cached_vms.destroy(cached_vm_id)
    app.output.note(f"cached VM {cached_vm_id} destroyed")


@cached_vms.command("logs")
@click.argument("cached_vm_id")
@output_option
@pass_app
def cached_logs(app: App, cached_vm_id: str) -> None:
    """Print a cached VM's log lines (JSON: one object per line)."""
    app.output.log_lines(app.client().cached_vms.logs(cached_vm_id))
