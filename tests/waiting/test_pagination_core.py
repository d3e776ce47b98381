"""The log cursor, the log stream (paging, max_items, resume, follow) and the VM-list pager,
as pure state machines and flows: no server, no clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from cakework import AsyncLogIterator, AsyncVMIterator, LogIterator, PaginationError, VMIterator
from cakework._cursors import LogCursor, VMListCursor
from cakework._flow import Flow
from cakework._log_stream import LogStream
from cakework._models import LogLine, LogPage, VMPage
from cakework._pages import LogPosition, LogRequest, VMListRequest, format_log_time
from cakework._vm_list import VMListStream

from ._fakes import EPOCH_MS, FakeApi, FakeLogs, SimClock, adrive, drive, make_vm, value_flow


def line(i: int, ts: int | None = None, message: str | None = None) -> LogLine:
    return LogLine(EPOCH_MS + (i if ts is None else ts), "info", message or f"line {i}")


# -- LogCursor.update -------------------------------------------------------------------


def test_continuation_repeats_params_and_echoes_cursor_verbatim() -> None:
    first = LogRequest(query="err", batch=50, order="newest_first", from_="2023-01-01T00:00:00Z")
    cursor = LogCursor(first)
    page = LogPage(
        (line(1),),
        pagination="XlG9SZP",
        from_="2023-03-07 06:12:56 UTC",
        to="2023-03-08 06:11:56 UTC",
    )
    nxt = cursor.update(page)
    assert nxt == LogRequest(
        query="err",
        batch=50,
        order="newest_first",
        pagination="XlG9SZP",
        from_="2023-03-07 06:12:56 UTC",
        to="2023-03-08 06:11:56 UTC",
    )
    assert cursor.request == nxt


def test_stop_on_missing_cursor() -> None:
    cursor = LogCursor(LogRequest())
    assert cursor.update(LogPage((line(1),))) is None
    assert cursor.stop_reason == "no cursor"
    with pytest.raises(PaginationError, match="no cursor"):
        cursor.update(LogPage(()))


def test_an_empty_string_cursor_is_no_cursor() -> None:
    # Sending pagination="" back would break the spec (minLength 1): a 400 mid-read.
    cursor = LogCursor(LogRequest())
    assert cursor.update(LogPage((line(1),), "", "f", "t")) is None
    assert cursor.stop_reason == "no cursor"
    vms = VMListCursor(VMListRequest())
    assert vms.update(VMPage((make_vm("started", "a"),), "")) is None
    assert vms.stop_reason == "no cursor"


def test_stop_on_empty_page_even_with_a_new_cursor() -> None:
    cursor = LogCursor(LogRequest())
    assert cursor.update(LogPage((), pagination="new", from_="a", to="b")) is None
    assert cursor.stop_reason == "empty page"


def test_stop_on_a_repeated_cursor_even_in_a_longer_cycle() -> None:
    cursor = LogCursor(LogRequest())
    assert cursor.update(LogPage((line(1),), "A", "f", "t")) is not None
    assert cursor.update(LogPage((line(2),), "B", "f", "t")) is not None
    assert cursor.update(LogPage((line(3),), "A", "f", "t")) is None
    assert cursor.stop_reason == "repeated cursor"


def test_a_resumed_cursor_counts_as_sent() -> None:
    cursor = LogCursor(LogRequest(pagination="A", from_="f", to="t"))
    assert cursor.update(LogPage((line(1),), "A", "f", "t")) is None
    assert cursor.stop_reason == "repeated cursor"


def test_format_log_time() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    assert format_log_time(None) is None
    assert format_log_time("2023-03-07 06:12:56 UTC") == "2023-03-07 06:12:56 UTC"
    aware = datetime(2023, 3, 7, 8, 12, 56, 5000, tzinfo=timezone(timedelta(hours=2)))
    assert format_log_time(aware) == "2023-03-07T06:12:56.005+00:00"
    assert format_log_time(datetime(2023, 3, 7, 6, 12, 56)) == "2023-03-07T06:12:56.000+00:00"
    assert format_log_time(datetime(2023, 3, 7, tzinfo=UTC)) == "2023-03-07T00:00:00.000+00:00"


# -- LogStream over the fake Logtail ----------------------------------------------------


def make_stream(
    logs: FakeLogs,
    first: LogRequest,
    *,
    max_items: int | None = None,
    follow: Callable[[], Flow[bool]] | None = None,
    offset: int = 0,
) -> LogStream:
    def fetch(request: LogRequest) -> Flow[LogPage]:
        return value_flow(logs.page(**request.kwargs()))

    return LogStream(
        fetch, first, max_items=max_items, follow=follow, rng=random.Random(0), offset=offset
    )


def read_all(stream: LogStream, clock: SimClock) -> list[LogLine]:
    it = LogIterator(stream, lambda flow: drive(flow, clock))
    return list(it)


def many_lines(clock: SimClock, n: int, *, quirk: bool = False) -> tuple[FakeLogs, list[LogLine]]:
    logs = FakeLogs(clock, quirk=quirk)
    expected = []
    for i in range(n):
        # ten lines per millisecond, identical pairs among them
        ts = EPOCH_MS + i // 10
        message = f"line {i // 2}" + (" ERROR" if i % 7 == 0 else "")
        logs.add(0, ts, message)
        expected.append(LogLine(ts, "info", message))
    return logs, expected


@pytest.mark.parametrize("quirk", [False, True])
@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_every_line_exactly_once_across_pages(clock: SimClock, order: str, quirk: bool) -> None:
    logs, expected = many_lines(clock, 1234, quirk=quirk)
    got = read_all(make_stream(logs, LogRequest(batch=100, order=order)), clock)
    want = (
        expected
        if order == "oldest_first"
        else sorted(expected, key=lambda ln: ln.timestamp_ms, reverse=True)
    )
    assert [ln.timestamp_ms for ln in got] == [ln.timestamp_ms for ln in want]
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    pages = -(-1234 // 100)
    # quirk: one extra request for the empty page that carries a cursor again
    assert len(logs.requests) == pages + (1 if quirk else 0)


def test_query_filter_is_kept_on_every_page(clock: SimClock) -> None:
    logs, expected = many_lines(clock, 1000)
    got = read_all(make_stream(logs, LogRequest(query="error", batch=50)), clock)
    assert got == [ln for ln in expected if "ERROR" in ln.message]
    assert {r["query"] for r in logs.requests} == {"error"}
    assert {r["batch"] for r in logs.requests} == {50}


def test_quirk_empty_page_repeating_its_cursor_terminates(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    # a server that always hands back the same cursor with an empty page
    calls = 0

    def fetch(request: LogRequest) -> Flow[LogPage]:
        nonlocal calls
        calls += 1
        if request.pagination is None:
            return value_flow(LogPage((line(1),), "C", "f", "t"))
        return value_flow(LogPage((), "C", "f", "t"))

    del logs
    got = read_all(LogStream(fetch, LogRequest()), clock)
    assert got == [line(1)]
    assert calls == 2


def test_repeated_cursor_with_lines_terminates(clock: SimClock) -> None:
    def fetch(request: LogRequest) -> Flow[LogPage]:
        return value_flow(LogPage((line(1),), "same", "f", "t"))

    got = read_all(LogStream(fetch, LogRequest()), clock)
    assert got == [line(1), line(1)]  # the second page was new; its cursor was not


def test_max_items_and_resume_cursor(clock: SimClock) -> None:
    logs, expected = many_lines(clock, 530)
    stream = make_stream(logs, LogRequest(batch=100), max_items=150)
    it = LogIterator(stream, lambda flow: drive(flow, clock))
    first = list(it)
    assert first == expected[:150]
    position = it.cursor
    assert isinstance(position, LogPosition)
    assert position.offset == 50  # half-way through the second page
    requests_before = len(logs.requests)
    assert requests_before == 2  # nothing fetched beyond the page holding line 150
    rest = read_all(make_stream(logs, position.request, offset=position.offset), clock)
    assert first + rest == expected


def test_resume_at_a_page_boundary(clock: SimClock) -> None:
    logs, expected = many_lines(clock, 300)
    stream = make_stream(logs, LogRequest(batch=100), max_items=100)
    it = LogIterator(stream, lambda flow: drive(flow, clock))
    first = list(it)
    position = it.cursor
    assert position is not None
    rest = read_all(make_stream(logs, position.request, offset=position.offset), clock)
    assert first + rest == expected


def test_resume_after_a_drained_read_gets_only_new_lines(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    for _ in range(5):
        logs.add(0, EPOCH_MS + 500, "same ms")  # five identical lines, one millisecond
    it = LogIterator(make_stream(logs, LogRequest()), lambda flow: drive(flow, clock))
    assert len(list(it)) == 5
    position = it.cursor
    assert position is not None
    clock.t = 1.0
    logs.add(1.0, EPOCH_MS + 500, "same ms")  # a sixth one in the very same millisecond
    logs.add(1.0, EPOCH_MS + 900, "later")
    rest = read_all(make_stream(logs, position.request, offset=position.offset), clock)
    assert [ln.message for ln in rest] == ["same ms", "later"]


def test_newest_first_drained_has_no_resume_cursor(clock: SimClock) -> None:
    logs, _ = many_lines(clock, 30)
    it = LogIterator(
        make_stream(logs, LogRequest(order="newest_first")), lambda flow: drive(flow, clock)
    )
    list(it)
    assert it.cursor is None


def test_memory_is_one_page(clock: SimClock) -> None:
    logs, _ = many_lines(clock, 1000)
    stream = make_stream(logs, LogRequest(batch=100))
    it = LogIterator(stream, lambda flow: drive(flow, clock))
    for _ in it:
        assert len(stream._batch) <= 100


# -- follow -----------------------------------------------------------------------------


def vm_writer(clock: SimClock, logs: FakeLogs, stop_at: float) -> list[LogLine]:
    """A VM that writes, every 0.7 s until ``stop_at``, three lines in one millisecond
    (two of them identical), then a last line when it stops."""
    expected = []
    k = 0
    while (t := k * 0.7) < stop_at:
        ts = EPOCH_MS + int(t * 1000)
        for message in (f"request {k}", "tick", "tick"):
            logs.add(t, ts, message)
            expected.append(LogLine(ts, "info", message))
        k += 1
    ts = EPOCH_MS + int(stop_at * 1000)
    logs.add(stop_at, ts, "VM stopped")
    expected.append(LogLine(ts, "info", "VM stopped"))
    return expected


def test_follow_sees_every_line_once_and_ends_when_the_vm_stops(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    expected = vm_writer(clock, logs, stop_at=60.0)
    api = FakeApi(clock, vm_state=lambda t: "stopped" if t >= 60 else "started", logs=logs)

    def finished() -> Flow[bool]:
        vm = yield from api.get_vm("vm-1")
        return vm.state in ("stopped", "destroyed")

    stream = make_stream(logs, LogRequest(batch=50), follow=finished)
    got: list[tuple[float, LogLine]] = []
    for ln in LogIterator(stream, lambda flow: drive(flow, clock)):
        got.append((clock.t, ln))
    assert [ln for _, ln in got] == expected
    # live: lines arrive while the VM runs, not all at the end
    assert sum(1 for t, _ in got if t < 30) > 30
    # polls stay responsive (follow cap 5 s * 1.2)
    assert max(clock.sleeps) <= 6.0
    assert clock.t < 60 + 6.0


def test_follow_close_stops_at_once(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    vm_writer(clock, logs, stop_at=200.0)
    api = FakeApi(clock, vm_state=lambda t: "started", logs=logs)

    def finished() -> Flow[bool]:
        vm = yield from api.get_vm("vm-1")
        return vm.state == "stopped"

    it = LogIterator(
        make_stream(logs, LogRequest(), follow=finished), lambda flow: drive(flow, clock)
    )
    got = []
    for ln in it:
        got.append(ln)
        if len(got) == 40:
            it.close()
    assert len(got) == 40
    assert next(it, None) is None


def test_follow_newest_first_is_refused(clock: SimClock) -> None:
    with pytest.raises(ValueError, match="oldest_first"):
        make_stream(
            FakeLogs(clock), LogRequest(order="newest_first"), follow=lambda: value_flow(True)
        )


def test_follow_of_a_finished_resource_drains_and_ends(clock: SimClock) -> None:
    logs, expected = many_lines(clock, 250)
    checks = 0

    def finished() -> Flow[bool]:
        nonlocal checks
        checks += 1
        return value_flow(True)

    got = read_all(make_stream(logs, LogRequest(), follow=finished), clock)
    assert got == expected
    assert checks == 1
    assert clock.sleeps == []


async def test_async_log_iterator_follow(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    expected = vm_writer(clock, logs, stop_at=20.0)
    api = FakeApi(clock, vm_state=lambda t: "stopped" if t >= 20 else "started", logs=logs)

    def finished() -> Flow[bool]:
        vm = yield from api.get_vm("vm-1")
        return vm.state == "stopped"

    it = AsyncLogIterator(
        make_stream(logs, LogRequest(), follow=finished), lambda flow: adrive(flow, clock)
    )
    got = [ln async for ln in it]
    assert got == expected


async def test_async_follow_cancellation_propagates(clock: SimClock) -> None:
    logs = FakeLogs(clock)
    vm_writer(clock, logs, stop_at=200.0)
    api = FakeApi(clock, vm_state=lambda t: "started", logs=logs)

    def finished() -> Flow[bool]:
        vm = yield from api.get_vm("vm-1")
        return vm.state == "stopped"

    async def slow(flow: Flow[bool]) -> bool:
        await asyncio.sleep(0)
        return await adrive(flow, clock)

    it = AsyncLogIterator(make_stream(logs, LogRequest(), follow=finished), slow)
    seen: list[LogLine] = []
    twenty = asyncio.Event()

    async def consume() -> None:
        async for ln in it:
            seen.append(ln)
            if len(seen) == 20:
                twenty.set()

    task = asyncio.create_task(consume())
    await twenty.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


# -- list VMs ---------------------------------------------------------------------------


def test_vm_list_pages_until_no_cursor() -> None:
    pages = {
        None: VMPage((make_vm("started", "a"), make_vm("started", "b")), "p2"),
        "p2": VMPage((make_vm("stopped", "c"),), "p3"),
        "p3": VMPage((make_vm("created", "d"),)),
    }
    sent: list[VMListRequest] = []

    def fetch(request: VMListRequest) -> Flow[VMPage]:
        sent.append(request)
        return value_flow(pages[request.pagination])

    clock = SimClock()
    it = VMIterator(
        VMListStream(fetch, VMListRequest(image_id="img", status="started")),
        lambda flow: drive(flow, clock),
    )
    assert [vm.id for vm in it] == ["a", "b", "c", "d"]
    assert [(r.image_id, r.status, r.pagination) for r in sent] == [
        ("img", "started", None),
        ("img", "started", "p2"),
        ("img", "started", "p3"),
    ]


@pytest.mark.parametrize(
    ("last", "reason"),
    [(VMPage((), "again"), "empty page"), (VMPage((make_vm("x", "z"),), "p1"), "repeated cursor")],
)
def test_vm_list_stop_rules(last: VMPage, reason: str) -> None:
    cursor = VMListCursor(VMListRequest())
    assert cursor.update(VMPage((make_vm("started", "a"),), "p1")) is not None
    assert cursor.update(last) is None
    assert cursor.stop_reason == reason


async def test_async_vm_iterator() -> None:
    clock = SimClock()

    def fetch(request: VMListRequest) -> Flow[VMPage]:
        if request.pagination is None:
            return value_flow(VMPage((make_vm("started", "a"),), "n"))
        return value_flow(VMPage((make_vm("started", "b"),)))

    it = AsyncVMIterator(VMListStream(fetch, VMListRequest()), lambda flow: adrive(flow, clock))
    assert [vm.id async for vm in it] == ["a", "b"]


def test_follow_rides_out_transient_errors(clock: SimClock) -> None:
    from ._fakes import connection_error, server_error

    logs = FakeLogs(clock)
    expected = vm_writer(clock, logs, stop_at=30.0)
    api = FakeApi(clock, vm_state=lambda t: "stopped" if t >= 30 else "started", logs=logs)

    def fetch(request: LogRequest) -> Flow[LogPage]:
        return api.get_vm_logs("vm-1", request)

    def finished() -> Flow[bool]:
        vm = yield from api.get_vm("vm-1")
        return vm.state == "stopped"

    stream = LogStream(fetch, LogRequest(), follow=finished, rng=random.Random(0))
    it = LogIterator(stream, lambda flow: drive(flow, clock))
    got = [next(it)]  # the first drain is done: from now on the follow is under way
    api.failures["getVMLogs"] = [connection_error("getVMLogs"), server_error("getVMLogs")]
    api.failures["getVM"] = [connection_error("getVM")]
    got += list(it)
    assert got == expected
    assert api.failures == {"getVMLogs": [], "getVM": []}


def test_first_read_errors_are_raised(clock: SimClock) -> None:
    from ._fakes import connection_error

    api = FakeApi(clock)
    api.failures["getVMLogs"] = [connection_error("getVMLogs")]

    def fetch(request: LogRequest) -> Flow[LogPage]:
        return api.get_vm_logs("vm-1", request)

    it = LogIterator(
        LogStream(fetch, LogRequest(), follow=lambda: value_flow(False)),
        lambda flow: drive(flow, clock),
    )
    with pytest.raises(type(connection_error())):
        next(it)


def test_polling_again_needs_an_oldest_first_read() -> None:
    # Only an oldest_first read keeps the window of delivered lines a new poll starts
    # from; a newest_first one has none to start from.
    def fetch(request: LogRequest) -> Flow[LogPage]:
        return value_flow(LogPage(lines=()))

    with pytest.raises(ValueError, match="oldest_first"):
        LogStream(fetch, LogRequest(order="newest_first")).poll_again()
