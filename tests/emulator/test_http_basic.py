"""HTTP tests against a running emulator: auth, tenancy, validation, images, VMs."""

from __future__ import annotations

import httpx
import pytest

from cakework.testing import Emulator

from .conftest import ECR_URI, import_image, start_vm


def test_base_url_ends_in_v1(emu: Emulator) -> None:
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.base_url.endswith("/v1")
    assert emu.api_key == "key-a"
    assert emu.api_keys == ("key-a", "key-b")


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "nope"}, {"X-Api-Key": ""}])
def test_missing_or_unknown_key_is_401(emu: Emulator, headers: dict[str, str]) -> None:
    response = httpx.get(emu.base_url + "/vms", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "error" in response.json()


def test_tenants_do_not_see_each_other(
    emu: Emulator, client: httpx.Client, other: httpx.Client
) -> None:
    image_id = import_image(client)
    vm_id = start_vm(client, image_id)
    assert other.get(f"/vm/{vm_id}").status_code == 404
    # Exactly the answer for an id that never existed.
    assert other.get(f"/vm/{vm_id}").json() == {"error": f"VM {vm_id} does not exist"}
    assert client.get("/vm/nope").json() == {"error": "VM nope does not exist"}
    assert other.post(f"/vm/{vm_id}/stop").status_code == 404
    assert other.post("/vm/start", json={"imageId": image_id}).status_code == 404
    assert other.get("/vms").json() == {"vms": []}
    assert emu.resources("key-b")["vms"] == 0
    assert emu.resources()["vms"] == 1


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/vm/start", {"imageId": "x", "cpu": 0}, "cpu: 0 is less than the minimum of 1"),
        ("/vm/start", {"imageId": "x", "memory": 100}, "memory"),
        ("/vm/start", {"imageId": "x", "volumeGB": 501}, "volumeGB"),
        ("/vm/cache", {"imageId": "x", "diskSize": 0}, "diskSize"),
        ("/vm/start", {"cpu": 1}, "'imageId' is a required property"),
        ("/vm/start", {"imageId": "x", "bogus": 1}, "bogus"),
        ("/image/import", {"imageUri": ECR_URI}, "password"),
        ("/image/build/files", {"dockerfile": "FROM x", "files": [{"dir": "."}]}, "name"),
    ],
)
def test_invalid_bodies_are_400(
    client: httpx.Client, path: str, body: object, expected: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert expected in response.json()["error"]


def test_non_json_body_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/vm/start", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "the request body is not valid JSON"}


def test_secret_values_are_not_echoed(client: httpx.Client) -> None:
    response = client.post("/image/import", json={"imageUri": ECR_URI, "password": 12345678})
    assert response.status_code == 400
    assert "12345678" not in response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/image/import", [{"imageUri": ECR_URI, "password": "hunter2-secret"}]),
        ("/image/build/github", {"dockerfile": "FROM x", "token": ["hunter2-secret"]}),
        ("/vm/start", {"imageId": "x", "envVars": ["hunter2-secret"]}),
    ],
)
def test_containers_are_not_echoed(client: httpx.Client, path: str, body: object) -> None:
    # A misshapen body (an array where an object belongs) may carry a credential inside.
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert "hunter2-secret" not in response.text
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"batch": 49}, "batch"),
        ({"batch": 1001}, "batch"),
        ({"batch": "x"}, "batch"),
        ({"order": "sideways"}, "order"),
    ],
)
def test_out_of_range_query_is_400(
    client: httpx.Client, params: dict[str, str | int], name: str
) -> None:
    vm_id = start_vm(client)
    response = client.get(f"/vm/{vm_id}/logs", params=params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{name}: ")


def test_list_status_filter_is_validated(client: httpx.Client) -> None:
    assert client.get("/vms", params={"status": "weird"}).status_code == 400


@pytest.mark.parametrize(
    "uri",
    [
        ECR_URI,
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/app",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
    ],
)
def test_import_image_accepts_ecr_uris(client: httpx.Client, uri: str) -> None:
    first = client.post("/image/import", json={"imageUri": uri, "password": "pw"})
    second = client.post("/image/import", json={"imageUri": uri, "password": "pw"})
    assert first.status_code == second.status_code == 200
    assert first.json()["imageId"] != second.json()["imageId"]


@pytest.mark.parametrize(
    "uri",
    [
        "docker.io/library/python:3.11",
        "123.dkr.ecr.us-west-2.amazonaws.com/app",
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/",
        "ghcr.io/owner/app:latest",
    ],
)
def test_import_image_rejects_other_uris(client: httpx.Client, uri: str) -> None:
    response = client.post("/image/import", json={"imageUri": uri, "password": "pw"})
    assert response.status_code == 400
    assert "imageUri" in response.json()["error"]


def test_concrete_paths_win_and_405_lists_allowed_methods(client: httpx.Client) -> None:
    # Per OpenAPI path matching, /vm/cache is cacheVM's path, never getVM("cache").
    response = client.get("/vm/cache")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"error": "Method Not Allowed"}
    assert client.delete("/vm/abc").headers["allow"] == "GET"
    assert client.get("/nowhere").status_code == 404


def test_validation_memo_never_answers_for_a_different_request(client: httpx.Client) -> None:
    # The memo keys on everything validation reads; each pair below differs in one part
    # only, and each is asked twice so that the second answer comes from the memo.
    vm_id = start_vm(client)
    body = b'{"imageId": "unknown"}'
    for _ in range(2):
        # Passes validation (then 404: no such image) only as JSON.
        as_json = client.post(
            "/vm/start", content=body, headers={"Content-Type": "application/json"}
        )
        assert as_json.status_code == 404
        as_text = client.post("/vm/start", content=body, headers={"Content-Type": "text/plain"})
        assert as_text.status_code == 400
        no_type = client.post("/vm/start", content=body, headers={"Content-Type": ""})
        assert no_type.status_code == 400
        # A repeated parameter: the last value counts, for validation and for the handler.
        assert client.get(f"/vm/{vm_id}/logs?batch=50&batch=5000").status_code == 400
        assert client.get(f"/vm/{vm_id}/logs?batch=5000&batch=50").status_code == 200
        # Same query, another operation: its own parameters are checked.
        assert client.get("/vms?status=started").status_code == 200
        assert client.get(f"/vm/{vm_id}/logs?status=started").status_code == 200
        assert client.get("/vms?order=sideways").status_code == 200
        assert client.get(f"/vm/{vm_id}/logs?order=sideways").status_code == 400
        # Same body, another path parameter: the handler still sees the new one.
        assert client.get("/vm/unknown-1").json()["error"] == "VM unknown-1 does not exist"
        assert client.get("/vm/unknown-2").json()["error"] == "VM unknown-2 does not exist"


def _refusal(http: httpx.Client, method: str, template: str, resource_id: str, body: bool) -> str:
    payload = {"imageId": resource_id} if body else None
    response = http.request(method, template.format(resource_id), json=payload)
    assert response.status_code == 404, (method, template)
    error: str = response.json()["error"]
    return error.replace(resource_id, "<id>")


def test_every_operation_answers_a_foreign_id_like_an_unknown_one(
    emu: Emulator, client: httpx.Client, other: httpx.Client
) -> None:
    image_id = import_image(client)
    build_id = client.post(
        "/image/build/files", json={"dockerfile": "FROM x\n", "files": []}
    ).json()["buildId"]
    vm_id = start_vm(client, image_id)
    cached_id = client.post("/vm/cache", json={"imageId": image_id}).json()["id"]
    client.post(f"/vm/cached/{cached_id}/start")
    emu.advance(60)
    before = [client.get(path).json() for path in ("/vms", f"/vm/{vm_id}/logs")]
    requests = [
        ("GET", "/image/build/{}", build_id, False),
        ("GET", "/image/build/{}/logs", build_id, False),
        ("POST", "/vm/start", image_id, True),  # the id travels in the body
        ("POST", "/vm/cache", image_id, True),
        ("POST", "/vm/{}/stop", vm_id, False),
        ("GET", "/vm/{}", vm_id, False),
        ("GET", "/vm/{}/logs", vm_id, False),
        ("GET", "/vm/{}", cached_id, False),
        ("GET", "/vm/{}/logs", cached_id, False),
        ("POST", "/vm/cached/{}/start", cached_id, False),
        ("POST", "/vm/cached/{}/stop", cached_id, False),
        ("POST", "/vm/cached/{}/destroy", cached_id, False),
        ("GET", "/vm/cached/{}/logs", cached_id, False),
    ]
    for method, template, foreign, in_body in requests:
        answer = _refusal(other, method, template, foreign, in_body)
        assert answer == _refusal(other, method, template, "never-existed", in_body)
    # Nothing the other tenant tried touched this tenant's resources.
    assert [client.get(path).json() for path in ("/vms", f"/vm/{vm_id}/logs")] == before
    for query in ({"imageId": image_id}, {"status": "started"}, {}):
        assert other.get("/vms", params=query).json() == {"vms": []}
    assert emu.resources(emu.api_keys[1]) == dict.fromkeys(emu.resources(), 0)
