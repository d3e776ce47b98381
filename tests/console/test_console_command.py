"""``cakework emulator --state FILE``: the banner names the console, the world is kept.

Run as a user would: the console script in a subprocess, stopped with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from cakework.testing._persist import load_file

CAKEWORK = shutil.which("cakework", path=str(Path(sys.executable).parent))
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1"


def _start(state: Path) -> tuple[subprocess.Popen[str], str, str]:
    """The command running; its API base URL and console URL, read from what it prints."""
    assert CAKEWORK is not None, "the cakework console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAKEWORK_")}
    process = subprocess.Popen(
        [CAKEWORK, "emulator", "--port", "0", "--api-key", "cli-key-0042", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    base_url = process.stdout.readline().strip().partition("=")[2]
    console = ""
    while not console:
        line = process.stderr.readline()
        assert line, "the command ended before printing the console's URL"
        if line.startswith("# console: "):
            console = line.removeprefix("# console: ").strip()
    return process, base_url, console


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_the_banner_names_the_console_and_the_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "world.db"
    process, base_url, console = _start(state)
    try:
        assert console == base_url.removesuffix("/v1") + "/_emulator/"
        page = httpx.get(console)
        assert page.status_code == 200
        assert '<h2 id="builds-heading">Builds</h2>' in page.text
        with httpx.Client(base_url=base_url, headers={"X-Api-Key": "cli-key-0042"}) as http:
            image = http.post("/image/import", json={"imageUri": ECR_URI, "password": "pw"})
            vm = http.post("/vm/start", json={"imageId": image.json()["imageId"]}).json()["id"]
    finally:
        _stop(process)
    saved = load_file(state)
    assert saved is not None
    assert [v["id"] for v in saved["tenants"][0]["vms"]] == [vm]
    process, base_url, _ = _start(state)
    try:
        with httpx.Client(base_url=base_url, headers={"X-Api-Key": "cli-key-0042"}) as http:
            assert http.get(f"/vm/{vm}").json()["id"] == vm
    finally:
        _stop(process)


def test_a_corrupt_state_file_is_a_one_line_error(tmp_path: Path) -> None:
    assert CAKEWORK is not None
    state = tmp_path / "world.db"
    state.write_text("not sqlite")
    result = subprocess.run(
        [CAKEWORK, "emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "cannot load the state" in line
    assert "left unchanged" in line
    assert state.read_text() == "not sqlite"


def test_the_option_is_in_the_help() -> None:
    assert CAKEWORK is not None
    result = subprocess.run(
        [CAKEWORK, "emulator", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "--state FILE" in result.stdout


def test_the_readme_shows_a_screenshot_that_exists() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert "docs/console.png" in images
    for image in images:
        assert (root / image).is_file(), image
        assert (root / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
