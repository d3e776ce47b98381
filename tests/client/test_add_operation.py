"""The "how to add an operation" checklist (``overlays/cakework/README.md``), followed.

``getVMHealth`` (``GET /vm/{vmId}/health``) is made up. Step 1 (spec, ``make generate``)
is stood in for by this module, which has the ``_get_kwargs`` a generated endpoint
module would have. Steps 2-4 are done as the checklist says -- one table row, one
``Api`` method, one resource method -- and the operation is then driven through the real
pumps against a loopback server, with retries and validation coming from the table and
``_validate`` alone. If the checklist missed a step, these tests would fail.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from cakework import InvalidParameterError, _retry
from cakework import _validate as check
from cakework._async.pump import AsyncPump
from cakework._async.vms import AsyncVMs
from cakework._config import ClientConfig, Secret
from cakework._flow import Flow
from cakework._operations import OPERATIONS, Operation, Retry, parses
from cakework._request import Api
from cakework._sync.pump import SyncPump
from cakework._sync.vms import VMs

from ._fakes import drive, response
from ._stub_server import ROUTES, StubServer, stub_server

OPERATION = "getVMHealth"


def _get_kwargs(vm_id: str) -> dict[str, Any]:
    """Step 1 stand-in: what openapi-python-client generates for a GET with a path id."""
    return {"method": "get", "url": f"/vm/{quote(str(vm_id), safe='')}/health"}


# Step 2: one row in the operation table (registered by the fixture below).
ROW = Operation(OPERATION, Retry.SAFE, sys.modules[__name__], parses(lambda d: str(d["status"])))


class HealthApi(Api):
    """Step 3: one ``Api`` method."""

    def get_vm_health(self, vm_id: str) -> Flow[str]:
        return self.call(OPERATION, vm_id)


class HealthVMs(VMs):
    """Step 4 (blocking edge, as ``make generate`` would write it from the async one)."""

    _api: HealthApi

    def health(self, vm_id: str) -> str:
        return self._pump(self._api.get_vm_health(check.ident("vm_id", vm_id)))


class AsyncHealthVMs(AsyncVMs):
    """Step 4, the hand-written asyncio method."""

    _api: HealthApi

    async def health(self, vm_id: str) -> str:
        return await self._pump(self._api.get_vm_health(check.ident("vm_id", vm_id)))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    monkeypatch.setitem(OPERATIONS, OPERATION, ROW)
    monkeypatch.setitem(ROUTES, ("GET", "/v1/vm/v1/health"), (200, {"status": "healthy"}))
    with stub_server() as stub:
        yield stub


def _api(base_url: str) -> HealthApi:
    return HealthApi(ClientConfig(api_key=Secret("sk-health"), base_url=base_url))


def test_the_new_operation_runs_through_the_blocking_pump(server: StubServer) -> None:
    with httpx.Client() as http:
        vms = HealthVMs(_api(server.base_url), SyncPump(http))
        assert vms.health("v1") == "healthy"
    [sent] = server.requests
    assert (sent.method, sent.path) == ("GET", "/v1/vm/v1/health")
    assert sent.headers["X-Api-Key"] == "sk-health"


async def test_the_new_operation_runs_through_the_asyncio_pump(server: StubServer) -> None:
    async with httpx.AsyncClient() as http:
        vms = AsyncHealthVMs(_api(server.base_url), AsyncPump(http))
        assert await vms.health("v1") == "healthy"
    assert [r.path for r in server.requests] == ["/v1/vm/v1/health"]


def test_its_arguments_are_checked_before_anything_is_sent(server: StubServer) -> None:
    with httpx.Client() as http:
        vms = HealthVMs(_api(server.base_url), SyncPump(http))
        with pytest.raises(InvalidParameterError):
            vms.health("")
    assert server.requests == []


def test_its_retry_class_comes_from_the_row(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not _retry.is_retryable(OPERATION, response(503))  # not in the table yet
    monkeypatch.setitem(OPERATIONS, OPERATION, ROW)
    assert _retry.is_retryable(OPERATION, response(503))
    flow = _api("http://flow.test/v1").get_vm_health("v1")
    result, effects = drive(flow, [response(503), response(200, {"status": "ok"})])
    assert result == "ok"
    assert [type(e).__name__ for e in effects] == ["Send", "Sleep", "Send"]
