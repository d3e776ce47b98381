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
:func:`run_async` are the only places that perform effects.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
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


def finish_despite_interrupt(call: Callable[[], T]) -> tuple[T, BaseException | None]:
    """Run ``call`` (a request that creates something) so Ctrl-C cannot lose its answer.

    Ctrl-C (``KeyboardInterrupt``) lands in the main thread. If that thread were reading
    the answer of startVM or cacheVM -- the only place the new VM's id appears -- the
    answer would be lost and the VM left running. So on the main thread ``call`` runs
    on a worker thread that the main thread waits for; interrupted, it keeps waiting for
    the answer (bounded by its timeout and retries; another Ctrl-C gives up) and hands back
    both. Off the main thread ``call`` just runs. The async client gets the same from
    ``asyncio.shield``.

    Returns:
        ``(result, None)``; or ``(result, interrupt)`` when an interrupt arrived while
        ``call`` ran and ``call`` still finished: record the result (so the VM can be
        cleaned up), then raise ``interrupt``.

    Raises:
        BaseException: Whatever ``call`` raised; or the interrupt, if ``call`` failed
            too or never started.
    """
    if threading.current_thread() is not threading.main_thread():
        return call(), None  # only the main thread receives KeyboardInterrupt
    results: list[T] = []
    errors: list[BaseException] = []
    began, done = threading.Event(), threading.Event()

    def work() -> None:
        began.set()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    context = contextvars.copy_context()  # the caller's context (tracing, log fields)
    worker = threading.Thread(target=context.run, args=(work,), name="cakework-request")
    worker.daemon = True
    try:
        worker.start()
        done.wait()
    except BaseException as interrupt:
        # Also when the interrupt hit inside start(): a launched worker reports in at
        # once; one that never launched sent nothing, and 1 s is plenty to tell them apart.
        if not began.wait(1.0):
            raise
        done.wait()
        if not results:
            raise
        return results[0], interrupt
    if errors:
        raise errors.pop()
    return results[0], None


async def finish_despite_cancel(call: Awaitable[T]) -> tuple[T, BaseException | None]:
    """Await ``call`` so that a task cancellation cannot lose its answer.

    The async twin of :func:`finish_despite_interrupt`: ``call`` runs shielded; if the
    awaiting task is cancelled meanwhile, the answer is still awaited (a second
    cancellation gives up and cancels ``call``) and handed back with the cancellation.

    Returns:
        ``(result, None)``; or ``(result, cancellation)``: record the result, then raise
        the cancellation.

    Raises:
        BaseException: Whatever ``call`` raised; or the cancellation, if ``call`` failed
            too.
    """
    task = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(task), None
    except asyncio.CancelledError as cancel:
        try:
            result = await task
        except BaseException:  # it failed, or we were cancelled again: nothing to record
            task.cancel()
            raise cancel from None
        return result, cancel
