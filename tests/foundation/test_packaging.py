"""One distribution ships both packages, typed, and installs into a fresh virtualenv."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("cakework_client-*.whl")
    return built


def test_wheel_contains_both_typed_packages_and_the_spec(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "cakework/__init__.py",
        "cakework/py.typed",
        "cakework_api/__init__.py",
        "cakework_api/py.typed",
        "cakework_api/api/v_ms/start_vm.py",
        "cakework/testing/openapi.yaml",
        "cakework/testing/emulator.yaml",
        "cakework/testing/static/console.html",
        "cakework/testing/static/console.js",
        "cakework/testing/static/console.css",
    ):
        assert required in names
    assert not any(n.startswith(("tests/", "generated/", "overlays/")) for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert sorted(r.split()[1].split(">")[0].split("<")[0] for r in runtime) == [
        "attrs",
        "httpx",
        "python-dateutil",
    ]


def _fresh_venv(tmp_path: Path, requirement: str) -> Path:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", requirement],
        check=True,
        capture_output=True,
    )
    return python


def test_wheel_installs_into_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path, str(wheel))
    probe = "import cakework, cakework_api; print(cakework.__version__)"
    result = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert result.stdout.strip()
    # Without the extra, the emulator says what to install instead of a bare ImportError.
    result = subprocess.run(
        [str(python), "-m", "cakework.testing", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "emulator" in result.stderr
    # The console script is installed; without the `cli` extra it names the install command.
    result = subprocess.run(
        [str(python.parent / "cakework"), "vms", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "cakework: the cakework command needs the 'cli' extra: "
        'pip install "cakework-client[cli] @ <wheel or repository>"'
    ]


def test_emulator_runs_from_a_fresh_install_with_the_extra(wheel: Path, tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path, f"{wheel}[emulator]")
    # Outside the repository: the spec must come from the installed package.
    server = subprocess.Popen(
        [str(python), "-m", "cakework.testing", "--port", "0", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().rsplit(" ", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        assert "k1" in server.stdout.readline()
        console = server.stdout.readline().rsplit(" ", 1)[1].strip()
        assert console == base_url.removesuffix("/v1") + "/_emulator/"
        with urllib.request.urlopen(console, timeout=10) as response:
            page = response.read().decode()
        # Script, styles and the fault schema come inlined from the installed package.
        assert "<title>Cakework emulator console</title>" in page
        assert '"retry_after"' in page
        assert "/*CONSOLE_JS*/" not in page
        request = urllib.request.Request(f"{base_url}/vms", headers={"X-Api-Key": "k1"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response) == {"vms": []}
        bad = urllib.request.Request(
            f"{base_url}/vm/start",
            data=b'{"imageId": "i", "cpu": 9}',
            method="POST",
            headers={"X-Api-Key": "k1", "Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as rejected:
            urllib.request.urlopen(bad, timeout=10)
        assert rejected.value.code == 400
        rejected.value.close()
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        if server.stdout is not None:
            server.stdout.close()
