"""Live progress while a command waits: a status line with elapsed time, log lines above it.

On a terminal it is a Rich spinner whose text is re-rendered on every refresh (so the
elapsed time ticks even while no request is answered), with log lines printed above it.
Anywhere else (a pipe, a CI log, ``TERM=dumb``) nothing is animated: each new status is one
plain line, so the output has no cursor movement or carriage returns.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.status import Status
from rich.text import Text

from cakework import Build, LogLine

from ._output import format_log_line

# Docker's classic build output names each step ``Step 2/4 : COPY ...``.
STEP = re.compile(r"^Step \d+/\d+ : ")


def format_elapsed(seconds: float) -> str:
    """``7s``, ``2m05s`` or ``1h02m03s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class _StatusText:
    """The spinner's text, rendered anew on every refresh of the live display."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def __rich__(self) -> Text:
        progress = self._progress
        text = Text(progress.text)
        text.append(f"  {format_elapsed(progress.elapsed())}", style="dim")
        return text


class Progress:
    """A status line and the log lines printed while waiting, live or plain.

    Use as a context manager; :meth:`update` changes the status, :meth:`log` prints a log
    line, :meth:`finish` prints the final line once the status line is gone.

    Args:
        console: Where it is drawn (stderr: progress is never a command's result).
        live: Animate (a terminal) or print plain lines (anything else).
        text: The first status text.
        clock: Monotonic clock in seconds (for tests).
        since: When the wait began on ``clock`` (default: now); a status line that
            follows another (a VM running after it started) keeps counting from there.
    """

    def __init__(
        self,
        console: Console,
        *,
        live: bool,
        text: str,
        clock: Callable[[], float] = time.monotonic,
        since: float | None = None,
    ) -> None:
        self.console = console
        self.live = live
        self.text = text
        self._clock = clock
        self.started = clock() if since is None else since
        self._status: Status | None = None

    def elapsed(self) -> float:
        """Seconds since the progress began."""
        return self._clock() - self.started

    def __enter__(self) -> Self:
        if self.live:
            self._status = self.console.status(_StatusText(self), spinner="dots")
            self._status.start()
        else:
            self._plain(self.text)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def update(self, text: str) -> None:
        """Show a new status (a new plain line when not live, only if it changed)."""
        if text == self.text:
            return
        self.text = text
        if not self.live:
            self._plain(text)

    def log(self, line: LogLine) -> None:
        """Print a log line above the status line."""
        self.console.print(format_log_line(line), soft_wrap=True, highlight=False)

    def finish(self, text: str) -> None:
        """Print the final line (after the context has exited, or in its place)."""
        self.console.print(
            f"{text} ({format_elapsed(self.elapsed())})",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )

    def _plain(self, text: str) -> None:
        self.console.print(
            f"{text} ({format_elapsed(self.elapsed())})",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )


class BuildProgress:
    """Turns ``wait_for_build``'s ``on_status``/``on_log`` callbacks into progress.

    The status line names the build, its status and (when logs are followed) the step it
    is on.

    Args:
        progress: The progress to drive.
        build_id: The build.
        show_logs: Print every build log line above the status.
    """

    def __init__(self, progress: Progress, build_id: str, *, show_logs: bool) -> None:
        self.progress = progress
        self.build_id = build_id
        self.show_logs = show_logs
        self.status = "created"
        self.step: str | None = None

    def _render(self) -> str:
        step = f": {self.step}" if self.step and self.progress.live else ""
        return f"build {self.build_id} {self.status}{step}"

    def on_status(self, build: Build) -> None:
        """``wait_for_build``'s ``on_status``."""
        if build.is_terminal:
            return  # the final line, or the failure report, says it
        self.status = build.status
        self.progress.update(self._render())

    def on_log(self, line: LogLine) -> None:
        """``wait_for_build``'s ``on_log``."""
        if self.show_logs:
            self.progress.log(line)
        if STEP.match(line.message):
            self.step = line.message
            # In a pipe the log lines already say which step runs; one line per status.
            if self.progress.live:
                self.progress.update(self._render())
