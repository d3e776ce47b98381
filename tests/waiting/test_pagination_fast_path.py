"""Per-page work in log reading gives exactly what per-line work gave.

Lines that need no check go out with no bookkeeping per line (``LogStream.run``) and the
follow window catches up a page at a time (``FollowWindow.record_many``); a page is parsed
by one msgspec decode and taken as columns in C (``_operations.parser``). Each is compared
here with the one-line-at-a-time version it replaces, on inputs hypothesis picks.
"""

from __future__ import annotations

import asyncio
import itertools
import pickle
import random
from typing import Any

import attrs
import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cakework import AsyncLogIterator, LogIterator
from cakework._flow import Flow
from cakework._log_stream import LogStream
from cakework._log_window import FollowWindow
from cakework._models import LogLine, LogPage
from cakework._operations import OPERATIONS
from cakework._pages import LogBatch, LogRequest

from ._fakes import EPOCH_MS, SimClock, adrive, drive, value_flow

_LINES = st.lists(
    st.builds(
        LogLine,
        timestamp_ms=st.integers(EPOCH_MS, EPOCH_MS + 5_000),
        level=st.sampled_from(["info", "warn"]),
        message=st.sampled_from(["a", "b", "c"]),
    ),
    max_size=40,
)


def _state(window: FollowWindow) -> tuple[Any, ...]:
    # poll_counts is left out: record_many counts lines delivered outside a follow poll,
    # and every poll starts poll_counts afresh.
    return window.start, dict(window.counts)


@settings(max_examples=300, deadline=None)
@given(before=_LINES, page=_LINES, cut=st.tuples(st.integers(0, 40), st.integers(0, 40)))
def test_record_many_is_record_one_by_one(
    before: list[LogLine], page: list[LogLine], cut: tuple[int, int]
) -> None:
    # Any order, also out of order, any part of a page: the window ends up the same.
    begin, end = (min(n, len(page)) for n in sorted(cut))
    one, many = FollowWindow(), FollowWindow()
    for line in before:
        one.record(line)
        many.record(line)
    for line in page[begin:end]:
        one.record(line)
    many.record_many(LogBatch.of_page(LogPage(tuple(page))), begin, end)
    assert _state(many) == _state(one)


def test_a_line_older_than_the_window_is_not_counted_in_the_resume_offset() -> None:
    # An unsorted page: the window moves to second 11 and the line of second 10 after it
    # is not part of what a read from second 11 gives back, so it must not be skipped.
    first = [
        LogLine(10_500, "info", "a"),
        LogLine(11_100, "info", "b"),
        LogLine(10_900, "info", "c"),
    ]
    pages: dict[str | None, LogPage] = {None: LogPage(tuple(first))}
    it = LogIterator(_stream(pages), lambda flow: drive(flow, SimClock()))
    assert list(it) == first
    cursor = it.cursor
    assert cursor is not None
    assert cursor.offset == 1


def test_lines_a_follow_poll_passes_over_are_not_counted_as_delivered() -> None:
    # Polls re-read the newest second; the lines passed over there were delivered before
    # and must count neither towards max_items nor twice in the window.
    a, b, c, d = (LogLine(EPOCH_MS + n, "info", m) for n, m in enumerate("abcd"))
    answers = iter([(a, b), (a, b), (a, b, c, d), (a, b, c, d)])

    def fetch(request: LogRequest) -> Flow[LogPage]:
        return value_flow(LogPage(next(answers)))

    stream = LogStream(
        fetch,
        LogRequest(order="oldest_first"),
        max_items=3,
        follow=lambda: value_flow(False),
        rng=random.Random(0),
    )
    it = LogIterator(stream, lambda flow: drive(flow, SimClock()))
    assert list(it) == [a, b, c]


def _item(line: LogLine) -> dict[str, object]:
    return {"timestamp": line.timestamp_ms, "level": line.level, "message": line.message}


def _parse_lines(items: list[Any]) -> Any:
    """getCachedVMLogs' parser (the lines of a whole log) on a body with ``items``."""
    response = httpx.Response(200, json={"lines": items})
    return OPERATIONS["getCachedVMLogs"].parse(response)


@given(lines=_LINES)
def test_a_page_decoded_at_once_gives_the_lines_one_by_one(lines: list[LogLine]) -> None:
    items = [_item(line) for line in lines]
    assert _parse_lines(items) == tuple(lines)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"timestamp": "1", "level": "info", "message": "m"}, "$.lines[1].timestamp"),
        ({"timestamp": True, "level": "info", "message": "m"}, "$.lines[1].timestamp"),
        ({"timestamp": 1, "level": None, "message": "m"}, "$.lines[1].level"),
        ({"timestamp": 1, "level": "info"}, "missing required field `message`"),
        (["not", "an", "object"], "$.lines[1]"),
        ("text", "$.lines[1]"),
    ],
)
def test_a_bad_line_is_named(bad: object, error: str) -> None:
    items = [_item(LogLine(1, "info", "fine")), bad]
    with pytest.raises(msgspec.ValidationError) as info:
        _parse_lines(items)
    assert error in str(info.value)


def test_log_line_is_an_immutable_value() -> None:
    line = LogLine(timestamp_ms=1_676_625_938_460, level="info", message="hi")
    assert line == LogLine(1_676_625_938_460, "info", "hi")
    assert repr(line) == "LogLine(timestamp_ms=1676625938460, level='info', message='hi')"
    assert pickle.loads(pickle.dumps(line)) == line
    assert line.timestamp.isoformat() == "2023-02-17T09:25:38.460000+00:00"
    with pytest.raises(AttributeError):
        line.message = "changed"  # type: ignore[misc]
    assert not attrs.has(LogLine)  # a named tuple: built a page at a time in C


def _pages(lines: list[LogLine], batch: int) -> dict[str | None, LogPage]:
    pages: dict[str | None, LogPage] = {}
    chunks = [lines[i : i + batch] for i in range(0, len(lines), batch)] or [[]]
    for n, chunk in enumerate(chunks):
        more = n + 1 < len(chunks)
        token = f"p{n + 1}" if more else None
        pages[None if n == 0 else f"p{n}"] = LogPage(
            tuple(chunk), token, "f" if more else None, "t" if more else None
        )
    return pages


def _stream(pages: dict[str | None, LogPage], **kwargs: Any) -> LogStream:
    def fetch(request: LogRequest) -> Flow[LogPage]:
        return value_flow(pages[request.pagination])

    return LogStream(fetch, LogRequest(batch=50), rng=random.Random(0), **kwargs)


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(0, 160),
    stops=st.lists(st.integers(0, 40), max_size=6),
    max_items=st.none() | st.integers(0, 170),
)
def test_breaking_off_and_resuming_hands_out_each_line_once(
    count: int, stops: list[int], max_items: int | None
) -> None:
    # for-loops broken off anywhere, next() in between, then the rest: every line once,
    # in order, max_items respected, and the cursor always points at the next line.
    lines = [LogLine(EPOCH_MS + i // 3, "info", f"line {i}") for i in range(count)]
    pages = _pages(lines, 50)
    clock = SimClock()
    it = LogIterator(_stream(pages, max_items=max_items), lambda flow: drive(flow, clock))
    got: list[LogLine] = []
    for stop in stops:
        got += itertools.islice(it, stop)
        nxt = next(it, None)
        if nxt is not None:
            got.append(nxt)
        cursor = it.cursor
        if cursor is not None and len(got) < len(lines):
            # Resuming from the cursor in a fresh stream gives the rest exactly.
            fresh = LogIterator(
                LogStream(
                    lambda r: value_flow(pages[r.pagination]),
                    cursor.request,
                    offset=cursor.offset,
                    rng=random.Random(0),
                ),
                lambda flow: drive(flow, clock),
            )
            assert list(fresh) == lines[len(got) :]
    got += list(it)
    limit = len(lines) if max_items is None else min(max_items, len(lines))
    assert got == lines[:limit]


async def _take_async(it: AsyncLogIterator, stop: int) -> list[LogLine]:
    got: list[LogLine] = []
    if stop:
        async for line in it:
            got.append(line)
            if len(got) == stop:
                break
    return got


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(0, 160),
    stops=st.lists(st.integers(0, 40), max_size=6),
    max_items=st.none() | st.integers(0, 170),
)
def test_async_for_broken_off_and_resumed_hands_out_each_line_once(
    count: int, stops: list[int], max_items: int | None
) -> None:
    # The asyncio driver (a coroutine step per line) against the same rule as for loops.
    lines = [LogLine(EPOCH_MS + i // 3, "info", f"line {i}") for i in range(count)]
    clock = SimClock()
    it = AsyncLogIterator(
        _stream(_pages(lines, 50), max_items=max_items), lambda flow: adrive(flow, clock)
    )

    async def read() -> list[LogLine]:
        got: list[LogLine] = []
        for stop in stops:
            got += await _take_async(it, stop)
            nxt = await anext(it, None)
            if nxt is not None:
                got.append(nxt)
        return got + [line async for line in it]

    limit = len(lines) if max_items is None else min(max_items, len(lines))
    assert asyncio.run(read()) == lines[:limit]


@settings(max_examples=60, deadline=None)
@given(count=st.integers(1, 160), at=st.integers(1, 160), kind=st.sampled_from(["sync", "async"]))
def test_close_in_a_loop_ends_it_after_that_line(count: int, at: int, kind: str) -> None:
    lines = [LogLine(EPOCH_MS + i, "info", f"line {i}") for i in range(count)]
    clock = SimClock()
    stream = _stream(_pages(lines, 50))
    got: list[LogLine] = []
    if kind == "sync":
        it = LogIterator(stream, lambda flow: drive(flow, clock))
        for line in it:
            got.append(line)
            if len(got) == at:
                it.close()
        assert list(it) == []
    else:
        ait = AsyncLogIterator(stream, lambda flow: adrive(flow, clock))

        async def read() -> None:
            async for line in ait:
                got.append(line)
                if len(got) == at:
                    ait.close()
            assert [line async for line in ait] == []

        asyncio.run(read())
    assert got == lines[: min(at, count)]


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(0, 160),
    steps=st.lists(st.sampled_from(["page", "line"]), max_size=8),
    max_items=st.none() | st.integers(0, 170),
    kind=st.sampled_from(["sync", "async"]),
)
def test_pages_and_lines_mixed_hand_out_each_line_once(
    count: int, steps: list[str], max_items: int | None, kind: str
) -> None:
    # pages() shares the position with the iterator: pages and single lines in any
    # order, then the rest by pages, give every line once, in order, in non-empty pages
    # no longer than the server's.
    lines = [LogLine(EPOCH_MS + i // 3, "info", f"line {i}") for i in range(count)]
    clock = SimClock()
    stream = _stream(_pages(lines, 50), max_items=max_items)
    chunks: list[tuple[LogLine, ...]] = []
    if kind == "sync":
        it = LogIterator(stream, lambda flow: drive(flow, clock))
        for step in steps:
            chunk = next(it.pages(), ()) if step == "page" else tuple(itertools.islice(it, 1))
            chunks.append(chunk)
        chunks += list(it.pages())
    else:
        ait = AsyncLogIterator(stream, lambda flow: adrive(flow, clock))

        async def read() -> None:
            for step in steps:
                if step == "page":
                    # Not anext(..., ()): CPython 3.11's anext with a default raises
                    # SystemError for an __anext__ that ends without suspending.
                    try:
                        chunks.append(await ait.pages().__anext__())
                    except StopAsyncIteration:
                        chunks.append(())
                else:
                    line = await anext(ait, None)
                    chunks.append(() if line is None else (line,))
            chunks.extend([page async for page in ait.pages()])

        asyncio.run(read())
    limit = len(lines) if max_items is None else min(max_items, len(lines))
    assert [line for chunk in chunks for line in chunk] == lines[:limit]
    assert all(0 < len(page) <= 50 for page in chunks[len(steps) :])
