"""Typed errors for the last untyped inputs, secrets masked in every encoding, deep JSON.

* ``timeout=10**400`` for every wait, ``build_from_directory("\\ud800")`` and an API key
  with surrounding spaces are ``InvalidParameterError``, before anything is sent.
* A secret the client was given never shows in an error or a debug record, raw,
  JSON-escaped, URL-encoded or as the base64 of ``Authorization: Basic``, whatever the
  server echoes (a real HTTP server on 127.0.0.1 that echoes request and headers).
* The emulator answers 400 to JSON nested deeper than its parser recurses.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from cakework import AsyncCakework, Cakework, CakeworkError, InvalidParameterError
from cakework.testing import Emulator

HUGE = 10**400


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(speed=1000) as emulator:
        yield emulator


def test_huge_timeouts_are_invalid_parameters(emu: Emulator) -> None:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        calls: list[Callable[[], Any]] = [
            lambda: c.vms.wait_for_state("vm-1", timeout=HUGE),
            lambda: c.images.wait_for_build("b-1", timeout=HUGE),
            lambda: c.vms.run(image_id="img", timeout=HUGE),
            lambda: c.cached_vms.pool(image_id="img", size=0, max_size=1, start_timeout=HUGE),
        ]
        for call in calls:
            with pytest.raises(InvalidParameterError) as caught:
                call()
            assert "bits" in str(caught.value)  # shown short, not 400 digits
    assert emu.request_counts() == {} or sum(emu.request_counts().values()) == 0


async def test_huge_timeouts_are_invalid_parameters_async(emu: Emulator) -> None:
    async with AsyncCakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        with pytest.raises(InvalidParameterError):
            await c.vms.wait_for_state("vm-1", timeout=HUGE)
        with pytest.raises(InvalidParameterError):
            await c.images.wait_for_build("b-1", timeout=HUGE)
        with pytest.raises(InvalidParameterError):
            c.vms.run(image_id="img", timeout=HUGE)
        with pytest.raises(InvalidParameterError):
            c.cached_vms.pool(image_id="img", size=0, max_size=1, start_timeout=HUGE)


def test_unencodable_path_is_an_invalid_parameter(emu: Emulator) -> None:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        with pytest.raises(InvalidParameterError) as caught:
            c.images.build_from_directory("\ud800")
        assert caught.value.parameter == "path"


@pytest.mark.parametrize("key", [" KEY-12345678", "KEY-12345678 ", "KEY-12345678\t"])
def test_api_key_with_surrounding_space_is_refused_up_front(key: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        Cakework(api_key=key, base_url="http://127.0.0.1:9/v1")
    assert key.strip() not in str(caught.value)


# -- secrets in every encoding ------------------------------------------------------------

KEY = 'sk-"quoted"\\back-key'
PASSWORD = 'pw-"é\\\x00-secret'
USER_PW = 'p@ss:w/rd"x'


def _forms(secret: str) -> list[str]:
    return [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
    ]


class _Echo(BaseHTTPRequestHandler):
    """Echoes the request back: body and headers in the body, the key in headers."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.seen.append(dict(self.headers.items()))
        length = int(self.headers.get("Content-Length") or 0)
        echoed = json.dumps(
            {
                "error": self.rfile.read(length).decode("utf-8", "replace"),
                "headers": dict(self.headers.items()),
                "path": self.path,
            }
        ).encode()
        key = self.headers.get("X-Api-Key", "")
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(echoed)))
        auth = self.headers.get("Authorization", "")
        self.send_header("WWW-Authenticate", f"Basic realm={json.dumps(key)} {auth}")
        self.send_header("X-Echo-Key", urllib.parse.quote(key, safe=""))
        self.end_headers()
        self.wfile.write(echoed)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_secrets_are_masked_in_every_encoding(caplog: pytest.LogCaptureFixture) -> None:
    # Ours (what CAKEWORK_LOG=debug shows), and httpx's request lines, which show the URL.
    # httpcore's debug records repeat raw response headers: beyond any client's reach.
    caplog.set_level(logging.DEBUG, logger="cakework")
    caplog.set_level(logging.INFO, logger="httpx")
    with _echo_server() as host:
        userinfo = "admin:" + urllib.parse.quote(USER_PW, safe="")
        base_url = f"http://{userinfo}@{host}/v1"
        with Cakework(api_key=KEY, base_url=base_url, max_retries=0) as c:
            shown = [repr(c), c.base_url, repr(c.with_options(timeout=5))]
            with pytest.raises(CakeworkError) as caught:
                c.images.import_image(
                    image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1",
                    password=PASSWORD,
                )
    # The credentials of the base URL did go, as httpx sends them: Basic auth.
    basic = base64.b64encode(f"admin:{USER_PW}".encode()).decode()
    assert _Echo.seen[-1]["Authorization"] == f"Basic {basic}"
    exc: Any = caught.value
    texts = [str(exc), repr(exc), exc.message, exc.body, repr(exc.headers), repr(vars(exc))]
    texts += shown
    records = [r for r in caplog.records if r.name in ("cakework", "httpx")]
    assert any(r.name == "httpx" for r in records)
    texts += [r.getMessage() for r in records] + [repr(vars(r)) for r in records]
    secrets = [KEY, PASSWORD, USER_PW, f"admin:{USER_PW}"]
    assert "importImage" in texts[0]  # the error is the echoed one
    for text in texts:
        for secret in secrets:
            for form in _forms(secret):
                assert form not in text, (secret, form, text[:300])


# -- the emulator and deeply nested JSON ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/vm/start"),
        ("POST", "/v1/image/build/files"),
        ("POST", "/_emulator/faults"),
        ("POST", "/_emulator/github"),
        ("POST", "/_emulator/clock/speed"),
        ("PUT", "/_emulator/state"),
    ],
)
def test_deeply_nested_json_is_a_400(
    emu: Emulator, method: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    root = emu.base_url.removesuffix("/v1")
    with httpx.Client(base_url=root, headers={"X-Api-Key": emu.api_key}) as http:
        # 1,000 levels is past the parser's reach under the default recursion limit (a
        # test run may raise it; then the body is refused for its shape, still a 400);
        # far past any limit it is always too deep.
        beyond = max(100_000, 10 * sys.getrecursionlimit())
        for depth in (1_000, beyond):
            deep = b"[" * depth + b"]" * depth
            answer = http.request(
                method, path, content=deep, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]
            assert answer.headers.get("connection", "").lower() != "close"
        assert "nested too deeply" in answer.json()["error"]
        assert http.get("/v1/vms").status_code == 200  # the server goes on
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
