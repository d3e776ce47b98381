"""Every ```python block of README.md runs against the emulator, so the README cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.M | re.S)


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, tmp_path: Path) -> None:
    block = BLOCKS[index]
    with Emulator(speed=50) as emulator:
        env = dict(
            os.environ, CAKEWORK_BASE_URL=emulator.base_url, CAKEWORK_API_KEY=emulator.api_key
        )
        if "def test_" in block:
            # A block showing a user's pytest test: run it with pytest, as they would.
            test_file = tmp_path / f"test_readme_block_{index}.py"
            test_file.write_text(block)
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            command += ["--rootdir", str(tmp_path), str(test_file)]
        else:
            command = [sys.executable, "-c", block]
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 0, (
        f"README block {index}:\n{block}\n{result.stdout}\n{result.stderr}"
    )
    if "def test_" in block:
        assert " passed" in result.stdout
