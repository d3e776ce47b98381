"""Side-by-side measurement: interleaved rounds, ratios per round, one row per metric.

Every comparative figure is the ratio of two things measured in the same process, in
alternating order (A B, B A, A B, ...), each round timing a batch of calls of one side;
the row reports the median of the per-round ratios with their minimum and maximum. A
ratio of two batches run a moment apart cancels most of what a loaded machine does to
absolute times (other processes, frequency scaling), which is why the goals are ratios.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Literal

import attrs

Direction = Literal["at_most", "at_least"]


@attrs.frozen
class Row:
    """One line of the table.

    Attributes:
        metric: What is measured.
        ours: Our figure, formatted with its unit.
        baseline: The baseline's figure ("" when the goal is absolute).
        ratio: Median ratio ours/baseline (or the absolute value the goal is about).
        ratio_min: Smallest per-round ratio.
        ratio_max: Largest per-round ratio.
        goal: The goal, as text.
        met: Whether the goal is met (``None``: informational row).
        note: How it was measured, and anything a reader must know.
    """

    metric: str
    ours: str
    baseline: str
    ratio: float | None
    ratio_min: float | None
    ratio_max: float | None
    goal: str
    met: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        """``meets`` / ``MISSES`` / ``-``."""
        return "-" if self.met is None else ("meets" if self.met else "MISSES")

    def ratio_text(self) -> str:
        """``1.05 (1.01-1.09)``, or the value alone when there is no spread."""
        if self.ratio is None:
            return "-"
        if self.ratio_min is None or self.ratio_max is None:
            return f"{self.ratio:.2f}"
        return f"{self.ratio:.2f} ({self.ratio_min:.2f}-{self.ratio_max:.2f})"


@attrs.frozen
class Spread:
    """Per-round figures of two sides and their ratios (ours/baseline)."""

    ours: tuple[float, ...]
    baseline: tuple[float, ...]

    @property
    def ratios(self) -> list[float]:
        """Per-round ratios ours/baseline."""
        return [a / b for a, b in zip(self.ours, self.baseline, strict=True)]

    def median_ours(self) -> float:
        """Median of our per-round figures."""
        return statistics.median(self.ours)

    def median_baseline(self) -> float:
        """Median of the baseline's per-round figures."""
        return statistics.median(self.baseline)


def interleave(ours: Callable[[], float], baseline: Callable[[], float], rounds: int) -> Spread:
    """Run ``rounds`` rounds of both batches, alternating which goes first.

    Each callable runs one batch and returns the figure of that batch (seconds, or any
    per-batch quantity); a collection before each batch keeps one side's garbage from
    being collected on the other side's time.
    """
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(rounds):
        order = (ours, baseline) if index % 2 == 0 else (baseline, ours)
        for side in order:
            gc.collect()
            figure = side()
            (mine if side is ours else theirs).append(figure)
    return Spread(tuple(mine), tuple(theirs))


async def interleave_async(
    ours: Callable[[], Awaitable[float]], baseline: Callable[[], Awaitable[float]], rounds: int
) -> Spread:
    """:func:`interleave` for coroutines, in the running event loop."""
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(rounds):
        order = (ours, baseline) if index % 2 == 0 else (baseline, ours)
        for side in order:
            gc.collect()
            figure = await side()
            (mine if side is ours else theirs).append(figure)
    return Spread(tuple(mine), tuple(theirs))


def lockstep(
    ours: Callable[[], Iterator[object]], baseline: Callable[[], Iterator[object]], rounds: int
) -> Spread:
    """Rounds of two step-by-step runs, interleaved a step at a time.

    Each callable starts one run (a whole read, say) as an iterator whose every ``next``
    is one step (a page). The two runs advance alternately, one step each, the side going
    first alternating by round, and each side's figure is the CPU time of its steps
    summed. Slow spells of a shared machine last longer than a page, so they fall on
    both sides alike: the same code against itself measures within a few per cent this
    way, where whole runs back to back differ by 2x on a busy 2-core machine.
    """
    spread = _Spreads()
    for index in range(rounds):
        runs = (iter(ours()), iter(baseline()))
        turns = _Turns(index)
        for side in turns:
            started = clock()
            turns.took(side, started, next(runs[side], _DONE) is not _DONE)
        spread.add(turns)
    return spread.done()


async def lockstep_async(
    ours: Callable[[], AsyncIterator[object]],
    baseline: Callable[[], AsyncIterator[object]],
    rounds: int,
) -> Spread:
    """:func:`lockstep` for async iterators, in the running event loop."""
    spread = _Spreads()
    for index in range(rounds):
        runs = (ours().__aiter__(), baseline().__aiter__())
        turns = _Turns(index)
        for side in turns:
            started = clock()
            turns.took(side, started, await anext(runs[side], _DONE) is not _DONE)
        spread.add(turns)
    return spread.done()


class _Turns:
    """One lockstep round: whose step is next, and each side's CPU time so far."""

    def __init__(self, index: int) -> None:
        gc.collect()
        self._order = (0, 1) if index % 2 == 0 else (1, 0)
        self._live = [True, True]
        self.spent = [0.0, 0.0]

    def __iter__(self) -> Iterator[int]:
        while any(self._live):
            for side in self._order:
                if self._live[side]:
                    yield side

    def took(self, side: int, started: float, alive: bool) -> None:
        """Count a step of ``side`` begun at ``started``; ``alive``: its run goes on."""
        self.spent[side] += clock() - started
        self._live[side] = alive


class _Spreads:
    """The rounds' figures, ours and the baseline's."""

    def __init__(self) -> None:
        self._mine: list[float] = []
        self._theirs: list[float] = []

    def add(self, turns: _Turns) -> None:
        self._mine.append(turns.spent[0])
        self._theirs.append(turns.spent[1])

    def done(self) -> Spread:
        return Spread(tuple(self._mine), tuple(self._theirs))


_DONE = object()

clock = time.process_time
"""The clock of in-process comparisons: CPU time of this process.

What is compared never waits (MockTransport, no sleep), so CPU time is its whole cost,
and unlike wall time it does not count the moments another process has the core: on a
busy machine wall-clock rounds of the same code differ by 3x, CPU-time rounds by far less.
"""


def ratio_row(
    metric: str,
    spread: Spread,
    *,
    unit: Callable[[float], str],
    goal: float,
    direction: Direction,
    note: str = "",
    invert: bool = False,
) -> Row:
    """A row whose verdict is the median ratio against ``goal``.

    ``invert`` turns per-round times into a throughput ratio (baseline time / our time).
    """
    ratios = [1 / r for r in spread.ratios] if invert else spread.ratios
    median = statistics.median(ratios)
    met = median <= goal if direction == "at_most" else median >= goal
    sign = "<=" if direction == "at_most" else ">="
    return Row(
        metric=metric,
        ours=unit(spread.median_ours()),
        baseline=unit(spread.median_baseline()),
        ratio=median,
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        goal=f"{sign} {goal:g}x" + (" throughput" if invert else ""),
        met=met,
        note=note,
    )


def micros(seconds: float) -> str:
    """``123 us``."""
    return f"{seconds * 1e6:,.0f} us"


def millis(seconds: float) -> str:
    """``12.3 ms``."""
    return f"{seconds * 1e3:,.1f} ms"


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (what the README quotes)."""
    head = ["metric", "ours", "baseline", "ratio median (min-max)", "goal", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row.metric, row.ours, row.baseline or "-", row.ratio_text(), row.goal]
        lines.append("| " + " | ".join([*cells, row.verdict]) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def to_json(rows: Sequence[Row], config: dict[str, Any]) -> str:
    """The run as JSON: machine, configuration and rows (with the verdict spelled out)."""
    document = {
        "machine": machine(),
        "config": config,
        "rows": [{**attrs.asdict(row), "verdict": row.verdict} for row in rows],
    }
    return json.dumps(document, indent=2) + "\n"
