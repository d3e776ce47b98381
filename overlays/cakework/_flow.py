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
``run_async`` (``_async/pump.py``, and its generated twin ``run_sync``) are the only
places that perform effects; the pump classes next to them bind them to a client's
connection pool, clock, sleep and randomness and are what every resource, iterator and
pool is handed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Final, TypeAlias, TypeVar

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


def raise_if_closed(http: httpx.Client | httpx.AsyncClient) -> None:
    """Turn httpx's RuntimeError for a closed client into ours.

    A wait, follow or pool call on one thread (or task) outlives a ``close()`` on
    another; its next request must fail as a ``CakeworkError``, like a call made after
    ``close()`` does.
    """
    if http.is_closed:
        raise CakeworkError("the client was closed while this call was running") from None


_READ: Final = httpx.ByteStream(b"")


def unlinked(response: httpx.Response) -> httpx.Response:
    """``response`` (body read) without the reference cycle httpx gives it.

    httpx wraps the body stream in an object that points back at the response, so a
    response is freed only by a run of the garbage collector, not when the last
    reference to it goes. Beside a big application heap, full collections are rare, and
    the responses of a long log read (each with its body) would pile up until the next.
    The body is read already (the pumps never stream), so the stream is never used
    again; an empty one in its place breaks the cycle, and the response goes as soon as
    the flow is done with it: before the lines of its page are handed out.
    """
    response.stream = _READ
    return response


def outgoing(http: httpx.Client | httpx.AsyncClient, request: Mapping[str, Any]) -> httpx.Request:
    """The ``httpx.Request`` that ``http.build_request(**request)`` makes, made for less.

    ``build_request`` merges the client's headers, cookies and query parameters into
    every request, and a merge of headers costs more than all our own per-call work.
    Ours are the same on every call of a client, so the merged headers are made once per
    distinct pair (client's headers, request's headers) and reused; the request is then
    made directly. A client with cookies or query parameters of its own, or a request
    without its timeout (ours always carry one, ``_operations.Envelope``), goes through
    ``build_request`` as before. ``tests/client/test_outgoing.py`` holds both ways to
    the same bytes on the wire.
    """
    if http.cookies or http.params or "timeout" not in request.get("extensions", ()):
        return http.build_request(**request)
    headers = _merged_headers(tuple(http.headers.raw), tuple(request.get("headers", {}).items()))
    return httpx.Request(**{**request, "headers": headers})


@functools.lru_cache(maxsize=64)
def _merged_headers(
    client: tuple[tuple[bytes, bytes], ...], request: tuple[tuple[str, str], ...]
) -> httpx.Headers:
    """The client's headers updated with the request's, as ``build_request`` merges them.

    Never changed afterwards: ``httpx.Request`` copies the headers it is given.
    """
    merged = httpx.Headers(list(client))
    merged.update(dict(request))
    return merged
