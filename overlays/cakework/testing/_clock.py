"""The emulator clock: the one source of time for builds, boots and log lines.

Every duration the emulator simulates is measured on this clock, never on the wall clock
directly, so a test can run a ten-minute build in milliseconds (``speed``) or step time
by hand (``ManualClock``) and get the same result every run.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

# 2023-03-07 06:00:00 UTC: a fixed start so a manual-clock run produces identical
# timestamps every time (and a date from the service's lifetime).
MANUAL_EPOCH = 1_678_168_800.0


def _check_advance(seconds: float) -> None:
    if not math.isfinite(seconds):
        # NaN or infinity would break every timestamp from then on, with no way back.
        raise ValueError(f"the emulator clock moves by a finite number of seconds, not {seconds}")
    if seconds < 0:
        raise ValueError("the emulator clock cannot go back")


class Clock(Protocol):
    """Emulator time in Unix epoch seconds."""

    def now(self) -> float:
        """Return the current emulator time."""
        ...

    def advance(self, seconds: float) -> None:
        """Move emulator time forward by ``seconds``."""
        ...

    def reset(self) -> None:
        """Go back to the start (used when the emulator forgets everything)."""
        ...


class ManualClock:
    """A clock that only moves when :meth:`advance` is called."""

    def __init__(self, start: float = MANUAL_EPOCH) -> None:
        self._start = start
        self._now = start
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Go back to the start time, so a reset emulator repeats a run exactly."""
        with self._lock:
            self._now = self._start

    def now(self) -> float:
        """Return the current emulator time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move emulator time forward.

        Raises:
            ValueError: ``seconds`` is negative (time never goes back) or not finite.
        """
        _check_advance(seconds)
        with self._lock:
            self._now += seconds

    def restore(self, now: float) -> None:
        """Set the time a saved state was at (a reset still goes back to the start)."""
        with self._lock:
            self._now = now


class ScaledClock:
    """Real time, running ``speed`` times faster, plus whatever :meth:`advance` added."""

    def __init__(
        self,
        speed: float = 1.0,
        *,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be a positive finite number, not {speed!r}")
        self._speed = speed
        self._start = time.time() if start is None else start
        self._monotonic = monotonic
        self._mono0 = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Drop what :meth:`advance` added; real time keeps running."""
        with self._lock:
            self._offset = 0.0

    def now(self) -> float:
        """Return the current emulator time."""
        elapsed = self._monotonic() - self._mono0
        with self._lock:
            return self._start + elapsed * self._speed + self._offset

    def advance(self, seconds: float) -> None:
        """Jump emulator time forward on top of its running speed.

        Raises:
            ValueError: ``seconds`` is negative (time never goes back) or not finite.
        """
        _check_advance(seconds)
        with self._lock:
            self._offset += seconds

    @property
    def speed(self) -> float:
        """How many times faster than real time the clock runs."""
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Run at another speed from now on; the time it reads now does not jump.

        Raises:
            ValueError: ``speed`` is not a positive finite number.
        """
        if not (isinstance(speed, int | float) and speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be a positive finite number, not {speed!r}")
        with self._lock:
            mono = self._monotonic()
            self._start += (mono - self._mono0) * self._speed
            self._mono0 = mono
            self._speed = speed

    def restore(self, now: float) -> None:
        """Go on from the time a saved state was at, at the same speed."""
        with self._lock:
            self._start = now
            self._mono0 = self._monotonic()
            self._offset = 0.0
