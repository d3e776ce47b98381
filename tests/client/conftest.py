"""Fixtures for the client tests: every end-to-end test runs for both clients.

``make_client`` is parametrized over ``Cakework`` and ``AsyncCakework``; it returns a
:class:`Runner` whose ``call`` awaits the async client's coroutines and passes the sync
client's results through, so one test body checks both. Sleeps are injected and recorded
(never real), and closed at teardown.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator

T = TypeVar("T")
AnyClient = Cakework | AsyncCakework


class Runner:
    """One client under test plus what its injected sleep saw."""

    def __init__(self, client: AnyClient, sleeps: list[float]) -> None:
        self.c = client
        self.sleeps = sleeps

    @property
    def is_async(self) -> bool:
        return isinstance(self.c, AsyncCakework)

    async def call(self, result: T | Awaitable[T]) -> T:
        """Await an async client's coroutine; a sync client's result is already there."""
        if inspect.isawaitable(result):
            return await result
        return result

    def derive(self, **options: Any) -> Runner:
        return Runner(self.c.with_options(**options), self.sleeps)

    async def close(self) -> None:
        if isinstance(self.c, AsyncCakework):
            await self.c.aclose()
        else:
            self.c.close()


class MakeClient(Protocol):
    def __call__(
        self, *, on_sleep: Callable[[float], None] | None = None, **kwargs: Any
    ) -> Runner: ...


@pytest.fixture(params=["sync", "async"])
async def make_client(request: pytest.FixtureRequest) -> AsyncIterator[MakeClient]:
    """Factory of clients of the parametrized kind; ``on_sleep`` replaces real sleeping."""
    made: list[Runner] = []

    def make(*, on_sleep: Callable[[float], None] | None = None, **kwargs: Any) -> Runner:
        sleeps: list[float] = []

        def record(seconds: float) -> None:
            sleeps.append(seconds)
            if on_sleep is not None:
                on_sleep(seconds)

        async def record_async(seconds: float) -> None:
            record(seconds)

        kwargs.setdefault("api_key", "test-key")
        client: AnyClient
        if request.param == "sync":
            client = Cakework(sleep=record, **kwargs)
        else:
            client = AsyncCakework(sleep=record_async, **kwargs)
        runner = Runner(client, sleeps)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        await runner.close()


@pytest.fixture(scope="module")
def _emulator() -> Iterator[Emulator]:
    # One server per module, reset per test: starting uvicorn per test would dominate.
    with Emulator(api_keys=("test-key", "other-key"), manual_clock=True) as emu:
        yield emu


@pytest.fixture
def emu(_emulator: Emulator) -> Emulator:
    """The module's emulator with no resources, faults or counts; manual clock."""
    _emulator.reset()
    return _emulator


@pytest.fixture
def client(emu: Emulator, make_client: MakeClient) -> Runner:
    """A client of the parametrized kind on ``emu``; its sleeps advance the emulator clock."""
    return make_client(base_url=emu.base_url, api_key=emu.api_key, on_sleep=emu.advance)
