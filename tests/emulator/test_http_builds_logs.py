"""HTTP tests: builds (files, GitHub) with their logs, and Logtail-style log paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cakework.testing import Emulator

from .conftest import APP_FILES, DOCKERFILE, start_vm


def build(client: httpx.Client, dockerfile: str = DOCKERFILE, files: Any = APP_FILES) -> str:
    response = client.post("/image/build/files", json={"dockerfile": dockerfile, "files": files})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "created"
    assert "imageId" not in body
    build_id: str = body["buildId"]
    return build_id


def messages(client: httpx.Client, path: str, **params: Any) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [line["message"] for line in response.json()["lines"]]


def test_build_from_files_succeeds(emu: Emulator, client: httpx.Client) -> None:
    build_id = build(client)
    assert client.get(f"/image/build/{build_id}").json()["status"] == "created"
    emu.advance(2)
    assert messages(client, f"/image/build/{build_id}/logs")[-1].startswith(" ---> ")
    assert client.get(f"/image/build/{build_id}").json()["status"] == "created"
    emu.advance(10)
    done = client.get(f"/image/build/{build_id}").json()
    assert done["status"] == "succeeded"
    assert done["updatedAt"] != done["createdAt"]
    log = messages(client, f"/image/build/{build_id}/logs")
    assert "Step 3/4 : RUN pip install flask" in log
    assert log[-2] == f"Successfully built {done['imageId']}"
    vm = client.post("/vm/start", json={"imageId": done["imageId"]})
    assert vm.status_code == 200


def test_image_is_unusable_until_build_succeeds(emu: Emulator, client: httpx.Client) -> None:
    build_id = build(client)
    emu.advance(10)
    image_id = client.get(f"/image/build/{build_id}").json()["imageId"]
    assert emu.resources()["images"] == 1
    # Another tenant cannot start it.
    other = httpx.post(
        emu.base_url + "/vm/start",
        json={"imageId": image_id},
        headers={"X-Api-Key": emu.api_keys[1]},
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("dockerfile", "files", "reason"),
    [
        ("FROM x\nCOPY app.py /app/", [], "stat app.py"),
        (
            "FROM x\nCOPY app.py /app/",
            [{"dir": "src", "name": "app.py", "content": ""}],
            "stat app.py",
        ),
        ("RUN true", [], "first instruction must be FROM"),
        ("FROM x\nDANCE", [], "unknown instruction: DANCE"),
    ],
)
def test_build_from_files_fails_with_reason_in_logs(
    emu: Emulator, client: httpx.Client, dockerfile: str, files: Any, reason: str
) -> None:
    build_id = build(client, dockerfile, files)
    emu.advance(30)
    assert client.get(f"/image/build/{build_id}").json()["status"] == "failed"
    assert "imageId" not in client.get(f"/image/build/{build_id}").json()
    log = messages(client, f"/image/build/{build_id}/logs")
    assert any(reason in line for line in log)
    assert log[-1] == "Build failed"
    assert messages(client, f"/image/build/{build_id}/logs", query="BUILD FAILED") == [
        "Build failed"
    ]


def test_dir_is_honoured(emu: Emulator, client: httpx.Client) -> None:
    files = [{"dir": "src/handlers", "name": "h.json", "content": "{}"}]
    build_id = build(client, "FROM x\nCOPY src/handlers/h.json /app/", files)
    emu.advance(30)
    assert client.get(f"/image/build/{build_id}").json()["status"] == "succeeded"


def test_github_builds(emu: Emulator, client: httpx.Client) -> None:
    emu.register_github_repo("org/app", {"app.py": "print(1)"}, branch="main")

    def github(**overrides: str) -> tuple[str, list[str]]:
        body = {
            "dockerfile": "FROM python:3.11\nCOPY app.py /app/",
            "repository": "org/app",
            "branch": "main",
            "token": "ghs_x",
            **overrides,
        }
        response = client.post("/image/build/github", json=body)
        assert response.status_code == 200, response.text
        build_id = response.json()["buildId"]
        emu.advance(30)
        status = client.get(f"/image/build/{build_id}").json()["status"]
        return status, messages(client, f"/image/build/{build_id}/logs")

    status, log = github()
    assert status == "succeeded"
    assert log[0] == "Cloning https://github.com/org/app (branch main)"
    for overrides, reason in [
        ({"repository": "org/unknown"}, "repository 'https://github.com/org/unknown' not found"),
        ({"branch": "nope"}, "Remote branch nope not found"),
        ({"dockerignore": "*.py"}, "stat app.py"),
    ]:
        status, log = github(**overrides)
        assert status == "failed", overrides
        assert any(reason in line for line in log), (overrides, log)
    assert "ghs_x" not in str(log)
    # An empty token is refused up front, as openapi.yaml states (minLength 1).
    empty = {"dockerfile": "FROM x", "repository": "org/app", "branch": "main", "token": ""}
    assert client.post("/image/build/github", json=empty).status_code == 400
    bad = client.post(
        "/image/build/github",
        json={"dockerfile": "FROM x", "repository": "no-slash", "branch": "main", "token": "t"},
    )
    assert bad.status_code == 400


def running_vm(emu: Emulator, client: httpx.Client, seconds: float) -> str:
    vm_id = start_vm(client)
    emu.advance(seconds)
    return vm_id


def read_all(client: httpx.Client, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    lines: list[dict[str, Any]] = []
    sent: set[str] = set()
    pages = 0
    query = dict(params)
    while True:
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        lines += page["lines"]
        cursor = page.get("pagination")
        if cursor is None or not page["lines"] or cursor in sent:
            return lines, pages
        assert {"from", "to"} <= set(page)
        sent.add(cursor)
        query = {**params, "pagination": cursor, "from": page["from"], "to": page["to"]}


def test_vm_log_paging_both_orders(emu: Emulator, client: httpx.Client) -> None:
    vm_id = running_vm(emu, client, 3 + 5 * 130)  # ~130 application lines
    everything = client.get(f"/vm/{vm_id}/logs", params={"batch": 1000}).json()
    assert "pagination" not in everything
    expected = everything["lines"]
    assert len(expected) > 130
    oldest, pages = read_all(client, f"/vm/{vm_id}/logs", batch=50)
    assert oldest == expected
    assert pages == -(-len(expected) // 50)
    newest, _ = read_all(client, f"/vm/{vm_id}/logs", batch=50, order="newest_first")
    assert newest == expected[::-1]
    default_page = client.get(f"/vm/{vm_id}/logs").json()
    assert len(default_page["lines"]) == 100
    assert default_page["from"].endswith(" UTC")


def test_vm_log_query_and_window(emu: Emulator, client: httpx.Client) -> None:
    vm_id = running_vm(emu, client, 3 + 5 * 30)
    warnings = messages(client, f"/vm/{vm_id}/logs", query="SLOW REQUEST")
    assert len(warnings) == 6
    assert all("slow request" in message for message in warnings)
    # The manual clock starts at 2023-03-07 06:00:00 UTC; boot takes 3 s, lines every 5 s.
    window = messages(
        client,
        f"/vm/{vm_id}/logs",
        **{"from": "2023-03-07T06:00:08Z", "to": "2023-03-07T06:00:18Z"},
    )
    assert window == [f"[app] handled request #{n}: GET /health 200" for n in (1, 2, 3)]


def test_echo_values_come_back_verbatim(emu: Emulator, client: httpx.Client) -> None:
    vm_id = running_vm(emu, client, 3 + 5 * 60)
    first = client.get(f"/vm/{vm_id}/logs", params={"batch": 50}).json()
    assert first["from"] == "2023-03-07 06:00:00 UTC"
    assert first["to"] == "2023-03-07 06:05:03 UTC"
    base = {
        "batch": 50,
        "pagination": first["pagination"],
        "from": first["from"],
        "to": first["to"],
    }
    assert client.get(f"/vm/{vm_id}/logs", params=base).status_code == 200
    for change in (
        {"batch": 60},
        {"order": "newest_first"},
        {"query": "GET"},
        {"from": "2023-03-07T06:00:00Z"},
        {"to": None},
    ):
        params = {k: v for k, v in {**base, **change}.items() if v is not None}
        response = client.get(f"/vm/{vm_id}/logs", params=params)
        assert response.status_code == 409, change
        assert "error" in response.json()
    other_vm = running_vm(emu, client, 1)
    assert client.get(f"/vm/{other_vm}/logs", params=base).status_code == 409


def test_quirk_mode(emu: Emulator) -> None:
    with (
        Emulator(manual_clock=True, log_quirk=True) as quirky,
        httpx.Client(base_url=quirky.base_url, headers={"X-Api-Key": quirky.api_key}) as client,
    ):
        vm_id = running_vm(quirky, client, 3 + 5 * 60)
        lines, pages = read_all(client, f"/vm/{vm_id}/logs", batch=50)
        assert pages == 3  # 50, 15, then an empty page that still has a cursor
        assert len(lines) == len(messages(client, f"/vm/{vm_id}/logs", batch=1000))
        last = client.get(f"/vm/{vm_id}/logs", params={"batch": 1000}).json()
        assert "pagination" in last  # the last page still carries a cursor
        follow = {
            "batch": 1000,
            "pagination": last["pagination"],
            "from": last["from"],
            "to": last["to"],
        }
        empty = client.get(f"/vm/{vm_id}/logs", params=follow).json()
        assert empty["lines"] == []
        assert empty["pagination"] == last["pagination"]
        quirky.log_quirk = False
        assert "pagination" not in client.get(f"/vm/{vm_id}/logs", params={"batch": 1000}).json()


def test_build_logs_unknown_and_foreign(
    emu: Emulator, client: httpx.Client, other: httpx.Client
) -> None:
    build_id = build(client)
    assert client.get("/image/build/nope/logs").status_code == 404
    assert other.get(f"/image/build/{build_id}/logs").status_code == 404
    assert other.get(f"/image/build/{build_id}").status_code == 404
