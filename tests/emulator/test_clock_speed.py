"""Speed changes and restores of the emulator clock (the console's speed control, --state)."""

from __future__ import annotations

import pytest

from cakework.testing import ManualClock, ScaledClock


class _Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_new_speed_applies_from_now_on_without_a_jump() -> None:
    mono = _Monotonic()
    clock = ScaledClock(2.0, start=1000.0, monotonic=mono)
    mono.now += 10  # 20 emulator seconds
    assert clock.now() == 1020.0
    clock.set_speed(10.0)
    assert clock.now() == 1020.0
    assert clock.speed == 10.0
    mono.now += 1
    assert clock.now() == 1030.0


@pytest.mark.parametrize("speed", [0, -1, float("inf"), float("nan")])
def test_a_speed_must_be_positive_and_finite(speed: float) -> None:
    clock = ScaledClock(1.0)
    with pytest.raises(ValueError, match="positive finite"):
        clock.set_speed(speed)
    assert clock.speed == 1.0


def test_restore_goes_on_from_the_saved_time() -> None:
    mono = _Monotonic()
    clock = ScaledClock(3.0, start=1000.0, monotonic=mono)
    clock.advance(50)
    clock.restore(5000.0)
    assert clock.now() == 5000.0
    mono.now += 2
    assert clock.now() == 5006.0
    manual = ManualClock()
    manual.restore(7000.0)
    assert manual.now() == 7000.0
    manual.reset()  # a reset still goes back to the fixed start
    assert manual.now() != 7000.0
