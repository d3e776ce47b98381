"""Client overhead against raw httpx, over ``httpx.MockTransport`` (no network at all).

Both sides share one transport handler that answers from bytes prepared in advance, so
what differs is exactly the client: ours (request building, retries, parsing into our
models) against ``httpx`` plus ``json.loads``. Sync is compared with ``httpx.Client``,
async with ``httpx.AsyncClient``. Nothing waits (no network, no sleep), so each side is
timed by the CPU time of this process (:func:`bench.harness.clock`).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any

import attrs
import httpx

from cakework import AsyncCakework, Cakework, LogLine

from .harness import (
    Row,
    Spread,
    clock,
    interleave_async,
    lockstep,
    lockstep_async,
    micros,
    millis,
    ratio_row,
)

BASE_URL = "http://bench.invalid/v1"
API_KEY = "bench-key"
VM_ID = "e784996f346483"
VM_BODY = json.dumps(
    {
        "id": VM_ID,
        "hostname": "01gtzhks9czhq1nkzca3lg0h4d.vm.cakework.localhost",
        "cpu": 1,
        "memory": 256,
        "imageId": "01GTZHKS9CZHQ1NKZCA3LG0H4D",
        "state": "started",
        "createdAt": "2023-03-03T20:22:39.096Z",
        "updatedAt": "2023-03-03T20:22:42.096Z",
        "port": 8080,
    }
).encode()
_JSON_HEADERS = {"content-type": "application/json"}


def vm_handler(request: httpx.Request) -> httpx.Response:
    """getVM, always the same VM."""
    return httpx.Response(200, content=VM_BODY, headers=_JSON_HEADERS)


@attrs.frozen
class LogPages:
    """``lines`` log lines cut into pages of ``batch``, as prepared response bodies."""

    lines: int
    batch: int
    bodies: tuple[bytes, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        bodies: list[bytes] = []
        start_ms = 1_676_625_938_460
        for first in range(0, self.lines, self.batch):
            count = min(self.batch, self.lines - first)
            page: dict[str, Any] = {
                "lines": [
                    {
                        "timestamp": start_ms + (first + n) * 7,
                        "level": "warn" if (first + n) % 5 == 0 else "info",
                        "message": f"[app] handled request #{first + n}: GET /health 200",
                    }
                    for n in range(count)
                ]
            }
            if first + count < self.lines:
                page["pagination"] = f"page-{len(bodies) + 1}"
                page["from"] = "2023-02-17 09:25:38 UTC"
                page["to"] = "2023-02-17 19:25:38 UTC"
            bodies.append(json.dumps(page).encode())
        object.__setattr__(self, "bodies", tuple(bodies))

    def handler(self, request: httpx.Request) -> httpx.Response:
        """getVMLogs: the page the ``pagination`` parameter points at."""
        cursor = request.url.params.get("pagination")
        index = int(cursor.removeprefix("page-")) if cursor else 0
        return httpx.Response(200, content=self.bodies[index], headers=_JSON_HEADERS)


def _next_params(page: dict[str, Any], batch: int) -> dict[str, Any] | None:
    if "pagination" not in page:
        return None
    return {
        **_first_params(batch),
        "pagination": page["pagination"],
        "from": page["from"],
        "to": page["to"],
    }


def _first_params(batch: int) -> dict[str, Any]:
    # The query the client sends: it names its default order rather than leave it to the
    # server, so raw paging sends it too and both sides make the same requests.
    return {"batch": batch, "order": "oldest_first"}


def raw_log_pages(http: httpx.Client, batch: int) -> Iterator[int]:
    """Every line through raw httpx, a page per step; yields the lines of each page.

    The same requests as ours, ``json.loads``, each line's message read.
    """
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads(http.get(f"/vm/{VM_ID}/logs", params=params).content)
        count = 0
        for line in page["lines"]:
            count += bool(line["message"])
            if count == batch:  # the end-of-step check of ours (see our_log_pages)
                break
        yield count
        params = _next_params(page, batch)


_new_tuple = tuple.__new__
_STAMPS, _LEVELS, _MESSAGES = itemgetter("timestamp"), itemgetter("level"), itemgetter("message")


def _typed_lines(page: dict[str, Any]) -> Iterator[LogLine]:
    """A decoded page's lines as ``LogLine`` objects, each made as it is asked for.

    The cheapest way we know: the fields taken a column at a time, each line made from
    the tuple ``zip`` reuses. No check.
    """
    items = page["lines"]
    stamps = tuple(map(_STAMPS, items))
    levels = tuple(map(_LEVELS, items))
    messages = tuple(map(_MESSAGES, items))
    return map(_new_tuple, repeat(LogLine), zip(stamps, levels, messages, strict=True))


def floor_log_pages(http: httpx.Client, batch: int) -> Iterator[int]:
    """:func:`raw_log_pages` with one ``LogLine`` made per line and nothing else.

    No check, no paging logic: what any client that hands out a typed object per line
    costs at the least (:func:`_typed_lines`); our client's figure can only be above it.
    """
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads(http.get(f"/vm/{VM_ID}/logs", params=params).content)
        count = 0
        for line in _typed_lines(page):
            count += bool(line.message)
            if count == batch:  # the end-of-step check of ours (see our_log_pages)
                break
        yield count
        params = _next_params(page, batch)


async def araw_log_pages(http: httpx.AsyncClient, batch: int) -> AsyncIterator[int]:
    """:func:`raw_log_pages` through ``httpx.AsyncClient``."""
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads((await http.get(f"/vm/{VM_ID}/logs", params=params)).content)
        count = 0
        for line in page["lines"]:
            count += bool(line["message"])
            if count == batch:  # the end-of-step check of ours (see our_log_pages)
                break
        yield count
        params = _next_params(page, batch)


def our_log_pages(ours: Cakework, batch: int) -> Iterator[int]:
    """``Cakework.vms.logs``, ``batch`` lines per step (one page fetched in each).

    A line stream has no pages, so each step ends after ``batch`` lines; every other
    reader here runs the same check per line, so all loops do the same work per line.
    """
    lines = iter(ours.vms.logs(VM_ID, batch=batch))
    while True:
        count = 0
        for line in lines:
            count += bool(line.message)
            if count == batch:
                break
        if not count:
            return
        yield count


async def aour_log_pages(ours: AsyncCakework, batch: int) -> AsyncIterator[int]:
    """``AsyncCakework.vms.logs``, ``batch`` lines per step."""
    lines = ours.vms.logs(VM_ID, batch=batch).__aiter__()
    while True:
        count = 0
        async for line in lines:
            count += bool(line.message)
            if count == batch:
                break
        if not count:
            return
        yield count


async def afloor_log_pages(http: httpx.AsyncClient, batch: int) -> AsyncIterator[int]:
    """:func:`floor_log_pages` for asyncio: each ``LogLine`` handed out by ``async for``.

    Through the cheapest async iterator we know (:class:`_Lines`), nothing else: what any
    async client that hands out a typed object per line costs at the least.
    """
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads((await http.get(f"/vm/{VM_ID}/logs", params=params)).content)
        count = 0
        async for line in _Lines(_typed_lines(page)):
            count += bool(line.message)
            if count == batch:  # the end-of-step check of ours (see our_log_pages)
                break
        yield count
        params = _next_params(page, batch)


class _Lines:
    # An async iterator over a plain one, a coroutine per item: cheaper than an async
    # generator for tuples (which CPython hands over inside a new StopIteration each).

    __slots__ = ("_lines",)

    def __init__(self, lines: Iterator[LogLine]) -> None:
        self._lines = lines

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> LogLine:
        for line in self._lines:
            return line
        raise StopAsyncIteration


# Ours is the client as users make it (its own httpx client, which carries key and
# User-Agent like the raw client's headers do), its transport swapped for the shared
# MockTransport: httpx has no public way to do that to a client it made.


def _sync_pair(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[Cakework, httpx.Client]:
    ours = Cakework(api_key=API_KEY, base_url=BASE_URL)
    ours._pump.http._transport = httpx.MockTransport(handler)
    raw = httpx.Client(
        transport=httpx.MockTransport(handler), base_url=BASE_URL, headers={"X-Api-Key": API_KEY}
    )
    return ours, raw


def _async_pair(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[AsyncCakework, httpx.AsyncClient]:
    ours = AsyncCakework(api_key=API_KEY, base_url=BASE_URL)
    ours._pump.http._transport = httpx.MockTransport(handler)
    raw = httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url=BASE_URL, headers={"X-Api-Key": API_KEY}
    )
    return ours, raw


_CALLS_PER_STEP = 5


def _per_call(spread: Spread, calls: int) -> Spread:
    return Spread(
        tuple(figure / calls for figure in spread.ours),
        tuple(figure / calls for figure in spread.baseline),
    )


def _steps(call: Callable[[], object], calls: int) -> Callable[[], Iterator[None]]:
    """One run of ``calls`` calls for :func:`lockstep`, a few calls per step."""

    def run() -> Iterator[None]:
        for done in range(0, calls, _CALLS_PER_STEP):
            for _ in range(min(_CALLS_PER_STEP, calls - done)):
                call()
            yield None

    return run


def _steps_async(
    call: Callable[[], Awaitable[object]], calls: int
) -> Callable[[], AsyncIterator[None]]:
    """:func:`_steps` for coroutines."""

    async def run() -> AsyncIterator[None]:
        for done in range(0, calls, _CALLS_PER_STEP):
            for _ in range(min(_CALLS_PER_STEP, calls - done)):
                await call()
            yield None

    return run


_GET_NOTE = "per call; calls interleaved, {step} of each side in turn; {rounds} rounds of {calls}"


def sync_get(rounds: int, calls: int) -> Row:
    """``Cakework.vms.get`` against ``httpx.Client.get`` + ``json.loads``."""
    ours, raw = _sync_pair(vm_handler)

    def mine() -> object:
        return ours.vms.get(VM_ID)

    def theirs() -> object:
        return json.loads(raw.get(f"/vm/{VM_ID}").content)

    with ours, raw:
        mine()  # both warm
        theirs()
        spread = lockstep(_steps(mine, calls), _steps(theirs, calls), rounds)
    return ratio_row(
        "`Cakework.vms.get`, MockTransport",
        _per_call(spread, calls),
        unit=micros,
        goal=1.10,
        direction="at_most",
        note=_GET_NOTE.format(step=_CALLS_PER_STEP, rounds=rounds, calls=calls),
    )


def async_get(rounds: int, calls: int) -> Row:
    """``AsyncCakework.vms.get`` against ``httpx.AsyncClient.get`` + ``json.loads``."""

    async def run() -> Row:
        ours, raw = _async_pair(vm_handler)

        async def mine() -> object:
            return await ours.vms.get(VM_ID)

        async def theirs() -> object:
            return json.loads((await raw.get(f"/vm/{VM_ID}")).content)

        async with ours, raw:
            await mine()
            await theirs()
            spread = await lockstep_async(
                _steps_async(mine, calls), _steps_async(theirs, calls), rounds
            )
        return ratio_row(
            "`AsyncCakework.vms.get`, MockTransport",
            _per_call(spread, calls),
            unit=micros,
            goal=1.10,
            direction="at_most",
            note=_GET_NOTE.format(step=_CALLS_PER_STEP, rounds=rounds, calls=calls),
        )

    return asyncio.run(run())


_LOCKSTEP_NOTE = (
    "pages interleaved: each round reads all lines on both sides, one page of each in"
    " turn, and sums each side's CPU time"
)


def sync_logs(rounds: int, lines: int, batch: int = 1000) -> list[Row]:
    """``Cakework.vms.logs`` against raw paging with ``json.loads``.

    With two rows measured alike: the floor of any typed client, and the harness
    against itself.
    """
    pages = LogPages(lines, batch)
    ours, raw = _sync_pair(pages.handler)
    with ours, raw:
        spread = lockstep(
            lambda: our_log_pages(ours, batch), lambda: raw_log_pages(raw, batch), rounds
        )
        floor = lockstep(
            lambda: floor_log_pages(raw, batch), lambda: raw_log_pages(raw, batch), rounds
        )
        same = lockstep(
            lambda: raw_log_pages(raw, batch), lambda: raw_log_pages(raw, batch), rounds
        )
    return [
        ratio_row(
            f"{lines:,} log lines via `vms.logs`, batch {batch}",
            spread,
            unit=millis,
            goal=1.3,
            direction="at_most",
            note=f"each line's message read; {_LOCKSTEP_NOTE}; {rounds} rounds",
        ),
        _informational(
            f"floor: {lines:,} lines, raw + one `LogLine` per line, nothing else",
            floor,
            "what handing out a typed object per line costs at the least (no check, no"
            " paging logic): the room a typed client has under a 1.3x goal",
        ),
        _informational(
            "calibration: raw against itself, measured the same way",
            same,
            "the spread of the measurement on this machine",
        ),
    ]


def _informational(metric: str, spread: Spread, note: str) -> Row:
    ratios = spread.ratios
    return Row(
        metric=metric,
        ours=millis(spread.median_ours()),
        baseline=millis(spread.median_baseline()),
        ratio=statistics.median(ratios),
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        goal="(informational)",
        met=None,
        note=note,
    )


def async_logs(rounds: int, lines: int, batch: int = 1000) -> list[Row]:
    """``AsyncCakework.vms.logs`` against raw ``httpx.AsyncClient`` paging.

    With the floor of any async client that hands out lines one by one, measured alike.
    """
    pages = LogPages(lines, batch)

    async def run() -> list[Row]:
        ours, raw = _async_pair(pages.handler)
        async with ours, raw:

            def baseline() -> AsyncIterator[int]:
                return araw_log_pages(raw, batch)

            spread = await lockstep_async(lambda: aour_log_pages(ours, batch), baseline, rounds)
            floor = await lockstep_async(lambda: afloor_log_pages(raw, batch), baseline, rounds)
            over_floor = await lockstep_async(
                lambda: aour_log_pages(ours, batch), lambda: afloor_log_pages(raw, batch), rounds
            )
        note = f"each line's message read; {_LOCKSTEP_NOTE}; {rounds} rounds"
        return [
            ratio_row(
                f"{lines:,} log lines via `AsyncCakework.vms.logs`, batch {batch}",
                spread,
                unit=millis,
                goal=1.3,
                direction="at_most",
                note=note,
            ),
            _informational(
                f"async floor: {lines:,} lines, raw + one `LogLine` per line by `async for`",
                floor,
                "what handing out a typed object per line through the cheapest async"
                " iterator costs at the least (no check, no paging logic): the 1.3x goal"
                " above less this is all the room a per-line async client has",
            ),
            ratio_row(
                f"{lines:,} log lines via `AsyncCakework.vms.logs` against the async floor",
                over_floor,
                unit=millis,
                goal=1.1,
                direction="at_most",
                note=f"what checks, paging and requests add to the floor; {note}",
            ),
        ]

    return asyncio.run(run())


def gather(rounds: int, width: int) -> Row:
    """``width`` concurrent ``AsyncCakework.vms.get`` against raw ``AsyncClient`` gets."""

    async def run() -> Row:
        ours, raw = _async_pair(vm_handler)
        async with ours, raw:

            async def mine() -> float:
                started = clock()
                await asyncio.gather(*(ours.vms.get(VM_ID) for _ in range(width)))
                return clock() - started

            async def one_raw() -> Any:
                return json.loads((await raw.get(f"/vm/{VM_ID}")).content)

            async def theirs() -> float:
                started = clock()
                await asyncio.gather(*(one_raw() for _ in range(width)))
                return clock() - started

            await mine()
            await theirs()
            spread = await interleave_async(mine, theirs, rounds)
        ours_rate = width / spread.median_ours()
        raw_rate = width / spread.median_baseline()
        row = ratio_row(
            f"{width:,}-way `gather` of `AsyncCakework.vms.get`, MockTransport",
            spread,
            unit=millis,
            goal=0.90,
            direction="at_least",
            invert=True,
            note=f"whole gather; {rounds} rounds",
        )
        return attrs.evolve(row, ours=f"{ours_rate:,.0f} req/s", baseline=f"{raw_rate:,.0f} req/s")

    return asyncio.run(run())


def log_memory(small: int, large: int, batch: int = 1000) -> Row:
    """Peak memory of reading ``large`` lines minus that of reading ``small`` lines."""

    def peak(lines: int) -> int:
        pages = LogPages(lines, batch)
        ours, _ = _sync_pair(pages.handler)
        with ours:
            tracemalloc.start()
            try:
                for _ in ours.vms.logs(VM_ID, batch=batch):
                    pass
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    grown = (peak(large) - peak(small)) / 2**20
    return Row(
        metric=f"memory, {small:,} -> {large:,} log lines",
        ours=f"{grown:+.2f} MB",
        baseline="",
        ratio=grown,
        ratio_min=None,
        ratio_max=None,
        goal="< 10 MB",
        met=grown < 10,
        note="growth of the peak of traced Python allocations while iterating",
    )
