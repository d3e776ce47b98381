"""`make dist`: every release artifact, written into dist/.

    python scripts/dist.py               # into dist/
    python scripts/dist.py --outdir DIR  # elsewhere (the tests build into a temp folder)

- `cakework_client-<version>-py3-none-any.whl` and `cakework_client-<version>.tar.gz`,
  checked with `twine check --strict`;
- `openapi.yaml` and `openapi.json`: the spec bundled into one file by Redocly, for other
  languages' generators;
- `reference.html`: the REST API reference, Redoc with its renderer inlined
  (`--inlineBundle`), so it renders with no network;
- `python-api/`: the Python API reference from the docstrings (pdoc, Google style),
  `cakework` and `cakework.testing`.

Every tool is the pinned one from this interpreter's environment or node_modules.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"


def run(*cmd: str | Path) -> None:
    """Run one step, showing it; stop with its output when it fails."""
    args = [str(c) for c in cmd]
    print("+", " ".join(Path(args[0]).name if i == 0 else a for i, a in enumerate(args)))
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true")
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"dist: {Path(args[0]).name} failed with exit code {result.returncode}")


def build(outdir: Path) -> list[Path]:
    """Write every artifact into `outdir` (emptied first); return what was written."""
    if not REDOCLY.exists():
        sys.exit(f"{REDOCLY} not found: run make node")
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", outdir, ROOT)
    packages = sorted([*outdir.glob("*.whl"), *outdir.glob("*.tar.gz")])
    run(BIN / "twine", "check", "--strict", *packages)
    run(REDOCLY, "bundle", "openapi.yaml", "--output", outdir / "openapi.yaml")
    run(REDOCLY, "bundle", "openapi.yaml", "--ext", "json", "--output", outdir / "openapi.json")
    run(
        REDOCLY,
        "build-docs",
        "openapi.yaml",
        "--inlineBundle",
        "--title",
        "Cakework REST API reference",
        "--output",
        outdir / "reference.html",
    )
    python_reference(outdir / "python-api")
    return sorted(p for p in outdir.iterdir())


PYTHON_API: tuple[str, ...] = (
    "cakework",
    "cakework.testing",
    "cakework_spec",
    "cakework._behaviour",
)
"""The packages the Python reference documents (each public name, with cross-links).

``cakework_spec`` is the layer generated from openapi.yaml: the plain calls the resources
inherit are documented there, and the resources' pages link to them; so are the
properties the generated models inherit from ``cakework._behaviour``."""


def python_reference(outdir: Path) -> None:
    """Write the Python API reference (pdoc, Google-style docstrings) into `outdir`."""
    run(BIN / "pdoc", "--docformat", "google", "--output-directory", outdir, *PYTHON_API)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    for path in build(args.outdir.resolve()):
        print(f"  {path.name}{'/' if path.is_dir() else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
