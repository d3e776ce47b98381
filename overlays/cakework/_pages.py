"""One page of a paged read: the request that asks for it and the batch it answers with.

Rule of this module: these are values (no I/O, no decisions). A request travels down from
the resource method to the operation table's builder; a page comes back up from the
table's parser as a :class:`LogBatch` and is read by the log stream (``_log_stream``).
:class:`LogPosition` is where a read stopped, a request plus the lines of its answer
already delivered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import compress, repeat
from typing import Any, TypeAlias

import attrs

from ._models import LogLine, LogPage


def format_log_time(value: datetime | str | None) -> str | None:
    """Turn a ``since``/``until`` argument into the ``from``/``to`` query value.

    Strings go through untouched (they may be values the API returned, which must stay
    verbatim); datetimes become ISO 8601 in UTC as the docs show
    (``2022-07-19T13:32:56.123+00:00``); a naive datetime is taken as UTC.
    """
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


@attrs.frozen
class LogRequest:
    """The query parameters of one getBuildLogs/getVMLogs request.

    Attributes:
        query: Case-insensitive substring filter.
        batch: Lines per page (50-1000), ``None`` for the server default.
        order: ``oldest_first`` or ``newest_first`` (``None``: not sent, the server's
            default, which is ``oldest_first``).
        pagination: Continuation token from the previous page.
        from_: Start of the window (the previous page's ``from`` when continuing).
        to: End of the window (the previous page's ``to`` when continuing).
    """

    query: str | None = None
    batch: int | None = None
    order: str | None = "oldest_first"
    pagination: str | None = None
    from_: str | None = None
    to: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Api.get_build_logs`` / ``Api.get_vm_logs``."""
        return {
            "query": self.query,
            "batch": self.batch,
            "order": self.order,
            "pagination": self.pagination,
            "from_": self.from_,
            "to": self.to,
        }


@attrs.frozen
class VMListRequest:
    """The query parameters of one listVMs request."""

    image_id: str | None = None
    status: str | None = None
    pagination: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Api.list_vms``."""
        return {"image_id": self.image_id, "status": self.status, "pagination": self.pagination}


@attrs.frozen
class LogPosition:
    """Where a log read stopped, to continue later from there.

    Pass it as ``cursor=`` to ``build_logs``/``logs`` (the query, batch, order and window
    travel inside it). ``offset`` lines at the start of the answer to ``request`` were
    already delivered and are skipped.

    Attributes:
        request: The request to send first when continuing.
        offset: Lines of its answer already delivered.
    """

    request: LogRequest
    offset: int = 0


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
