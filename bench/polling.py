"""Waiting for a build: how many polls a 10-minute build costs, and how late it is seen."""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator
from unittest import mock

from cakework import Cakework, _polling
from cakework.testing import Emulator, Timings

from .harness import Row

DOCKERFILE = "FROM python:3.11-slim\n" + "RUN echo step\n" * 9  # 10 steps
BUILD_SECONDS = 600.0
VENDOR_INTERVAL = 2.0  # the vendor example's fixed loop


def polls(seeds: int) -> Row:
    """Requests (getBuild) ``wait_for_build`` makes for a 10-minute build, per jitter seed.

    The emulator's manual clock is the client's sleep, so a 10-minute build takes no
    real time and each seed's count is exact.
    """
    timings = Timings(build_step=BUILD_SECONDS / 10)
    counts = []
    with (
        Emulator(manual_clock=True, timings=timings) as emu,
        Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance) as client,
    ):
        for seed in range(seeds):
            emu.reset()
            build = client.images.build_from_files(dockerfile=DOCKERFILE, files=[])
            before = emu.request_count("getBuild")
            with mock.patch.object(_polling, "new_rng", lambda s=seed: random.Random(s)):
                client.images.wait_for_build(build.build_id)
            counts.append(emu.request_count("getBuild") - before)
    vendor = round(BUILD_SECONDS / VENDOR_INTERVAL) + 1
    median = statistics.median(counts)
    return Row(
        metric="10-minute build: getBuild polls",
        ours=f"{median:g} (max {max(counts)})",
        baseline=f"{vendor} (2 s loop)",
        ratio=median / vendor,
        ratio_min=min(counts) / vendor,
        ratio_max=max(counts) / vendor,
        goal="<= 50 polls",
        met=max(counts) <= 50,
        note=f"emulator with a manual clock; {seeds} jitter seeds, verdict on the largest",
    )


class _Extreme(random.Random):
    """Jitter pinned to one end of its interval."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def _longest_gap(delays: Iterator[float], horizon: float) -> float:
    elapsed, longest = 0.0, 0.0
    while elapsed < horizon:
        delay = next(delays)
        elapsed += delay
        longest = max(longest, delay)
    return longest


def detection_lag(seeds: int, horizon: float = 3600.0) -> Row:
    """Worst-case lag between a status change and the poll that sees it.

    A change at any instant is seen by the next poll, so the worst case is the longest
    gap between two polls; computed over the schedule (no waiting) with the jitter at
    both extremes and over ``seeds`` random seeds, for waits up to ``horizon``.
    """
    schedule = _polling.DEFAULT_SCHEDULE
    sources: list[random.Random] = [_Extreme(True), _Extreme(False)]
    sources += [random.Random(seed) for seed in range(seeds)]
    worst = max(_longest_gap(schedule.delays(rng), horizon) for rng in sources)
    return Row(
        metric="worst-case detection lag",
        ours=f"{worst:.1f} s",
        baseline=f"{VENDOR_INTERVAL:.1f} s (2 s loop)",
        ratio=worst,
        ratio_min=None,
        ratio_max=None,
        goal="<= 15 s",
        met=worst <= 15.0,
        note=f"longest gap between polls: jitter extremes and {seeds} seeds, waits up to 1 h",
    )
