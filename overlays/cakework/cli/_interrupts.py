"""Ctrl-C in the command: what each press does, said as it happens, and what became of the VM.

The rule: every interrupt message names the VM it concerns and says what became of it,
from what the client knows, never from a guess. A first Ctrl-C stops what the command
started, and says so at once ("stopping VM X… (Ctrl-C again to give up)"); a second one
gives up on that stop. Afterwards the command says "VM X stopped" or "VM X may still be
running: `cakework vms stop X`".

Two sources tell what became of a VM:

* :func:`fates` reads the notes the library adds to the exception that leaves
  ``vms.run`` ("VM X stopped", "VM X ... may still be running", "a VM of image I may have
  been created");
  it is the one place that reads them.
* :class:`CtrlC` carries a request of the command's own (startVM, startCachedVM) through
  a first Ctrl-C, as the library does inside ``vms.run``: the press is noted, the answer
  awaited, and only a second press interrupts the request.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType

import attrs

GIVE_UP = "(Ctrl-C again to give up)"

# An id as the notes print it: the client checked it against the spec's ``Id`` already,
# and an id never holds a blank, so a run of non-blanks is one.
_ID = r"\S+"
_STOPPED = re.compile(rf"^cakework: VM (?P<id>{_ID}) stopped$")
# The notes are ``str(PendingResource)`` (``cakework.pending``) behind "cakework: ".
_LEFT = re.compile(rf"^cakework: VM (?P<id>{_ID})(?: of image {_ID})? may still be running\b")
_CUT_SHORT = re.compile(rf"^cakework: a VM of image (?P<image>{_ID}) may have been created\b")


@attrs.frozen
class Fates:
    """What the library says became of the VMs an exception left behind."""

    stopped: tuple[str, ...] = ()
    """VMs it stopped on the way out."""
    left: tuple[str, ...] = ()
    """VMs that may still be running (a stop that failed or was cut short)."""
    cut_short: tuple[str, ...] = ()
    """Images whose startVM was cut short: a VM of each may be running, id unknown."""

    @property
    def known(self) -> bool:
        """Whether the library said anything at all."""
        return bool(self.stopped or self.left or self.cut_short)


def fates(exc: BaseException) -> Fates:
    """Read what became of the VMs from the notes on ``exc`` (and the exceptions it chains).

    Args:
        exc: The exception that ended the command.

    Returns:
        The VMs named as stopped, as possibly running, and the images whose startVM was
        cut short.
    """
    stopped: list[str] = []
    left: list[str] = []
    cut_short: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for note in getattr(current, "__notes__", ()):
            if match := _STOPPED.match(note):
                stopped.append(match["id"])
            elif match := _LEFT.match(note):
                left.append(match["id"])
            elif match := _CUT_SHORT.match(note):
                cut_short.append(match["image"])
        current = current.__context__
    # A VM named by a later note as possibly running is not stopped, whatever came before.
    return Fates(
        stopped=tuple(dict.fromkeys(v for v in stopped if v not in left)),
        left=tuple(dict.fromkeys(left)),
        cut_short=tuple(dict.fromkeys(cut_short)),
    )


def stopping_line(kind: str, vm_id: str) -> str:
    """``stopping VM X… (Ctrl-C again to give up)``: what a first Ctrl-C starts."""
    return f"stopping {kind} {vm_id}… {GIVE_UP}"


def stopped_line(kind: str, vm_id: str) -> str:
    """``VM X stopped`` (``kind``: ``VM`` or ``cached VM``)."""
    return f"{kind} {vm_id} stopped"


def left_line(kind: str, vm_id: str) -> str:
    """``VM X may still be running: `cakework vms stop X```."""
    group = "cached-vms" if kind == "cached VM" else "vms"
    return f"{kind} {vm_id} may still be running: `cakework {group} stop {vm_id}`"


def cut_short_line(image_id: str) -> str:
    """What to say when startVM was interrupted before its answer named the VM."""
    return (
        f"a VM of image {image_id} may still be running (startVM was cut short): "
        f"`cakework vms list --image-id {image_id} --status started`"
    )


class CtrlC:
    """The command's SIGINT handler while it owns something that a Ctrl-C must clean up.

    Each press prints what it does (:attr:`on_press`, when set) and raises
    ``KeyboardInterrupt``, except inside :meth:`deferred`, where the first press is only
    recorded and the block runs on.

    Args:
        say: Prints a message for the person at the terminal (stderr).
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self.presses = 0
        self.on_press: str | None = None
        self._defer = False
        self._handling = False
        self._again = False
        self.said: list[str] = []
        self._previous: object = None
        self._installed = False

    def __enter__(self) -> CtrlC:
        # Only the main thread may set handlers (an embedding caller may run us elsewhere).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._installed = False

    def say(self, message: str) -> None:
        """Print ``message`` (once: a message already said is not repeated)."""
        if message not in self.said:
            self.said.append(message)
            self._say(message)

    @property
    def pressed(self) -> bool:
        """Whether Ctrl-C was pressed at least once."""
        return self.presses > 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._handling:
            # A press while the previous one is being handled (printing): Python would run
            # this handler inside that one, and the client would see one interrupt, not
            # two. Count it and send it again once that one has been raised.
            self._again = True
            return
        self._handling = True
        try:
            self.presses += 1
            message, self.on_press = self.on_press, None
            if message is not None:
                self.say(message)
        finally:
            self._handling = False
        if self._again:
            self._again = False
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        if self._defer and self.presses == 1:
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self, message: str) -> Iterator[None]:
        """Carry the block through a first Ctrl-C (saying ``message``); a second interrupts.

        Args:
            message: What the first press says (it should end with :data:`GIVE_UP`).
        """
        self._defer = True
        self.on_press = message
        try:
            yield
        finally:
            self._defer = False
            self.on_press = None

    def interrupt_if_pressed(self) -> None:
        """Raise the ``KeyboardInterrupt`` a deferred press held back."""
        if self.pressed:
            raise KeyboardInterrupt
