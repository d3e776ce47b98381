"""Fixtures of the waiting/logs suite: a simulated clock and a fake Api for pure flow tests."""

from __future__ import annotations

import pytest

from ._fakes import FakeApi, SimClock


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def api(clock: SimClock) -> FakeApi:
    return FakeApi(clock)
