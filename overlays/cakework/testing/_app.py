"""``create_app``: the emulator as an ASGI application (Starlette), no module-level state.

Request path for an API operation: count it → apply an injected fault → authenticate
(``X-Api-Key``, 401) → validate against openapi.yaml (400) → backend → JSON or 204.
Everything the backend refuses arrives as :class:`EmulatorError` at the one exception
handler. Control routes for tests live outside ``/v1`` under ``/_emulator/``.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ._clock import Clock, ManualClock, ScaledClock
from ._console import console_routes, control_body, faults_view, json_response
from ._errors import EmulatorError
from ._faults import DROP_KEY, ConnectionDropper, Fault, FaultTable, Receive, Scope, Send
from ._journal import FAULT_KEY, Journal
from ._routes import Call, Operation, SpecValidator, find_spec, handlers_for
from ._state import Backend, Timings

Endpoint = Callable[[Request], Awaitable[Response]]
# Every route accepts all methods and answers 405 itself (see ``_dispatch``).
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]

DEFAULT_PAGE_SIZE = 5
"""listVMs page size: small, so that client paging code is exercised."""

_HTML_ERROR = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"


async def _error_response(request: Request, exc: Exception) -> Response:
    """The one exception handler: every refusal is ``{"error": ...}`` with its status."""
    if isinstance(exc, EmulatorError):
        return json_response({"error": exc.message}, exc.status)
    if isinstance(exc, HTTPException):
        # Keep the router's headers: a 405 must say ``Allow`` (RFC 9110).
        return json_response({"error": str(exc.detail)}, exc.status_code, exc.headers)
    return json_response({"error": "Internal server error"}, 500)


def _fault_response(fault: Fault) -> Response:
    headers = {}
    if fault.retry_after is not None or fault.status == 429:
        headers["Retry-After"] = fault.retry_after or "1"
    phrase = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}.get(
        fault.status, "Service Unavailable" if fault.status == 503 else f"Error {fault.status}"
    )
    if fault.body == "json":
        return json_response({"error": f"{phrase} (injected fault)"}, fault.status, headers)
    if fault.body == "html":
        html = _HTML_ERROR.format(f"{fault.status} {phrase}")
        return Response(html, fault.status, headers, media_type="text/html")
    return Response(b"", fault.status, headers)


def _corrupt(response: Response, fault: Fault) -> Response:
    if fault.bad_json == "invalid":
        broken = b"{'not': json,"
    else:
        body = bytes(response.body)
        broken = body[: len(body) // 2] if len(body) > 1 else b"{"
    # The status stays; a 204 cannot carry a body, so it becomes a 200.
    status = 200 if response.status_code == 204 else response.status_code
    return Response(broken, status, media_type="application/json")


class EmulatorApp:
    """The ASGI app, with handles on its state for the Python API and the control routes.

    Attributes:
        backend: The emulated service.
        clock: The emulator clock.
        faults: The injected fault rules.
        counts: Requests received per operationId (every request that reached an
            operation's route, whatever the outcome).
        operations: The operations of openapi.yaml.
        closing: Set while the server shuts down: requests held by a latency fault are
            dropped at once instead of holding the shutdown up.
        journal: The request log (the console's requests, the HAR export).
    """

    def __init__(self, backend: Backend, validator: SpecValidator, faults: FaultTable) -> None:
        self.backend = backend
        self.clock: Clock = backend.clock
        self.faults = faults
        self.counts: Counter[str] = Counter()
        # The server thread counts while a test thread may reset: one lock makes a reset
        # and the counting of a request happen one after the other, never interleaved.
        self._counts_lock = threading.Lock()
        self.operations: tuple[Operation, ...] = validator.operations
        self.closing: threading.Event = threading.Event()
        self.journal: Journal = Journal()
        # Bumped by every reset: a request that arrived before one is not run after it.
        self._generation = 0
        self._validator = validator
        # One handler per operation, found by its operationId (raises naming any missing).
        self._handlers = handlers_for(self.operations)
        by_path: dict[str, dict[str, Endpoint]] = {}
        for op in self.operations:
            endpoint = self.journal.recorded(op.operation_id, self._endpoint(op), self.clock.now)
            by_path.setdefault(op.path, {})[op.method] = endpoint
        # OpenAPI matches concrete paths before templated ones (``/vm/cache`` is never
        # getVM of a VM called "cache"), and a path answers 405 with ``Allow`` for methods
        # it does not have, instead of falling through to another template.
        ordered = sorted(by_path, key=lambda path: path.count("{"))
        routes = [
            Route("/v1" + path, _dispatch(by_path[path]), methods=_ALL_METHODS) for path in ordered
        ]
        routes += [
            Route("/_emulator/reset", self._reset, methods=["POST"]),
            Route("/_emulator/clock", self._clock, methods=["GET"]),
            Route("/_emulator/clock/advance", self._advance, methods=["POST"]),
            Route("/_emulator/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/_emulator/counters", self._counters, methods=["GET"]),
            Route("/_emulator/resources", self._resources, methods=["GET"]),
            Route("/_emulator/github", self._github, methods=["POST"]),
            *console_routes(self),
        ]
        starlette = Starlette(
            routes=routes,
            exception_handlers={
                EmulatorError: _error_response,
                HTTPException: _error_response,
                Exception: _error_response,
            },
        )
        self._asgi = ConnectionDropper(starlette)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        await self._asgi(scope, receive, send)

    def add_fault(
        self, operation: str, fault: Fault, *, times: int | None, fraction: float | None
    ) -> None:
        """Inject ``fault`` into requests of ``operation`` (``"*"``: every operation).

        Raises:
            ValueError: an unknown operationId, or bad ``times``/``fraction``.
        """
        if operation != "*":
            self.check_operation(operation)
        self.faults.add(operation, fault, times=times, fraction=fraction)

    def check_operation(self, operation: str) -> None:
        """Refuse an operationId that is not in openapi.yaml (a typo would match nothing).

        Raises:
            ValueError: ``operation`` is not an operationId of the spec.
        """
        known = sorted(op.operation_id for op in self.operations)
        if operation not in known:
            raise ValueError(f"unknown operationId {operation!r}; one of {', '.join(known)}")

    def reset(self) -> None:
        """Forget all resources, faults, counters and logged requests; drop those in flight.

        A request held by a latency fault (or still sending its body) when the reset
        happens is dropped, not run: ids restart after a reset, so a previous test's
        abandoned request would otherwise act on the next test's new resources.
        """
        with self._counts_lock:
            self._generation += 1
            self.counts.clear()
            self.journal.clear()
            self.backend.reset()
            self.faults.clear()

    def _endpoint(self, op: Operation) -> Endpoint:
        handler = self._handlers[op.operation_id]
        backend = self.backend
        validator = self._validator

        async def endpoint(request: Request) -> Response:
            with self._counts_lock:
                generation = self._generation
                self.counts[op.operation_id] += 1
            try:
                # Read the body first: after a latency fault the client may be gone.
                raw_body = await request.body()
            except ClientDisconnect:
                return Response(status_code=204)  # nobody is listening any more
            if generation != self._generation:
                return _drop(request)  # it belongs to the state before a reset
            fault = self.faults.take(op.operation_id)
            if fault is not None:
                request.scope[FAULT_KEY] = fault  # for the request log
                if fault.kind == "error":
                    return _fault_response(fault)
                if fault.kind == "latency":
                    # Released early, as if the server went away, when it shuts down or
                    # is reset meanwhile.
                    if not await self._hold(fault.seconds, generation):
                        return _drop(request)
                elif fault.kind == "drop_before":
                    return _drop(request)
                elif fault.kind == "drop_after":
                    request.scope[DROP_KEY]["drop"] = True  # once the operation has run
            api_key = request.headers.get("x-api-key")
            try:
                backend.tenant(api_key)
                query, body = validator.validate(
                    op,
                    request.scope["path"],
                    request.scope["query_string"],
                    request.headers.get("content-type", ""),
                    raw_body,
                )
                echo = validator.echo(op, body)
                call = Call(api_key or "", request.path_params, query, body, echo)
                result = handler(backend, call)
            except EmulatorError as exc:
                if fault is None or fault.kind != "bad_json":
                    raise
                # A refusal's body is garbled too: the fault is for this request, whatever
                # its outcome, and must not be used up by a well-formed answer.
                return _corrupt(json_response({"error": exc.message}, exc.status), fault)
            response = Response(status_code=204) if result is None else json_response(result)
            if fault is not None and fault.kind == "bad_json":
                return _corrupt(response, fault)
            return response

        return endpoint

    async def _hold(self, seconds: float, generation: int) -> bool:
        """Wait ``seconds``; False as soon as the server starts closing or is reset."""
        # Polled rather than awaited: both are set from another thread, and a twentieth
        # of a second is well inside uvicorn's graceful-shutdown timeout.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.closing.is_set() and generation == self._generation:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await asyncio.sleep(min(remaining, 0.05))
        return False

    # ---- control routes (not part of the API) -------------------------------------------

    async def _reset(self, request: Request) -> Response:
        self.reset()
        return Response(status_code=204)

    async def _clock(self, request: Request) -> Response:
        return json_response(
            {"now": self.clock.now(), "manual": isinstance(self.clock, ManualClock)}
        )

    async def _advance(self, request: Request) -> Response:
        body = await control_body(request)
        seconds = body.get("seconds")
        # ``json`` reads NaN and Infinity, and ``True`` is an int: none of them is a duration.
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise EmulatorError(400, "seconds: a finite number >= 0 is required")
        self.clock.advance(float(seconds))
        return json_response({"now": self.clock.now()})

    async def _faults(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(faults_view(self.faults))
        if request.method == "DELETE":
            self.faults.clear()
            return Response(status_code=204)
        body = await control_body(request)
        options = {
            k: body[k]
            for k in ("status", "body", "retry_after", "seconds", "bad_json")
            if k in body
        }
        try:
            fault = Fault(kind=body.get("kind", "error"), **options)
            self.add_fault(
                str(body.get("operation", "*")),
                fault,
                times=body.get("times"),
                fraction=body.get("fraction"),
            )
        except (TypeError, ValueError) as exc:
            raise EmulatorError(400, f"bad fault: {exc}") from exc
        return Response(status_code=204)

    async def _counters(self, request: Request) -> Response:
        return json_response({"requests": dict(self.counts)})

    async def _resources(self, request: Request) -> Response:
        api_key = request.headers.get("x-api-key")
        self.backend.tenant(api_key)
        return json_response(self.backend.resources(api_key or ""))

    async def _github(self, request: Request) -> Response:
        body = await control_body(request)
        if "repository" not in body or not isinstance(body.get("files"), dict):
            raise EmulatorError(400, "repository and files {path: content} are required")
        try:
            self.backend.register_github_repo(
                body["repository"],
                body["files"],
                branch=body.get("branch", "main"),
                token=body.get("token"),
            )
        except ValueError as exc:
            raise EmulatorError(400, str(exc)) from exc
        return Response(status_code=204)


def _drop(request: Request) -> Response:
    """Close the connection without answering (see ``ConnectionDropper``)."""
    request.scope[DROP_KEY]["drop"] = True
    return Response(status_code=204)  # swallowed by ConnectionDropper


def _dispatch(endpoints: Mapping[str, Endpoint]) -> Endpoint:
    allow = ", ".join(sorted(endpoints))

    async def dispatch(request: Request) -> Response:
        endpoint = endpoints.get(request.method)
        if endpoint is None:
            raise HTTPException(405, "Method Not Allowed", headers={"Allow": allow})
        return await endpoint(request)

    return dispatch


def create_app(
    api_keys: Sequence[str] = ("test-key",),
    *,
    speed: float = 1.0,
    manual_clock: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    log_quirk: bool = False,
    timings: Timings | None = None,
    clock: Clock | None = None,
    spec_path: Path | None = None,
) -> EmulatorApp:
    """Build a fresh emulator app.

    Args:
        api_keys: Accepted API keys; each is a separate tenant.
        speed: How much faster than real time the emulator clock runs.
        manual_clock: Time only moves through ``advance`` (deterministic tests).
        page_size: listVMs page size.
        log_quirk: Reproduce the cursor-on-the-last-page log quirk.
        timings: Durations of build steps, boots, ... on the emulator clock.
        clock: A clock to use instead of the one ``speed``/``manual_clock`` make.
        spec_path: openapi.yaml to validate against (default: the packaged one).

    Returns:
        The ASGI app.
    """
    if clock is None:
        clock = ManualClock() if manual_clock else ScaledClock(speed)
    backend = Backend(api_keys, clock, page_size=page_size, log_quirk=log_quirk, timings=timings)
    return EmulatorApp(backend, SpecValidator(spec_path or find_spec()), FaultTable())
