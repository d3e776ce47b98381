"""The examples run, against the emulator, exactly as a user would run them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_script_runs_the_quickstart_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--speed", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in (
        "Step 1/7 : FROM python:3.11-slim",  # build log streamed while waiting
        "is started",
        "VMs of this image that are running",
        "job 3 runs on cached VM",
        "pool: size=2",
        "COPY server.py",  # the failing step of the broken build
        "Summary: all steps succeeded",
        "$ cakework images build examples/app --wait",  # the CLI section
        '"status": "succeeded"',
        "hello from ",
        "stopped",
        "$ cakework vms list",
        "Emulator stopped. Demo succeeded.",
    ):
        assert expected in out


@pytest.mark.parametrize("example", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_uses_only_the_environment_for_configuration(example: str) -> None:
    with Emulator(api_keys=("user-key",), speed=20) as emulator:
        env = dict(
            os.environ, CAKEWORK_BASE_URL=emulator.base_url, CAKEWORK_API_KEY=emulator.api_key
        )
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / example)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Summary: all steps succeeded" in result.stdout
        # Everything the quickstart started, it also cleaned up.
        assert emulator.request_count("startVM") == 1
        assert emulator.request_count("cacheVM") == 2
        assert emulator.request_count("destroyCachedVM") == 2


def test_quickstart_fails_when_a_step_fails() -> None:
    with Emulator(api_keys=("user-key",), speed=20) as emulator:
        # The VM cannot be started: the quickstart must not report success.
        emulator.inject("startVM", "error", status=400, times=1)
        env = dict(
            os.environ, CAKEWORK_BASE_URL=emulator.base_url, CAKEWORK_API_KEY=emulator.api_key
        )
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "quickstart.py")],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert result.returncode != 0
    assert "all steps succeeded" not in result.stdout


def test_make_demo_stops_everything_on_ctrl_c() -> None:
    # Like a terminal's Ctrl-C: SIGINT to the whole process group (demo + quickstart).
    demo = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "scripts" / "demo.py"), "--speed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    seen: list[str] = []
    try:
        for line in demo.stdout:
            seen.append(line)
            if "Starting a VM" in line:  # a VM is about to run: interrupt mid-workflow
                os.killpg(demo.pid, signal.SIGINT)
                break
        seen.extend(demo.stdout)
        status = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        demo.stdout.close()
    out = "".join(seen)
    assert status == 130, out
    assert "everything started so far was stopped" in out  # the quickstart cleaned up
    assert "Emulator stopped." in out
    assert "Summary: all steps succeeded" not in out
