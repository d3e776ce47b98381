"""Ctrl-C tells the truth: real SIGINTs to ``cakework`` in a terminal, against the emulator.

Each test runs the console script in a pty, slows one request with a latency fault, presses
Ctrl-C (a SIGINT to the process) at a known moment, and checks both what the command says
about the VM and what the emulator still runs.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from cakework import Cakework
from cakework.testing import Emulator

from .conftest import ECR_URI
from .test_process import CAKEWORK, clean_env

# Generous bounds on waits for the other side (never assertions about speed).
PATIENCE = 60.0
GIVE_UP = "(Ctrl-C again to give up)"


class Terminal:
    """``cakework ARGS`` with a pty as its terminal; its output read as it comes."""

    def __init__(self, args: list[str], emulator: Emulator) -> None:
        assert CAKEWORK is not None, "the cakework console script is not installed"
        master, slave = pty.openpty()
        env = clean_env(
            CAKEWORK_API_KEY=emulator.api_key,
            CAKEWORK_BASE_URL=emulator.base_url,
            TERM="dumb",  # plain status lines: what is said, not how it is drawn
            NO_COLOR="1",
        )
        self.process = subprocess.Popen(
            [CAKEWORK, *args], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.master = master
        self.output = ""

    def _read(self, wait: float) -> bool:
        """Read what is there within ``wait`` seconds; False once the terminal is closed."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the process has exited and closed the terminal
            return False
        if not chunk:
            return False
        self.output += chunk.decode(errors="replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait until the output matches ``pattern`` (a regular expression)."""
        deadline = time.monotonic() + PATIENCE
        while (found := re.search(pattern, self.output)) is None:
            assert time.monotonic() < deadline, f"never printed {pattern!r}:\n{self.output}"
            assert self._read(0.5), f"exited before printing {pattern!r}:\n{self.output}"
        return found

    def ctrl_c(self) -> None:
        """Press Ctrl-C: SIGINT to the command, as the terminal sends it."""
        self.process.send_signal(signal.SIGINT)

    def ctrl_c_again(self) -> None:
        """Press Ctrl-C a moment after the command said what the first press does.

        A person reads the message first. Pressed within microseconds, while the command
        is still printing it, both presses reach the client as one interrupt.
        """
        time.sleep(0.5)
        self.ctrl_c()

    def finish(self) -> int:
        """Read the rest of the output; the exit status."""
        while self._read(PATIENCE):
            pass
        return self.process.wait(timeout=PATIENCE)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(cakework_emulator: Emulator) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(*args: str) -> Terminal:
        opened.append(Terminal(list(args), cakework_emulator))
        return opened[-1]

    yield open_terminal
    for each in opened:
        each.close()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until the emulator shows ``condition`` (it answers from other threads)."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"the emulator never showed {what}"
        time.sleep(0.05)


def image(emulator: Emulator) -> str:
    with Cakework(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        return client.images.import_image(image_uri=ECR_URI, password="pw").image_id


def running(emulator: Emulator) -> int:
    return emulator.resources()["running_vms"]


# ---- vms run -------------------------------------------------------------------------------


@pytest.mark.cakework_emulator(speed=50)
def test_vms_run_second_ctrl_c_during_a_slow_stop_says_the_vm_may_still_run(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    cakework_emulator.inject("stopVM", "latency", seconds=120)
    session = terminal("vms", "run", image(cakework_emulator))
    vm_id = session.expect(r"VM (\S+) started on")[1]
    session.expect("running; Ctrl-C stops it")
    session.ctrl_c()
    session.expect(re.escape(f"stopping VM {vm_id}… {GIVE_UP}"))
    wait_for(lambda: cakework_emulator.request_count("stopVM") == 1, "the stopVM in flight")
    session.ctrl_c_again()
    assert session.finish() == 130
    assert f"VM {vm_id} may still be running: `cakework vms stop {vm_id}`" in session.output
    assert f"VM {vm_id} stopped" not in session.output
    assert running(cakework_emulator) == 1  # the stop is still held by the latency fault


@pytest.mark.cakework_emulator(speed=50)
def test_vms_run_one_ctrl_c_during_a_slow_stop_waits_and_says_stopped(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    cakework_emulator.inject("stopVM", "latency", seconds=1)
    session = terminal("vms", "run", image(cakework_emulator))
    vm_id = session.expect(r"VM (\S+) started on")[1]
    session.expect("running; Ctrl-C stops it")
    session.ctrl_c()
    assert session.finish() == 130
    assert f"stopping VM {vm_id}… {GIVE_UP}" in session.output
    assert f"VM {vm_id} stopped" in session.output
    assert "may still be running" not in session.output
    assert running(cakework_emulator) == 0
    assert cakework_emulator.request_count("stopVM") == 1


@pytest.mark.cakework_emulator(speed=50)
def test_vms_run_ctrl_c_while_start_is_in_flight_names_the_vm_it_stops(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    image_id = image(cakework_emulator)
    cakework_emulator.inject("startVM", "latency", seconds=2)
    session = terminal("vms", "run", image_id)
    wait_for(lambda: cakework_emulator.request_count("startVM") == 1, "the startVM in flight")
    session.ctrl_c()
    session.expect(re.escape(GIVE_UP))
    assert session.finish() == 130
    stopped = re.search(r"\nVM (\S+) stopped\n", session.output)
    assert stopped is not None, session.output
    assert cakework_emulator.resources()["vms"] == 1
    assert running(cakework_emulator) == 0


@pytest.mark.cakework_emulator(speed=50)
def test_vms_run_two_ctrl_c_while_start_is_in_flight_say_a_vm_may_run(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    image_id = image(cakework_emulator)
    cakework_emulator.inject("startVM", "latency", seconds=3)
    session = terminal("vms", "run", image_id)
    wait_for(lambda: cakework_emulator.request_count("startVM") == 1, "the startVM in flight")
    session.ctrl_c()
    session.expect(re.escape(GIVE_UP))
    session.ctrl_c_again()
    assert session.finish() == 130
    assert (
        f"a VM of image {image_id} may still be running (startVM was cut short): "
        f"`cakework vms list --image-id {image_id} --status started`"
    ) in session.output
    # The startVM the command gave up on still lands: the VM the message warns of.
    wait_for(lambda: cakework_emulator.resources()["vms"] == 1, "the VM startVM made")
    assert running(cakework_emulator) == 1


# ---- vms start --wait and cached-vms start --wait -------------------------------------------


@pytest.mark.cakework_emulator(manual_clock=True)  # the VM never boots: the wait goes on
def test_vms_start_wait_ctrl_c_twice_during_the_stop(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    cakework_emulator.inject("stopVM", "latency", seconds=120)
    session = terminal("vms", "start", image(cakework_emulator), "--wait")
    vm_id = session.expect(r"VM (\S+) created")[1]
    session.ctrl_c()
    session.expect(re.escape(f"stopping VM {vm_id}… {GIVE_UP}"))
    wait_for(lambda: cakework_emulator.request_count("stopVM") == 1, "the stopVM in flight")
    session.ctrl_c_again()
    assert session.finish() == 130
    assert f"VM {vm_id} may still be running: `cakework vms stop {vm_id}`" in session.output
    assert running(cakework_emulator) == 1


@pytest.mark.cakework_emulator(manual_clock=True)
def test_vms_start_wait_ctrl_c_once_stops_the_vm(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    session = terminal("vms", "start", image(cakework_emulator), "--wait")
    vm_id = session.expect(r"VM (\S+) created")[1]
    session.ctrl_c()
    assert session.finish() == 130
    assert f"stopping VM {vm_id}… {GIVE_UP}" in session.output
    assert f"VM {vm_id} stopped" in session.output
    assert running(cakework_emulator) == 0


@pytest.mark.cakework_emulator(manual_clock=True)
def test_vms_start_ctrl_c_while_start_is_in_flight_stops_the_vm_it_made(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    image_id = image(cakework_emulator)
    cakework_emulator.inject("startVM", "latency", seconds=2)
    session = terminal("vms", "start", image_id, "--wait")
    wait_for(lambda: cakework_emulator.request_count("startVM") == 1, "the startVM in flight")
    session.ctrl_c()
    vm_id = session.expect(r"stopping VM (\S+)… ")[1]
    assert session.finish() == 130
    assert f"image {image_id} is stopped once startVM answers… {GIVE_UP}" in session.output
    assert f"VM {vm_id} stopped" in session.output
    assert cakework_emulator.resources()["vms"] == 1
    assert running(cakework_emulator) == 0


@pytest.mark.cakework_emulator(manual_clock=True)
def test_cached_vms_start_wait_ctrl_c_twice_during_the_stop(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    with Cakework(api_key=cakework_emulator.api_key, base_url=cakework_emulator.base_url) as c:
        image_id = c.images.import_image(image_uri=ECR_URI, password="pw").image_id
        cached_id = c.cached_vms.create(image_id=image_id).id
        cakework_emulator.advance(600)  # cached and stopped, ready to start
    cakework_emulator.inject("stopCachedVM", "latency", seconds=120)
    session = terminal("cached-vms", "start", cached_id, "--wait")
    session.expect(f"cached VM {cached_id} starting")
    session.ctrl_c()
    session.expect(re.escape(f"stopping cached VM {cached_id}… {GIVE_UP}"))
    wait_for(lambda: cakework_emulator.request_count("stopCachedVM") == 1, "the stop in flight")
    session.ctrl_c_again()
    assert session.finish() == 130
    assert (
        f"cached VM {cached_id} may still be running: `cakework cached-vms stop {cached_id}`"
    ) in session.output
    assert running(cakework_emulator) == 1


@pytest.mark.cakework_emulator(manual_clock=True)
def test_cached_vms_start_wait_ctrl_c_once_stops_it(
    cakework_emulator: Emulator, terminal: Callable[..., Terminal]
) -> None:
    with Cakework(api_key=cakework_emulator.api_key, base_url=cakework_emulator.base_url) as c:
        image_id = c.images.import_image(image_uri=ECR_URI, password="pw").image_id
        cached_id = c.cached_vms.create(image_id=image_id).id
        cakework_emulator.advance(600)
    session = terminal("cached-vms", "start", cached_id, "--wait")
    session.expect(f"cached VM {cached_id} starting")
    session.ctrl_c()
    assert session.finish() == 130
    assert f"cached VM {cached_id} stopped" in session.output
    assert running(cakework_emulator) == 0
