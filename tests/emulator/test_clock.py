"""Pure tests of the emulator clocks (time is faked, nothing sleeps)."""

from __future__ import annotations

import pytest

from cakework.testing import ManualClock, ScaledClock


def test_manual_clock() -> None:
    clock = ManualClock(start=100.0)
    assert clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5
    with pytest.raises(ValueError, match="back"):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == 100.0


def test_scaled_clock_runs_at_speed() -> None:
    fake = {"mono": 50.0}
    clock = ScaledClock(speed=120.0, start=1000.0, monotonic=lambda: fake["mono"])
    assert clock.now() == 1000.0
    fake["mono"] += 0.5  # half a real second is a minute of emulator time
    assert clock.now() == 1060.0
    clock.advance(30)
    assert clock.now() == 1090.0
    clock.reset()
    assert clock.now() == 1060.0


def test_scaled_clock_rejects_bad_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed=-1)


@pytest.mark.parametrize("seconds", [float("nan"), float("inf")])
def test_clocks_refuse_non_finite_advance(seconds: float) -> None:
    for clock in (ManualClock(start=0.0), ScaledClock(start=0.0, monotonic=lambda: 0.0)):
        with pytest.raises(ValueError, match="finite"):
            clock.advance(seconds)
        assert clock.now() == 0.0


@pytest.mark.parametrize("speed", [0.0, float("nan"), float("inf")])
def test_scaled_clock_refuses_non_finite_speed(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed=speed)
