"""The first hour of a new user: the command on PATH, the prerequisites, the TypeScript package."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from .conftest import ROOT

TS = ROOT / "clients" / "typescript"
NODE = shutil.which("node")
NPM = shutil.which("npm")


def test_readme_says_how_to_put_the_command_on_path_and_what_chromium_is() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert ". .venv/bin/activate" in quick_start
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in quick_start
    assert "apt-get install chromium" in quick_start  # Debian's package name


def test_typescript_tests_say_in_one_line_that_the_emulator_is_missing() -> None:
    assert NODE is not None, "node is needed by make test"
    result = subprocess.run(
        [NODE, "scripts/check-emulator.mjs"],
        cwd=TS,
        env={"PATH": "/usr/bin:/bin", "CAKEWORK_PYTHON": str(ROOT / "no-such-python")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the tests need the Python emulator" in result.stderr
    assert "CAKEWORK_PYTHON" in result.stderr
    present = subprocess.run(
        [NODE, "scripts/check-emulator.mjs"], cwd=TS, capture_output=True, timeout=60, check=False
    )
    assert present.returncode == 0, present.stderr  # this checkout's .venv has the emulator
    assert "check-emulator.mjs" in json.loads((TS / "package.json").read_text())["scripts"]["test"]


def test_the_npm_tarball_ships_a_license_and_the_readme_installs_it() -> None:
    assert NPM is not None, "npm is needed by make test"
    packed = subprocess.run(
        [NPM, "pack", "--dry-run", "--json", "--ignore-scripts"],
        cwd=TS,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [package] = json.loads(packed.stdout)
    assert "LICENSE" in {entry["path"] for entry in package["files"]}
    assert (TS / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    readme = (TS / "README.md").read_text()
    assert re.search(rf"npm install \S*/{re.escape(package['filename'])}\b", readme), package
