"""Client overhead against raw httpx doing the same work, over ``httpx.MockTransport``.

Every comparison is at equal work: the raw side sends byte for byte the request ours
sends (the same absolute URL, the same headers, the same body: ``tests/bench`` checks
this against a real server on 127.0.0.1), then ``json.loads`` the answer. Both sides
share one transport handler that answers from bytes prepared in advance, so what differs
is exactly the client: ours (checks, request building, retries, parsing into our models)
against ``httpx`` plus ``json.loads``. "Raw as usually written" (an ``httpx.Client``
with ``base_url`` and relative URLs, which joins the URL on every request) is shown
beside as information only. Sync is compared with ``httpx.Client``, async with
``httpx.AsyncClient``. Nothing waits (no network, no sleep), so each side is timed by
the CPU time of this process (:func:`bench.harness.clock`).
"""

from __future__ import annotations

import asyncio
import json
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from itertools import islice
from typing import Any, Self

import attrs
import httpx

from cakework import AsyncCakework, Cakework
from cakework._operations import API_KEY_HEADER, USER_AGENT

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
VM_PATH = f"/vm/{VM_ID}"
LOGS_PATH = f"/vm/{VM_ID}/logs"
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


def client_headers() -> dict[str, str]:
    """The headers of every request of ours: what our own httpx client carries.

    In this order: httpx puts a client's headers after its defaults, replacing its own
    ``User-Agent`` where it stands, as it does for the headers ours adds to each
    request on a client passed in with ``http_client=``.
    """
    return {"User-Agent": USER_AGENT, API_KEY_HEADER: API_KEY}


def vm_handler(request: httpx.Request) -> httpx.Response:
    """getVM, always the same VM."""
    return httpx.Response(200, content=VM_BODY, headers=_JSON_HEADERS)


@attrs.frozen
class LogPages:
    """``lines`` log lines cut into pages of ``batch``; every answer a new body.

    Each answer is a new ``bytes`` object, as bodies read from a socket are: a body
    shared between answers would hide whatever keeps one alive. The lines of a page
    come from one of ``distinct`` prepared arrays (page ``n`` from array ``n %
    distinct``), so millions of lines need no more memory than a few pages.
    """

    lines: int
    batch: int
    distinct: int = 10
    arrays: tuple[bytes, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        start_ms = 1_676_625_938_460
        arrays = []
        for n in range(min(self.distinct, self.pages)):
            first = n * self.batch
            lines = [
                {
                    "timestamp": start_ms + (first + k) * 7,
                    "level": "warn" if (first + k) % 5 == 0 else "info",
                    "message": f"[app] handled request #{first + k}: GET /health 200",
                }
                for k in range(self.batch)
            ]
            arrays.append(json.dumps(lines).encode())
        object.__setattr__(self, "arrays", tuple(arrays))

    @property
    def pages(self) -> int:
        """How many pages the lines make."""
        return -(-self.lines // self.batch)

    def body(self, index: int) -> bytes:
        """The answer to the request for page ``index`` (a new object every time)."""
        array = self.arrays[index % len(self.arrays)]
        last = self.lines - index * self.batch
        if last < self.batch:  # a short last page: its first ``last`` lines
            array = json.dumps(json.loads(array)[:last]).encode()
        if index + 1 == self.pages:
            return b'{"lines":' + array + b"}"
        tail = (
            f',"pagination":"page-{index + 1}","from":"2023-02-17 09:25:38 UTC",'
            '"to":"2023-02-17 19:25:38 UTC"}'
        )
        return b'{"lines":' + array + tail.encode()

    def handler(self, request: httpx.Request) -> httpx.Response:
        """getVMLogs: the page the ``pagination`` parameter points at."""
        cursor = request.url.params.get("pagination")
        index = int(cursor.removeprefix("page-")) if cursor else 0
        return httpx.Response(200, content=self.body(index), headers=_JSON_HEADERS)


# -- the sides ------------------------------------------------------------------------------
# Ours is the client as users make it: with its own httpx client (which carries key and
# User-Agent, like the raw client's headers), and with a plain httpx client passed in
# (then ours puts them on every request). With a handler, every client's transport is
# one shared MockTransport; httpx has no public way to set the transport of the client
# ours makes itself, hence the swap. Without one, they talk to ``base_url`` for real.


@attrs.frozen
class SyncSides:
    """The blocking clients one comparison uses.

    Attributes:
        own: ``Cakework`` with its own httpx client.
        given: ``Cakework(http_client=...)`` with a plain ``httpx.Client``.
        raw: ``httpx.Client`` with our headers, sent absolute URLs: the same requests.
        usual: ``httpx.Client(base_url=...)`` sent relative URLs, as usually written.
        base_url: Where they all send.
    """

    own: Cakework
    given: Cakework
    raw: httpx.Client
    usual: httpx.Client
    base_url: str
    _given_http: httpx.Client

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for client in (self.own, self.given, self.raw, self.usual, self._given_http):
            client.close()


@attrs.frozen
class AsyncSides:
    """:class:`SyncSides` for asyncio (``AsyncCakework``, ``httpx.AsyncClient``)."""

    own: AsyncCakework
    given: AsyncCakework
    raw: httpx.AsyncClient
    usual: httpx.AsyncClient
    base_url: str
    _given_http: httpx.AsyncClient

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.own.aclose()
        await self.given.aclose()
        for http in (self.raw, self.usual, self._given_http):
            await http.aclose()


def sync_sides(
    handler: Callable[[httpx.Request], httpx.Response] | None, base_url: str = BASE_URL
) -> SyncSides:
    """The blocking sides over ``handler`` (a MockTransport), or to ``base_url`` for real."""
    transport = None if handler is None else httpx.MockTransport(handler)
    own = Cakework(api_key=API_KEY, base_url=base_url)
    if transport is not None:
        own._pump.http._transport = transport
    given_http = httpx.Client(transport=transport)
    return SyncSides(
        own=own,
        given=Cakework(api_key=API_KEY, base_url=base_url, http_client=given_http),
        raw=httpx.Client(transport=transport, headers=client_headers()),
        usual=httpx.Client(transport=transport, base_url=base_url, headers=client_headers()),
        base_url=base_url,
        given_http=given_http,
    )


def async_sides(
    handler: Callable[[httpx.Request], httpx.Response] | None, base_url: str = BASE_URL
) -> AsyncSides:
    """:func:`sync_sides` for asyncio."""
    transport = None if handler is None else httpx.MockTransport(handler)
    own = AsyncCakework(api_key=API_KEY, base_url=base_url)
    if transport is not None:
        own._pump.http._transport = transport
    given_http = httpx.AsyncClient(transport=transport)
    return AsyncSides(
        own=own,
        given=AsyncCakework(api_key=API_KEY, base_url=base_url, http_client=given_http),
        raw=httpx.AsyncClient(transport=transport, headers=client_headers()),
        usual=httpx.AsyncClient(transport=transport, base_url=base_url, headers=client_headers()),
        base_url=base_url,
        given_http=given_http,
    )


# -- one getVM, each side -------------------------------------------------------------------


def get_calls(sides: SyncSides) -> dict[str, Callable[[], object]]:
    """One getVM by each side: ``own``, ``given``, ``raw`` (equal work), ``usual``."""
    url = sides.base_url + VM_PATH
    raw, usual, own, given = sides.raw, sides.usual, sides.own, sides.given
    return {
        "own": lambda: own.vms.get(VM_ID),
        "given": lambda: given.vms.get(VM_ID),
        "raw": lambda: json.loads(raw.get(url).content),
        "usual": lambda: json.loads(usual.get(VM_PATH).content),
    }


def async_get_calls(sides: AsyncSides) -> dict[str, Callable[[], Awaitable[object]]]:
    """:func:`get_calls` for asyncio."""
    url = sides.base_url + VM_PATH
    raw, usual, own, given = sides.raw, sides.usual, sides.own, sides.given

    async def raw_get() -> object:
        return json.loads((await raw.get(url)).content)

    async def usual_get() -> object:
        return json.loads((await usual.get(VM_PATH)).content)

    return {
        "own": lambda: own.vms.get(VM_ID),
        "given": lambda: given.vms.get(VM_ID),
        "raw": raw_get,
        "usual": usual_get,
    }


# -- reading logs, a page per step ----------------------------------------------------------


def _first_params(batch: int) -> dict[str, Any]:
    # The query the client sends: it names its default order rather than leave it to the
    # server, so raw paging sends it too and both sides make the same requests.
    return {"batch": batch, "order": "oldest_first"}


def _next_params(page: dict[str, Any], batch: int) -> dict[str, Any] | None:
    if "pagination" not in page:
        return None
    return {
        **_first_params(batch),
        "pagination": page["pagination"],
        "from": page["from"],
        "to": page["to"],
    }


def raw_log_pages(sides: SyncSides, batch: int) -> Iterator[int]:
    """Every line through raw httpx, a page per step; yields the lines of each page.

    The same requests as ours, ``json.loads``, each line's message read.
    """
    http, url = sides.raw, sides.base_url + LOGS_PATH
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads(http.get(url, params=params).content)
        count = 0
        for line in page["lines"]:
            count += bool(line["message"])
        yield count
        params = _next_params(page, batch)


def our_log_pages(sides: SyncSides, batch: int) -> Iterator[int]:
    """``vms.logs(...).pages()``: each page's lines, each line's message read."""
    for page in sides.own.vms.logs(VM_ID, batch=batch).pages():
        count = 0
        for line in page:
            count += bool(line.message)
        yield count


def our_log_lines(sides: SyncSides, batch: int) -> Iterator[int]:
    """``for line in vms.logs(...)``, ``batch`` lines per step (one page fetched in each).

    A line stream has no pages; ``islice`` (C code) ends each step after ``batch``
    lines, so the loop per line is the same as the other readers'.
    """
    lines = iter(sides.own.vms.logs(VM_ID, batch=batch))
    while True:
        count = 0
        for line in islice(lines, batch):
            count += bool(line.message)
        if not count:
            return
        yield count


async def araw_log_pages(sides: AsyncSides, batch: int) -> AsyncIterator[int]:
    """:func:`raw_log_pages` through ``httpx.AsyncClient``."""
    http, url = sides.raw, sides.base_url + LOGS_PATH
    params: dict[str, Any] | None = _first_params(batch)
    while params is not None:
        page = json.loads((await http.get(url, params=params)).content)
        count = 0
        for line in page["lines"]:
            count += bool(line["message"])
        yield count
        params = _next_params(page, batch)


async def aour_log_pages(sides: AsyncSides, batch: int) -> AsyncIterator[int]:
    """``AsyncCakework.vms.logs(...).pages()``."""
    async for page in sides.own.vms.logs(VM_ID, batch=batch).pages():
        count = 0
        for line in page:
            count += bool(line.message)
        yield count


async def aour_log_lines(sides: AsyncSides, batch: int) -> AsyncIterator[int]:
    """``async for line in AsyncCakework.vms.logs(...)``, ``batch`` lines per step."""
    lines = sides.own.vms.logs(VM_ID, batch=batch).__aiter__()
    while True:
        count = 0
        async for line in lines:
            count += bool(line.message)
            if count == batch:  # no islice for async iterators: one check per line
                break
        if not count:
            return
        yield count


# -- rows ------------------------------------------------------------------------------------

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
_EQUAL = "raw httpx sending the same request (absolute URL, same headers) + `json.loads`"
_USUAL = (
    "against raw httpx as usually written: `httpx.Client(base_url=...)` and a relative"
    " URL, which httpx joins on every request (more work than ours does)"
)


def _get_rows(
    name: str, spreads: dict[str, Spread], rounds: int, calls: int, *, given: str
) -> list[Row]:
    note = _GET_NOTE.format(step=_CALLS_PER_STEP, rounds=rounds, calls=calls)
    return [
        ratio_row(
            f"`{name}.vms.get`, MockTransport",
            _per_call(spreads["own"], calls),
            unit=micros,
            goal=1.10,
            direction="at_most",
            note=f"against {_EQUAL}; {note}",
        ),
        ratio_row(
            f"`{name}(http_client={given}).vms.get`",
            _per_call(spreads["given"], calls),
            unit=micros,
            goal=1.10,
            direction="at_most",
            note=f"ours puts key and User-Agent on each request; against {_EQUAL}; {note}",
        ),
        informational(
            f"`{name}.vms.get` vs raw with `base_url`",
            _per_call(spreads["usual"], calls),
            f"{_USUAL}; {note}",
            unit=micros,
        ),
    ]


def sync_get(rounds: int, calls: int) -> list[Row]:
    """``Cakework.vms.get`` (own and given httpx client) against raw ``httpx.Client``."""
    with sync_sides(vm_handler) as sides:
        call = get_calls(sides)
        for each in call.values():
            each()  # all warm
        raw = _steps(call["raw"], calls)
        spreads = {
            "own": lockstep(_steps(call["own"], calls), raw, rounds),
            "given": lockstep(_steps(call["given"], calls), raw, rounds),
            "usual": lockstep(_steps(call["own"], calls), _steps(call["usual"], calls), rounds),
        }
    return _get_rows("Cakework", spreads, rounds, calls, given="httpx.Client()")


def async_get(rounds: int, calls: int) -> list[Row]:
    """``AsyncCakework.vms.get`` against raw ``httpx.AsyncClient``."""

    async def run() -> list[Row]:
        async with async_sides(vm_handler) as sides:
            call = async_get_calls(sides)
            for each in call.values():
                await each()
            raw = _steps_async(call["raw"], calls)
            own = _steps_async(call["own"], calls)
            spreads = {
                "own": await lockstep_async(own, raw, rounds),
                "given": await lockstep_async(_steps_async(call["given"], calls), raw, rounds),
                "usual": await lockstep_async(own, _steps_async(call["usual"], calls), rounds),
            }
        return _get_rows("AsyncCakework", spreads, rounds, calls, given="httpx.AsyncClient()")

    return asyncio.run(run())


_LOCKSTEP_NOTE = (
    "pages interleaved: each round reads all lines on both sides, one page of each in"
    " turn, and sums each side's CPU time"
)


def informational(
    metric: str, spread: Spread, note: str, unit: Callable[[float], str] = millis
) -> Row:
    """A row with figures and ratio but no goal."""
    ratios = spread.ratios
    return Row(
        metric=metric,
        ours=unit(spread.median_ours()),
        baseline=unit(spread.median_baseline()),
        ratio=statistics.median(ratios),
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        goal="(informational)",
        met=None,
        note=note,
    )


def sync_logs(rounds: int, lines: int, batch: int = 1000) -> list[Row]:
    """Reading ``lines`` lines with ``Cakework.vms.logs`` against raw paging + ``json.loads``.

    A page at a time (``pages()``, the goal's row) and a line at a time, with the
    harness against itself as calibration.
    """
    pages = LogPages(lines, batch)
    with sync_sides(pages.handler) as sides:

        def raw() -> Iterator[int]:
            return raw_log_pages(sides, batch)

        by_page = lockstep(lambda: our_log_pages(sides, batch), raw, rounds)
        by_line = lockstep(lambda: our_log_lines(sides, batch), raw, rounds)
        same = lockstep(raw, raw, rounds)
    note = f"each line's message read; against {_EQUAL}; {_LOCKSTEP_NOTE}; {rounds} rounds"
    return [
        ratio_row(
            f"{lines:,} log lines via `vms.logs(...).pages()`, batch {batch}",
            by_page,
            unit=millis,
            goal=1.0,
            direction="at_most",
            note=note,
        ),
        informational(
            f"{lines:,} log lines via `for line in vms.logs(...)`, batch {batch}",
            by_line,
            f"a `LogLine` handed out per line; {note}",
        ),
        informational(
            "calibration: raw against itself, measured the same way",
            same,
            "the spread of the measurement on this machine",
        ),
    ]


def async_logs(rounds: int, lines: int, batch: int = 1000) -> list[Row]:
    """``AsyncCakework.vms.logs`` against raw ``httpx.AsyncClient`` paging."""
    pages = LogPages(lines, batch)

    async def run() -> list[Row]:
        async with async_sides(pages.handler) as sides:

            def raw() -> AsyncIterator[int]:
                return araw_log_pages(sides, batch)

            by_page = await lockstep_async(lambda: aour_log_pages(sides, batch), raw, rounds)
            by_line = await lockstep_async(lambda: aour_log_lines(sides, batch), raw, rounds)
        note = f"each line's message read; against {_EQUAL}; {_LOCKSTEP_NOTE}; {rounds} rounds"
        return [
            ratio_row(
                f"{lines:,} log lines via `AsyncCakework.vms.logs(...).pages()`, batch {batch}",
                by_page,
                unit=millis,
                goal=1.1,
                direction="at_most",
                note=note,
            ),
            informational(
                f"{lines:,} log lines via `async for line in AsyncCakework.vms.logs(...)`",
                by_line,
                f"an `await` per line, which raw looping over a decoded page never pays; {note}",
            ),
        ]

    return asyncio.run(run())


def gather(rounds: int, width: int) -> Row:
    """``width`` concurrent ``AsyncCakework.vms.get`` against raw ``AsyncClient`` gets."""

    async def run() -> Row:
        async with async_sides(vm_handler) as sides:
            call = async_get_calls(sides)
            own, raw = call["own"], call["raw"]

            async def batch(one: Callable[[], Awaitable[object]]) -> float:
                started = clock()
                await asyncio.gather(*(one() for _ in range(width)))
                return clock() - started

            await batch(own)
            await batch(raw)
            spread = await interleave_async(lambda: batch(own), lambda: batch(raw), rounds)
        ours_rate = width / spread.median_ours()
        raw_rate = width / spread.median_baseline()
        row = ratio_row(
            f"{width:,}-way `gather` of `AsyncCakework.vms.get`, MockTransport",
            spread,
            unit=millis,
            goal=0.95,
            direction="at_least",
            invert=True,
            note=f"whole gather against {_EQUAL}; {rounds} rounds",
        )
        return attrs.evolve(row, ours=f"{ours_rate:,.0f} req/s", baseline=f"{raw_rate:,.0f} req/s")

    return asyncio.run(run())
