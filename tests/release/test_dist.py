"""`make dist`: the artifacts, the HTML reference as Chromium renders it offline, and the
release as a user installs it (the wheel in a fresh virtualenv outside the repository,
running the quickstart against the emulator from that install)."""

from __future__ import annotations

import concurrent.futures
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

import cakework
import cakework.testing
from scripts import compat

ROOT = Path(__file__).resolve().parents[2]
VERSION = cakework.__version__

# Building, installing and rendering take minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "dist"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dist.py"), "--outdir", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_dist_has_every_artifact(dist: Path) -> None:
    names = {p.name for p in dist.iterdir()}
    assert names >= {
        f"cakework_client-{VERSION}-py3-none-any.whl",
        f"cakework_client-{VERSION}.tar.gz",
        "openapi.yaml",
        "openapi.json",
        "reference.html",
        "python-api",
    }


def test_packages_pass_twine_check(dist: Path) -> None:
    packages = [str(p) for p in (*dist.glob("*.whl"), *dist.glob("*.tar.gz"))]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "twine"), "check", "--strict", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_bundled_spec_is_the_spec_in_yaml_and_json(dist: Path) -> None:
    source = compat.load_spec((ROOT / "openapi.yaml").read_text())
    assert yaml.safe_load((dist / "openapi.yaml").read_text()) == source
    assert json.loads((dist / "openapi.json").read_text()) == source


def test_python_reference_covers_every_public_name(dist: Path) -> None:
    for module, page in (
        (cakework, dist / "python-api" / "cakework.html"),
        (cakework.testing, dist / "python-api" / "cakework" / "testing.html"),
    ):
        ids = set(re.findall(r'\bid="([^"]+)"', page.read_text()))
        missing = [name for name in module.__all__ if name not in ids]
        assert not missing, f"{page.name} documents no {missing}"


def test_reference_loads_nothing_from_the_network(dist: Path) -> None:
    html = (dist / "reference.html").read_text()
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)


# ---- the HTML reference in headless Chromium ---------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "headless Chromium not found: install Debian's package `chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (.ci/run installs it)")
        pytest.skip(message)
    return found


def _rendered(chromium: str, url: str) -> str:
    """The DOM of a page after its scripts ran, with no network but file://."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _sections(dom: str) -> set[str]:
    return set(re.findall(r'data-section-id="(/[^"]*)"', dom))


def test_html_reference_renders_all_operations_in_chromium(dist: Path) -> None:
    chromium = _chromium()
    page = (dist / "reference.html").as_uri()
    spec = compat.load_spec((ROOT / "openapi.yaml").read_text())
    operation_ids = {name for name, _, _ in compat.operations(spec).values()}
    assert operation_ids, "the spec has operations"

    # The menu has one group per tag; the renderer lists a group's operations once the
    # group is opened (by its #/<tag> route), which only happens when its script runs.
    groups = [
        "/" + re.sub(r"[^a-z0-9]+", "-", tag["name"].lower()).strip("-") for tag in spec["tags"]
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(groups)) as pool:
        doms = list(pool.map(lambda group: _rendered(chromium, f"{page}#{group}"), groups))
    for group, dom in zip(groups, doms, strict=True):
        assert group in _sections(dom), f"no menu group {group}"
    rendered = {
        section.rsplit("/", 1)[1]
        for group, dom in zip(groups, doms, strict=True)
        for section in _sections(dom)
        if section.startswith(f"{group}/")
    }
    assert rendered == {op.lower() for op in operation_ids}
    # Each operation's summary is shown as its menu entry.
    text = html.unescape(" ".join(doms))
    for name, op, _ in compat.operations(spec).values():
        assert op["summary"] in text, name


# ---- the release as installed --------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(extra)
    return env


@pytest.fixture
def installed(dist: Path, tmp_path: Path) -> Path:
    """A fresh virtualenv outside the repository with the built wheel and its emulator extra."""
    assert not tmp_path.resolve().is_relative_to(ROOT)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    [wheel] = dist.glob("*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile", f"{wheel}[emulator]"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        env=_clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
    )
    return python


def test_installed_wheel_runs_the_quickstart_against_its_emulator(
    installed: Path, tmp_path: Path
) -> None:
    env_dir = installed.parent.parent
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "quickstart.py", work / "quickstart.py")
    shutil.copytree(ROOT / "examples" / "app", work / "app")

    # -I: no user site, no PYTHON* variables, not even the script's folder on sys.path.
    probe = subprocess.run(
        [str(installed), "-I", "-c", "import cakework, cakework_api; print(cakework.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
        env=_clean_env(),
    )
    where = Path(probe.stdout.strip()).resolve()
    assert where.is_relative_to(env_dir.resolve()), where
    assert not where.is_relative_to(ROOT)

    server = subprocess.Popen(
        [
            str(installed),
            "-I",
            "-m",
            "cakework.testing",
            "--port",
            "0",
            "--speed",
            "20",
            "--api-key",
            "release-key",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=work,
        env=_clean_env(),
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().rsplit(" ", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        result = subprocess.run(
            [str(installed), "-I", "quickstart.py"],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=work,
            env=_clean_env(CAKEWORK_BASE_URL=base_url, CAKEWORK_API_KEY="release-key"),
        )
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        if server.stdout is not None:
            server.stdout.close()
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("is started", "VMs of this image that are running", "job 3 runs on cached VM"):
        assert step in result.stdout
    assert "Summary: all steps succeeded" in result.stdout


def test_wheel_ships_the_spec_of_this_release(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    shipped = zipfile.ZipFile(wheel).read("cakework/testing/openapi.yaml").decode()
    assert yaml.safe_load(shipped)["info"]["version"] == VERSION


def test_missing_chromium_skips_on_a_developer_machine_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Debian's package `chromium`"):
        _chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Debian's package `chromium`"):
        _chromium()
