"""The poll schedule and the deadline, as pure values."""

from __future__ import annotations

import itertools
import random

import pytest

from cakework._polling import DEFAULT_SCHEDULE, Deadline, PollSchedule, poll_delays


def test_schedule_without_jitter_is_1s_times_1_5_capped_at_15s() -> None:
    delays = list(itertools.islice(poll_delays(random.Random(0), jitter=0.0), 10))
    assert delays == pytest.approx(
        [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625, 15.0, 15.0, 15.0]
    )


def test_jitter_stays_within_20_percent_of_the_capped_base() -> None:
    bases = [min(1.0 * 1.5**i, 15.0) for i in range(200)]
    delays = list(itertools.islice(DEFAULT_SCHEDULE.delays(random.Random(7)), 200))
    for base, delay in zip(bases, delays, strict=True):
        assert 0.8 * base <= delay <= 1.2 * base
    # jitter really varies the delays (a constant schedule would fail here)
    assert len({round(d / b, 6) for d, b in zip(delays, bases, strict=True)}) > 100


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
