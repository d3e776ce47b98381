"""Logtail-style log paging, as ``api-ground-truth.md`` describes it.

Rules reproduced here: ``query`` is a case-insensitive substring filter; ``batch`` lines
per page; ``order`` ``oldest_first`` | ``newest_first``; ``from``/``to`` bound the window.
A page that has more after it carries ``pagination`` plus ``from``/``to`` echo values in
the ``2023-03-07 06:12:56 UTC`` shape; the next request must repeat ``query``, ``batch``
and ``order`` and send all three back verbatim, otherwise it is a 409 (a cursor that does
not belong to the request is a conflict with the read it continues; openapi.yaml cannot
state the rule in a schema, so a schema-valid request must not get a 400 for it).

The cursor encodes a *position* (timestamp and index of the last line sent), never only a
time, so many lines within one millisecond never make a page boundary skip or repeat a
line. With ``quirk=True`` the real service's bug is reproduced: a cursor also comes back
on the last page, and an empty page hands back the very cursor it was sent.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import math
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

import attrs
from dateutil import parser as dateparser

from ._errors import EmulatorError

Order = Literal["oldest_first", "newest_first"]
DEFAULT_BATCH = 100
_ECHO_SHAPE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC$")
# Positions before the first / after the last line, for a cursor on an empty page.
_BEFORE_ALL = (-1, -1)
_AFTER_ALL = (2**62, 2**62)


@attrs.frozen
class Line:
    """One log line as the service stores it."""

    timestamp_ms: int
    level: str
    message: str


@attrs.frozen
class LogRequest:
    """The query parameters of one getBuildLogs/getVMLogs request."""

    query: str | None = None
    batch: int = DEFAULT_BATCH
    order: Order = "oldest_first"
    pagination: str | None = None
    from_: str | None = None
    to: str | None = None


@attrs.frozen
class LogPage:
    """One page of lines, with the continuation values when there is one."""

    lines: tuple[Line, ...]
    pagination: str | None = None
    from_: str | None = None
    to: str | None = None


def format_echo(seconds: int) -> str:
    """Format a window bound the way the service echoes it: ``2023-03-07 06:12:56 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def parse_bound(name: str, value: str) -> int:
    """Parse a ``from``/``to`` value (an echo value or ISO 8601) into whole epoch seconds.

    Raises:
        EmulatorError: 400, the value is not a time.
    """
    match = _ECHO_SHAPE.match(value)
    if match:
        # ``datetime`` checks the fields (``timegm`` would roll Feb 30 into March).
        try:
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            parsed = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except (ValueError, OverflowError) as exc:
            raise EmulatorError(400, f"{name}: {value!r} is not a valid time") from exc
        return calendar.timegm(parsed.utctimetuple())
    try:
        # ISO 8601 only: a fuzzy parser fills what is missing from today's real date, so
        # the same request would select different lines on another day.
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError) as exc:
        raise EmulatorError(400, f"{name}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return math.floor(parsed.timestamp())
    except (ValueError, OverflowError) as exc:
        raise EmulatorError(400, f"{name}: {value!r} is out of range") from exc


def _fingerprint(scope: str, request: LogRequest, from_: str, to: str) -> str:
    material = "\0".join((scope, request.query or "", str(request.batch), request.order, from_, to))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _encode_cursor(position: tuple[int, int], fingerprint: str) -> str:
    raw = f"{position[0]}.{position[1]}.{fingerprint}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str, fingerprint: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        ts, index, sent_fingerprint = raw.split(".")
        position = (int(ts), int(index))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise EmulatorError(409, "pagination: not a cursor this service issued") from exc
    if sent_fingerprint != fingerprint:
        raise EmulatorError(
            409,
            "pagination: the cursor was issued for a different query, batch, order, from or "
            "to; repeat them unchanged and send pagination, from and to back verbatim",
        )
    return position


def page_logs(
    lines: Sequence[Line],
    request: LogRequest,
    *,
    scope: str,
    start: float,
    now: float,
    quirk: bool = False,
) -> LogPage:
    """Answer one log request over a resource's lines.

    Args:
        lines: Every line of the resource so far, in the order it wrote them.
        request: The request's parameters.
        scope: Id of the resource; a cursor is only valid for the resource it came from.
        start: When the resource was created (the default start of the window).
        now: The current emulator time (the default end of the window).
        quirk: Reproduce the cursor-on-the-last-page quirk.

    Returns:
        The page.

    Raises:
        EmulatorError: 400 for an unparseable ``from``/``to``; 409 for a cursor that does
            not belong to this request.
    """
    if request.pagination is not None:
        if request.from_ is None or request.to is None:
            raise EmulatorError(409, "pagination must be sent together with from and to")
        from_echo, to_echo = request.from_, request.to
    else:
        from_s = (
            parse_bound("from", request.from_) if request.from_ is not None else math.floor(start)
        )
        to_s = parse_bound("to", request.to) if request.to is not None else math.floor(now)
        from_echo, to_echo = format_echo(from_s), format_echo(to_s)
    low_ms = parse_bound("from", from_echo) * 1000
    high_ms = parse_bound("to", to_echo) * 1000 + 999
    fingerprint = _fingerprint(scope, request, from_echo, to_echo)
    newest_first = request.order == "newest_first"
    cursor = (
        _decode_cursor(request.pagination, fingerprint) if request.pagination is not None else None
    )
    needle = request.query.casefold() if request.query else None

    keyed = sorted((line.timestamp_ms, index, line) for index, line in enumerate(lines))
    if newest_first:
        keyed.reverse()
    selected: list[tuple[int, int, Line]] = []
    more = False
    for ts, index, line in keyed:
        if not low_ms <= ts <= high_ms:
            continue
        if needle is not None and needle not in line.message.casefold():
            continue
        if cursor is not None and (
            (ts, index) >= cursor if newest_first else (ts, index) <= cursor
        ):
            continue
        if len(selected) == request.batch:
            more = True
            break
        selected.append((ts, index, line))

    page_lines = tuple(line for _, _, line in selected)
    if more or (quirk and selected):
        last = selected[-1]
        token = _encode_cursor((last[0], last[1]), fingerprint)
    elif quirk:
        # The real service answered the last, empty page with a cursor again; sending
        # it back gives the same empty page and the same cursor, forever.
        position = cursor if cursor is not None else (_AFTER_ALL if newest_first else _BEFORE_ALL)
        token = _encode_cursor(position, fingerprint)
    else:
        return LogPage(lines=page_lines)
    return LogPage(lines=page_lines, pagination=token, from_=from_echo, to=to_echo)
