"""The poll schedule and the wait deadline, as pure values.

Rule of this module: it never sleeps and never reads a clock. :func:`poll_delays` is a
pure generator of delays (first 1 s, x1.5, each jittered ±20 % with an injected
``random.Random`` and never longer than the 15 s cap) and :class:`Deadline` decides,
from times it is handed, how long the next sleep may be. The flows in ``_waits`` and
``_log_stream`` turn those decisions into ``Sleep``/``Now`` effects.

Why these numbers: the vendor's example polled every 2 s forever (300 getBuild calls
for a 10-minute build). Growing to 15 s brings that under 50 while a short build is
still noticed within about a second, and capping the jittered delay keeps the worst-case
detection lag at 15 s; the jitter keeps many waiting clients from polling in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TypeVar

import attrs

from ._flow import Flow, Now, Sleep
from .errors import APIConnectionError, InternalServerError, RateLimitError

T = TypeVar("T")

FIRST_DELAY = 1.0
"""Seconds before the first poll."""
FACTOR = 1.5
"""Each delay is this many times the previous one, until :data:`MAX_DELAY`."""
MAX_DELAY = 15.0
"""Cap of every delay, jittered or not: the longest a state change can go unseen."""
JITTER = 0.2
"""Each delay is multiplied by a uniform factor in ``[1 - JITTER, 1 + JITTER]``."""

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    APIConnectionError,  # includes APITimeoutError
    RateLimitError,
    InternalServerError,
)
"""Errors that waits and follow mode retry on their schedule instead of raising (what is
left after the request's own retries gave up)."""

BUILD_TIMEOUT = 1800.0
"""Default deadline of ``images.wait_for_build`` (30 min)."""
VM_STATE_TIMEOUT = 300.0
"""Default deadline of ``vms.wait_for_state`` (5 min)."""
POOL_START_TIMEOUT = 300.0
"""Seconds a VM handed out by a cached-VM pool may take to reach ``started`` (default)."""


@attrs.frozen
class PollSchedule:
    """The shape of a poll schedule; the defaults are the house policy.

    Attributes:
        first: Un-jittered first delay in seconds.
        factor: Growth factor between consecutive delays.
        cap: Largest delay (after jitter).
        jitter: Relative jitter, ``0.2`` meaning ±20 %.
    """

    first: float = FIRST_DELAY
    factor: float = FACTOR
    cap: float = MAX_DELAY
    jitter: float = JITTER

    def delays(self, rng: random.Random) -> Iterator[float]:
        """Return the endless sequence of jittered delays for this schedule."""
        return poll_delays(
            rng, first=self.first, factor=self.factor, cap=self.cap, jitter=self.jitter
        )


DEFAULT_SCHEDULE = PollSchedule()


def poll_delays(
    rng: random.Random,
    *,
    first: float = FIRST_DELAY,
    factor: float = FACTOR,
    cap: float = MAX_DELAY,
    jitter: float = JITTER,
) -> Iterator[float]:
    """Yield poll delays forever: ``first``, x``factor`` up to ``cap``, each jittered.

    Each delay is the base times a uniform factor in ``[1 - jitter, 1 + jitter]``, then
    limited to ``cap``: below the cap the mean delay is the base, and no gap between two
    polls ever exceeds ``cap``, so a state change is seen at most ``cap`` seconds late
    (the jitter above the cap would otherwise stretch that to ``cap x (1 + jitter)``).
    At the cap half the delays are exactly ``cap`` and half spread below it, which still
    drifts clients that started together apart, at a mean of ``cap x (1 - jitter / 4)``.

    Args:
        rng: Source of the jitter (inject a seeded ``random.Random`` for determinism).
        first: Un-jittered first delay in seconds.
        factor: Growth factor between consecutive delays.
        cap: Largest delay (after jitter).
        jitter: Relative jitter in ``[0, 1)``.

    Yields:
        Delays in seconds, each > 0.
    """
    base = first
    while True:
        yield min(base * rng.uniform(1.0 - jitter, 1.0 + jitter), cap)
        base = min(base * factor, cap)


@attrs.frozen
class Deadline:
    """A wall-clock limit on a wait, measured on the injected monotonic clock.

    Attributes:
        start: Monotonic time at which the wait began.
        timeout: Seconds allowed, or ``None`` to wait forever.
    """

    start: float
    timeout: float | None

    def elapsed(self, now: float) -> float:
        """Seconds since the wait began."""
        return now - self.start

    def expired(self, now: float) -> bool:
        """True when no time is left (never, without a timeout)."""
        return self.timeout is not None and now - self.start >= self.timeout

    def clip(self, delay: float, now: float) -> float | None:
        """Return how long the next sleep may be, or ``None`` if none may start.

        A sleep never ends past the deadline: a planned delay longer than the time left
        is shortened to end exactly at the deadline (so the caller gets one last look at
        the deadline itself rather than giving up early), and once no time is left the
        answer is ``None``.
        """
        if self.timeout is None:
            return delay
        left = self.start + self.timeout - now
        if left <= 0:
            return None
        return min(delay, left)


class DeadlineReached(Exception):
    """A request inside a wait wanted to sleep past the wait's deadline.

    The sleep is a retry's backoff or ``Retry-After``. Internal: the wait turns it into
    one more look or a timeout.
    """


def bounded(flow: Flow[T], deadline: Deadline) -> Flow[T]:
    """Run ``flow`` (requests with their own retries) inside a wait's deadline.

    Every effect passes through, except a ``Sleep`` that would end past the deadline:
    then ``flow`` is closed and :class:`DeadlineReached` raised, so no sleep started
    during a wait ever outlasts it, including the request layer's own retry sleeps.
    """
    if deadline.timeout is None:
        return (yield from flow)
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Sleep):
                now = yield Now()
                if deadline.clip(effect.seconds, now) != effect.seconds:
                    raise DeadlineReached(
                        f"a retry would sleep {effect.seconds:.1f}s, past the wait's deadline"
                    )
            try:
                reply = yield effect
            except GeneratorExit:
                raise
            except BaseException as exc:
                effect = flow.throw(exc)
            else:
                effect = flow.send(reply)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


def new_rng() -> random.Random:
    """The jitter source the resources use for a wait (a module function so tests can pin it)."""
    return random.Random()
