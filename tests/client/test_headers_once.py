"""Key and User-Agent travel on the httpx client this client made, not on every request."""

from __future__ import annotations

import httpx
import pytest

from cakework import APIStatusError, AsyncCakework, Cakework
from cakework._config import ClientConfig
from cakework._flow import Send
from cakework._operations import API_KEY_HEADER, USER_AGENT
from cakework._request import Api

KEY = "key-0123456789abcdef"
URL = "http://127.0.0.1:9/v1"


def _first_send(api: Api) -> Send:
    effect = next(api.call("getVM", ("vm-1",)))
    assert isinstance(effect, Send)
    return effect


def test_own_client_carries_the_headers_once() -> None:
    with Cakework(api_key=KEY, base_url=URL) as client:
        headers = client._pump.http.headers
        assert (headers[API_KEY_HEADER], headers["User-Agent"]) == (KEY, USER_AGENT)
        request = _first_send(client._api).request
        assert API_KEY_HEADER not in request.get("headers", {})
        # with_options shares that client, so it needs them on requests no more than it
        assert API_KEY_HEADER not in _first_send(client.with_options(timeout=5)._api).request.get(
            "headers", {}
        )


def test_a_users_client_gets_them_on_every_request() -> None:
    with httpx.Client() as http, Cakework(api_key=KEY, base_url=URL, http_client=http) as client:
        request = _first_send(client._api).request
        assert request["headers"][API_KEY_HEADER] == KEY
        assert request["headers"]["User-Agent"] == USER_AGENT
    async_client = AsyncCakework(api_key=KEY, base_url=URL, http_client=httpx.AsyncClient())
    assert _first_send(async_client._api).request["headers"][API_KEY_HEADER] == KEY


def test_the_key_is_still_scrubbed_from_errors_when_the_client_carries_it() -> None:
    config = ClientConfig.resolve(api_key=KEY, base_url=URL, timeout=5.0, max_retries=0)
    flow = Api(config, client_headers=True).call("getVM", ("vm-1",))
    next(flow)
    echo = httpx.Response(
        500, json={"error": f"bad key {KEY}"}, request=httpx.Request("GET", URL + "/vm/vm-1")
    )
    with pytest.raises(APIStatusError) as caught:
        flow.send(echo)
    assert KEY not in str(caught.value)
    assert "***" in str(caught.value)
