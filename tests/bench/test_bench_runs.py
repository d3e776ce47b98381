"""``make bench`` works: every benchmark runs in a tiny configuration (no timed assertions)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from bench.__main__ import QUICK, benchmarks, main
from bench.client import (
    LogPages,
    aour_log_lines,
    aour_log_pages,
    araw_log_pages,
    async_get_calls,
    async_sides,
    get_calls,
    our_log_lines,
    our_log_pages,
    raw_log_pages,
    sync_sides,
)
from bench.harness import Row, table

from ._recorder import recorder


def test_every_benchmark_gives_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert main(["--quick", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    rows = document["rows"]
    # Every goal's row and the informational rows beside them, each with a verdict;
    # the figures mean nothing here. Per call: own client, client passed in, base_url
    # baseline, sync and async (6); logs: pages, lines, calibration sync, pages and
    # lines async (5); one gather width in the quick run (the full run has two);
    # import; emulator: one sync client and the server's share of it, lean client,
    # listing, memory, state file (6);
    # polling (2);
    # memory: three reads (3).
    assert len(QUICK.gather_widths) == 1
    assert len(rows) == 6 + 5 + 1 + 1 + 6 + 2 + 3
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


PAGES = LogPages(2_500, 1000)


def test_every_get_sends_the_same_bytes() -> None:
    # Equal work: ours (own httpx client, and one passed in), raw httpx with absolute
    # URLs, and raw as usually written (base_url) put the same bytes on the wire.
    with recorder(PAGES) as server, sync_sides(None, server.base_url) as sides:
        sent = {}
        for name, call in get_calls(sides).items():
            call()
            call()
            sent[name] = server.take()
    assert len(sent["raw"]) == 2
    assert sent["own"] == sent["given"] == sent["raw"] == sent["usual"]
    assert b"X-Api-Key: bench-key" in sent["raw"][0]


def test_every_async_get_sends_the_same_bytes() -> None:
    async def run() -> dict[str, list[bytes]]:
        sent = {}
        with recorder(PAGES) as server:
            async with async_sides(None, server.base_url) as sides:
                for name, call in async_get_calls(sides).items():
                    await call()
                    sent[name] = server.take()
        return sent

    sent = asyncio.run(run())
    assert len(sent["raw"]) == 1
    assert sent["own"] == sent["given"] == sent["raw"] == sent["usual"]


def test_log_readers_send_the_same_bytes() -> None:
    with recorder(PAGES) as server, sync_sides(None, server.base_url) as sides:
        assert sum(our_log_pages(sides, 1000)) == 2_500
        by_page = server.take()
        assert sum(our_log_lines(sides, 1000)) == 2_500
        by_line = server.take()
        assert sum(raw_log_pages(sides, 1000)) == 2_500
        raw = server.take()
    assert len(raw) == 3
    assert by_page == by_line == raw


def test_async_log_readers_send_the_same_bytes() -> None:
    async def lines(reader: AsyncIterator[int]) -> int:
        return sum([count async for count in reader])

    async def run() -> list[list[bytes]]:
        sent = []
        with recorder(PAGES) as server:
            async with async_sides(None, server.base_url) as sides:
                for reader in (
                    aour_log_pages(sides, 1000),
                    aour_log_lines(sides, 1000),
                    araw_log_pages(sides, 1000),
                ):
                    assert await lines(reader) == 2_500
                    sent.append(server.take())
        return sent

    by_page, by_line, raw = asyncio.run(run())
    assert len(raw) == 3
    assert by_page == by_line == raw


def test_every_page_is_a_new_body() -> None:
    # A body shared between answers would hide whatever keeps a response alive.
    assert PAGES.body(1) == PAGES.body(1)
    assert PAGES.body(1) is not PAGES.body(1)
    assert [len(json.loads(PAGES.body(n))["lines"]) for n in range(PAGES.pages)] == [
        1000,
        1000,
        500,
    ]
