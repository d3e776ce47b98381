"""Memory of a long log read: RSS and traced allocations, ours against raw httpx.

Each figure comes from a fresh interpreter (``python -m bench.memory``), so nothing an
earlier measurement allocated is in it. The process first builds the application heap
(``heap`` objects the garbage collector tracks, as a real application has: a big heap
makes full collections rare, which is what lets reference cycles pile up), reads a few
pages to warm up, then reads ``lines`` lines while it samples its resident set size
after every page. The figure is the largest sample minus the one taken before the read.
Every page is a new body (:class:`bench.client.LogPages`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import attrs

from .client import LogPages, SyncSides, our_log_lines, raw_log_pages, sync_sides
from .harness import Row

Side = Literal["ours", "raw"]
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """The resident set size of this process in bytes (Linux: now; elsewhere: its peak)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@attrs.frozen
class Growth:
    """What one read added: peak RSS and peak traced allocations over the start, bytes."""

    rss: int
    traced: int | None


def _reader(side: Side) -> Callable[[SyncSides, int], Iterator[int]]:
    # Ours the way people read logs: a line at a time.
    return our_log_lines if side == "ours" else raw_log_pages


def measure(side: Side, lines: int, heap: int, traced: bool, batch: int = 1000) -> Growth:
    """Read ``lines`` lines beside a heap of ``heap`` objects; what the read added."""
    application = [{"n": n} for n in range(heap)]  # noqa: F841 - held, as an app holds its data
    pages = LogPages(lines, batch)
    read = _reader(side)
    with sync_sides(pages.handler) as sides:
        warm = LogPages(3 * batch, batch)
        with sync_sides(warm.handler) as warm_sides:
            sum(read(warm_sides, batch))
        gc.collect()
        if traced:
            tracemalloc.start()
        start_traced = tracemalloc.get_traced_memory()[0] if traced else 0
        start = peak = rss()
        for _ in read(sides, batch):
            peak = max(peak, rss())
        traced_peak = tracemalloc.get_traced_memory()[1] - start_traced if traced else None
        tracemalloc.stop()
    return Growth(peak - start, traced_peak)


def measure_apart(side: Side, lines: int, heap: int, traced: bool = False) -> Growth:
    """:func:`measure` in a fresh interpreter."""
    command = [sys.executable, "-m", "bench.memory", side, str(lines), str(heap)]
    output = subprocess.run(
        [*command, "--traced"] if traced else command,
        check=True,
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    return Growth(**json.loads(output))


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:+.2f} MB"


def row(lines: int, heap: int, goal_mb: float, *, traced: bool) -> Row:
    """Ours and raw reading ``lines`` lines beside ``heap`` objects; goal on our RSS growth.

    RSS comes from runs without tracemalloc: its bookkeeping (a trace for every live
    block) grows RSS by itself, by more than the reader does. With ``traced``, a second
    run of each side gives the peak of traced allocations.
    """
    ours = measure_apart("ours", lines, heap)
    raw = measure_apart("raw", lines, heap)
    beside = f" beside a {heap:,}-object heap" if heap else ""
    traced_note = ""
    if traced:
        ours_traced = measure_apart("ours", lines, heap, traced=True).traced
        raw_traced = measure_apart("raw", lines, heap, traced=True).traced
        traced_note = (
            f"; traced allocations' peak (separate runs with tracemalloc): ours"
            f" {_mb(ours_traced)}, raw {_mb(raw_traced)}"
        )
    return Row(
        metric=f"RSS growth reading {lines:,} log lines{beside}",
        ours=_mb(ours.rss),
        baseline=_mb(raw.rss),
        ratio=ours.rss / 2**20,
        ratio_min=None,
        ratio_max=None,
        goal=f"<= {goal_mb:g} MB",
        met=ours.rss <= goal_mb * 2**20,
        note=(
            "`for line in vms.logs(...)` against raw httpx paging + `json.loads`, each in a"
            " fresh process without tracemalloc; largest RSS sample (one per page) minus RSS"
            f" before the read; a new body per page{traced_note}"
        ),
    )


def rows(lines: int, long_lines: int, heap: int) -> list[Row]:
    """The memory rows: ``lines`` alone and beside ``heap`` objects, ``long_lines`` beside it."""
    return [
        row(lines, 0, 1.0, traced=True),
        row(lines, heap, 2.0, traced=True),
        row(long_lines, heap, 2.0, traced=False),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Child process: measure one side, print the growth as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("side", choices=["ours", "raw"])
    parser.add_argument("lines", type=int)
    parser.add_argument("heap", type=int)
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args(argv)
    growth = measure(args.side, args.lines, args.heap, args.traced)
    result: dict[str, Any] = attrs.asdict(growth)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
