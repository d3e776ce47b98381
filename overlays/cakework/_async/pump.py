"""The pump: the only place where effects happen (network, sleep, clock).

:func:`run_async` drives a flow (``_flow``) to its end; :class:`AsyncPump` binds it to a
client's connection pool, clock, sleep and randomness. The blocking twin is generated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import attrs
import httpx

from .._concurrency import sleep_async
from .._flow import AsyncSleep, Clock, Flow, Send, Sleep, raise_if_closed, unlinked
from .._pending import name_interrupted_send
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
                try:
                    response = await http.send(http.build_request(**effect.request))
                except httpx.HTTPError as exc:
                    effect = flow.throw(exc)
                    continue
                except RuntimeError:
                    raise_if_closed(http)
                    raise
                except BaseException as exc:
                    name_interrupted_send(effect.operation, effect.request, exc)
                    raise
                effect = flow.send(unlinked(response))
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
            raise CakeworkError(f"{self.owner} is closed; create a new client")
        return await run_async(flow, self.http, self.clock, self.sleep)
