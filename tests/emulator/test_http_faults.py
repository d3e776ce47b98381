"""HTTP tests: every injected fault kind, seen by a real httpx client."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from cakework.testing import Emulator

from .conftest import ECR_URI, import_image, start_vm


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_error_status_with_json_body(emu: Emulator, client: httpx.Client, status: int) -> None:
    vm_id = start_vm(client)
    emu.inject("getVM", "error", status=status)
    response = client.get(f"/vm/{vm_id}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "injected" in response.json()["error"]
    assert ("retry-after" in response.headers) == (status == 429)
    assert client.get(f"/vm/{vm_id}").status_code == 200  # times=1 by default


def test_retry_after_value_and_other_bodies(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("listVMs", "error", status=429, retry_after="7", body="empty")
    emu.inject("listVMs", "error", status=502, body="html")
    limited = client.get("/vms")
    assert (limited.status_code, limited.headers["retry-after"], limited.content) == (429, "7", b"")
    html = client.get("/vms")
    assert html.status_code == 502
    assert html.headers["content-type"].startswith("text/html")
    assert "<html>" in html.text
    assert client.get("/vms").status_code == 200


def test_error_fault_has_no_side_effect(emu: Emulator, client: httpx.Client) -> None:
    image_id = import_image(client)
    emu.inject("startVM", "error", status=500)
    assert client.post("/vm/start", json={"imageId": image_id}).status_code == 500
    assert emu.resources()["vms"] == 0
    assert emu.request_count("startVM") == 1


def test_next_n_requests(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("listVMs", "error", status=503, times=3)
    codes = [client.get("/vms").status_code for _ in range(5)]
    assert codes == [503, 503, 503, 200, 200]


def test_fraction_is_deterministic(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("listVMs", "error", status=503, fraction=0.25)
    codes = [client.get("/vms").status_code for _ in range(8)]
    assert codes == [200, 200, 200, 503] * 2


def test_wildcard_operation(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("*", "error", status=500, times=2)
    assert client.get("/vms").status_code == 500
    assert client.get("/vm/x").status_code == 500
    assert client.get("/vm/x").status_code == 404


def test_latency(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("listVMs", "latency", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/vms", timeout=0.05)
    assert client.get("/vms").status_code == 200


def test_drop_before_response(emu: Emulator, client: httpx.Client) -> None:
    image_id = import_image(client)
    emu.inject("startVM", "drop_before")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/vm/start", json={"imageId": image_id})
    assert emu.resources()["vms"] == 0  # the operation never ran
    assert client.post("/vm/start", json={"imageId": image_id}).status_code == 200


def test_drop_after_processing(emu: Emulator, client: httpx.Client) -> None:
    image_id = import_image(client)
    emu.inject("startVM", "drop_after")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/vm/start", json={"imageId": image_id})
    assert emu.resources()["vms"] == 1  # the side effect happened
    assert len(client.get("/vms").json()["vms"]) == 1


def test_drop_after_then_retried_stop_sees_409(emu: Emulator, client: httpx.Client) -> None:
    vm_id = start_vm(client)
    emu.inject("stopVM", "drop_after")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/vm/{vm_id}/stop")
    assert client.post(f"/vm/{vm_id}/stop").status_code == 409


@pytest.mark.parametrize("kind", ["truncated", "invalid"])
def test_bad_json(emu: Emulator, client: httpx.Client, kind: str) -> None:
    vm_id = start_vm(client)
    emu.inject("getVM", "bad_json", bad_json=kind)  # type: ignore[arg-type]
    response = client.get(f"/vm/{vm_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match=r"."):
        response.json()


def test_inject_rejects_unknown_operation(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown operationId"):
        emu.inject("getVm")
    with pytest.raises(ValueError, match="fraction"):
        emu.inject("getVM", fraction=1.5)


def test_control_endpoint(emu: Emulator, client: httpx.Client) -> None:
    control = httpx.Client(base_url=emu.url)
    with control:
        response = control.post(
            "/_emulator/faults",
            json={"operation": "listVMs", "kind": "error", "status": 429, "times": 2},
        )
        assert response.status_code == 204
        assert [client.get("/vms").status_code for _ in range(3)] == [429, 429, 200]
        control.post("/_emulator/faults", json={"operation": "listVMs", "kind": "drop_before"})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/vms")
        control.post("/_emulator/faults", json={"operation": "listVMs", "times": 5})
        assert control.delete("/_emulator/faults").status_code == 204
        assert client.get("/vms").status_code == 200
        bad = control.post("/_emulator/faults", json={"kind": "explode"})
        assert bad.status_code == 400
        counters = control.get("/_emulator/counters").json()
        assert counters["requests"]["listVMs"] == 5
        resources = control.get("/_emulator/resources", headers={"X-Api-Key": emu.api_key})
        assert resources.json()["vms"] == 0
        before = control.get("/_emulator/clock").json()
        assert before["manual"] is True
        advanced = control.post("/_emulator/clock/advance", json={"seconds": 10}).json()
        assert advanced["now"] == before["now"] + 10
        assert control.post("/_emulator/reset").status_code == 204
        assert emu.request_count() == 0
        assert control.get("/_emulator/resources", headers={"X-Api-Key": "x"}).status_code == 401
        repo = {"repository": "org/r", "branch": "dev", "files": {"app.py": "print(1)"}}
        assert control.post("/_emulator/github", json=repo).status_code == 204
        assert control.post("/_emulator/github", json={"files": 1}).status_code == 400
        build = client.post(
            "/image/build/github",
            json={
                "dockerfile": "FROM x\nCOPY app.py /",
                "repository": "org/r",
                "branch": "dev",
                "token": "t",
            },
        ).json()
        emu.advance(10)
        assert client.get(f"/image/build/{build['buildId']}").json()["status"] == "succeeded"


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "getVm"},  # a typo must not silently inject nothing
        {"operation": "getVM", "status": "503"},
        {"operation": "getVM", "status": 200},  # an error fault answers an error
        {"operation": "getVM", "status": 99},
        {"operation": "getVM", "status": 1000},
        {"operation": "getVM", "status": True},
        {"operation": "getVM", "status": 429, "retry_after": 5},
        {"operation": "getVM", "kind": "latency", "seconds": "0.1"},
        {"operation": "getVM", "kind": "latency", "seconds": -1},
        {"operation": "getVM", "times": True},
        {"operation": "getVM", "times": 1.5},
        {"operation": "getVM", "fraction": "0.5"},
    ],
)
def test_control_endpoint_refuses_bad_faults(
    emu: Emulator, client: httpx.Client, fault: dict[str, object]
) -> None:
    with httpx.Client(base_url=emu.url) as control:
        response = control.post("/_emulator/faults", json=fault)
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad fault")
    assert client.get("/vm/x").status_code == 404  # nothing was injected


def test_inject_refuses_bad_values_up_front(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="status"):
        emu.inject("getVM", status=200)
    with pytest.raises(ValueError, match="retry_after"):
        emu.inject("getVM", status=429, retry_after=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds"):
        emu.inject("getVM", "latency", seconds=float("nan"))
    with pytest.raises(ValueError, match="times"):
        emu.inject("getVM", times=0)
    with pytest.raises(ValueError, match=r"unknown operationId 'getVm'.*getVM"):
        emu.inject("getVm")
    with pytest.raises(ValueError, match="kind"):
        emu.inject("getVM", "eror")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", ['{"seconds": NaN}', '{"seconds": Infinity}', '{"seconds": true}'])
def test_control_clock_refuses_non_numbers(emu: Emulator, body: str) -> None:
    before = emu.now()
    with httpx.Client(base_url=emu.url) as control:
        response = control.post(
            "/_emulator/clock/advance", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert control.get("/_emulator/clock").json()["now"] == before


def test_bad_json_also_garbles_a_refusal(emu: Emulator, client: httpx.Client) -> None:
    # The fault fires on the next matching request whatever its outcome; a refused one
    # must not use it up with a well-formed body.
    emu.inject("getVM", "bad_json")
    refused = client.get("/vm/unknown")
    assert refused.status_code == 404
    with pytest.raises(ValueError, match=r"."):
        refused.json()
    assert client.get("/vm/unknown").json() == {"error": "VM unknown does not exist"}


def test_register_github_repo_refuses_what_no_build_can_name(emu: Emulator) -> None:
    # buildImageFromGithub only accepts ``owner/name``: a URL would be registered in vain.
    with pytest.raises(ValueError, match="owner/name"):
        emu.register_github_repo("https://github.com/org/app", {"app.py": ""})
    with pytest.raises(ValueError, match="branch"):
        emu.register_github_repo("org/app", {"app.py": ""}, branch="")
    with pytest.raises(ValueError, match="files"):
        emu.register_github_repo("org/app", {"app.py": None})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "body",
    [
        {"repository": "org/r", "files": {"a.py": None}},
        {"repository": "org/r", "files": {"a.py": ""}, "token": 5},
        {"repository": "org/r", "files": {"a.py": ""}, "branch": 1},
        {"repository": "https://github.com/org/r", "files": {}},
        {"repository": "org/r", "files": ["a.py"]},
    ],
)
def test_control_github_refuses_bad_values(emu: Emulator, body: dict[str, object]) -> None:
    with httpx.Client(base_url=emu.url) as control:
        assert control.post("/_emulator/github", json=body).status_code == 400


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("latency", {}, "seconds"),  # a latency of nothing: surely not what was meant
        ("latency", {"status": 500}, "status"),
        ("drop_before", {"retry_after": "5"}, "retry_after"),
        ("bad_json", {"body": "html"}, "body"),
        ("error", {"seconds": 2.0}, "seconds"),
        ("error", {"bad_json": "invalid"}, "bad_json"),
    ],
)
def test_inject_refuses_options_its_kind_ignores(
    emu: Emulator, kind: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        emu.inject("getVM", kind, **options)  # type: ignore[arg-type]
    with httpx.Client(base_url=emu.url) as control:
        refused = control.post(
            "/_emulator/faults", json={"operation": "getVM", "kind": kind, **options}
        )
    assert refused.status_code == 400


def test_reset_drops_requests_still_held_by_a_latency_fault(emu: Emulator) -> None:
    # A request a previous test left held (and abandoned) must not run against the next
    # test's fresh state: ids restart after a reset, so it would act on a new resource
    # that happens to get the same id.
    emu.inject("importImage", "latency", seconds=1.0)
    outcome: list[BaseException | int] = []

    def call() -> None:
        with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
            try:
                body = {"imageUri": ECR_URI, "password": "pw"}
                outcome.append(http.post("/image/import", json=body, timeout=30).status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    for _ in range(2000):
        if emu.request_count("importImage"):
            break
        caller.join(0.005)
    emu.reset()
    caller.join(30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)
    assert emu.resources()["images"] == 0
