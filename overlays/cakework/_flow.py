"""Sans-I/O flows and the two pumps that drive them.

Every multi-step operation (a request with retries, waiting for a status, the next log
page, follow, pool acquire) is written once, as a generator that yields *effects* and
receives their results:

* ``Send(operation, request)`` -> the ``httpx.Response`` (or the ``httpx`` exception is
  thrown into the flow at the ``yield``);
* ``Sleep(seconds)`` -> ``None`` once the time has passed;
* ``Now()`` -> the current monotonic time in seconds.

A flow never reads the clock, sleeps or touches the network itself, so it can be tested
with ``next(flow)`` / ``flow.send(...)`` and no server or clock. :func:`run_sync` and
:func:`run_async` are the only places that perform effects; :class:`SyncPump` and
:class:`AsyncPump` bind them to a client's connection pool, clock, sleep and randomness
and are what every resource, iterator and pool is handed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, TypeVar

import attrs
import httpx

from .errors import CakeworkError

T = TypeVar("T")


@attrs.frozen
class Send:
    """Send one HTTP request; the flow receives the ``httpx.Response``.

    Attributes:
        operation: The operationId from openapi.yaml (for logging, errors and retries).
        request: Keyword arguments for ``httpx.Client.build_request`` (``method``,
            ``url``, ``params``, ``json``, ``headers``), as made by the generated
            endpoint module's ``_get_kwargs``.
    """

    operation: str
    request: dict[str, Any]


@attrs.frozen
class Sleep:
    """Wait ``seconds``; the flow receives ``None``."""

    seconds: float


@attrs.frozen
class Now:
    """Ask for the monotonic clock; the flow receives a float in seconds."""


Effect: TypeAlias = Send | Sleep | Now
Flow: TypeAlias = Generator[Effect, Any, T]
"""A generator yielding effects and returning ``T``."""

Runner: TypeAlias = Callable[[Flow[bool]], bool]
"""Runs a refill flow to its end (a :class:`SyncPump`, or a test's driver)."""
AsyncRunner: TypeAlias = Callable[[Flow[bool]], Awaitable[bool]]
"""Runs a refill flow to its end (an :class:`AsyncPump`, or a test's driver)."""

Clock: TypeAlias = Callable[[], float]
SyncSleep: TypeAlias = Callable[[float], None]
AsyncSleep: TypeAlias = Callable[[float], Awaitable[None]]


def _raise_if_closed(http: httpx.Client | httpx.AsyncClient) -> None:
    """Turn httpx's RuntimeError for a closed client into ours.

    A wait, follow or pool call on one thread (or task) outlives a ``close()`` on
    another; its next request must fail as a ``CakeworkError``, like a call made after
    ``close()`` does.
    """
    if http.is_closed:
        raise CakeworkError("the client was closed while this call was running") from None


def run_sync(
    flow: Flow[T],
    http: httpx.Client,
    clock: Clock = time.monotonic,
    sleep: SyncSleep = time.sleep,
) -> T:
    """Drive ``flow`` to completion with blocking I/O and return its result."""
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Send):
                try:
                    response = http.send(http.build_request(**effect.request))
                except httpx.HTTPError as exc:
                    effect = flow.throw(exc)
                    continue
                except RuntimeError:
                    _raise_if_closed(http)
                    raise
                effect = flow.send(response)
            elif isinstance(effect, Sleep):
                sleep(effect.seconds)
                effect = flow.send(None)
            else:
                effect = flow.send(clock())
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def run_async(
    flow: Flow[T],
    http: httpx.AsyncClient,
    clock: Clock = time.monotonic,
    sleep: AsyncSleep = asyncio.sleep,
) -> T:
    """Drive ``flow`` to completion with asyncio I/O and return its result.

    Cancellation propagates: the ``CancelledError`` raised at an ``await`` leaves this
    function, and ``flow.close()`` runs the flow's ``finally`` blocks.
    """
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Send):
                try:
                    response = await http.send(http.build_request(**effect.request))
                except httpx.HTTPError as exc:
                    effect = flow.throw(exc)
                    continue
                except RuntimeError:
                    _raise_if_closed(http)
                    raise
                effect = flow.send(response)
            elif isinstance(effect, Sleep):
                await sleep(effect.seconds)
                effect = flow.send(None)
            else:
                effect = flow.send(clock())
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


@attrs.frozen
class SyncPump:
    """A blocking client's way to run flows: its connection pool, clock, sleep, jitter.

    Calling it runs a flow to completion (``pump(flow)``).

    Attributes:
        http: The connection pool.
        clock: Monotonic seconds.
        sleep: Blocking sleep.
        new_rng: A fresh jitter source for each wait, follow or pool.
        owner: The client's class name, for the "is closed" error.
    """

    http: httpx.Client
    clock: Clock = time.monotonic
    sleep: SyncSleep = time.sleep
    new_rng: Callable[[], random.Random] = random.Random
    owner: str = "Cakework"

    def __call__(self, flow: Flow[T]) -> T:
        if self.http.is_closed:
            flow.close()
            raise CakeworkError(f"{self.owner} is closed; create a new client")
        return run_sync(flow, self.http, self.clock, self.sleep)


@attrs.frozen
class AsyncPump:
    """An asyncio client's way to run flows (see :class:`SyncPump`); ``await pump(flow)``."""

    http: httpx.AsyncClient
    clock: Clock = time.monotonic
    sleep: AsyncSleep = asyncio.sleep
    new_rng: Callable[[], random.Random] = random.Random
    owner: str = "AsyncCakework"

    async def __call__(self, flow: Flow[T]) -> T:
        if self.http.is_closed:
            flow.close()
            raise CakeworkError(f"{self.owner} is closed; create a new client")
        return await run_async(flow, self.http, self.clock, self.sleep)
