"""Regenerate generated/ from openapi.yaml, or check that it is up to date.

    python scripts/generate.py          # rewrite generated/cakework_api and generated/cakework_spec
    python scripts/generate.py --check  # regenerate into a temp dir and compare (drift check)

``cakework_api`` is openapi-python-client's low-level client; ``cakework_spec`` is the
overlay's spec-derived layer (``scripts/generate_overlay.py``: models, argument checks,
method parameters and docs of the public client).

The generator and the ruff its post-hooks run are pinned in pyproject.toml (`generate`
extra); both come from this interpreter's environment, never from whatever is on PATH.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Run as `python scripts/generate.py`: the repository root makes `scripts.*` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.generate_overlay import generate_into as generate_overlay_into

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "generator-config.yml"
TARGET = ROOT / "generated" / "cakework_api"
PACKAGE = "cakework_api"
OVERLAY_TARGET = ROOT / "generated" / "cakework_spec"


def generate_into(out_dir: Path) -> Path:
    """Run the pinned generator; return the package folder it wrote."""
    bin_dir = Path(sys.executable).parent
    generator = bin_dir / "openapi-python-client"
    if not generator.exists():
        sys.exit(f"{generator} not found: install the 'generate' extra (make generate does).")
    package_dir = out_dir / PACKAGE
    env = dict(os.environ)
    # Post-hooks call `ruff` by name: make it the pinned one from this environment.
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(generator),
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(CONFIG),
        "--meta",
        "none",
        "--output-path",
        str(package_dir),
        "--overwrite",
        "--fail-on-warning",
    ]
    result = subprocess.run(cmd, cwd=out_dir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"openapi-python-client failed with exit code {result.returncode}")
    # `--meta none` writes no py.typed; the package is typed, so add the marker.
    (package_dir / "py.typed").write_text("")
    for cache in package_dir.rglob("__pycache__"):
        shutil.rmtree(cache)
    return package_dir


def tree_diff(expected: Path, actual: Path, package: str = PACKAGE) -> list[str]:
    """Return human-readable differences between two folders (empty when identical)."""
    problems: list[str] = []

    def walk(cmp: filecmp.dircmp[str], rel: Path) -> None:
        for name in cmp.left_only:
            if name != "__pycache__":
                problems.append(f"only in fresh output: {rel / name}")
        for name in cmp.right_only:
            if name != "__pycache__":
                problems.append(f"only in generated/: {rel / name} (stale file)")
        for name in cmp.common_files:
            left, right = Path(cmp.left) / name, Path(cmp.right) / name
            if left.read_bytes() != right.read_bytes():
                diff = difflib.unified_diff(
                    right.read_text().splitlines(),
                    left.read_text().splitlines(),
                    f"generated/{package}/{rel / name}",
                    "fresh",
                    lineterm="",
                    n=1,
                )
                problems.append("\n".join(list(diff)[:40]))
        for name, sub in cmp.subdirs.items():
            if name != "__pycache__":
                walk(sub, rel / name)

    walk(filecmp.dircmp(expected, actual, ignore=[]), Path())
    return problems


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cakework-gen-") as tmp:
        fresh = generate_into(Path(tmp))
        overlay_dir = Path(tmp) / "overlay"
        overlay_dir.mkdir()
        fresh_overlay = generate_overlay_into(overlay_dir)
        pairs = ((fresh, TARGET, PACKAGE), (fresh_overlay, OVERLAY_TARGET, OVERLAY_TARGET.name))
        if args.check:
            problems: list[str] = []
            for new, target, package in pairs:
                if not target.exists():
                    problems.append(f"{target.relative_to(ROOT)} is missing")
                else:
                    problems += tree_diff(new, target, package)
            if problems:
                print("drift check FAILED: generated/ does not match openapi.yaml.")
                print("\n".join(problems))
                print("\nRun `make generate` and commit generated/ (never edit it by hand).")
                return 1
            print(
                "drift check: generated/cakework_api and generated/cakework_spec match openapi.yaml"
            )
            return 0
        for new, target, _ in pairs:
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(new, target)
            for cache in target.rglob("__pycache__"):
                shutil.rmtree(cache)
            print(f"generated {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
