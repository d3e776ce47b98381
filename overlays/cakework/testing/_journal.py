"""The request log: every API request the emulator answered, for the console and HAR.

Rule of this module: nothing leaves it unmasked. An exchange is kept as the server saw it
(raw bytes and headers, cheap to record on the hot path) and every view of it, the
console's rows and the HAR export alike, goes through :func:`masked_body` and
:func:`masked_headers`, which hide the API key, passwords, tokens and environment values.

The log is bounded (:data:`DEFAULT_LIMIT` exchanges, oldest dropped first) and a reset
empties it, so a test's log holds that test's traffic.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import Response

from ._errors import EmulatorError
from ._faults import DROP_KEY, Fault

DEFAULT_LIMIT = 2000
"""Exchanges the log keeps; the oldest go first."""
MAX_BODY = 16 * 1024
"""Bytes of a body kept per exchange (a whole build context is cut, its secrets still masked)."""
FAULT_KEY = "cakework.emulator.fault"
"""Scope key under which the app notes the fault it injected into a request."""
MASK = "••••"
"""What a secret is replaced with."""

# Body members whose value is a secret (openapi.yaml: registry password, GitHub token),
# and members whose whole value is: environment variables routinely carry credentials.
_SECRET_MEMBERS = frozenset({"password", "token"})
_SECRET_OBJECTS = frozenset({"envVars"})
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie", "set-cookie"})
# A body that is not JSON (a garbled request, a truncated answer) still gets its secrets
# hidden: any "password"/"token" member that looks like a JSON string.
_SECRET_TEXT = re.compile(r'("(?:password|token)"\s*:\s*)"(?:[^"\\]|\\.)*"?')
# Ids a request is about, from its path parameters and its answer's members.
_ID_MEMBERS = ("buildId", "imageId", "id")

Endpoint = Callable[[Request], Awaitable[Response]]


def mask_key(key: str | None) -> str:
    """The API key as the console shows it: only its last four characters, if it is long.

    Args:
        key: The key, or None when the request had none.

    Returns:
        ``••••-key`` for ``test-key``, ``••••`` for a key of fewer than 8 characters,
        ``(none)`` for no key.
    """
    if not key:
        return "(none)"
    return MASK + key[-4:] if len(key) >= 8 else MASK


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        masked: dict[str, Any] = {}
        for name, member in value.items():
            if name in _SECRET_MEMBERS and member is not None:
                masked[name] = MASK
            elif name in _SECRET_OBJECTS and isinstance(member, dict):
                masked[name] = dict.fromkeys(member, MASK)
            else:
                masked[name] = _mask_json(member)
        return masked
    if isinstance(value, list):
        return [_mask_json(item) for item in value]
    return value


def masked_body(body: bytes) -> tuple[str, Any]:
    """A body as text with every secret hidden, and its JSON value when it is JSON.

    Returns:
        ``(text, value)``: ``value`` is the masked JSON document, or None when the body is
        empty or not JSON (then ``text`` is the raw text with secret members hidden).
    """
    if not body:
        return "", None
    text = body.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        return _SECRET_TEXT.sub(rf'\1"{MASK}"', text), None
    masked = _mask_json(value)
    return json.dumps(masked, ensure_ascii=False), masked


def masked_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Headers as text, the API key and credentials masked."""
    headers = []
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1")
        value = value_bytes.decode("latin-1")
        lower = name.lower()
        if lower == "x-api-key":
            value = mask_key(value)
        elif lower in _SECRET_HEADERS:
            value = MASK
        headers.append((name, value))
    return headers


@attrs.frozen
class Exchange:
    """One API request and what it was answered, as recorded (not yet masked).

    Attributes:
        seq: Position in the log, from 1; never reused, also across resets.
        started: Wall-clock time the request arrived (Unix seconds).
        emulator_time: Emulator-clock time it arrived.
        duration: Seconds from arrival to the answer (including an injected latency).
        operation: operationId.
        method: HTTP method.
        scheme: ``http``.
        server: ``(host, port)`` the request reached.
        path: Request path.
        query: Raw query string.
        http_version: ``1.1``.
        request_headers: Raw request headers.
        request_body: The first :data:`MAX_BODY` bytes of the request body.
        status: Answer status; 0 when the connection was dropped without an answer.
        response_headers: Raw response headers.
        response_body: The first :data:`MAX_BODY` bytes of the answer.
        fault: The injected fault, if any.
        api_key: The ``X-Api-Key`` sent (never shown unmasked).
        path_params: The path parameters (VM or build id).
    """

    seq: int
    started: float
    emulator_time: float
    duration: float
    operation: str
    method: str
    scheme: str
    server: tuple[str, int] | None
    path: str
    query: bytes
    http_version: str
    request_headers: Sequence[tuple[bytes, bytes]]
    request_body: bytes
    status: int
    response_headers: Sequence[tuple[bytes, bytes]]
    response_body: bytes
    fault: Fault | None
    api_key: str | None = attrs.field(repr=False)
    path_params: Mapping[str, str]

    def ids(self) -> list[str]:
        """The build, image and VM ids this exchange is about (path and answer)."""
        found = [str(value) for value in self.path_params.values()]
        _, value = masked_body(self.response_body)
        bodies = [value]
        if isinstance(value, dict):
            bodies += value.get("vms", []) if isinstance(value.get("vms"), list) else []
        for body in bodies:
            if isinstance(body, dict):
                found += [str(body[m]) for m in _ID_MEMBERS if isinstance(body.get(m), str)]
        return list(dict.fromkeys(found))

    def fault_label(self) -> str | None:
        """The injected fault in a few words (``error 503``, ``latency 1.5s``), or None."""
        fault = self.fault
        if fault is None:
            return None
        if fault.kind == "error":
            return f"error {fault.status}"
        if fault.kind == "latency":
            return f"latency {fault.seconds:g}s"
        if fault.kind == "bad_json":
            return f"bad_json {fault.bad_json}"
        return fault.kind


class Journal:
    """The bounded, thread-safe request log of one emulator app."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._entries: deque[Exchange] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> None:
        """Append an exchange (the fields of :class:`Exchange` but ``seq``)."""
        with self._lock:
            self._seq += 1
            self._entries.append(Exchange(seq=self._seq, **fields))

    def clear(self) -> None:
        """Forget every exchange (``seq`` keeps counting)."""
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[Exchange]:
        """The exchanges, oldest first."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def recorded(self, operation: str, endpoint: Endpoint, now: Callable[[], float]) -> Endpoint:
        """Wrap an operation's endpoint so that each of its requests is logged.

        Args:
            operation: The operationId.
            endpoint: The endpoint to wrap.
            now: The emulator clock.

        Returns:
            The endpoint, recording.
        """

        async def endpoint_recorded(request: Request) -> Response:
            started = time.time()
            emulator_time = now()
            t0 = time.perf_counter()
            try:
                response = await endpoint(request)
            except EmulatorError as exc:
                body = json.dumps({"error": exc.message}).encode()
                headers = [(b"content-type", b"application/json")]
                self._add(request, operation, started, emulator_time, t0, exc.status, headers, body)
                raise
            except Exception:
                self._add(request, operation, started, emulator_time, t0, 500, [], b"")
                raise
            dropped = bool(request.scope.get(DROP_KEY, {}).get("drop"))
            self._add(
                request,
                operation,
                started,
                emulator_time,
                t0,
                0 if dropped else response.status_code,
                [] if dropped else response.raw_headers,
                b"" if dropped else bytes(response.body),
            )
            return response

        return endpoint_recorded

    def _add(
        self,
        request: Request,
        operation: str,
        started: float,
        emulator_time: float,
        t0: float,
        status: int,
        response_headers: Sequence[tuple[bytes, bytes]],
        response_body: bytes,
    ) -> None:
        scope = request.scope
        body = _body_read(request)
        headers = list(scope.get("headers", ()))
        # ASGI header names are lower case; no Headers object on this per-request path.
        api_key = next((v.decode("latin-1") for k, v in headers if k == b"x-api-key"), None)
        self.add(
            started=started,
            emulator_time=emulator_time,
            duration=time.perf_counter() - t0,
            operation=operation,
            method=scope["method"],
            scheme=scope.get("scheme", "http"),
            server=scope.get("server"),
            path=scope["path"],
            query=scope.get("query_string", b""),
            http_version=scope.get("http_version", "1.1"),
            request_headers=headers,
            request_body=body[:MAX_BODY],
            status=status,
            response_headers=list(response_headers),
            response_body=response_body[:MAX_BODY],
            fault=scope.get(FAULT_KEY),
            api_key=api_key,
            path_params=scope.get("path_params", {}),
        )


def _body_read(request: Request) -> bytes:
    # The body the endpoint read, which Starlette keeps on the request; reading it again
    # through ``request.body()`` is not possible once the client has gone away.
    body = getattr(request, "_body", b"")
    return body if isinstance(body, bytes) else b""
