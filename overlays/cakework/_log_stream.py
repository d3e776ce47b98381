"""The one log-reading core: paging, ``max_items``, follow mode and the resume position.

Rule of this module: :class:`LogStream` is the buffered log reader of builds, VMs and
cached VMs; its only I/O is the flow returned by ``fill()``. The next request comes from
the cursor (``_cursors.LogCursor``), the follow dedupe from the window
(``_log_window.FollowWindow``).

Follow mode (``tail -f``): once a query is drained, a new query asks for lines from the
start of the second of the newest line seen (``from`` is sent at whole seconds, the
coarsest resolution a Logtail-style ``from`` may have, so the window is a superset of
anything new whatever the server's resolution). Lines in that window come back again and
are recognised by the window. The stream ends once the resource is finished (build
terminal, VM stopped/destroyed) and the lines written until then are drained.

Assumption (true of the emulator, and of a log store that indexes lines as written): a line
becomes readable no later than lines with a later timestamp. A line that showed up late
with a timestamp before the newest delivered line's second would not be seen by follow.
"""

from __future__ import annotations

import logging
import operator
import random
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeAlias

import attrs

from . import _validate as check
from ._cursors import LogCursor
from ._flow import Flow, Sleep
from ._log_window import FollowWindow
from ._models import LogLine, LogPage
from ._pages import LogBatch, LogPosition, LogRequest, format_log_time
from ._polling import TRANSIENT_ERRORS, PollSchedule
from .errors import InvalidParameterError

logger = logging.getLogger("cakework")


FOLLOW_SCHEDULE = PollSchedule(first=1.0, factor=1.5, cap=5.0, jitter=0.2)
"""Poll schedule of follow mode: like waiting, but capped at 5 s so output stays live.
It restarts at the first delay whenever new lines arrive."""

_EMPTY = LogBatch((), (), ())


def _format_second(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


FetchLogs: TypeAlias = Callable[[LogRequest], Flow[LogBatch | LogPage]]
IsFinished: TypeAlias = Callable[[], Flow[bool]]


class LogStream:
    """The one log-reading core: paging, ``max_items``, follow mode, resume position.

    Memory is one page of lines plus the follow window (lines of one second).

    The work is per page, not per line, wherever lines need no check: a page's lines go
    out through :meth:`run` (or :meth:`pop`) with nothing done per line, and the window
    and ``max_items`` catch up with what went out when the page ends or the position is
    asked for (:meth:`_sync`). Only the lines of a follow poll are checked one by one
    against the window.

    Args:
        fetch: Returns the flow that fetches one page for a request.
        first: The first request.
        max_items: Stop after this many lines (``None``: no limit).
        follow: In follow mode, the flow telling whether the resource is finished
            (build terminal, VM stopped); ``None`` reads what exists and stops.
        rng: Jitter source of the follow schedule.
        schedule: The follow poll schedule.
        offset: Lines of the first answer to skip (from a :class:`LogPosition`).
    """

    def __init__(
        self,
        fetch: FetchLogs,
        first: LogRequest,
        *,
        max_items: int | None = None,
        follow: IsFinished | None = None,
        rng: random.Random | None = None,
        schedule: PollSchedule = FOLLOW_SCHEDULE,
        offset: int = 0,
    ) -> None:
        if follow is not None and first.order != "oldest_first":
            raise ValueError("follow mode reads oldest_first")
        self._fetch = fetch
        self._base = attrs.evolve(first, pagination=None)
        self._cursor = LogCursor(first)
        self._remaining = max_items
        self._follow = follow
        self._rng = rng if rng is not None else random.Random()
        self._schedule = schedule
        self._delays = schedule.delays(self._rng)
        self._skip = offset
        self._batch = _EMPTY
        self._page_request: LogRequest | None = None
        self._index = 0
        # The fast path hands out rows _index to _run_end of the batch with no
        # bookkeeping per line: _run iterates over those rows (shared by pop() and
        # run()), _run_left tells how many of them are left, and _sync() brings _index
        # up to it and accounts for the lines from _synced on (window, max_items).
        # _run_end is -1 while there is no run.
        self._run: Iterator[Any] = iter(())
        self._run_left: Iterator[Any] = iter(())
        self._run_end = -1
        self._synced = 0
        self._head: LogLine | None = None
        self._window = FollowWindow()
        # Only an oldest_first read (also every follow) consults the window: its position
        # after running dry, and follow polls. Any other read skips the accounting.
        self._tracks_window = first.order == "oldest_first"
        # The first query is trusted as the server pages it; only follow polls (which
        # deliberately re-read the boundary second) are deduplicated.
        self._dedupe = False
        self._followed = False  # True once the first status check happened
        self._following = False  # True once the first read is drained and following began
        self._final = False  # the resource is finished: this is the last drain
        self._fresh_lines = False
        self._closed = False
        self.finished = False
        """True once the stream has nothing more to give."""

    # -- pure part ------------------------------------------------------------------

    def close(self) -> None:
        """Stop the stream now; buffered lines are dropped.

        Also for a reader in the middle of :meth:`run`: the run it holds ends with the
        next step, so ``close()`` inside a ``for`` loop ends that loop.
        """
        self._sync()
        # The rows of a run are drawn from _run_left first: once it is empty, every
        # iterator over the run (a reader's included) is exhausted.
        deque(self._run_left, maxlen=0)
        self._closed = True
        self._open_fast_path()
        self.finished = True
        self._batch = _EMPTY
        self._head = None

    def pop(self) -> LogLine | None:
        """Return the next line, or ``None`` when the buffer holds no more."""
        row = next(self._run, None)
        if row is not None:
            return self._batch.make(row)
        return self._pop_one()

    def run(self) -> Iterator[LogLine]:
        """The buffered lines that need no check, one by one, each counted as delivered.

        An iterator of C code only (over the shared index run, each line made as it goes
        out): a driver yields from it and calls :meth:`pop` once it is exhausted.
        """
        return self._batch.take(self._run)

    def _pop_one(self) -> LogLine | None:
        # Past the fast path: follow polls (each line checked against the window) and
        # page ends.
        self._sync()
        line = self._peek()
        if line is None:
            return None
        self._head = None
        self._index += 1
        if self._remaining is not None:
            self._remaining -= 1
        if self._tracks_window:
            self._window.record(line)
        self._fresh_lines = True
        self._synced = self._index
        self._open_fast_path()
        return line

    def _open_fast_path(self) -> None:
        """Let pop() hand out the rest of the page as is, unless lines need checking."""
        if self._dedupe or self._closed or self._head is not None:
            self._run, self._run_left, self._run_end = iter(()), iter(()), -1
            return
        end = len(self._batch)
        if self._remaining is not None:
            end = min(end, self._index + self._remaining)
        self._run, self._run_left = self._batch.run(self._index, end)
        self._run_end = end

    def _sync(self) -> None:
        """Account for the lines the fast path handed out: max_items and the window."""
        if self._run_end >= 0:
            self._index = self._run_end - operator.length_hint(self._run_left)
        start, end = self._synced, self._index
        if end > start:
            if self._remaining is not None:
                self._remaining -= end - start
            if self._tracks_window:
                self._window.record_many(self._batch, start, end)
            self._fresh_lines = True
        self._synced = end

    def _peek(self) -> LogLine | None:
        if self._closed or self._remaining == 0:
            return None
        if self._head is not None:
            return self._head
        batch = self._batch
        if not self._dedupe:
            return batch.line(self._index) if self._index < len(batch) else None
        while self._index < len(batch):
            line = batch.line(self._index)
            # is_new counts the sighting: the verdict is kept until the line is popped.
            if self._window.is_new(line):
                self._head = line
                return line
            # Passed over, not delivered: nothing for _sync() to account for.
            self._index += 1
            self._synced = self._index
        return None

    @property
    def position(self) -> LogPosition | None:
        """Where to continue later, or ``None`` when nothing can follow.

        Inside a page: that page's request and the lines of it already delivered. At a
        page boundary: the next request. After an ``oldest_first`` read ran dry: a query
        from the newest line's second, skipping the lines of that second already
        delivered, so a later read gets only lines written since.
        """
        self._sync()
        if self._page_request is not None and self._index < len(self._batch):
            return LogPosition(self._page_request, self._index)
        if self._cursor.request is not None:
            return LogPosition(self._cursor.request, self._skip)
        if self._base.order == "oldest_first" and self._window.start is not None:
            return LogPosition(self._poll_request(), sum(self._window.counts.values()))
        return None

    def _poll_request(self) -> LogRequest:
        start = self._window.start
        if start is None:
            return self._base
        return attrs.evolve(self._base, from_=_format_second(start))

    def _take_page(self, request: LogRequest, page: LogBatch | LogPage) -> None:
        self._sync()
        batch = LogBatch.of_page(page)
        self._cursor.update(batch)
        self._page_request = request
        self._batch = batch
        self._index = 0
        if self._skip:
            self._index = min(self._skip, len(batch))
            self._skip = 0
        self._synced = self._index
        self._open_fast_path()

    # -- the flow ---------------------------------------------------------------------

    def fill(self) -> Flow[bool]:
        """Fetch until a line is buffered (``True``) or the stream is finished (``False``)."""
        self._sync()
        while True:
            if self._peek() is not None:
                return True
            if self._closed or self._remaining == 0:
                self.finished = True
                return False
            request = self._cursor.request
            if request is not None:
                try:
                    page = yield from self._fetch(request)
                except TRANSIENT_ERRORS as exc:
                    if not self._following:
                        raise
                    # A tail -f outlives short outages: the same request is sent again
                    # after the next follow delay (the cursor has not moved).
                    logger.warning("following logs: %s; retrying", exc)
                    yield Sleep(next(self._delays))
                    continue
                self._take_page(request, page)
                continue
            if self._follow is None or self._final:
                self.finished = True
                return False
            yield from self._follow_step(self._follow)

    def _follow_step(self, is_finished: IsFinished) -> Flow[None]:
        # From the first status check on, a tail -f outlives short outages; errors of the
        # first read still reach the caller at once.
        self._following = True
        if self._followed:
            if self._fresh_lines:
                self._delays = self._schedule.delays(self._rng)
            self._fresh_lines = False
            yield Sleep(next(self._delays))
        # Status first, lines after: every line written before the resource finished
        # is then in the drain that follows.
        try:
            self._final = yield from is_finished()
        except TRANSIENT_ERRORS as exc:
            logger.warning("following logs: status check failed: %s; retrying", exc)
            self._final = False
        self._followed = True
        self.poll_again()

    def poll_again(self) -> None:
        """Start a new query for lines newer than those delivered (one follow poll).

        The query asks from the second of the newest line delivered; lines of that
        second already delivered are recognised and skipped (see the module docstring).
        """
        if not self._tracks_window:
            raise ValueError("polling again reads oldest_first")
        if self._closed:
            return
        self._sync()
        self._cursor = LogCursor(self._poll_request())
        self._dedupe = True
        self._window.new_poll()
        self._page_request = None
        self._batch = _EMPTY
        self._index = 0
        self._synced = 0
        self._head = None
        self._open_fast_path()
        self.finished = False


def open_log_stream(
    fetch: FetchLogs,
    is_finished: Callable[[], Flow[bool]],
    *,
    query: str | None,
    order: str,
    batch: int | None,
    since: datetime | str | None,
    until: datetime | str | None,
    max_items: int | None,
    follow: bool,
    cursor: LogPosition | None,
    rng: random.Random,
) -> LogStream:
    """Check the arguments of ``build_logs``/``logs`` (once) and build the one log core."""
    check.one_of("order", order, check.LOG_ORDERS)
    check.int_in_range("batch", batch, check.BATCH_RANGE)
    check.log_query(query)
    check.flag("follow", follow)
    if cursor is not None and not isinstance(cursor, LogPosition):
        raise InvalidParameterError("cursor", cursor, "a LogPosition (an iterator's .cursor)")
    check.max_items(max_items)
    check.window_time("since", since)
    check.window_time("until", until)
    if follow and order != "oldest_first":
        raise InvalidParameterError("order", order, "'oldest_first' when follow=True")
    if cursor is not None:
        if cursor.request.order != "oldest_first" and follow:
            raise InvalidParameterError("cursor", cursor, "an oldest_first cursor to follow")
        first, offset = cursor.request, cursor.offset
    else:
        first = LogRequest(
            query=query,
            batch=batch,
            order=order,
            from_=format_log_time(since),
            to=format_log_time(until),
        )
        offset = 0
    return LogStream(
        fetch,
        first,
        max_items=max_items,
        follow=is_finished if follow else None,
        rng=rng,
        offset=offset,
    )
