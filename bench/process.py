"""Whole-process figures: the cost of ``import cakework`` against ``import httpx``."""

from __future__ import annotations

import subprocess
import sys
import time

from .harness import Row, interleave, millis, ratio_row


def _start(module: str) -> float:
    """Wall seconds of a fresh interpreter that imports ``module`` and exits."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - started


def import_cost(runs: int) -> Row:
    """``python -c "import cakework"`` against ``python -c "import httpx"``, interleaved."""
    _start("cakework")  # warm the file cache and the bytecode of both
    _start("httpx")
    spread = interleave(lambda: _start("cakework"), lambda: _start("httpx"), runs)
    return ratio_row(
        "`import cakework` vs `import httpx`, whole process",
        spread,
        unit=millis,
        goal=1.5,
        direction="at_most",
        note=f"interpreter start included on both sides; {runs} runs each",
    )


def loaded_modules() -> list[str]:
    """Modules ``import cakework`` loads that the sync path has no use for."""
    probe = (
        "import sys, cakework\n"
        "unwanted = ('asyncio', 'cakework.testing', 'starlette', 'uvicorn', 'openapi_core')\n"
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] in unwanted"
        " or m.startswith('cakework.testing')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return sorted({line.split(".")[0] for line in out.split()})
