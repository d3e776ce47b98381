"""A server on 127.0.0.1 that keeps the bytes of every request and answers as the bench does.

The bench's baselines must send what the client sends, byte for byte; only a real
server sees the bytes on the wire (a MockTransport sees httpx's request object).
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import attrs

from bench.client import LOGS_PATH, VM_BODY, VM_PATH, LogPages


@attrs.define
class Recorder:
    """Where the server listens, and the requests it got (head and body), in order."""

    base_url: str = ""
    requests: list[bytes] = attrs.Factory(list)

    def take(self) -> list[bytes]:
        """The requests so far, forgotten here."""
        taken, self.requests = self.requests, []
        return taken


def _answer(target: str, pages: LogPages) -> bytes:
    url = urlsplit(target)
    if url.path == "/v1" + VM_PATH:
        body = VM_BODY
    elif url.path == "/v1" + LOGS_PATH:
        cursor = parse_qs(url.query).get("pagination", [""])[0]
        body = pages.body(int(cursor.removeprefix("page-")) if cursor else 0)
    else:
        body = b'{"error": "not found"}'
        head = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@contextmanager
def recorder(pages: LogPages) -> Iterator[Recorder]:
    """Serve until the block ends; ``pages`` answers the log requests."""
    record = Recorder()
    lock = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        timeout = 30  # a client that never closes its connection cannot hold the test

        def handle(self) -> None:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = self.rfile.readline()
                    if not line:
                        return  # the client closed its connection
                    head += line
                length = 0
                for field in head.split(b"\r\n"):
                    if field.lower().startswith(b"content-length:"):
                        length = int(field.split(b":", 1)[1])
                body = self.rfile.read(length)
                with lock:
                    record.requests.append(head + body)
                target = head.split(b" ", 2)[1].decode()
                self.wfile.write(_answer(target, pages))

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        block_on_close = False

    with Server(("127.0.0.1", 0), Handler) as server:
        record.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield record
        finally:
            server.shutdown()
            thread.join()
