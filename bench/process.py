"""Whole-process figures: the cost of ``import cakework`` against ``import httpx``."""

from __future__ import annotations

import subprocess
import sys
import time

from .harness import Row, interleave, millis, ratio_row

# httpx imports its command-line tool when click, rich and pygments are installed (its
# ``cli`` extra); this development environment has them for other tools, users of the
# client usually do not. Hidden on both sides, the figures are those of a plain install
# (with them, ~0.3 s of rich on both sides would make any ratio look close to 1).
_PLAIN_INSTALL = "import sys; sys.modules.update(dict.fromkeys(('click', 'rich', 'pygments')))"


def _start(module: str) -> float:
    """Wall seconds of a fresh interpreter that imports ``module`` and exits."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"{_PLAIN_INSTALL}; import {module}"], check=True)
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
        note=(
            f"interpreter start included on both sides, httpx's optional CLI hidden; "
            f"{runs} runs each"
        ),
    )
