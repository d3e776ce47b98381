"""The retry policy: one pure decision, ``(operation, attempt, outcome) -> delay or None``.

Nothing here sleeps or reads a clock; randomness and the wall-clock time (only needed for
an HTTP-date ``Retry-After``) come in as arguments. Both clients use this module through
the request flow in ``_request``; which class an operation belongs to is a column of the
operation table (``_operations``).

Which requests may be repeated is the whole point: GETs and the
state-transition POSTs are safe to resend; a POST that creates something (a build, an
image, a VM) is resent only when the server certainly never saw it, or refused it with
429, because a duplicate VM or build costs the user money.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

from ._operations import OPERATIONS, Retry

BACKOFF_BASE: Final = 0.5
"""Seconds; the first retry waits up to this long."""
BACKOFF_CAP: Final = 8.0
"""Seconds; no backoff delay is longer than this."""
RETRY_AFTER_CAP: Final = 120.0
"""Seconds; a longer ``Retry-After`` is not waited for: the error is raised instead."""

RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})

SAFE_OPERATIONS: Final = frozenset(op for op, row in OPERATIONS.items() if row.retry is Retry.SAFE)
"""Operations that may be resent after any retryable failure (from the operation table)."""

CREATING_OPERATIONS: Final = frozenset(
    op for op, row in OPERATIONS.items() if row.retry is Retry.CREATING
)
"""Operations resent only if the request never reached the server, or on 429."""


def is_safe(operation: str) -> bool:
    """Whether ``operation`` may be resent after any retryable failure (table lookup)."""
    row = OPERATIONS.get(operation)
    return row is not None and row.retry is Retry.SAFE


Outcome = httpx.Response | httpx.HTTPError
"""What an attempt produced: a response with a non-2xx status, or the httpx error."""

# httpx errors raised before a single byte of the request left: the connection was never
# made (refused, connect or pool timeout) or the URL cannot be sent at all (a scheme httpx
# does not speak). Resending cannot duplicate anything, and no answer was lost.
_NEVER_LEFT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)
# httpx errors worth another try (not e.g. UnsupportedProtocol, which fails the same way).
_TRANSIENT_ERRORS: Final = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


def never_left(outcome: Outcome) -> bool:
    """Whether the request of this attempt certainly never reached the server.

    The one definition of "the request never left": a creating operation is resent only
    then (or on 429), and a failure is marked ``maybe_created`` only when it is false.

    Args:
        outcome: The response or the httpx error of one attempt.

    Returns:
        True for an httpx error raised before the request was sent; False for a
        response (the server answered) and for any error raised once it may have gone
        out (a read or write error or timeout, a broken answer).
    """
    return isinstance(outcome, _NEVER_LEFT)


def backoff_delay(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in ``[0, min(cap, base * 2**(attempt-1))]``."""
    # The exponent is bounded: 2.0 ** 1024 overflows, and max_retries may be huge
    # ("retry forever"); 2 ** 64 is far past the cap anyway.
    return rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(attempt - 1, 64))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date).

    Args:
        value: The header value.
        now: Current Unix time, needed only for an HTTP date.

    Returns:
        Seconds (>= 0), or ``None`` if absent or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def is_retryable(operation: str, outcome: Outcome) -> bool:
    """Whether ``outcome`` of ``operation`` may be retried at all (ignoring the budget)."""
    if isinstance(outcome, httpx.Response):
        if outcome.status_code not in RETRYABLE_STATUSES:
            return False
        return is_safe(operation) or outcome.status_code == 429
    if not isinstance(outcome, _TRANSIENT_ERRORS):
        return False
    return is_safe(operation) or never_left(outcome)


def retry_delay(
    operation: str,
    attempt: int,
    outcome: Outcome,
    *,
    max_retries: int,
    rng: Callable[[], float] = random.random,
    now: float | None = None,
) -> float | None:
    """Decide whether to retry after attempt number ``attempt`` (1-based) failed.

    Args:
        operation: The operationId.
        attempt: Which attempt just failed; ``1`` is the first request.
        outcome: The non-2xx response or the httpx error of that attempt.
        max_retries: Retries allowed after the first attempt (0 disables).
        rng: Uniform random numbers in ``[0, 1)`` for jitter.
        now: Current Unix time, for a ``Retry-After`` HTTP date.

    Returns:
        Seconds to wait before the next attempt, or ``None`` to give up now.
    """
    if attempt > max_retries or not is_retryable(operation, outcome):
        return None
    if isinstance(outcome, httpx.Response):
        retry_after = parse_retry_after(outcome.headers.get("Retry-After"), now)
        if retry_after is not None:
            # Waiting minutes inside a call looks like a hang; let the caller decide.
            return retry_after if retry_after <= RETRY_AFTER_CAP else None
    return backoff_delay(attempt, rng)
