"""``Emulator``: the app served by uvicorn on a background thread, as a context manager."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn

from ._app import DEFAULT_PAGE_SIZE, EmulatorApp, create_app
from ._faults import ASGIApp, BadJson, ErrorBody, Fault, FaultKind, Receive, Scope, Send
from ._har import to_har
from ._persist import DEFAULT_SAVE_INTERVAL, Saver, export_state, import_state, load_into
from ._state import Timings

_START_TIMEOUT = 10.0


class WholeResponses:
    """ASGI wrapper for uvicorn: each response leaves in one write, so one TCP segment.

    uvicorn writes a response's head and body with a write each, and with TCP_NODELAY
    (which the emulator needs, see :meth:`Emulator.start`) each goes out as a segment of
    its own: the client wakes up twice per answer and the server pays two sends. While
    the app answers, uvicorn's request cycle writes through :class:`_Joined`, which holds
    the head back and sends it with the first part of the body, in one write. Where
    uvicorn's transport cannot be reached, responses go out as uvicorn writes them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with uvicorn's request cycle writing through a :class:`_Joined`."""
        cycle: Any = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if scope["type"] != "http" or transport is None:
            await self.app(scope, receive, send)
            return
        joined = _Joined(transport)
        cycle.transport = joined  # ``send`` stays uvicorn's: the fault layer closes through it
        try:
            await self.app(scope, receive, send)
        finally:
            cycle.transport = transport
            joined.flush()


class _Joined:
    """A transport that holds a response's head until the body's first write.

    Everything else (a ``100 Continue``, further body parts, ``close``) goes through as
    it comes; a head still held when the app is done is sent by :meth:`flush`.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._through = False

    def write(self, data: bytes) -> None:
        if self._through or data.startswith(b"HTTP/1.1 100 "):
            self._transport.write(data)
        elif self._head is None:
            self._head = data
        else:
            self._through = True
            self._transport.write(self._head + data)
            self._head = None

    def flush(self) -> None:
        if self._head is not None and not self._transport.is_closing():
            self._transport.write(self._head)
        self._head = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class Emulator:
    """A running Cakework emulator on 127.0.0.1.

    Example:
        ```python
        with Emulator(manual_clock=True) as emu:
            client = Cakework(api_key=emu.api_key, base_url=emu.base_url)
            ...
            emu.advance(30)          # builds finish, VMs boot
            assert emu.request_count("startVM") == 1
        ```

    Args:
        api_keys: Accepted API keys; each is a separate tenant. The first is ``api_key``.
        speed: How much faster than real time the emulator clock runs.
        manual_clock: Time moves only through :meth:`advance`.
        page_size: listVMs page size (small by default so paging is exercised).
        log_quirk: Reproduce the real service's cursor-on-the-last-page log quirk.
        timings: Durations of build steps, boots, ... on the emulator clock.
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one.
        state_file: A SQLite file that keeps the world across restarts: loaded here if it
            exists, saved every ``save_interval`` seconds while running and on
            :meth:`stop`. A corrupt file, or one from a newer version, raises
            :class:`cakework.testing.StateFileError` and is left as it is.
        save_interval: Seconds between two saves of ``state_file``.

    Raises:
        StateFileError: ``state_file`` cannot be loaded.
        ValueError: a bad argument.
    """

    def __init__(
        self,
        api_keys: Sequence[str] = ("test-key",),
        *,
        speed: float = 1.0,
        manual_clock: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        log_quirk: bool = False,
        timings: Timings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | os.PathLike[str] | None = None,
        save_interval: float = DEFAULT_SAVE_INTERVAL,
    ) -> None:
        if isinstance(api_keys, str):
            api_keys = (api_keys,)
        self.app: EmulatorApp = create_app(
            api_keys,
            speed=speed,
            manual_clock=manual_clock,
            page_size=page_size,
            log_quirk=log_quirk,
            timings=timings,
        )
        self._host = host
        self._port = port
        self._saver: Saver | None = None
        if state_file is not None:
            path = Path(state_file)
            saver = Saver(self.app.backend, path, save_interval)
            load_into(self.app.backend, path)
            self._saver = saver
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self._server is not None else "stopped"
        return f"<Emulator {state} tenants={len(self.api_keys)}>"

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns once the server accepts connections.

        Raises:
            RuntimeError: already started, or the server did not come up.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and
        # without it every response waits ~40 ms for a delayed ACK (headers, body: 2 writes).
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        config = uvicorn.Config(
            WholeResponses(self.app),
            log_config=None,  # never reconfigure the host application's logging
            log_level="warning",
            access_log=False,
            # Nothing sits in front of it on 127.0.0.1: no X-Forwarded-* to read, one
            # middleware less on every request.
            proxy_headers=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.app.closing.clear()
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="cakework-emulator", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        if self._saver is not None:
            self._saver.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator's server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread; idempotent."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            self.app.closing.set()
            server.should_exit = True
        if thread is not None:
            thread.join()
        if sock is not None:
            sock.close()
        if server is not None and self._saver is not None:
            self._saver.stop()  # the last save, once no request can change anything

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- where and who -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL of the server (control routes live under ``/_emulator/``).

        Raises:
            RuntimeError: the emulator is not running.
        """
        if self._socket is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """Base URL of the API, ending in ``/v1`` (pass it to ``Cakework(base_url=...)``)."""
        return self.url + "/v1"

    @property
    def console_url(self) -> str:
        """URL of the console page (builds, VMs, requests, faults and the clock, live)."""
        return self.url + "/_emulator/"

    @property
    def api_keys(self) -> tuple[str, ...]:
        """Every accepted API key (one tenant each)."""
        return self.app.backend.api_keys

    @property
    def api_key(self) -> str:
        """The first API key."""
        return self.api_keys[0]

    # ---- time, faults, counters, state -------------------------------------------------

    @property
    def log_quirk(self) -> bool:
        """Whether log pages reproduce the cursor-on-the-last-page quirk (settable)."""
        return self.app.backend.log_quirk

    @log_quirk.setter
    def log_quirk(self, value: bool) -> None:
        self.app.backend.log_quirk = value

    def now(self) -> float:
        """Current emulator time (Unix epoch seconds)."""
        return self.app.clock.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator clock forward (builds progress, VMs boot, logs are written).

        Meant for ``manual_clock=True``; on a running clock it jumps ahead on top of speed.
        A client's injected ``sleep`` can call this to make waits instant and exact.

        Raises:
            ValueError: ``seconds`` is negative or not finite.
        """
        self.app.clock.advance(seconds)

    def inject(
        self,
        operation_id: str,
        kind: FaultKind = "error",
        *,
        status: int = 503,
        body: ErrorBody = "json",
        retry_after: str | None = None,
        seconds: float = 0.0,
        bad_json: BadJson = "truncated",
        times: int | None = None,
        fraction: float | None = None,
    ) -> None:
        """Inject a fault into requests of one operation (``"*"``: any operation).

        Args:
            operation_id: An operationId of openapi.yaml, or ``"*"``.
            kind: ``error`` (answer ``status``; the operation does not run), ``latency``
                (wait ``seconds``, then answer normally), ``drop_before`` (close the
                connection, operation not run), ``drop_after`` (run the operation, then
                close without answering) or ``bad_json`` (run it, answer a truncated or
                invalid JSON body).
            status: Status of an ``error`` (429 also gets ``Retry-After``).
            body: Body of an ``error``: ``json``, ``empty`` or ``html``.
            retry_after: ``Retry-After`` header value of an ``error`` (429 default ``"1"``).
            seconds: Real-time delay of a ``latency`` fault.
            bad_json: ``truncated`` or ``invalid``.
            times: Fire for this many matching requests (default 1 without ``fraction``).
            fraction: Fire for this fraction of matching requests, evenly spread
                (``0.5``: every 2nd); with ``times`` it stops after that many.

        Raises:
            ValueError: an unknown operation or kind, a ``status`` outside 400-599, a
                non-string ``retry_after``, negative ``seconds``, bad ``times``/``fraction``,
                an option the kind does not use, or a latency of 0 seconds.
        """
        fault = Fault(
            kind=kind,
            status=status,
            body=body,
            retry_after=retry_after,
            seconds=seconds,
            bad_json=bad_json,
        )
        self.app.add_fault(operation_id, fault, times=times, fraction=fraction)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.app.faults.clear()

    def request_count(self, operation_id: str | None = None) -> int:
        """Requests received for an operation (all operations when ``None``).

        Every request routed to the operation counts, including those answered with an
        injected fault, a 401 or a 400.

        Raises:
            ValueError: ``operation_id`` is not an operationId of openapi.yaml.
        """
        if operation_id is None:
            return sum(self.app.counts.values())
        self.app.check_operation(operation_id)
        return self.app.counts[operation_id]

    def request_counts(self) -> dict[str, int]:
        """Requests received, per operationId."""
        return dict(self.app.counts)

    def resources(self, api_key: str | None = None) -> dict[str, int]:
        """What a tenant holds now (default: the first API key).

        Returns:
            Counts under ``images``, ``builds``, ``vms`` (one-time VMs ever started),
            ``cached_vms`` (ever created), ``running_vms`` (either kind, ``created`` or
            ``started``) and ``live_cached_vms`` (cached VMs not destroyed).

        Raises:
            ValueError: ``api_key`` is not one of the emulator's keys.
        """
        return self.app.backend.resources(self.api_key if api_key is None else api_key)

    def register_github_repo(
        self,
        repository: str,
        files: Mapping[str, str],
        *,
        branch: str = "main",
        token: str | None = None,
    ) -> None:
        """Make a repository branch available to ``buildImageFromGithub``.

        Args:
            repository: ``owner/name``.
            files: The branch's files, path (``src/app.py``) to content.
            branch: The branch name.
            token: If given, builds must present exactly this token.

        Raises:
            ValueError: ``repository`` is not ``owner/name``, the branch is empty, or a
                path, content or the token is not a string.
        """
        self.app.backend.register_github_repo(repository, files, branch=branch, token=token)

    def har(self) -> dict[str, Any]:
        """The request log as a HAR 1.2 document (secrets masked), oldest request first."""
        return to_har(self.app.journal.entries())

    def save_har(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`har` to ``path`` (folders created); returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.har(), indent=1), encoding="utf-8")
        return target

    def export_state(self) -> dict[str, Any]:
        """The whole world (every tenant's images, builds, VMs, the clock) as a document.

        The document is what ``GET /_emulator/state`` answers; tenants are named by a hash
        of their key. :meth:`import_state` (or ``PUT /_emulator/state``) restores it.
        """
        return export_state(self.app.backend)

    def import_state(self, document: Mapping[str, Any]) -> None:
        """Replace the world by one :meth:`export_state` made (faults and counters stay).

        Raises:
            StateFileError: not a state document, a newer version, or a tenant whose key
                this emulator does not have; nothing was changed.
        """
        import_state(self.app.backend, document)

    def reset(self) -> None:
        """Forget every resource, fault, counter and logged request; a manual clock restarts.

        Requests still in flight (held by a latency fault, say) are dropped rather than
        run against the fresh state, where ids start over. Registered GitHub
        repositories stay.
        """
        self.app.reset()
