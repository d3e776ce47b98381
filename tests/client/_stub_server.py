"""A tiny stdlib HTTP server on 127.0.0.1 that answers canned JSON and records requests.

Used where the test is about what the client *sends* (headers, connection reuse), which
the emulator does not expose; behaviour tests run against the emulator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from ._fakes import VM_BODY


@attrs.define
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    client_port: int


@attrs.define
class StubServer:
    base_url: str
    requests: list[Recorded] = attrs.field(factory=list)


ROUTES: dict[tuple[str, str], tuple[int, Any]] = {
    ("GET", "/v1/vm/v1"): (200, VM_BODY),
    ("POST", "/v1/vm/start"): (200, VM_BODY),
    ("POST", "/v1/vm/v1/stop"): (204, None),
}


@contextmanager
def stub_server() -> Iterator[StubServer]:
    stub = StubServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            stub.requests.append(
                Recorded(self.command, path, dict(self.headers.items()), self.client_address[1])
            )
            status, body = ROUTES.get((self.command, path), (404, {"error": "not found"}))
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
