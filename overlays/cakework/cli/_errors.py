"""Exit codes and the one-line error report: every failure of a command ends here.

A failure prints one line on stderr, ``<command>: <what failed and why>``; a failed build
adds its failing step and last log lines. ``--debug`` puts the traceback above the line.
"""

from __future__ import annotations

import enum
import os
import signal
import sys
import traceback

from rich.console import Console
from rich.text import Text

from cakework import (
    AuthenticationError,
    BuildContextError,
    BuildFailedError,
    CakeworkError,
    InvalidParameterError,
    WaitTimeoutError,
)

from ._output import format_log_line
from ._progress import STEP


class ExitCode(enum.IntEnum):
    """The exit statuses of ``cakework`` (listed in ``cakework --help``)."""

    OK = 0
    API_ERROR = 1
    USAGE = 2
    BUILD_FAILED = 3
    WAIT_TIMEOUT = 4
    AUTHENTICATION = 5
    INTERRUPTED = 130
    PIPE_CLOSED = 128 + signal.SIGPIPE


EXIT_CODES_HELP = """\b
Exit status:
  0    success
  1    the API or the connection failed (the error names the operation)
  2    usage: a bad option or argument, no API key, a folder that cannot be built
  3    the build failed (its failing step and last log lines are printed)
  4    a wait timed out (--wait-timeout); what it waited for goes on
  5    authentication: the API refused the key (401); check CAKEWORK_API_KEY
  130  interrupted (Ctrl-C); what the command started is stopped first
  141  stdout was closed early (e.g. `| head`), said by nothing, as git and coreutils do
  vms run -- COMMAND exits with COMMAND's status (127: it could not be started)
"""

LOG_TAIL_SHOWN = 10
"""How many of a failed build's last log lines are printed."""


class UsageFailure(CakeworkError):
    """The invocation cannot work (e.g. no API key); exit status 2."""


def silence_stdout() -> None:
    """Point stdout at /dev/null, so no later flush (at exit, too) fails on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file descriptor (an embedding caller's)
        pass


def exit_code(exc: BaseException) -> ExitCode:
    """The exit status for an exception that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, BuildFailedError):
        return ExitCode.BUILD_FAILED
    if isinstance(exc, WaitTimeoutError):
        return ExitCode.WAIT_TIMEOUT
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION
    if isinstance(exc, InvalidParameterError | BuildContextError | UsageFailure):
        return ExitCode.USAGE
    return ExitCode.API_ERROR


def describe(exc: BaseException) -> str:
    """What failed and why, in one line."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, BuildFailedError):
        # The first error line says why (the last one is often a bare "Build failed").
        errors = [line.message for line in exc.log_tail if line.level.lower() == "error"]
        if errors:
            return f"build {exc.build.build_id} failed: {errors[0]}"
    if isinstance(exc, CakeworkError):
        return " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"unexpected {type(exc).__name__}: {exc}"


def report(exc: BaseException, *, command: str, console: Console, debug: bool) -> ExitCode:
    """Print the error report for ``exc`` on ``console`` (stderr) and return the exit status.

    Args:
        exc: What ended the command.
        command: The command path, e.g. ``cakework vms get``.
        console: The stderr console.
        debug: Print the traceback too.
    """
    if debug and not isinstance(exc, KeyboardInterrupt):
        console.print(
            "".join(traceback.format_exception(exc)).rstrip(), markup=False, highlight=False
        )
    line = Text(f"{command}: ", style="bold red")
    line.append(describe(exc))
    console.print(line, soft_wrap=True, highlight=False)
    if isinstance(exc, BuildFailedError):
        _build_failure(exc, console)
    return exit_code(exc)


def _build_failure(exc: BuildFailedError, console: Console) -> None:
    """The failing step and the last log lines of a failed build."""
    steps = [line.message for line in exc.log_tail if STEP.match(line.message)]
    if steps:
        console.print(f"  failing step: {steps[-1]}", markup=False, highlight=False)
    tail = exc.log_tail[-LOG_TAIL_SHOWN:]
    if tail:
        console.print(f"  last {len(tail)} log lines:", markup=False, highlight=False)
        for line in tail:
            console.print(Text("    ") + format_log_line(line), soft_wrap=True, highlight=False)
    console.print(
        f"  all of it: cakework images logs {exc.build.build_id}", markup=False, highlight=False
    )
