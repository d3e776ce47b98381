"""Log and VM-list pagination, follow mode, and the public iterators that drive them.

Rule of this module: the continuation logic lives once, in :class:`LogCursor` /
:class:`VMListCursor` (a pure ``update(page)`` that decides the next request or stop) and
in :class:`LogStream` / :class:`VMListStream` (the buffered reader with follow mode,
whose only I/O is the flow returned by ``fill()``). The public iterators
(``_async/iterators.py`` and its generated twin) are thin drivers: they pop buffered
items and, when the buffer is empty, run one ``fill()`` flow through the client's pump.

Continuation rule (``api-ground-truth.md``, openapi.yaml ``getBuildLogs``): the next page
is requested with the same ``query``/``batch``/``order`` and the returned ``pagination``,
``from`` and ``to`` sent back verbatim. Reading stops on a missing cursor, an empty page,
or a cursor already sent — the real service returned a cursor on its last, even empty,
page and clients that simply followed it did not terminate.

Follow mode (``tail -f``): once a query is drained, a new query asks for lines from the
start of the second of the newest line seen (``from`` is sent at whole seconds, the
coarsest resolution a Logtail-style ``from`` may have, so the window is a superset of
anything new whatever the server's resolution). Lines in that window come back again;
they are recognised by counting occurrences of ``(timestamp, level, message)`` within the
window: the *n*-th occurrence of a key is new exactly when fewer than *n* were yielded
before. That is exact even for identical lines in the same millisecond, and the state is
bounded by the lines of one second. The stream ends once the resource is finished (build
terminal, VM stopped/destroyed) and the lines written until then are drained.

Assumption (true of the emulator, and of a log store that indexes lines as written): a line
becomes readable no later than lines with a later timestamp. A line that showed up late
with a timestamp before the newest delivered line's second would not be seen by follow.
"""

from __future__ import annotations

import logging
import operator
import random
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import attrs

from . import _validate as check
from ._flow import AsyncRunner, Flow, Runner, Sleep
from ._models import VM, LogBatch, LogLine, LogPage, VMPage
from ._polling import TRANSIENT_ERRORS, PollSchedule
from .errors import InvalidParameterError, PaginationError

logger = logging.getLogger("cakework")

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


FOLLOW_SCHEDULE = PollSchedule(first=1.0, factor=1.5, cap=5.0, jitter=0.2)
"""Poll schedule of follow mode: like waiting, but capped at 5 s so output stays live.
It restarts at the first delay whenever new lines arrive."""

_KeyT: TypeAlias = tuple[int, str, str]
_EMPTY = LogBatch((), (), ())


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


def _second_start(ms: int) -> int:
    return ms - ms % 1000


def _format_second(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


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


class StopRules:
    """The stop rules every paged read shares (``api-ground-truth.md``, "Logs").

    Reading stops on a missing cursor, an empty page, or a cursor already sent; the
    last catches a cycle of any length, not only A -> A. One short string per page is
    kept, tiny next to what was read.
    """

    def __init__(self, first: str | None) -> None:
        self._sent: set[str] = {first} if first else set()

    def check(self, token: str | None, *, empty: bool) -> str | None:
        """Why reading must stop after a page, or ``None`` (``token`` is then recorded).

        Args:
            token: The page's continuation token. ``""`` counts as none: the spec's
                ``pagination`` parameter has minLength 1, so sending it back would be
                refused (400) in the middle of the read.
            empty: The page had no items.

        Returns:
            ``"no cursor"``, ``"empty page"``, ``"repeated cursor"`` or ``None``.
        """
        if not token:
            return "no cursor"
        if empty:
            return "empty page"
        if token in self._sent:
            return "repeated cursor"
        self._sent.add(token)
        return None


class LogCursor:
    """Continuation state of one paged log query.

    ``request`` is the next request to send, or ``None`` once the query is finished;
    :meth:`update` is pure (no I/O) and is the only place the continuation rule lives.

    Attributes:
        request: The next request, or ``None`` when reading must stop.
        stop_reason: Why reading stopped: ``"no cursor"``, ``"empty page"`` or
            ``"repeated cursor"`` (``None`` while running).
    """

    def __init__(self, first: LogRequest) -> None:
        self.request: LogRequest | None = first
        self.stop_reason: str | None = None
        self._rules = StopRules(first.pagination)

    def update(self, page: LogBatch | LogPage) -> LogRequest | None:
        """Record the page answering :attr:`request`; return the next request or ``None``."""
        current = self.request
        if current is None:
            raise PaginationError(f"the cursor stopped ({self.stop_reason}); it cannot advance")
        reason = self._rules.check(page.pagination, empty=len(LogBatch.of_page(page)) == 0)
        if reason is not None or not page.pagination:
            logger.debug("log pagination stops: %s", reason)
            self.request = None
            self.stop_reason = reason
            return None
        # from/to go back exactly as received; the docs always send the three together,
        # and if a server leaves one out the window we asked for is kept.
        self.request = LogRequest(
            query=current.query,
            batch=current.batch,
            order=current.order,
            pagination=page.pagination,
            from_=page.from_ if page.from_ is not None else current.from_,
            to=page.to if page.to is not None else current.to,
        )
        return self.request


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


class _Window:
    """Follow-mode dedupe: occurrences of each line key yielded since ``start`` ms.

    Only lines from ``start`` on are counted: an older line is never asked for again (a
    poll reads from ``start``), and the sum of the counts is how many lines at the head
    of such a poll's answer were delivered already. Every counted key is therefore
    inside the second that begins at ``start``.

    A page's lines are counted when the counts are next needed (a resume position, a
    poll), not as the page ends: the next page usually moves the window to a newer
    second, and then nothing of this one is counted at all.
    """

    def __init__(self) -> None:
        self.start: int | None = None
        self._counts: Counter[_KeyT] = Counter()
        self.poll_counts: Counter[_KeyT] = Counter()
        # Rows begin to end of a batch, delivered but not counted yet (inside the window).
        self._pending: tuple[LogBatch, int, int] | None = None

    @property
    def counts(self) -> Counter[_KeyT]:
        """Occurrences of each ``(timestamp_ms, level, message)`` delivered since ``start``."""
        self._count_pending()
        return self._counts

    def _count_pending(self) -> None:
        if self._pending is not None and self.start is not None:
            batch, begin, end = self._pending
            self._pending = None
            self._counts.update(batch.keys_since(self.start, begin, end))

    def new_poll(self) -> None:
        self.poll_counts = Counter()

    def _move(self, second: int) -> None:
        # A newer second: every key counted so far lies in an older one.
        self.start = second
        self._pending = None
        self._counts.clear()
        self.poll_counts.clear()

    def record(self, line: LogLine) -> None:
        """Count a yielded line, moving the window to its second if it is newer."""
        second = _second_start(line.timestamp_ms)
        if self.start is None or second > self.start:
            self._move(second)
        elif line.timestamp_ms < self.start:
            return
        key = (line.timestamp_ms, line.level, line.message)
        self.counts[key] += 1
        self.poll_counts[key] += 1

    def record_many(self, batch: LogBatch, begin: int, end: int) -> None:
        """Count rows ``begin`` to ``end`` of ``batch``, yielded outside any follow poll.

        The same counts as :meth:`record` line by line: the window moves at most to the
        newest second among them, and only the lines from its start on are counted (in
        C, once the counts are asked for). ``poll_counts`` is left alone: it only means
        something inside a poll, whose lines go out one by one through :meth:`record`,
        and the next poll starts it afresh.
        """
        if end <= begin:
            return
        second = _second_start(batch.newest(begin, end))
        if self.start is None or second > self.start:
            self._move(second)
        else:
            self._count_pending()
        self._pending = (batch, begin, end)

    def is_new(self, line: LogLine) -> bool:
        """Whether ``line`` (seen in a follow poll) was not yielded before.

        Counts the sighting: the n-th occurrence of a key in this poll is new exactly
        when fewer than n were yielded before.
        """
        if self.start is not None and line.timestamp_ms < self.start:
            return False
        key = (line.timestamp_ms, line.level, line.message)
        if self.poll_counts[key] < self.counts[key]:
            self.poll_counts[key] += 1
            return False
        return True


class Source(Protocol[T_co]):
    """What the iterator drivers need: a buffer to pop from and a flow that refills it."""

    def pop(self) -> T_co | None:
        """Return the next buffered item, or ``None`` if the buffer is empty."""
        ...

    def run(self) -> Iterator[T_co]:
        """Buffered items that can go out as they are (each counted as popped by then)."""
        ...

    def fill(self) -> Flow[bool]:
        """Fetch until an item is buffered (``True``) or the source is finished (``False``)."""
        ...

    def close(self) -> None:
        """Finish the source; ``pop`` and ``fill`` return nothing from now on."""
        ...


def items_sync(source: Source[T], pump: Runner) -> Iterator[T]:
    """What a ``for`` loop over a pager runs: every item of ``source``, refilled by ``pump``.

    A chain of the source's runs: an item that needs no check goes out in one C-level
    step (``itertools.chain`` over the iterator :meth:`Source.run` gives), and Python
    runs once per run, to pop an item that needs a check or to refill. The position lives
    in the source, so breaking off and iterating again (or mixing with ``next``)
    continues exactly after the last item handed out.
    """
    return chain.from_iterable(_runs_sync(source, pump))


def _runs_sync(source: Source[T], pump: Runner) -> Iterator[Iterable[T]]:
    while True:
        yield source.run()
        item = source.pop()
        if item is not None:
            yield (item,)
        elif not pump(source.fill()):
            return


def items_async(source: Source[T], pump: AsyncRunner) -> AsyncIterator[T]:
    """What an ``async for`` loop over a pager runs: :func:`items_sync` for asyncio."""
    return _AsyncItems(source, pump)


class _AsyncItems(Generic[T]):
    # A class, not an async generator: an async generator hands each item over inside a
    # StopIteration, and for a tuple (a LogLine is one) CPython makes that exception
    # object per item, which costs more than the coroutine __anext__ makes.

    __slots__ = ("_pump", "_run", "_source")

    def __init__(self, source: Source[T], pump: AsyncRunner) -> None:
        self._source = source
        self._pump = pump
        self._run: Iterator[T] = iter(())

    def __aiter__(self) -> _AsyncItems[T]:
        return self

    async def __anext__(self) -> T:
        for item in self._run:
            return item
        source = self._source
        while True:
            popped = source.pop()
            if popped is not None:
                self._run = source.run()
                return popped
            if not await self._pump(source.fill()):
                raise StopAsyncIteration


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
        self._window = _Window()
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
        self.finished: bool = False
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


@attrs.frozen
class VMListRequest:
    """The query parameters of one listVMs request."""

    image_id: str | None = None
    status: str | None = None
    pagination: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Api.list_vms``."""
        return {"image_id": self.image_id, "status": self.status, "pagination": self.pagination}


class VMListCursor:
    """Continuation state of listVMs: same filters, the returned token, same stop rules."""

    def __init__(self, first: VMListRequest) -> None:
        self.request: VMListRequest | None = first
        self.stop_reason: str | None = None
        self._rules = StopRules(first.pagination)

    def update(self, page: VMPage) -> VMListRequest | None:
        """Record the page answering :attr:`request`; return the next request or ``None``."""
        current = self.request
        if current is None:
            raise PaginationError(f"the cursor stopped ({self.stop_reason}); it cannot advance")
        reason = self._rules.check(page.pagination, empty=not page.vms)
        if reason is not None or not page.pagination:
            self.request = None
            self.stop_reason = reason
            return None
        self.request = attrs.evolve(current, pagination=page.pagination)
        return self.request


class VMListStream:
    """Buffered listVMs reader: one page in memory, pages fetched lazily."""

    def __init__(
        self, fetch: Callable[[VMListRequest], Flow[VMPage]], first: VMListRequest
    ) -> None:
        self._fetch = fetch
        self._cursor = VMListCursor(first)
        self._vms: tuple[VM, ...] = ()
        self._index = 0

    def close(self) -> None:
        """Stop listing."""
        self._cursor.request = None
        self._vms = ()

    def run(self) -> Iterator[VM]:
        """Nothing: VMs come out through :meth:`pop`, a page holds a few."""
        return iter(())

    def pop(self) -> VM | None:
        """Return the next VM of the buffered page, or ``None``."""
        if self._index >= len(self._vms):
            return None
        vm = self._vms[self._index]
        self._index += 1
        return vm

    def fill(self) -> Flow[bool]:
        """Fetch pages until a VM is buffered (``True``) or the list is done (``False``)."""
        while self._index >= len(self._vms):
            request = self._cursor.request
            if request is None:
                return False
            page = yield from self._fetch(request)
            self._cursor.update(page)
            self._vms = page.vms
            self._index = 0
        return True


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


class CachedLogSource:
    """getCachedVMLogs has no paging: one request, then its lines one by one."""

    def __init__(self, fetch: Callable[[], Flow[tuple[LogLine, ...]]]) -> None:
        self._fetch = fetch
        self._lines: tuple[LogLine, ...] | None = None
        self._index = 0

    def run(self) -> Iterator[LogLine]:
        """Nothing: the lines come out through :meth:`pop`."""
        return iter(())

    def pop(self) -> LogLine | None:
        if self._lines is None or self._index >= len(self._lines):
            return None
        line = self._lines[self._index]
        self._index += 1
        return line

    def fill(self) -> Flow[bool]:
        if self._lines is None:
            self._lines = yield from self._fetch()
        return self._index < len(self._lines)

    def close(self) -> None:
        self._lines = ()
