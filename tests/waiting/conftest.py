"""Fixtures of the waiting/logs suite.

Pure flow tests use ``clock``/``api`` (a simulated clock and a fake Api: no server). The
end-to-end tests use ``make_harness``, parametrized over ``Cakework`` and ``AsyncCakework``:
a manual-clock emulator whose clock the client's injected sleep advances.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from cakework import _polling
from cakework.testing import Emulator

from ._e2e import Harness
from ._fakes import FakeApi, SimClock


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def api(clock: SimClock) -> FakeApi:
    return FakeApi(clock)


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Pin the jitter of the resources' waits to ``random.Random(seed)``."""

    def pin(seed: int) -> None:
        monkeypatch.setattr(_polling, "new_rng", lambda: random.Random(seed))

    return pin


MakeHarness = Callable[..., Harness]


@pytest.fixture(params=["sync", "async"])
async def make_harness(request: pytest.FixtureRequest) -> AsyncIterator[MakeHarness]:
    """Factory: ``make_harness(**emulator_kwargs)`` -> a Harness of the parametrized kind."""
    made: list[Harness] = []
    with contextlib.ExitStack() as stack:

        def make(**kwargs: Any) -> Harness:
            emu = stack.enter_context(Emulator(manual_clock=True, **kwargs))
            harness = Harness(emu, request.param)
            made.append(harness)
            return harness

        try:
            yield make
        finally:
            for harness in made:
                await harness.close()
