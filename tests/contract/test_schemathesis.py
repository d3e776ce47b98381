"""Schemathesis against the running emulator: every check, none excluded, no failure.

All four phases run (examples, coverage, fuzzing, stateful) with every check, including
``positive_data_acceptance`` (every schema-valid request is accepted or answered with a
documented non-400 status) and ``negative_data_rejection`` (everything the spec forbids
is refused). The run is derandomized (fixed seed, deterministic generation, no example
database), so a failure reproduces. ``CAKEWORK_SCHEMATHESIS_EXAMPLES`` raises the number
of examples per operation for a longer run (default 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cakework.testing import Emulator
from cakework_spec.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("CAKEWORK_SCHEMATHESIS_EXAMPLES", "10"))


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    # A fast clock so that builds finish and VMs boot while the stateful phase runs.
    with Emulator(("st-key",), speed=50) as emu:
        result = subprocess.run(
            [
                str(schemathesis),
                "run",
                str(ROOT / "openapi.yaml"),
                "--url",
                emu.base_url,
                "--header",
                f"X-Api-Key: {emu.api_key}",
                "--checks",
                "all",
                "--continue-on-failure",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                "1",
                "--generation-deterministic",  # implies no example database
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        counts = emu.request_counts()
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    total = len(OPERATIONS)
    assert f"{total} selected / {total} total" in result.stdout, report
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅  {phase}" in result.stdout, (phase, report)
    # Every operation was exercised against the server.
    assert set(counts) == set(OPERATIONS), counts  # every operation of the spec
