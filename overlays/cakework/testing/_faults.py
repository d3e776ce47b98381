"""Injected faults: which request gets which failure, decided without randomness.

A rule matches an operationId (or ``"*"``) and fires for the next ``times`` matching
requests, or for a ``fraction`` of them spread evenly (with ``fraction=0.25`` exactly every
4th matching request), optionally capped by ``times``. The first rule that fires wins.

Dropping a connection needs the server's transport, which an ASGI app never sees through
the standard interface: :class:`ConnectionDropper` wraps the app, takes uvicorn's own
``send`` and, when the request was marked, swallows the response and closes the socket.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

import attrs
import httpx

FaultKind = Literal["error", "latency", "drop_before", "drop_after", "bad_json"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "latency", "drop_before", "drop_after", "bad_json")
ErrorBody = Literal["json", "empty", "html"]
BadJson = Literal["truncated", "invalid"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DROP_KEY = "cakework.emulator.drop"
"""Scope key under which the app tells :class:`ConnectionDropper` to drop the connection."""


def _is_number(value: object) -> bool:
    # ``bool`` is an ``int`` to Python, never a number to someone writing a fault.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_status(instance: object, attribute: object, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599):
        raise ValueError(f"status must be an int from 400 to 599, not {value!r}")


def _check_retry_after(instance: object, attribute: object, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"retry_after must be a string (a header value) or None, not {value!r}")


def _check_seconds(instance: object, attribute: object, value: Any) -> None:
    if not (_is_number(value) and math.isfinite(value) and value >= 0):
        raise ValueError(f"seconds must be a finite number >= 0, not {value!r}")


def _one_of(*choices: str) -> Callable[[object, Any, Any], None]:
    def check(instance: object, attribute: Any, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}; not {value!r}")

    return check


@attrs.frozen
class Fault:
    """One kind of failure.

    Attributes:
        kind: ``error`` (answer ``status`` without running the operation), ``latency``
            (wait ``seconds`` of real time, then answer normally), ``drop_before`` (close the
            connection without running the operation or answering), ``drop_after`` (run the
            operation, then close without answering), ``bad_json`` (run the operation, then
            answer with a truncated or invalid JSON body, keeping the status of a refusal).
        status: Status code of an ``error``, 400 to 599 (429, 500, 502, 503, ...).
        body: Body of an ``error``: ``json`` (``{"error": ...}``), ``empty`` or ``html``.
        retry_after: ``Retry-After`` value of an ``error``; a 429 gets ``"1"`` by default.
        seconds: Delay of a ``latency`` fault.
        bad_json: ``truncated`` (the real body cut in half) or ``invalid``.

    Raises:
        ValueError: a value out of range, an option the kind does not use (``status``,
            ``body`` and ``retry_after`` belong to ``error``, ``seconds`` to ``latency``,
            ``bad_json`` to ``bad_json``) or a latency of 0 seconds.
    """

    kind: FaultKind = attrs.field(validator=_one_of(*FAULT_KINDS))
    status: int = attrs.field(default=503, validator=_check_status)
    body: ErrorBody = attrs.field(default="json", validator=_one_of("json", "empty", "html"))
    retry_after: str | None = attrs.field(default=None, validator=_check_retry_after)
    seconds: float = attrs.field(default=0.0, validator=_check_seconds)
    bad_json: BadJson = attrs.field(default="truncated", validator=_one_of("truncated", "invalid"))

    def __attrs_post_init__(self) -> None:
        # An option the kind ignores is a slip in the test (``inject("getVM", "latency",
        # status=500)``), and a latency of nothing injects nothing: refuse both.
        for name in _OPTIONS.keys() - _APPLIES[self.kind]:
            if getattr(self, name) != _OPTIONS[name]:
                raise ValueError(f"{name} does not apply to a {self.kind} fault")
        if self.kind == "latency" and self.seconds == 0:
            raise ValueError("a latency fault needs seconds > 0")


# Each option with its default, and the options each kind uses.
_OPTIONS: dict[str, object] = {
    "status": 503,
    "body": "json",
    "retry_after": None,
    "seconds": 0.0,
    "bad_json": "truncated",
}
_APPLIES: dict[str, frozenset[str]] = {
    "error": frozenset({"status", "body", "retry_after"}),
    "latency": frozenset({"seconds"}),
    "drop_before": frozenset(),
    "drop_after": frozenset(),
    "bad_json": frozenset({"bad_json"}),
}


@attrs.define
class _Rule:
    operation: str
    fault: Fault
    remaining: int | None
    fraction: float | None
    seen: int = 0

    def fires(self) -> bool:
        self.seen += 1
        if self.fraction is None:
            return True
        # Evenly spread and deterministic: fires whenever floor(seen * fraction) steps up.
        return math.floor(self.seen * self.fraction) > math.floor((self.seen - 1) * self.fraction)


class FaultTable:
    """The active fault rules; thread-safe (tests add rules while the server runs)."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def add(
        self,
        operation: str,
        fault: Fault,
        *,
        times: int | None = None,
        fraction: float | None = None,
    ) -> None:
        """Add a rule (see the module docstring).

        Raises:
            ValueError: ``times`` not a whole number >= 1 or ``fraction`` outside (0, 1].
        """
        if fraction is not None and not (_is_number(fraction) and 0 < fraction <= 1):
            raise ValueError(f"fraction must be a number in (0, 1], not {fraction!r}")
        if times is None and fraction is None:
            times = 1
        if times is not None and not (
            isinstance(times, int) and not isinstance(times, bool) and times >= 1
        ):
            raise ValueError(f"times must be an int >= 1, not {times!r}")
        with self._lock:
            self._rules.append(_Rule(operation, fault, times, fraction))

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[tuple[str, Fault, int | None, float | None]]:
        """The active rules, in the order they are tried.

        Returns:
            ``(operation, fault, remaining times or None, fraction or None)`` per rule.
        """
        with self._lock:
            return [(r.operation, r.fault, r.remaining, r.fraction) for r in self._rules]

    def take(self, operation: str) -> Fault | None:
        """Decide the fault (if any) for one request of ``operation``."""
        with self._lock:
            for rule in self._rules:
                if rule.operation not in (operation, "*") or not rule.fires():
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                return rule.fault
            return None


async def _close_transport(send: Send) -> bool:
    # uvicorn's ``send`` is a bound method of its request cycle, which holds the transport.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if close is None:
        return False
    close()
    # Let the event loop run connection_lost, so uvicorn marks the cycle disconnected and
    # does not try to answer 500 for a response that was never started.
    for _ in range(3):
        await asyncio.sleep(0)
    return True


class ConnectionDropper:
    """ASGI wrapper that closes the connection of requests the app marked with ``DROP_KEY``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; if it marked the request, swallow its response and drop the socket."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        marker: dict[str, bool] = {}
        scope[DROP_KEY] = marker

        async def guarded_send(message: Message) -> None:
            if not marker:
                await send(message)

        await self.app(scope, receive, guarded_send)
        if marker and not await _close_transport(send):
            # Not uvicorn: the best a plain ASGI app can do is start a response it never
            # finishes, which a server turns into a closed connection. The exception is
            # httpx's own, so that httpx's in-process ASGITransport (which hands app
            # exceptions to the client) shows the client what a real drop shows it.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"100")],
                }
            )
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response (injected fault)."
            )
