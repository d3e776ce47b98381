"""``cakework``: the command tree assembled, and :func:`run`, which never raises SystemExit."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

import click

from ._emulator import emulator
from ._errors import ExitCode, silence_stdout
from ._images import images
from ._root import accept_global_options, cli
from ._vms import cached_vms, vms

for command in (images, vms, cached_vms, emulator):
    cli.add_command(command)
accept_global_options(cli)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``cakework`` with ``argv`` and return the exit status (never raises SystemExit).

    SIGTERM is handled like Ctrl-C, so ``kill`` also stops what the command started.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        # Without standalone mode Click returns an Exit's code instead of raising it; the
        # commands themselves return None.
        status = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="cakework",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        # Ctrl-C while Click itself was busy (parsing, a prompt).
        click.echo("cakework: interrupted", err=True)
        return ExitCode.INTERRUPTED
    try:
        # What is still buffered goes now, while a closed pipe can be told apart.
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return ExitCode.PIPE_CLOSED
    return status if isinstance(status, int) else ExitCode.OK


__all__ = ["cli", "run"]
