"""emulator.yaml describes exactly the control routes the emulator mounts, and their answers.

Other languages drive the emulator from emulator.yaml alone (the TypeScript tests use types
generated from it), so a route it misses, a route it invents, or a response it does not
describe is a bug here. Every answer below is a real one, validated with openapi-core.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.routing import Route

from cakework.testing import Emulator, create_app
from cakework.testing._routes import find_spec

EMULATOR_SPEC = Path(__file__).resolve().parents[2] / "emulator.yaml"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@attrs.define
class _Request:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@attrs.define
class _Response:
    status_code: int
    content_type: str
    headers: dict[str, str]
    data: bytes | None


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EMULATOR_SPEC.read_text(encoding="utf-8"))
    return document


def _described() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in _document()["paths"].items()
        for method in item
        if method in _METHODS
    }


def _mounted() -> set[tuple[str, str]]:
    starlette = create_app()._asgi.app
    assert isinstance(starlette, Starlette)
    pairs: set[tuple[str, str]] = set()
    for route in starlette.routes:
        assert isinstance(route, Route)
        if not route.path.startswith("/_emulator"):
            continue
        methods = set(route.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD for every GET route by itself
        pairs |= {(route.path, method) for method in methods}
    return pairs


def test_every_mounted_control_route_is_described_and_nothing_else() -> None:
    mounted = _mounted()
    assert mounted, "no /_emulator route found: the app's routing changed"
    assert _described() == mounted


def test_fault_operations_are_the_operation_ids_of_openapi_yaml() -> None:
    api = yaml.safe_load(find_spec().read_text(encoding="utf-8"))
    operation_ids = {
        op["operationId"]
        for item in api["paths"].values()
        for method, op in item.items()
        if method in _METHODS
    }
    enum = _document()["components"]["schemas"]["OperationId"]["enum"]
    assert len(enum) == len(set(enum))
    assert set(enum) == operation_ids


class _Checked:
    """An httpx client of the control routes; each answer is validated against emulator.yaml.

    Records which (path, method, status) answers were seen, so the test can require that
    every documented response happened and nothing undocumented did.
    """

    def __init__(self, emu: Emulator) -> None:
        self.http = httpx.Client(base_url=emu.url)
        self.openapi = OpenAPI.from_file_path(str(EMULATOR_SPEC))
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(
        self,
        method: str,
        path: str,
        *,
        valid_request: bool = True,
        template: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        request = _Request(
            host_url=str(response.request.url.copy_with(path="/", query=None)).rstrip("/"),
            path=response.request.url.path,
            method=method.lower(),
            parameters=RequestParameters(
                query=QueryParams(response.request.url.query),
                header=Headers(headers=dict(response.request.headers)),  # case-insensitive
                cookie={},
            ),
            body=response.request.content or None,
            content_type=response.request.headers.get("content-type", ""),
        )
        if valid_request:
            # What the test sends as a valid request must be valid by the description too.
            self.openapi.validate_request(request)
        self.openapi.validate_response(
            request,
            _Response(
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                headers=dict(response.headers),
                data=response.content or None,
            ),
        )
        self.seen.add((template or path, method.upper(), str(response.status_code)))
        return response


@pytest.fixture
def call(emu: Emulator) -> Iterator[_Checked]:
    checked = _Checked(emu)
    with checked.http:
        yield checked


def test_every_answer_conforms_and_every_documented_answer_happens(
    emu: Emulator, client: httpx.Client, call: _Checked
) -> None:
    assert call("POST", "/_emulator/reset").status_code == 204
    clock = call("GET", "/_emulator/clock").json()
    assert clock["manual"] is True
    advanced = call("POST", "/_emulator/clock/advance", json={"seconds": 2.5}).json()
    assert advanced == {"now": clock["now"] + 2.5}
    refused = call("POST", "/_emulator/clock/advance", json={"seconds": -1}, valid_request=False)
    assert refused.status_code == 400
    fault = {"operation": "getVM", "kind": "error", "status": 503, "retry_after": "2", "times": 2}
    assert call("POST", "/_emulator/faults", json=fault).status_code == 204
    assert call("POST", "/_emulator/faults").status_code == 204  # the body is optional
    assert call("GET", "/_emulator/faults").json()["faults"] == [
        {**fault, "body": "json"},
        {"operation": "*", "kind": "error", "status": 503, "body": "json", "times": 1},
    ]
    refused = call(
        "POST",
        "/_emulator/faults",
        json={"operation": "noSuchOperation"},
        valid_request=False,
    )
    assert refused.status_code == 400
    assert client.get("/vm/x").status_code == 503
    assert call("DELETE", "/_emulator/faults").status_code == 204
    assert client.get("/vm/x").status_code == 404
    counters = call("GET", "/_emulator/counters").json()
    assert counters == {"requests": {"getVM": 2}}
    resources = call("GET", "/_emulator/resources", headers={"X-Api-Key": emu.api_key})
    assert resources.json()["vms"] == 0
    stranger = call("GET", "/_emulator/resources", headers={"X-Api-Key": "nobody"})
    assert stranger.status_code == 401
    repo = {"repository": "org/app", "files": {"app.py": "print(1)"}, "token": None}
    assert call("POST", "/_emulator/github", json=repo).status_code == 204
    refused = call(
        "POST",
        "/_emulator/github",
        json={"repository": "no-slash", "files": {}},
        valid_request=False,
    )
    assert refused.status_code == 400

    # The console's routes, over a world with a build and two VMs.
    image = client.post(
        "/image/import",
        json={"imageUri": "123456789012.dkr.ecr.us-west-2.amazonaws.com/a:1", "password": "pw"},
    ).json()["imageId"]
    build = client.post(
        "/image/build/files", json={"dockerfile": "FROM alpine\n", "files": []}
    ).json()["buildId"]
    vm = client.post("/vm/start", json={"imageId": image, "port": 8080}).json()["id"]
    cached = client.post("/vm/cache", json={"imageId": image}).json()["id"]
    page = call("GET", "/_emulator/")
    assert page.headers["content-type"].startswith("text/html")
    overview = call("GET", "/_emulator/overview", params={"tenant": 0, "build": build}).json()
    assert [b["buildId"] for b in overview["builds"]] == [build]
    assert "lines" in overview["builds"][0]
    assert [v["id"] for v in overview["vms"]] == [cached, vm]
    assert call("GET", "/_emulator/overview", params={"tenant": 7}).status_code == 404
    logged = call("GET", "/_emulator/requests", params={"tenant": 0, "resource": vm}).json()
    assert [r["operation"] for r in logged["requests"]] == ["startVM"]
    refused = call("GET", "/_emulator/requests", params={"limit": 0}, valid_request=False)
    assert refused.status_code == 400
    har = call("GET", "/_emulator/requests.har").json()
    assert len(har["log"]["entries"]) == len(call("GET", "/_emulator/requests").json()["requests"])
    stop = "/_emulator/tenants/{tenant}/vms/{vmId}/stop"
    destroy = "/_emulator/tenants/{tenant}/vms/{vmId}/destroy"
    assert call("POST", f"/_emulator/tenants/0/vms/{vm}/stop", template=stop).json()["state"] == (
        "stopped"
    )
    again = call("POST", f"/_emulator/tenants/0/vms/{vm}/stop", template=stop)
    assert again.status_code == 409
    assert call("POST", "/_emulator/tenants/0/vms/nope/stop", template=stop).status_code == 404
    gone = call("POST", f"/_emulator/tenants/0/vms/{cached}/destroy", template=destroy)
    assert gone.json()["state"] == "destroyed"
    assert call("POST", f"/_emulator/tenants/0/vms/{vm}/destroy", template=destroy).status_code == (
        409
    )
    assert call("POST", "/_emulator/tenants/5/vms/x/destroy", template=destroy).status_code == 404
    manual = call("POST", "/_emulator/clock/speed", json={"speed": 2})
    assert manual.status_code == 409
    assert call("GET", "/_emulator/faults").json() == {"faults": []}
    state = call("GET", "/_emulator/state").json()
    assert call("PUT", "/_emulator/state", json=state).status_code == 204
    newer = {**state, "version": state["version"] + 1}
    refused = call("PUT", "/_emulator/state", json=newer, valid_request=False)
    assert refused.status_code == 400
    assert "newer version" in refused.json()["error"]
    with Emulator(speed=1.0) as scaled:
        other = _Checked(scaled)
        with other.http:
            assert other("POST", "/_emulator/clock/speed", json={"speed": 4}).json()["speed"] == 4
            slow = other("POST", "/_emulator/clock/speed", json={"speed": 0}, valid_request=False)
            assert slow.status_code == 400
        call.seen |= other.seen

    documented = {
        (path, method.upper(), str(status))
        for path, item in _document()["paths"].items()
        for method, op in item.items()
        if method in _METHODS
        for status in op["responses"]
    }
    assert call.seen == documented


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/clock/advance", b"not json"),
        ("POST", "/_emulator/faults", b"[1, 2]"),
        ("POST", "/_emulator/github", b"{}"),
    ],
)
def test_a_body_that_is_not_the_described_object_is_a_described_400(
    emu: Emulator, call: _Checked, method: str, path: str, body: bytes
) -> None:
    response = call(
        method,
        path,
        content=body,
        headers={"Content-Type": "application/json"},
        valid_request=False,
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_method_a_route_lacks_is_405_with_allow(emu: Emulator) -> None:
    with httpx.Client(base_url=emu.url) as http:
        response = http.get("/_emulator/reset")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json() == {"error": "Method Not Allowed"}
