"""First-hour item 7: statements in README.md that a new user relies on are true.

``tests/examples/test_readme.py`` runs every Python block; these tests check the prose and
the shell lines around them, and what the logs example prints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cakework.errors
from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.M | re.S)


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_error_tree_names_every_exported_exception() -> None:
    tree = next(body for lang, body in BLOCKS if lang == "" and "CakeworkError" in body)
    missing = [name for name in cakework.errors.__all__ if name not in tree]
    assert missing == [], f"the README's error tree omits {missing}"


def test_pip_install_lines_say_where_the_package_comes_from() -> None:
    lines = [
        line
        for lang, body in BLOCKS
        if lang in ("sh", "")
        for line in body.splitlines()
        if "pip install" in line and "cakework-client" in line
    ]
    lines += re.findall(r"`(pip install [^`]*cakework-client[^`]*)`", README)
    assert lines
    for line in lines:
        # The package is not on an index: a bare name would fail (or install another).
        assert " @ " in line or ".whl" in line or " ." in line, f"no source in: {line}"


def test_python_m_build_installs_build_first() -> None:
    for _lang, body in BLOCKS:
        if "python -m build" in body:
            before = body[: body.index("python -m build")]
            assert "pip install build" in before, body


def test_first_usage_example_says_it_needs_the_dockerignore_extra() -> None:
    usage = _section("Usage")
    assert "build_from_directory" in usage
    assert "[dockerignore]" in usage or "`dockerignore` extra" in usage


def test_logs_example_prints_a_cursor_to_resume_from(tmp_path: Path) -> None:
    block = next(body for lang, body in BLOCKS if lang == "python" and "resume" in body)
    with Emulator(speed=50) as emu:
        env = dict(os.environ, CAKEWORK_BASE_URL=emu.base_url, CAKEWORK_API_KEY=emu.api_key)
        result = subprocess.run(
            [sys.executable, "-c", block],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    resume = next(line for line in result.stdout.splitlines() if "resume later from" in line)
    assert resume.split("resume later from", 1)[1].strip() != "None", resume


def test_second_ctrl_c_promise_matches_the_behaviour() -> None:
    """The README promises what ``test_first_hour`` checks: a second Ctrl-C gives up."""
    usage = _section("Usage")
    assert "second Ctrl-C" in usage
    assert "may still be running" in usage
