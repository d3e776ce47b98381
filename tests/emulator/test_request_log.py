"""The request log: every API request recorded, every secret masked, exported as HAR 1.2.

The HAR export is checked against the HAR 1.2 JSON schema by ``har-validator`` (npm, pinned
in package.json) and loaded with ``haralyzer`` (PyPI), a HAR parser that knows nothing of us.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from haralyzer import HarPage, HarParser

from cakework import Cakework
from cakework.testing import Emulator
from cakework.testing._journal import MASK, mask_key, masked_body

from .conftest import ECR_URI, import_image, start_vm

ROOT = Path(__file__).resolve().parents[2]
HAR_VALIDATOR = ROOT / "node_modules" / "har-validator"
GITHUB_TOKEN = "ghp_secretGithubToken123"
PASSWORD = "registry-password-42"


def _validate_har(har: dict[str, Any], tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed (make node)"
    assert HAR_VALIDATOR.is_dir(), "node_modules/har-validator is missing: run `make node`"
    path = tmp_path / "log.har"
    path.write_text(json.dumps(har))
    script = (
        "const v = require(process.argv[1]);"
        "const har = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));"
        "v.har(har).then(() => console.log('valid'), (e) => {"
        " console.error(JSON.stringify(e.errors, null, 1)); process.exit(1); });"
    )
    result = subprocess.run(
        [node, "-e", script, str(HAR_VALIDATOR), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "valid"


def _traffic(emu: Emulator, client: httpx.Client) -> str:
    image = import_image(client)
    assert client.post("/image/import", json={"imageUri": ECR_URI, "password": PASSWORD})
    emu.register_github_repo("org/app", {"app.py": "x"})
    client.post(
        "/image/build/github",
        json={
            "dockerfile": "FROM alpine\n",
            "repository": "org/app",
            "branch": "main",
            "token": GITHUB_TOKEN,
        },
    )
    vm = start_vm(client, image, envVars={"DB_PASSWORD": "pg-secret-9"})
    emu.inject("getVM", "error", status=503, retry_after="1")
    assert client.get(f"/vm/{vm}").status_code == 503
    assert client.get(f"/vm/{vm}").status_code == 200
    emu.inject("getVM", "drop_before")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/vm/{vm}")
    assert client.get("/vm/nope", headers={"X-Api-Key": "wrong-key-123456"}).status_code == 401
    return vm


def test_every_request_is_logged_with_its_fault_and_ids(
    emu: Emulator, client: httpx.Client
) -> None:
    vm = _traffic(emu, client)
    with httpx.Client(base_url=emu.url) as control:
        rows = control.get("/_emulator/requests").json()["requests"]
        assert len(rows) == emu.request_count()
        injected = [r for r in rows if r["fault"]]
        assert [(r["operation"], r["status"], r["fault"]) for r in injected] == [
            ("getVM", 0, "drop_before"),
            ("getVM", 503, "error 503"),
        ]
        about_vm = control.get("/_emulator/requests", params={"resource": vm}).json()["requests"]
        assert {r["operation"] for r in about_vm} == {"startVM", "getVM"}
        failed = control.get("/_emulator/requests", params={"status": "5xx"}).json()["requests"]
        assert [r["status"] for r in failed] == [503]
        unauthorized = control.get("/_emulator/requests", params={"status": "401"}).json()
        assert [r["tenant"] for r in unauthorized["requests"]] == [None]
        other_tenant = control.get("/_emulator/requests", params={"tenant": 1}).json()
        assert [r["status"] for r in other_tenant["requests"]] == [401]  # no tenant: shown
    emu.reset()
    assert emu.har()["log"]["entries"] == []


def test_no_secret_leaves_the_log(emu: Emulator, client: httpx.Client) -> None:
    _traffic(emu, client)
    with httpx.Client(base_url=emu.url) as control:
        rows = control.get("/_emulator/requests")
        har = control.get("/_emulator/requests.har")
    for secret in (emu.api_key, GITHUB_TOKEN, PASSWORD, "pg-secret-9", "wrong-key-123456"):
        assert secret not in rows.text
        assert secret not in har.text
    keys = {r["apiKey"] for r in rows.json()["requests"]}
    assert keys == {mask_key(emu.api_key), mask_key("wrong-key-123456")}
    assert "DB_PASSWORD" in rows.text  # the name stays, the value goes
    assert "DB_PASSWORD" in har.text


@pytest.mark.parametrize(
    ("body", "hidden"),
    [
        (b'{"password": "p1", "token": "t1", "envVars": {"A": "v1"}}', ["p1", "t1", "v1"]),
        (b'[{"nested": {"token": "t2"}}]', ["t2"]),
        (b'{"password": "p3", "broken', ["p3"]),
        (b'{"token":"t\\"4" , "x": 1', ['t\\"4']),
    ],
)
def test_masking_hides_secrets_even_in_broken_json(body: bytes, hidden: list[str]) -> None:
    text, _ = masked_body(body)
    for secret in hidden:
        assert secret not in text
    assert MASK in text


def test_the_har_export_is_valid_har_1_2_and_parses(
    emu: Emulator, client: httpx.Client, tmp_path: Path
) -> None:
    vm = _traffic(emu, client)
    with httpx.Client(base_url=emu.url) as control:
        response = control.get("/_emulator/requests.har")
    assert "attachment" in response.headers["content-disposition"]
    har = response.json()
    assert har == emu.har()
    _validate_har(har, tmp_path)
    parser = HarParser(har)
    assert parser.version == "1.2"
    [page] = parser.pages
    entries = page.entries
    assert len(entries) == emu.request_count()
    statuses = [(e.request.method, e.status) for e in entries]
    assert ("GET", 503) in statuses
    assert ("GET", 0) in statuses  # the dropped connection
    assert all(e.url.startswith(emu.url + "/v1/") for e in entries)
    injected = [e for e in har["log"]["entries"] if "_fault" in e]
    assert [e["_fault"] for e in injected] == ["error 503", "drop_before"]
    retry_after = [h for h in injected[0]["response"]["headers"] if h["name"] == "retry-after"]
    assert retry_after == [{"name": "retry-after", "value": "1"}]
    assert any(vm in e["request"]["url"] for e in har["log"]["entries"])
    assert isinstance(page, HarPage)


def test_an_empty_log_is_valid_har_too(emu: Emulator, tmp_path: Path) -> None:
    _validate_har(emu.har(), tmp_path)


def test_a_client_run_shows_in_the_log_in_order(emu: Emulator) -> None:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance) as client:
        image = client.images.import_image(image_uri=ECR_URI, password="pw").image_id
        emu.inject("startVM", "error", status=429)  # a refusal creating POSTs retry on
        with client.vms.run(image_id=image):
            pass
    operations = [e["_operation"] for e in emu.har()["log"]["entries"]]
    assert operations[:3] == ["importImage", "startVM", "startVM"]
    assert operations[-1] == "stopVM"
