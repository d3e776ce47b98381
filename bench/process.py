"""Whole-process figures: the cost of ``import cakework`` against ``import httpx``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

from .harness import Row, interleave, millis, ratio_row

# httpx imports its command-line tool when click, rich and pygments are installed (its
# ``cli`` extra); this development environment has them for other tools, users of the
# client usually do not. Hidden on both sides, the figures are those of a plain install
# (with them, ~0.3 s of rich on both sides would make any ratio look close to 1).
_PLAIN_INSTALL = "import sys; sys.modules.update(dict.fromkeys(('click', 'rich', 'pygments')))"


def _start(module: str, env: Mapping[str, str]) -> float:
    """Wall seconds of a fresh interpreter that imports ``module`` and exits."""
    started = time.perf_counter()
    command = [sys.executable, "-c", f"{_PLAIN_INSTALL}; import {module}"]
    subprocess.run(command, check=True, env=env)
    return time.perf_counter() - started


def _bytecode_env(cache: str) -> dict[str, str]:
    """The environment of an installed package: bytecode written once, then read.

    pip compiles a wheel's modules at install time, so a user's import reads bytecode.
    An editable checkout run with ``PYTHONDONTWRITEBYTECODE`` (as development shells
    often are) would compile every module of ours from source on each run while httpx
    reads its installed bytecode. Both sides get their bytecode in ``cache`` (never in
    the checkout), written by the warm-up runs.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def import_cost(runs: int) -> Row:
    """``python -c "import cakework"`` against ``python -c "import httpx"``, interleaved."""
    with tempfile.TemporaryDirectory(prefix="cakework-bench-pycache-") as cache:
        env = _bytecode_env(cache)
        _start("cakework", env)  # warm the file cache and the bytecode of both
        _start("httpx", env)
        spread = interleave(lambda: _start("cakework", env), lambda: _start("httpx", env), runs)
    return ratio_row(
        "`import cakework` vs `import httpx`, whole process",
        spread,
        unit=millis,
        goal=1.5,
        direction="at_most",
        note=(
            f"interpreter start included on both sides, httpx's optional CLI hidden, "
            f"bytecode compiled once as an install would; "
            f"{runs} runs each"
        ),
    )
