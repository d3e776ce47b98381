"""``_flow.outgoing`` makes the request ``httpx``'s ``build_request`` makes, for less.

The pumps send ``outgoing(http, kwargs)`` instead of ``http.build_request(**kwargs)``:
merged headers are made once per (client headers, request headers) pair. Whatever the
client (ours, one passed in with headers, cookies, query parameters or a base URL of its
own), the request must be the same: method, URL, headers in order, body, extensions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cakework._flow import outgoing

URL = "http://127.0.0.1:9/v1/vm/e784996f346483"

TIMEOUT = {"timeout": {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}}
"""Our requests carry their timeout as this extension (``_operations.Envelope``)."""

REQUESTS: dict[str, dict[str, Any]] = {
    "get": {"method": "get", "url": URL, "extensions": TIMEOUT},
    "get with params": {
        "method": "get",
        "url": f"{URL}/logs",
        "params": {"batch": 5, "o": "x"},
        "extensions": TIMEOUT,
    },
    "post with json and headers": {
        "method": "post",
        "url": "http://127.0.0.1:9/v1/vm/start",
        "json": {"imageId": "img", "env": {"A": "1"}},
        "headers": {"User-Agent": "cakework-python/9", "X-Api-Key": "key"},
        "extensions": TIMEOUT,
    },
    "post without body": {
        "method": "post",
        "url": f"{URL}/stop",
        "headers": {"X-Api-Key": "k"},
        "extensions": TIMEOUT,
    },
    "without a timeout": {"method": "get", "url": URL},
}
FAST = ("plain", "with headers", "with a base URL", "with a timeout")
"""Clients whose requests ``outgoing`` makes itself (with cookies or params: build_request)."""

CLIENTS: dict[str, Callable[[], httpx.Client]] = {
    "plain": httpx.Client,
    "with headers": lambda: httpx.Client(headers={"User-Agent": "app/1", "X-Trace": "t"}),
    "with cookies": lambda: httpx.Client(cookies={"session": "s"}),
    "with params": lambda: httpx.Client(params={"tenant": "a"}),
    "with a base URL": lambda: httpx.Client(base_url="http://127.0.0.1:8/other"),
    "with a timeout": lambda: httpx.Client(timeout=7.0),
}


def _same(ours: httpx.Request, theirs: httpx.Request) -> None:
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert ours.headers.raw == theirs.headers.raw  # names, values and order
    assert ours.read() == theirs.read()
    assert ours.extensions == theirs.extensions


@pytest.mark.parametrize("client", sorted(CLIENTS))
@pytest.mark.parametrize("request_name", sorted(REQUESTS))
def test_the_same_request_as_build_request(client: str, request_name: str) -> None:
    kwargs = REQUESTS[request_name]
    with CLIENTS[client]() as http:
        for _ in range(2):  # the second from the cache of merged headers
            _same(outgoing(http, kwargs), http.build_request(**kwargs))


@pytest.mark.parametrize("client", FAST)
def test_made_without_build_request_where_nothing_else_is_merged(
    client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CLIENTS[client]() as http:
        expected = {name: http.build_request(**kwargs) for name, kwargs in REQUESTS.items()}

        def refuse(*args: object, **kwargs: object) -> httpx.Request:
            raise AssertionError("build_request called")

        monkeypatch.setattr(http, "build_request", refuse)
        for name, kwargs in REQUESTS.items():
            if name != "without a timeout":
                _same(outgoing(http, kwargs), expected[name])


def test_a_change_to_the_clients_headers_is_seen_by_the_next_request() -> None:
    kwargs = REQUESTS["post with json and headers"]
    with httpx.Client() as http:
        outgoing(http, kwargs)
        http.headers["X-Trace"] = "after"
        request = outgoing(http, kwargs)
        assert request.headers["X-Trace"] == "after"
        _same(request, http.build_request(**kwargs))


def test_cookies_set_later_are_sent() -> None:
    kwargs = REQUESTS["get"]
    with httpx.Client() as http:
        outgoing(http, kwargs)
        http.cookies.set("sticky", "lb-1")
        request = outgoing(http, kwargs)
        assert request.headers["Cookie"] == "sticky=lb-1"
        _same(request, http.build_request(**kwargs))


def test_the_cached_headers_are_never_changed_by_a_request() -> None:
    kwargs = REQUESTS["get"]
    with httpx.Client() as http:
        first = outgoing(http, kwargs)
        first.headers["X-Only-Here"] = "1"
        assert "X-Only-Here" not in outgoing(http, kwargs).headers


def test_async_clients_too() -> None:
    kwargs = REQUESTS["post with json and headers"]
    http = httpx.AsyncClient(headers={"X-Trace": "t"}, params={"p": "1"})
    _same(outgoing(http, kwargs), http.build_request(**kwargs))
    plain = httpx.AsyncClient()
    _same(outgoing(plain, kwargs), plain.build_request(**kwargs))
