"""What goes on the wire, seen by a recording stdlib server on 127.0.0.1.

Sync and async clients both run every test (``client_cls`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import cakework
from cakework import VM, NotFoundError

from ._stub_server import StubServer, stub_server
from .conftest import MakeClient


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with stub_server() as server:
        yield server


async def test_basic_calls_send_auth_and_user_agent(
    stub: StubServer, make_client: MakeClient
) -> None:
    client = make_client(base_url=stub.base_url, api_key="wire-key")
    vm = await client.call(client.c.vms.start(image_id="img-1"))
    assert isinstance(vm, VM)
    assert await client.call(client.c.vms.get("v1")) == vm
    await client.call(client.c.vms.stop("v1"))
    with pytest.raises(NotFoundError):
        await client.call(client.c.vms.get("missing"))
    await client.close()
    assert [(r.method, r.path) for r in stub.requests] == [
        ("POST", "/v1/vm/start"),
        ("GET", "/v1/vm/v1"),
        ("POST", "/v1/vm/v1/stop"),
        ("GET", "/v1/vm/missing"),
    ]
    for request in stub.requests:
        assert request.headers["X-Api-Key"] == "wire-key"
        assert request.headers["User-Agent"] == f"cakework-python/{cakework.__version__}"


async def test_with_options_shares_the_connection_pool(
    stub: StubServer, make_client: MakeClient
) -> None:
    client = make_client(base_url=stub.base_url)
    fast = client.derive(timeout=3.0, max_retries=0)
    assert fast.c._pump.http is client.c._pump.http
    assert fast.c.timeout.read == 3.0
    assert fast.c.max_retries == 0
    assert client.c.timeout.read == 60.0
    assert client.c.max_retries == 2
    await client.call(client.c.vms.get("v1"))
    await fast.call(fast.c.vms.get("v1"))
    # One keep-alive connection served both clients: same client port at the server.
    assert len({r.client_port for r in stub.requests}) == 1
    await fast.close()  # a derived client does not own the pool ...
    assert not client.c._pump.http.is_closed
    await client.call(client.c.vms.get("v1"))
    await client.close()  # ... the original does
    assert fast.c._pump.http.is_closed


async def test_closed_client_raises_cakework_error(
    stub: StubServer, make_client: MakeClient
) -> None:
    client = make_client(base_url=stub.base_url)
    await client.close()
    with pytest.raises(cakework.CakeworkError, match="closed"):
        await client.call(client.c.vms.get("v1"))


def test_context_managers_close_the_pool(stub: StubServer) -> None:
    with cakework.Cakework(api_key="k", base_url=stub.base_url) as client:
        client.vms.get("v1")
    assert client._pump.http.is_closed


async def test_async_context_manager_closes_the_pool(stub: StubServer) -> None:
    async with cakework.AsyncCakework(api_key="k", base_url=stub.base_url) as client:
        await client.vms.get("v1")
    assert client._pump.http.is_closed
    client2 = cakework.AsyncCakework(api_key="k", base_url=stub.base_url)
    await client2.close()  # awaitable alias of aclose()
    assert client2._pump.http.is_closed
