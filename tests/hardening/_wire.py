"""A counting mock API for property tests: canned answers, and every request checked.

``FakeApi`` is an ``httpx.MockTransport`` handler (sync and async) that answers each of
every operation with a body the spec allows, counts requests, and checks every request
it sees against ``openapi.yaml`` with openapi-core: the path must match an operation of
the spec and its parameters and body must validate. A request that does not is recorded
in ``malformed`` (the fuzz property: no malformed request is ever sent).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters

ROOT = Path(__file__).resolve().parents[2]
SPEC_HOST = "https://api.cakework.com"
BASE_URL = f"{SPEC_HOST}/v1"

Responder = Callable[[str, httpx.Request, "FakeApi"], httpx.Response]


@attrs.define
class _SpecRequest:
    """The request shape openapi-core's unmarshaller reads."""

    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = SPEC_HOST


class _Query(dict[str, str]):
    """Query parameters as openapi-core wants them (a mapping with ``getall``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def getall(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]


@functools.lru_cache(maxsize=1)
def spec() -> tuple[tuple[tuple[str, re.Pattern[str], str], ...], OpenAPI]:
    """``(method, path regex, operationId)`` for every operation, and the validator."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    routes = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape("/v1" + path))
                routes.append((method.upper(), re.compile(pattern), op["operationId"]))
    return tuple(routes), OpenAPI.from_dict(document, base_uri=(ROOT / "openapi.yaml").as_uri())


def operation_of(request: httpx.Request) -> str | None:
    """The operationId whose method and path template the request matches, if any."""
    path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    for method, pattern, operation in spec()[0]:
        if request.method == method and pattern.fullmatch(path):
            return operation
    return None


def spec_errors(request: httpx.Request) -> list[str]:
    """What is wrong with ``request`` according to openapi.yaml (empty when valid)."""
    if request.url.host != "api.cakework.com":
        return [f"sent to another host: {request.url.host}"]
    if operation_of(request) is None:
        return [f"no operation matches {request.method} {request.url.raw_path!r}"]
    raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    query = _Query(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True))
    body = request.content or None
    spec_request = _SpecRequest(
        path=raw_path,
        method=request.method.lower(),
        parameters=RequestParameters(
            query=query, header={"X-Api-Key": "present"}, cookie={}, path={}
        ),
        body=body,
        content_type=request.headers.get("content-type", "application/octet-stream"),
    )
    result = spec()[1].unmarshal_request(spec_request)
    return [f"{type(e).__name__}: {e} {getattr(e, '__cause__', '')}" for e in result.errors]


# --- canned answers --------------------------------------------------------------------

STAMP = "2023-03-03T20:22:39.096Z"
WINDOW_FROM = "2023-03-03 20:00:00 UTC"  # LogWindowEcho: what a page hands back
WINDOW_TO = "2023-03-03 21:00:00 UTC"


def vm_body(vm_id: str, state: str, image_id: str = "img1") -> dict[str, Any]:
    return {
        "id": vm_id,
        "hostname": f"{vm_id}.example.test",
        "cpu": 1,
        "memory": 256,
        "imageId": image_id,
        "state": state,
        "createdAt": STAMP,
        "updatedAt": STAMP,
    }


def build_body(status: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "buildId": "b1",
        "status": status,
        "createdAt": STAMP,
        "updatedAt": STAMP,
    }
    if status == "succeeded":
        body["imageId"] = "img1"
    return body


LINES = [
    {"timestamp": 1676625938460, "level": "info", "message": "one"},
    {"timestamp": 1676625938461, "level": "info", "message": "two"},
]


def _path_id(request: httpx.Request, fallback: str) -> str:
    parts = request.url.path.split("/")
    candidate = parts[3] if len(parts) > 3 and parts[2] != "cached" else parts[-2]
    return candidate if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", candidate) else fallback


def happy(operation: str, request: httpx.Request, api: FakeApi) -> httpx.Response:
    """A plausible, spec-valid answer to every operation.

    VMs read ``started`` until ``api.budget`` requests were seen, then ``stopped``, so
    follow-mode readers and waits for other states end by themselves.
    """
    late = api.count > api.budget
    if operation == "importImage":
        return httpx.Response(200, json={"imageId": "img1"})
    if operation in ("buildImageFromFiles", "buildImageFromGithub"):
        return httpx.Response(200, json=build_body("created"))
    if operation == "getBuild":
        return httpx.Response(200, json=build_body("succeeded"))
    if operation in ("getBuildLogs", "getVMLogs"):
        params = dict(parse_qsl(request.url.query.decode("ascii")))
        if "pagination" in params or late:
            return httpx.Response(200, json={"lines": []})
        page = {"lines": LINES, "pagination": "p1", "from": WINDOW_FROM, "to": WINDOW_TO}
        return httpx.Response(200, json=page)
    if operation == "startVM":
        return httpx.Response(200, json=vm_body("vm1", "created"))
    if operation == "getVM":
        state = "stopped" if late else "started"
        return httpx.Response(200, json=vm_body(_path_id(request, "vm1"), state))
    if operation == "listVMs":
        return httpx.Response(200, json={"vms": [vm_body("vm1", "started")]})
    if operation == "cacheVM":
        api.cached += 1
        return httpx.Response(200, json={"id": f"c{api.cached}", "hostname": "c.example.test"})
    if operation == "getCachedVMLogs":
        return httpx.Response(200, json={"lines": LINES})
    return httpx.Response(204)


@attrs.define
class FakeApi:
    """The mock transport's handler: answers, counts, and checks every request.

    Attributes:
        respond: Makes the answer for ``(operationId, request, self)``.
        budget: Requests after which VMs read ``stopped`` and log pages end.
        limit: Requests after which every answer is 401, which ends any loop.
        count: Requests seen.
        operations: operationId of each request seen (``None``: no operation matched).
        malformed: ``(request line, problems)`` of each request the spec does not allow.
    """

    respond: Responder = happy
    budget: int = 40
    limit: int = 200
    count: int = 0
    cached: int = 0
    operations: list[str | None] = attrs.Factory(list)
    malformed: list[tuple[str, list[str]]] = attrs.Factory(list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        operation = operation_of(request)
        self.operations.append(operation)
        problems = spec_errors(request)
        if problems:
            self.malformed.append((f"{request.method} {request.url}"[:300], problems))
            return httpx.Response(400, json={"error": "; ".join(problems)[:500]})
        assert operation is not None
        if self.count > self.limit:
            # Ends any loop (a wait for a state that never comes, with no deadline): 401
            # is final for every operation.
            return httpx.Response(401, json={"error": "the fuzz transport's request limit"})
        return self.respond(operation, request, self)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def json_body(request: httpx.Request) -> Mapping[str, Any]:
    data = json.loads(request.content)
    assert isinstance(data, dict)
    return data


class FakeClock:
    """A monotonic clock that only moves when the client sleeps: waits end at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.now += seconds
