"""HTTP tests: one-time and cached VM lifecycles, listVMs paging, the manual clock."""

from __future__ import annotations

import httpx
import pytest

from cakework.testing import Emulator

from .conftest import ECR_URI, import_image, start_vm


def state(client: httpx.Client, vm_id: str) -> str:
    response = client.get(f"/vm/{vm_id}")
    assert response.status_code == 200
    value: str = response.json()["state"]
    return value


def test_vm_lifecycle_and_409(emu: Emulator, client: httpx.Client) -> None:
    vm_id = start_vm(client, cpu=2, memory=512, port=8080, volumeGB=3, envVars={"A": "b"})
    vm = client.get(f"/vm/{vm_id}").json()
    assert vm["state"] == "created"
    assert (vm["cpu"], vm["memory"], vm["port"], vm["volumeGB"]) == (2, 512, 8080, 3)
    emu.advance(2.9)
    assert state(client, vm_id) == "created"
    emu.advance(0.1)
    assert state(client, vm_id) == "started"
    stop = client.post(f"/vm/{vm_id}/stop")
    assert stop.status_code == 204
    assert stop.content == b""
    assert state(client, vm_id) == "stopped"
    again = client.post(f"/vm/{vm_id}/stop")
    assert again.status_code == 409
    assert again.json() == {"error": f"VM {vm_id} is stopped; cannot stop it"}
    emu.advance(2)
    assert state(client, vm_id) == "destroyed"
    assert client.post(f"/vm/{vm_id}/stop").status_code == 409


def test_start_vm_defaults_and_unknown_image(client: httpx.Client) -> None:
    vm = client.get(f"/vm/{start_vm(client)}").json()
    assert (vm["cpu"], vm["memory"]) == (1, 256)
    response = client.post("/vm/start", json={"imageId": "no-such-image"})
    assert response.status_code == 404


def test_reads_do_not_change_state(emu: Emulator, client: httpx.Client) -> None:
    vm_id = start_vm(client)
    first = [client.get(f"/vm/{vm_id}").json() for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert client.get("/vms").json() == client.get("/vms").json()


def test_cached_vm_lifecycle(emu: Emulator, client: httpx.Client) -> None:
    image_id = import_image(client)
    created = client.post("/vm/cache", json={"imageId": image_id, "diskSize": 5})
    assert created.status_code == 200
    body = created.json()
    vm_id = body["id"]
    assert body["state"] == "stopped"
    assert body["diskSize"] == 5
    assert body["hostname"]
    assert state(client, vm_id) == "stopped"
    assert [vm["id"] for vm in client.get("/vms").json()["vms"]] == [vm_id]
    assert client.post(f"/vm/cached/{vm_id}/stop").status_code == 409
    for _ in range(2):
        assert client.post(f"/vm/cached/{vm_id}/start").status_code == 204
        assert client.post(f"/vm/cached/{vm_id}/start").status_code == 409
        emu.advance(3)
        assert state(client, vm_id) == "started"
        assert client.post(f"/vm/cached/{vm_id}/stop").status_code == 204
        assert state(client, vm_id) == "stopped"
    assert client.post(f"/vm/cached/{vm_id}/destroy").status_code == 204
    assert state(client, vm_id) == "destroyed"
    for action in ("start", "stop", "destroy"):
        response = client.post(f"/vm/cached/{vm_id}/{action}")
        assert response.status_code == 409, action
    logs = client.get(f"/vm/cached/{vm_id}/logs").json()["lines"]
    messages = [line["message"] for line in logs]
    assert messages.count("Booting VM") == 2
    assert messages[-1] == "VM destroyed"
    timestamps = [line["timestamp"] for line in logs]
    assert timestamps == sorted(timestamps)


def test_cached_endpoints_do_not_accept_one_time_vms(client: httpx.Client) -> None:
    vm_id = start_vm(client)
    assert client.post(f"/vm/cached/{vm_id}/stop").status_code == 404
    assert client.get(f"/vm/cached/{vm_id}/logs").status_code == 404


def test_stop_vm_refuses_cached_vms(client: httpx.Client) -> None:
    vm_id = client.post("/vm/cache", json={"imageId": import_image(client)}).json()["id"]
    client.post(f"/vm/cached/{vm_id}/start")
    response = client.post(f"/vm/{vm_id}/stop")
    assert response.status_code == 409
    assert "stopCachedVM" in response.json()["error"]


def test_destroy_running_cached_vm(emu: Emulator, client: httpx.Client) -> None:
    vm_id = client.post("/vm/cache", json={"imageId": import_image(client)}).json()["id"]
    client.post(f"/vm/cached/{vm_id}/start")
    emu.advance(5)
    assert client.post(f"/vm/cached/{vm_id}/destroy").status_code == 204
    assert state(client, vm_id) == "destroyed"


def test_list_vms_pages_and_filters(emu: Emulator, client: httpx.Client) -> None:
    image_a, image_b = import_image(client), import_image(client)
    ids = [start_vm(client, image_a if n % 2 else image_b) for n in range(7)]
    seen: list[str] = []
    params: dict[str, str] = {}
    pages = 0
    while True:
        page = client.get("/vms", params=params).json()
        pages += 1
        assert len(page["vms"]) <= 3
        seen += [vm["id"] for vm in page["vms"]]
        if "pagination" not in page:
            break
        params = {"pagination": page["pagination"]}
    assert pages == 3
    assert seen == ids[::-1]  # newest first, no duplicates, none missing
    only_a = client.get("/vms", params={"imageId": image_a}).json()
    assert {vm["imageId"] for vm in only_a["vms"]} == {image_a}
    client.post(f"/vm/{ids[0]}/stop")
    stopped = client.get("/vms", params={"status": "stopped"}).json()["vms"]
    assert [vm["id"] for vm in stopped] == [ids[0]]
    first = client.get("/vms").json()
    changed = client.get("/vms", params={"pagination": first["pagination"], "status": "created"})
    assert changed.status_code == 409
    assert client.get("/vms", params={"pagination": "garbage!"}).status_code == 409


def test_manual_clock_only_moves_on_advance(emu: Emulator, client: httpx.Client) -> None:
    before = emu.now()
    vm_id = start_vm(client)
    assert emu.now() == before
    assert state(client, vm_id) == "created"
    emu.advance(60)
    assert emu.now() == before + 60
    assert state(client, vm_id) == "started"


def test_resources_and_counters(emu: Emulator, client: httpx.Client) -> None:
    start_vm(client)
    assert emu.request_count("startVM") == 1
    assert emu.request_count("importImage") == 1
    assert emu.request_count("getVM") == 0
    assert emu.resources() == {
        "images": 1,
        "builds": 0,
        "vms": 1,
        "cached_vms": 0,
        "running_vms": 1,
        "live_cached_vms": 0,
    }
    emu.reset()
    assert emu.request_count() == 0
    assert emu.resources()["vms"] == 0


def test_counters_and_resources_refuse_typos(emu: Emulator) -> None:
    # ``request_count("startVm") == 0`` would pass for the wrong reason.
    with pytest.raises(ValueError, match=r"unknown operationId 'startVm'.*startVM"):
        emu.request_count("startVm")
    with pytest.raises(ValueError, match="not one of this emulator's API keys"):
        emu.resources("key-c")
    assert emu.request_count("startVM") == 0
    assert set(emu.request_counts()) <= {op.operation_id for op in emu.app.operations}


def _scenario(emu: Emulator) -> list[str]:
    """Every kind of request from two tenants; returns the raw response bodies."""
    bodies: list[str] = []
    emu.register_github_repo("org/app", {"app.py": "print(1)"})
    for key in (emu.api_keys[0], emu.api_keys[1], emu.api_keys[0]):
        with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": key}) as http:
            image = http.post("/image/import", json={"imageUri": ECR_URI, "password": "p"})
            image_id = image.json()["imageId"]
            build = http.post(
                "/image/build/github",
                json={
                    "dockerfile": "FROM x\nCOPY app.py /\n",
                    "repository": "org/app",
                    "branch": "main",
                    "token": "t",
                },
            )
            emu.advance(7.25)
            build_id = build.json()["buildId"]
            vm = http.post("/vm/start", json={"imageId": image_id, "port": 80})
            cached = http.post("/vm/cache", json={"imageId": image_id, "diskSize": 3})
            http.post(f"/vm/cached/{cached.json()['id']}/start")
            emu.advance(33.3)
            vm_logs = http.get(
                f"/vm/{vm.json()['id']}/logs", params={"order": "newest_first", "batch": 50}
            )
            bodies += [
                image.text,
                build.text,
                vm.text,
                cached.text,
                vm_logs.text,
                http.get(f"/image/build/{build_id}").text,
                http.get(f"/image/build/{build_id}/logs").text,
                http.get(f"/vm/cached/{cached.json()['id']}/logs").text,
                http.get("/vms").text,
            ]
    return bodies


def test_same_requests_same_responses(emu: Emulator) -> None:
    # Ids, hostnames, timestamps, log lines and cursors: all from counters and the clock.
    first = _scenario(emu)
    emu.reset()
    assert _scenario(emu) == first
    with Emulator(emu.api_keys, manual_clock=True, page_size=3) as fresh:
        assert _scenario(fresh) == first
