"""Secrets property: no secret, in any encoding, in anything an error of the fault matrix shows.

A real HTTP server on 127.0.0.1 echoes every request back -- the body (JSON-escaped
as a JSON string would carry it, and raw), the headers (``Authorization: Basic`` holds
the base URL's ``user:password`` in base64), the key in a ``WWW-Authenticate`` and,
URL-encoded, in another header -- in each way an answer can go wrong: 400, 401, 500,
a 2xx whose body is cut, a connection dropped after the request, and a read timeout.
Every call that sends a secret (the API key always, a registry password, a GitHub
token, a base URL with credentials) runs in each, with both clients and debug logging
on; then every ``str``/``repr``/``.message``/``.body``/``.headers``/``vars`` of the error
and every log record is searched for every form of every secret.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cakework import AsyncCakework, BuildFile, Cakework, CakeworkError

API_KEY = 'sk-live-"q"\\b%2F+/=key'  # printable ASCII: a header carries it
PASSWORD = 'ecr-pw-"q"\\b\t\x00é%+/=:end'
TOKEN = 'ghp_tok-"q"\\b\tü%20+end'
USER_PASSWORD = 'u-pw:"q"/@%end'
SECRETS = (API_KEY, PASSWORD, TOKEN, USER_PASSWORD, f"admin:{USER_PASSWORD}")
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"
READ_TIMEOUT = 0.3
MODES = ("400", "401", "500", "cut_2xx", "drop", "read_timeout")


def forms(secret: str) -> set[str]:
    """The encodings a secret travels in (see the module docstring)."""
    raw = secret.encode("utf-8")
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode(),
    }


class _Echo(BaseHTTPRequestHandler):
    mode = "400"
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if self.mode == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.mode == "read_timeout":
            threading.Event().wait(READ_TIMEOUT * 3)
            self.close_connection = True
            return
        echo = {"error": body, "raw": body, "headers": dict(self.headers.items())}
        content = json.dumps(echo, ensure_ascii=False).encode()
        status = 201 if self.mode == "cut_2xx" else int(self.mode)
        if self.mode == "cut_2xx":
            content = b'{"id": "x", "echo": ' + content  # never closed: not JSON
        key = self.headers.get("X-Api-Key", "")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.send_header(
            "WWW-Authenticate",
            f'Bearer realm="{key}", auth="{self.headers.get("Authorization", "")}"',
        )
        self.send_header(
            "X-Echo",
            urllib.parse.quote(key, safe="") + " " + body[:200].encode("unicode_escape").decode(),
        )
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, type[_Echo]]]:
    handler = type("Echo", (_Echo,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _base_url(host: str) -> str:
    return f"http://admin:{urllib.parse.quote(USER_PASSWORD, safe='')}@{host}/v1"


SyncCall = Callable[[Cakework], object]
AsyncCall = Callable[[AsyncCakework], Awaitable[object]]
FILES = [BuildFile(".", "a.txt", "a")]

SYNC_CALLS: dict[str, SyncCall] = {
    "importImage": lambda c: c.images.import_image(image_uri=ECR, password=PASSWORD),
    "buildImageFromGithub": lambda c: c.images.build_from_github(
        dockerfile="FROM x\n", repository="acme/app", branch="main", token=TOKEN
    ),
    "buildImageFromFiles": lambda c: c.images.build_from_files(dockerfile="FROM x\n", files=FILES),
    "startVM": lambda c: c.vms.start(image_id="img-1", env_vars={"A": "b"}),
    "cacheVM": lambda c: c.cached_vms.create(image_id="img-1"),
    "getVM": lambda c: c.vms.get("vm-1"),
}


def _async_calls() -> dict[str, AsyncCall]:
    async def import_image(c: AsyncCakework) -> object:
        return await c.images.import_image(image_uri=ECR, password=PASSWORD)

    async def github(c: AsyncCakework) -> object:
        return await c.images.build_from_github(
            dockerfile="FROM x\n", repository="acme/app", branch="main", token=TOKEN
        )

    async def files(c: AsyncCakework) -> object:
        return await c.images.build_from_files(dockerfile="FROM x\n", files=FILES)

    async def start(c: AsyncCakework) -> object:
        return await c.vms.start(image_id="img-1", env_vars={"A": "b"})

    async def cache(c: AsyncCakework) -> object:
        return await c.cached_vms.create(image_id="img-1")

    async def get(c: AsyncCakework) -> object:
        return await c.vms.get("vm-1")

    return {
        "importImage": import_image,
        "buildImageFromGithub": github,
        "buildImageFromFiles": files,
        "startVM": start,
        "cacheVM": cache,
        "getVM": get,
    }


def _shown(exc: BaseException, records: list[logging.LogRecord]) -> list[str]:
    texts = [str(exc), repr(exc), repr(vars(exc)), *getattr(exc, "__notes__", [])]
    for name in ("message", "body", "headers", "reason", "url"):
        if hasattr(exc, name):
            texts.append(repr(getattr(exc, name)))
            texts.append(str(getattr(exc, name)))
    for record in records:
        texts += [record.getMessage(), repr(vars(record))]
    return texts


def _assert_masked(texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            for form in forms(secret):
                assert form not in text, (secret, form, text[:400])


def test_the_matrix_covers_every_call_that_sends_a_secret() -> None:
    assert set(SYNC_CALLS) == set(_async_calls())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", sorted(SYNC_CALLS))
def test_sync_errors_never_show_a_secret(
    server: tuple[str, type[_Echo]], call: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    host, handler = server
    handler.mode = mode
    caplog.set_level(logging.DEBUG, logger="cakework")
    with (
        Cakework(
            api_key=API_KEY, base_url=_base_url(host), timeout=READ_TIMEOUT, max_retries=0
        ) as client,
        pytest.raises(CakeworkError) as caught,
    ):
        SYNC_CALLS[call](client)
    _assert_masked(_shown(caught.value, caplog.records))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", sorted(SYNC_CALLS))
async def test_async_errors_never_show_a_secret(
    server: tuple[str, type[_Echo]], call: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    host, handler = server
    handler.mode = mode
    caplog.set_level(logging.DEBUG, logger="cakework")
    async with AsyncCakework(
        api_key=API_KEY, base_url=_base_url(host), timeout=READ_TIMEOUT, max_retries=0
    ) as client:
        with pytest.raises(CakeworkError) as caught:
            await _async_calls()[call](client)
    _assert_masked(_shown(caught.value, caplog.records))
