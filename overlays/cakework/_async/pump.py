"""The pump: the only place where effects happen (network, sleep, clock).

:func:`run_async` drives a flow (``_flow``) to its end; :class:`AsyncPump` binds it to a
client's connection pool, clock, sleep and randomness, and sends a plain API call's first
attempt without a flow (:meth:`AsyncPump.call`). The blocking twin is generated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import httpx

from .._concurrency import sleep_async
from .._flow import AsyncSleep, Clock, Flow, Send, Sleep, outgoing, raise_if_closed, unlinked
from .._pending import name_interrupted_send
from .._request import Api, ApiCall, succeeded
from ..errors import CakeworkError

T = TypeVar("T")


async def run_async(
    flow: Flow[T],
    http: httpx.AsyncClient,
    clock: Clock = time.monotonic,
    sleep: AsyncSleep = sleep_async,
) -> T:
    """Drive ``flow`` to completion with asyncio I/O and return its result.

    Cancellation propagates: the ``CancelledError`` raised at an ``await`` leaves this
    function, and ``flow.close()`` runs the flow's ``finally`` blocks. An interrupt
    (Ctrl-C, cancellation) while a create is in flight, or its answer being read,
    names what it may have made (``_pending``) unless a caller shields the request.
    """
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Send):
                outcome = await send_once(http, effect.operation, effect.request)
                if isinstance(outcome, httpx.HTTPError):
                    effect = flow.throw(outcome)
                else:
                    effect = flow.send(outcome)
            elif isinstance(effect, Sleep):
                await sleep(effect.seconds)
                effect = flow.send(None)
            else:
                effect = flow.send(clock())
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def send_once(
    http: httpx.AsyncClient, operation: str, request: Mapping[str, Any]
) -> httpx.Response | httpx.HTTPError:
    """One attempt: the response, or the ``httpx`` error that ended it, to decide on.

    The response's body is read and its reference cycle broken (``_flow.unlinked``). A
    closed client is our ``CakeworkError``; an interrupt while a create is in flight names
    what it may have made (``_pending``) and propagates.
    """
    try:
        return unlinked(await http.send(outgoing(http, request)))
    except httpx.HTTPError as exc:
        return exc
    except RuntimeError:
        raise_if_closed(http)
        raise
    except BaseException as exc:
        name_interrupted_send(operation, request, exc)
        raise


@attrs.frozen
class AsyncPump:
    """An asyncio client's way to run flows (see :class:`SyncPump`); ``await pump(flow)``."""

    http: httpx.AsyncClient
    clock: Clock = time.monotonic
    sleep: AsyncSleep = sleep_async
    new_rng: Callable[[], random.Random] = random.Random
    owner: str = "AsyncCakework"

    async def __call__(self, flow: Flow[T]) -> T:
        if self.http.is_closed:
            flow.close()
            raise self._closed()
        return await run_async(flow, self.http, self.clock, self.sleep)

    async def call(self, api: Api, call: ApiCall[T]) -> T:
        """One API call: what ``self(api.flow(call))`` does, its first attempt sent here.

        The first attempt of nearly every call succeeds; sending it without a generator
        saves the flow's machinery on each of them. Any other outcome goes on as the
        request flow does after a first attempt (:meth:`Api.retrying`), so retries,
        errors and ``maybe_created`` are decided in one place.
        """
        if self.http.is_closed:
            raise self._closed()
        outcome = await send_once(self.http, call.operation, call.request)
        if isinstance(outcome, httpx.Response) and outcome.is_success:
            return succeeded(call, outcome)
        return await run_async(api.retrying(call, outcome), self.http, self.clock, self.sleep)

    def _closed(self) -> CakeworkError:
        return CakeworkError(f"{self.owner} is closed; create a new client")
