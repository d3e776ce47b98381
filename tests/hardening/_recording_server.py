"""A loopback HTTP server that records every request path and answers a fixed body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs


@attrs.define
class Recorded:
    """What the server saw and what it answers."""

    paths: list[str] = attrs.Factory(list)
    status: int = 404
    body: bytes = json.dumps({"error": "no such resource"}).encode()
    content_type: str = "application/json"
    base_url: str = ""


@contextmanager
def recording_server() -> Iterator[Recorded]:
    """Serve on 127.0.0.1 until the block ends; every request path is recorded raw."""
    record = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            record.paths.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(record.status)
            self.send_header("Content-Type", record.content_type)
            self.send_header("Content-Length", str(len(record.body)))
            self.end_headers()
            self.wfile.write(record.body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
