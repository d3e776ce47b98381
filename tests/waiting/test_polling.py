"""The poll schedule and the deadline, as pure values."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest

from cakework._polling import DEFAULT_SCHEDULE, Deadline, PollSchedule, poll_delays


def test_schedule_without_jitter_is_1s_times_1_5_capped_at_15s() -> None:
    delays = list(itertools.islice(poll_delays(random.Random(0), jitter=0.0), 10))
    assert delays == pytest.approx(
        [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625, 15.0, 15.0, 15.0]
    )


def test_jitter_stays_within_20_percent_of_the_base_and_never_passes_the_cap() -> None:
    bases = [min(1.0 * 1.5**i, 15.0) for i in range(200)]
    delays = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(7)), 200))
    for base, delay in zip(bases, delays, strict=True):
        assert 0.8 * base <= delay <= min(1.2 * base, 15.0)
    # jitter really varies the delays (a constant schedule would fail here), also at the cap
    assert len({round(d / b, 6) for d, b in zip(delays, bases, strict=True)}) > 50
    assert len({round(d, 6) for d in delays[10:]}) > 50


class _Extreme(random.Random):
    """A jitter source that always answers one end of the interval it is asked for."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def _polls_until(delays: Iterator[float], seconds: float) -> tuple[int, float]:
    """Polls a wait of ``seconds`` makes, and the longest gap between two of them."""
    elapsed, polls, longest = 0.0, 0, 0.0
    while elapsed < seconds:
        delay = next(delays)
        elapsed, polls, longest = elapsed + delay, polls + 1, max(longest, delay)
    return polls, longest


@pytest.mark.parametrize("high", [False, True])
def test_worst_case_detection_lag_is_the_cap_at_either_jitter_extreme(high: bool) -> None:
    # A change is seen at the first poll after it: at most one gap late.
    _, longest = _polls_until(DEFAULT_SCHEDULE.delays(_Extreme(high)), 3600.0)
    assert longest == (15.0 if high else 15.0 * 0.8)


def test_a_ten_minute_build_costs_at_most_50_polls() -> None:
    counts = [
        _polls_until(DEFAULT_SCHEDULE.delays(random.Random(seed)), 600.0)[0] for seed in range(500)
    ]
    assert max(counts) <= 50
    # The vendor's example polled every 2 s: 300 polls.
    assert _polls_until(DEFAULT_SCHEDULE.delays(_Extreme(True)), 600.0)[0] < 50


def test_same_seed_same_schedule() -> None:
    first = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(3)), 20))
    again = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(3)), 20))
    other = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(4)), 20))
    assert first == again != other


def test_custom_schedule() -> None:
    schedule = PollSchedule(first=2.0, factor=2.0, cap=5.0, jitter=0.0)
    assert list(itertools.islice(schedule.delays(random.Random()), 4)) == [2.0, 4.0, 5.0, 5.0]


def test_deadline_clips_the_last_sleep_to_end_exactly_at_the_deadline() -> None:
    deadline = Deadline(start=100.0, timeout=10.0)
    assert deadline.clip(3.0, now=101.0) == 3.0
    assert deadline.clip(3.0, now=108.5) == pytest.approx(1.5)
    assert deadline.clip(3.0, now=110.0) is None
    assert deadline.clip(3.0, now=120.0) is None
    assert deadline.expired(110.0)
    assert not deadline.expired(109.9)
    assert deadline.elapsed(104.0) == 4.0


def test_no_deadline_never_clips() -> None:
    deadline = Deadline(start=0.0, timeout=None)
    assert deadline.clip(15.0, now=1e9) == 15.0
    assert not deadline.expired(1e12)
