"""Prism (the pinned ``@stoplight/prism-cli``) as a subprocess on a loopback port.

Prism serves ``openapi.yaml`` either as a validating proxy in front of a real server or
as a mock. It is started on a free 127.0.0.1 port, waited for until it accepts
connections, and killed (its whole process group) when the ``with`` block ends, however
it ends. Its output is kept so that a test can look for the violations it reports.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / "node_modules" / ".bin" / "prism"
SPEC = ROOT / "openapi.yaml"
# Node start-up plus spec parsing; slow on a loaded 2-core machine, instant otherwise.
_READY_WITHIN = 90.0
# Prism reports a request or response that breaks the spec as a "Violation: ..." line,
# a warning (⚠) or, with --errors, an error (✖) such as "Request terminated with error".
_VIOLATION = re.compile(r"violation|✖|⚠", re.IGNORECASE)
# The mock's note that a 204 response has no body to pick a media type for; not a problem
# of the request or the spec.
_NO_CONTENT_NOTE = re.compile(r"\[NEGOTIATOR\] .*Unable to find content for ")
# Escape sequences Prism colours its log with.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@attrs.define
class Prism:
    """A running Prism: its base URL and every line it has printed so far."""

    base_url: str
    _lines: list[str]
    _lock: threading.Lock

    def output(self) -> list[str]:
        """Every line Prism printed so far, colours removed."""
        with self._lock:
            return list(self._lines)

    def violations(self) -> list[str]:
        """The lines in which Prism reported a request or response violation."""
        return [
            line
            for line in self.output()
            if _VIOLATION.search(line) and not _NO_CONTENT_NOTE.search(line)
        ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _prism_env() -> dict[str, str]:
    env = dict(os.environ)
    # Loopback only: no proxy of the environment may route Prism's upstream traffic.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@contextmanager
def run_prism(arguments: Sequence[str]) -> Iterator[Prism]:
    """Run ``prism <arguments> --host 127.0.0.1 --port <free>`` for the ``with`` block.

    Args:
        arguments: Prism's command and its arguments, e.g. ``["mock", "-d", spec]``.

    Yields:
        The running Prism.

    Raises:
        RuntimeError: Prism exited or did not listen in time (its output is in the message).
    """
    if not PRISM.exists():
        pytest.fail(f"{PRISM} is missing: run `make node` (npm ci from package-lock.json)")
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; the contract tests need Node 20")
    port = _free_port()
    lines: list[str] = []
    lock = threading.Lock()
    process = subprocess.Popen(
        [str(PRISM), *arguments, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=_prism_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,  # its own process group, so the kill reaches node too
    )

    def pump() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            with lock:
                lines.append(_ANSI.sub("", raw.rstrip("\n")))

    reader = threading.Thread(target=pump, name="prism-output", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + _READY_WITHIN
        while not _accepts(port):
            if process.poll() is not None or time.monotonic() > deadline:
                with lock:
                    shown = "\n".join(lines[-40:])
                raise RuntimeError(f"prism {arguments[0]} did not start:\n{shown}")
            time.sleep(0.1)
        yield Prism(f"http://127.0.0.1:{port}", lines, lock)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
