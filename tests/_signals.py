"""Ctrl-C in a test: SIGINT sent to the main thread, handled exactly once per press."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def ctrl_c_presses() -> Iterator[Callable[[], None]]:
    """A ``press()`` that sends SIGINT to the main thread, while a handler is installed.

    On the main thread ``press()`` raises ``KeyboardInterrupt`` right there; from another
    thread it returns once the main thread has raised it. Each press is handled once.
    """
    handled = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if handled.is_set():
            return  # a repeat of a press already handled
        handled.set()
        raise KeyboardInterrupt

    def press() -> None:
        handled.clear()
        main = threading.main_thread()
        if threading.current_thread() is main:
            signal.pthread_kill(main.ident or 0, signal.SIGINT)
            return
        deadline = time.monotonic() + 10
        # Sent again until handled: a SIGINT that lands just before the main thread
        # blocks on a lock is only seen once that lock is released (CPython runs the
        # handler when such a wait is interrupted, and this one was not), and the lock
        # may be waiting for this very thread.
        while not handled.is_set():
            assert time.monotonic() < deadline, "the main thread never handled the SIGINT"
            signal.pthread_kill(main.ident or 0, signal.SIGINT)
            handled.wait(0.05)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield press
    finally:
        signal.signal(signal.SIGINT, previous)
