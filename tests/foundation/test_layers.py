"""The layer table of overlays/cakework/README.md is the import-linter contract, and it bites.

`make lint` runs the contract on the real package; these tests keep the README's table and
the contract in pyproject.toml the same, and show that an upward import fails the check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _readme_rows() -> list[set[str]]:
    """The modules of each row of the README's layer table, top to bottom."""
    text = (ROOT / "overlays" / "cakework" / "README.md").read_text()
    section = text.split("## Layers, top to bottom", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in section.splitlines()[2:]:  # past the header and its rule
        modules_cell = line.split("|")[2]
        names = re.findall(r"`([^`]+?)(?:\.py|/)`", modules_cell)
        rows.append({name for name in names if "/" not in name})
    return rows


def test_readme_table_is_the_contract() -> None:
    layers = _contracts()["layers"]
    contract_rows = [set(re.split(r"\s*[:|]\s*", layer.strip())) for layer in layers["layers"]]
    assert _readme_rows() == contract_rows


def test_every_module_has_a_row() -> None:
    # `exhaustive` makes import-linter refuse a module left out; the table must say so too.
    package = ROOT / "overlays" / "cakework"
    children = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert set().union(*_readme_rows()) == children
    assert _contracts()["layers"]["exhaustive"] is True


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(package_parent), str(ROOT / "generated")]),
    }
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_upward_import_fails_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "cakework"
    shutil.copytree(
        ROOT / "overlays" / "cakework", copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    clean = _lint_imports(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    # A value importing a flow, a resource importing its client, and a second module
    # importing the generated package: one break of each contract.
    with (copy / "_models.py").open("a") as models:
        models.write("\nfrom . import _request  # noqa: E402\n")
    with (copy / "_async" / "vms.py").open("a") as vms:
        vms.write("\nfrom . import client  # noqa: E402\n")
    with (copy / "_waits.py").open("a") as waits:
        waits.write("\nimport cakework_api  # noqa: E402\n")
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "Contracts: 0 kept, 3 broken." in broken.stdout, broken.stdout
    assert "cakework._models -> cakework._request" in broken.stdout
    assert "cakework._async.vms -> cakework._async.client" in broken.stdout
    assert "cakework._waits -> cakework_api" in broken.stdout
