"""``make bench`` works: every benchmark runs in a tiny configuration (no timed assertions)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from bench.__main__ import QUICK, benchmarks, main
from bench.client import (
    LogPages,
    _async_pair,
    _sync_pair,
    afloor_log_pages,
    aour_log_pages,
    araw_log_pages,
    floor_log_pages,
    our_log_pages,
    raw_log_pages,
)
from bench.harness import Row, table


def test_every_benchmark_gives_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert main(["--quick", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    rows = document["rows"]
    # One row per goal of the issue (the quick run has one gather width, the full run
    # 1,000 and 10,000) and the emulator with httpx as its client, each with a verdict;
    # the figures mean nothing here.
    assert len(QUICK.gather_widths) == 1
    assert len(rows) == 17
    assert {row["verdict"] for row in rows} <= {"meets", "MISSES", "-"}
    assert all(row["goal"] for row in rows)
    assert document["config"]["log_lines"] == QUICK.log_lines
    assert set(benchmarks(QUICK)) == {
        *("get", "logs", "gather", "import", "emulator", "polling", "memory")
    }


def test_table_lists_each_row_once() -> None:
    row = Row("m", "1 us", "2 us", 0.5, 0.4, 0.6, "<= 1.1x", True)
    lines = table([row, row]).splitlines()
    assert lines[2] == "| m | 1 us | 2 us | 0.50 (0.40-0.60) | <= 1.1x | meets |"
    assert len(lines) == 4


def _recording(
    pages: LogPages,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """``pages.handler``, and the list of the URLs it is asked for."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return pages.handler(request)

    return handler, seen


def test_log_rows_compare_the_same_requests() -> None:
    # Like for like: raw paging sends exactly the queries the client sends.
    handler, seen = _recording(LogPages(2_500, 1000))

    ours, raw = _sync_pair(handler)
    with ours, raw:
        assert sum(our_log_pages(ours, 1000)) == 2_500
        mine, seen[:] = list(seen), []
        assert sum(raw_log_pages(raw, 1000)) == 2_500
        theirs, seen[:] = list(seen), []
        assert sum(floor_log_pages(raw, 1000)) == 2_500
    assert len(mine) == 3
    assert mine == theirs == seen


def test_async_log_rows_compare_the_same_requests() -> None:
    handler, seen = _recording(LogPages(2_500, 1000))

    async def lines(reader: AsyncIterator[int]) -> int:
        return sum([count async for count in reader])

    async def run() -> list[list[str]]:
        ours, raw = _async_pair(handler)
        requests: list[list[str]] = []
        async with ours, raw:
            for reader in (
                aour_log_pages(ours, 1000),
                araw_log_pages(raw, 1000),
                afloor_log_pages(raw, 1000),
            ):
                assert await lines(reader) == 2_500
                requests.append(list(seen))
                seen.clear()
        return requests

    mine, theirs, floor = asyncio.run(run())
    assert len(mine) == 3
    assert mine == theirs == floor
