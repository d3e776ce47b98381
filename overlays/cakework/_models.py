"""The typed models the high-level client returns.

The response models (``Image``, ``Build``, ``VM``, ``CachedVM``, ``VMPage``) are the
msgspec Structs generated from openapi.yaml (``cakework_spec.models``): one decode makes
and checks them, timestamps are timezone-aware UTC datetimes, optional fields are ``None``
rather than ``UNSET``, and state and status values stay plain strings so a value added by
the service never breaks an older client (``api-ground-truth.md``: "unknown values must
not crash"). What is written here is what the spec cannot say: the log line as a named
tuple read a page at a time (:class:`LogLine`, :class:`LogBatch`, :class:`LogPage`), and
:class:`BuildFile`, which hides its content from reprs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import compress, repeat
from typing import NamedTuple, TypeAlias

import attrs

from cakework_spec.models import KNOWN_VM_STATE, VM, Build, CachedVM, Image
from cakework_spec.models import VMList as VMPage

from ._behaviour import BUILD_TERMINAL_STATUSES

__all__ = [
    "BUILD_TERMINAL_STATUSES",
    "VM",
    "VM_STATES",
    "Build",
    "BuildFile",
    "CachedVM",
    "Image",
    "LogBatch",
    "LogLine",
    "LogPage",
    "VMPage",
    "datetime_from_ms",
    "parse_timestamp",
]

VM_STATES = KNOWN_VM_STATE
"""The VM states the API documents (``KnownVMState``), in lifecycle order."""


def parse_timestamp(value: str) -> datetime:
    """Parse any of the three timestamp shapes the service sends into an aware datetime.

    ``2023-02-24 20:29:40.331`` (no zone: UTC), ``2023-03-09T02:43:30.243-08:00`` and
    ``2023-03-03T20:22:39.096Z`` all parse; a value without a zone is taken as UTC. The
    result is always in UTC (``datetime.UTC``), whatever offset was sent, so values from
    different responses compare and print alike.

    Raises:
        ValueError: ``value`` is not a timestamp.
    """
    parsed = _fast_timestamp(value)
    if parsed is None:
        try:
            # isoparse takes any one-character date/time separator, so the space shape
            # too. Never dateutil's free-form parse(): it makes a date out of "5" or
            # "March" instead of reporting a body the spec does not allow.
            from dateutil import parser  # only for shapes the fast path does not know

            parsed = parser.isoparse(value)
        except OverflowError as exc:
            raise ValueError(f"timestamp out of range: {value!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_FAST_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")


def _fast_timestamp(value: str) -> datetime | None:
    """The documented shapes with ``datetime.fromisoformat`` (C code), else ``None``."""
    if not _FAST_SHAPE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None  # e.g. month 13: the general parser reports it


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_from_ms(ms: int) -> datetime:
    """Turn Unix epoch milliseconds into an aware UTC datetime (exact to the millisecond)."""
    return _EPOCH + timedelta(milliseconds=ms)


@attrs.frozen
class BuildFile:
    """One file of a build context: ``dir`` ("." for the root), ``name`` and text ``content``."""

    dir: str
    name: str
    content: str = attrs.field(repr=lambda c: f"<{len(c)} chars>")


class LogLine(NamedTuple):
    """One log line.

    A named tuple rather than an attrs class like the other models: a read brings
    thousands of them, each made from its checked fields by C code alone
    (:class:`LogBatch`), where an ``__init__`` per line would cost more than decoding it.
    Immutable, compared and hashed by value, pickled, printed as
    ``LogLine(timestamp_ms=..., level=..., message=...)``.

    Attributes:
        timestamp_ms: The raw Unix epoch milliseconds the API sent.
        level: Log level, e.g. ``info`` or ``error``.
        message: The text of the line.
    """

    timestamp_ms: int
    level: str
    message: str

    @property
    def timestamp(self) -> datetime:
        """The line's time as an aware UTC datetime."""
        return datetime_from_ms(self.timestamp_ms)


@attrs.frozen
class LogPage:
    """One page of logs with its continuation values, which go back verbatim."""

    lines: tuple[LogLine, ...]
    pagination: str | None = None
    from_: str | None = None
    to: str | None = None


_new_tuple = tuple.__new__

Row: TypeAlias = tuple[int, str, str]
"""A log line's fields, ``(timestamp_ms, level, message)``, as a plain tuple."""


class LogBatch:
    """One page of log lines as a reader takes it in: checked columns, lines made on the way out.

    Internal. A :class:`LogPage` holds its lines as :class:`LogLine` objects; a batch
    holds the page's three fields as three tuples (columns) and makes each ``LogLine``
    only as it is handed out. A page then costs three objects to hold, not a thousand:
    every object the garbage collector tracks (a tuple per line) makes its collections
    run sooner and walk more, while a column of strings or numbers is one object it
    stops walking after one look. A line the caller drops is freed at once.

    Args:
        stamps: ``timestamp_ms`` of each line, checked.
        levels: ``level`` of each line, in the same order.
        messages: ``message`` of each line, in the same order.
        pagination: Continuation token (``None`` on the last page).
        from_: Continuation ``from`` value, sent back verbatim.
        to: Continuation ``to`` value, sent back verbatim.
    """

    __slots__ = ("from_", "levels", "messages", "pagination", "stamps", "to")

    def __init__(
        self,
        stamps: tuple[int, ...],
        levels: tuple[str, ...],
        messages: tuple[str, ...],
        *,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> None:
        self.stamps = stamps
        self.levels = levels
        self.messages = messages
        self.pagination = pagination
        self.from_ = from_
        self.to = to

    @classmethod
    def of_lines(
        cls,
        lines: Sequence[Row],
        *,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> LogBatch:
        """The batch of lines (``LogLine`` objects or plain rows) already checked."""
        stamps, levels, messages = zip(*lines, strict=True) if lines else ((), (), ())
        return cls(stamps, levels, messages, pagination=pagination, from_=from_, to=to)

    @classmethod
    def of_page(cls, page: LogBatch | LogPage) -> LogBatch:
        """The batch of a page whose lines are already ``LogLine`` objects (or ``page``)."""
        if isinstance(page, LogBatch):
            return page
        return cls.of_lines(page.lines, pagination=page.pagination, from_=page.from_, to=page.to)

    def __len__(self) -> int:
        return len(self.stamps)

    def line(self, index: int) -> LogLine:
        """The line at ``index``, made now."""
        return _new_tuple(LogLine, (self.stamps[index], self.levels[index], self.messages[index]))

    def run(self, begin: int, end: int) -> tuple[Iterator[Row], Iterator[int]]:
        """The rows ``begin`` to ``end``, and how far a reader of them got.

        Returns:
            An iterator over the rows, and the iterator over their timestamps that it
            draws on first: ``operator.length_hint`` of that one tells how many rows are
            left. (``zip`` hands out one tuple it reuses when nobody keeps it, so a row
            costs no allocation of its own.)
        """
        left = iter(self.stamps[begin:end])
        # Not strict: LogStream.close() ends a run by emptying ``left`` alone.
        rows = zip(left, self.levels[begin:end], self.messages[begin:end], strict=False)
        return rows, left

    @staticmethod
    def take(rows: Iterator[Row]) -> Iterator[LogLine]:
        """The lines of ``rows`` (from :meth:`run`), each made as it is asked for.

        C code only, and nothing is kept per line.
        """
        return map(_new_tuple, repeat(LogLine), rows)

    @staticmethod
    def make(row: Row) -> LogLine:
        """The line of one row."""
        return _new_tuple(LogLine, row)

    def all_lines(self) -> tuple[LogLine, ...]:
        """Every line, made now."""
        return tuple(self.take(zip(self.stamps, self.levels, self.messages, strict=True)))

    def page(self) -> LogPage:
        """The public :class:`LogPage`: every line made, continuation values as sent."""
        return LogPage(self.all_lines(), self.pagination, self.from_, self.to)

    def newest(self, begin: int, end: int) -> int:
        """The largest ``timestamp_ms`` among rows ``begin`` to ``end`` (not empty)."""
        return max(self.stamps[begin:end])

    def keys_since(self, start_ms: int, begin: int, end: int) -> Iterator[Row]:
        """The rows ``begin`` to ``end`` from ``start_ms`` on.

        A row is equal (and hashed alike) to the ``LogLine`` it would become, which is
        what the follow window counts.
        """
        stamps = self.stamps[begin:end]
        rows = zip(stamps, self.levels[begin:end], self.messages[begin:end], strict=True)
        return compress(rows, map(start_ms.__le__, stamps))
