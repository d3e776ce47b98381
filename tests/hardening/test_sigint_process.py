"""Two real SIGINTs to a Python process while its creates are held by the emulator.

The process runs ``vms.run`` or a pool's warm-up, blocking or under ``asyncio.run``;
the emulator holds startVM/cacheVM (a latency fault) and creates the VMs when the hold
ends, whether the client still listens or not. The first SIGINT waits for the answers,
the second gives up: the process exits while the requests are still held, and what
they will leave is named -- in the exception's notes, or (``asyncio.run`` drops those
with the task's ``CancelledError``) in the report written to stderr at exit. Then the
emulator is asked what is really left: exactly what was named.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from cakework import Cakework
from cakework.testing import Emulator

HOLD = 8.0  # seconds the emulator holds each create: far longer than giving up takes

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    from cakework import AsyncCakework, Cakework

    scenario, image = sys.argv[1], sys.argv[2]

    def sync() -> None:
        with Cakework() as c:
            if scenario == "run":
                with c.vms.run(image_id=image):
                    pass
            else:
                with c.cached_vms.pool(image_id=image, size=3):
                    pass

    async def main() -> None:
        async with AsyncCakework() as c:
            if scenario == "run":
                async with c.vms.run(image_id=image):
                    pass
            else:
                async with c.cached_vms.pool(image_id=image, size=3):
                    pass

    print("ready", flush=True)
    if os.environ["MODE"] == "sync":
        sync()
    else:
        asyncio.run(main())
    """
)


def _left(emu: Emulator, op: str) -> int:
    counts = emu.resources()
    return counts["running_vms"] if op == "startVM" else counts["live_cached_vms"]


SCENARIOS = [
    (scenario, op, creates, mode)
    for scenario, op, creates in [("run", "startVM", 1), ("pool", "cacheVM", 3)]
    for mode in ("sync", "asyncio.run")
]


def _interrupt_twice(emu: Emulator, scenario: str, op: str, creates: int, mode: str) -> str:
    """Run the scenario in a process, SIGINT it twice while its creates are held.

    Returns:
        Its stderr; asserts that it exited before the emulator created anything.
    """
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        image = c.images.import_image(
            image_uri="123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1", password="pw"
        ).image_id
    emu.inject(op, "latency", seconds=HOLD, times=creates)
    env = dict(
        os.environ,
        CAKEWORK_BASE_URL=emu.base_url,
        CAKEWORK_API_KEY=emu.api_key,
        MODE="sync" if mode == "sync" else "async",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, scenario, image],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        pause = threading.Event()
        while emu.request_count(op) < creates:  # every create is held by the emulator
            assert process.poll() is None
            pause.wait(0.02)
        process.send_signal(signal.SIGINT)  # the first: wait for the answers
        pause.wait(0.3)
        process.send_signal(signal.SIGINT)  # the second: give up
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # pragma: no cover - only when the test failed
            process.kill()
            process.communicate()
    # It exited while the creates were still held: nothing is created yet.
    assert _left(emu, op) == 0, stderr
    assert "KeyboardInterrupt" in stderr
    assert f"client.vms.list(image_id={image!r})" in stderr
    return stderr


@pytest.mark.slow
def test_second_sigint_gives_up_and_names_what_is_left() -> None:
    """The four scenarios side by side, each with its own emulator (one hold in all)."""
    with contextlib.ExitStack() as stack:
        emus = [stack.enter_context(Emulator(speed=1000)) for _ in SCENARIOS]
        with concurrent.futures.ThreadPoolExecutor(len(SCENARIOS)) as pool:
            runs = [
                pool.submit(_interrupt_twice, e, *case)
                for e, case in zip(emus, SCENARIOS, strict=True)
            ]
            stderrs = [run.result() for run in runs]
        # Once the hold ends the emulator creates every VM, nobody listening: each was
        # named, in a note or (asyncio.run) in the report at exit.
        threading.Event().wait(HOLD)
        for emu, (_, op, creates, mode), stderr in zip(emus, SCENARIOS, stderrs, strict=True):
            pause = threading.Event()
            while _left(emu, op) < creates:  # the last hold may end a moment later
                pause.wait(0.05)
            assert _left(emu, op) == creates, (op, mode)
            # The exit report lists each (the blocking client's traceback repeats them as
            # notes too).
            report = [
                line
                for line in stderr.splitlines()
                if line.startswith("  - ") and "may have been created" in line
            ]
            assert len(report) == creates, (op, mode, stderr)
            assert f"cakework: {creates} resource(s) may be left behind" in stderr
            if mode == "sync":
                assert stderr.count("\ncakework: a ") == creates  # the notes
