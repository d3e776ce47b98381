"""Every answer of every operation, errors included, conforms to openapi.yaml.

Schemathesis rarely reaches a 409, a 404 for each resource type or a refused cursor;
here each is provoked on purpose and the response is validated with openapi-core.
"""

from __future__ import annotations

import attrs
import httpx
import pytest
from openapi_core.datatypes import RequestParameters
from starlette.datastructures import QueryParams

from cakework.testing import Emulator
from cakework.testing._routes import _load_spec, _SpecRequest, find_spec

from .conftest import ECR_URI

ECHO_WINDOW = "from=2023-03-07+06:12:56+UTC&to=2023-03-08+06:11:56+UTC"


@attrs.frozen
class _SpecResponse:
    status_code: int
    content_type: str
    headers: dict[str, str]
    data: bytes | None


class Checked:
    """An httpx client whose every response is validated against openapi.yaml."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.operations, self.openapi = _load_spec(find_spec().resolve())

    def __call__(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        request = _SpecRequest(
            path=response.request.url.path,
            method=method.lower(),
            parameters=RequestParameters(
                query=QueryParams(response.request.url.query), header={}, cookie={}
            ),
            body=response.request.content or None,
            content_type=response.request.headers.get("content-type", ""),
        )
        self.openapi.validate_response(
            request,
            _SpecResponse(
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                headers=dict(response.headers),
                data=response.content or None,
            ),
        )
        return response


@pytest.fixture
def call(emu: Emulator, client: httpx.Client) -> Checked:
    return Checked(client)


def test_every_refusal_conforms(emu: Emulator, call: Checked, other: httpx.Client) -> None:
    image_id = call("POST", "/image/import", json={"imageUri": ECR_URI, "password": "pw"}).json()[
        "imageId"
    ]
    build_id = call(
        "POST", "/image/build/files", json={"dockerfile": "FROM x\nRUN a\n" * 40, "files": []}
    ).json()["buildId"]
    vm_id = call("POST", "/vm/start", json={"imageId": image_id}).json()["id"]
    cached_id = call("POST", "/vm/cache", json={"imageId": image_id}).json()["id"]
    emu.advance(100)
    expected = {
        # 404 for each resource type, by operation
        ("GET", "/image/build/nope"): 404,
        ("GET", "/image/build/nope/logs"): 404,
        ("POST", "/vm/nope/stop"): 404,
        ("GET", "/vm/nope"): 404,
        ("GET", "/vm/nope/logs"): 404,
        ("POST", "/vm/cached/nope/start"): 404,
        ("POST", "/vm/cached/nope/stop"): 404,
        ("POST", "/vm/cached/nope/destroy"): 404,
        ("GET", "/vm/cached/nope/logs"): 404,
        ("POST", f"/vm/cached/{vm_id}/start"): 404,  # a one-time VM is no cached VM
        # 409 for each refused transition
        ("POST", f"/vm/cached/{cached_id}/stop"): 409,
        ("POST", f"/vm/{cached_id}/stop"): 409,
        # refused cursors and bounds
        ("GET", f"/image/build/{build_id}/logs?pagination=bogus&from=x&to=y"): 400,
        ("GET", f"/image/build/{build_id}/logs?pagination=bogus&{ECHO_WINDOW}"): 409,
        ("GET", f"/image/build/{build_id}/logs?pagination=bogus"): 409,
        ("GET", f"/vm/{vm_id}/logs?from=yesterday"): 400,
        ("GET", f"/vm/{vm_id}/logs?query="): 400,
        ("GET", "/vms?pagination=bogus"): 409,
    }
    for (method, path), status in expected.items():
        assert call(method, path).status_code == status, (method, path)
    for body, path in [
        ({"imageId": "nope"}, "/vm/start"),
        ({"imageId": "nope"}, "/vm/cache"),
        ({"imageId": image_id, "cpu": 0}, "/vm/start"),
        ({"imageUri": "docker.io/x", "password": ""}, "/image/import"),
    ]:
        assert call("POST", path, json=body).status_code in (400, 404)
    page = call("GET", f"/image/build/{build_id}/logs", params={"batch": 50}).json()
    changed = {
        "batch": 60,
        "pagination": page["pagination"],
        "from": page["from"],
        "to": page["to"],
    }
    assert call("GET", f"/image/build/{build_id}/logs", params=changed).status_code == 409
    call("POST", f"/vm/{vm_id}/stop")
    assert call("POST", f"/vm/{vm_id}/stop").status_code == 409
    call("POST", f"/vm/cached/{cached_id}/destroy")
    for verb in ("start", "stop", "destroy"):
        assert call("POST", f"/vm/cached/{cached_id}/{verb}").status_code == 409
    # another tenant, and no tenant at all
    for path in (f"/vm/{vm_id}", f"/image/build/{build_id}", f"/vm/cached/{cached_id}/logs"):
        assert Checked(other)("GET", path).status_code == 404
    with httpx.Client(base_url=emu.base_url) as anonymous:
        for op in call.operations:
            path = op.path.replace("{", "").replace("}", "")
            assert Checked(anonymous)(op.method, path).status_code == 401
