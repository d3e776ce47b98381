"""``python -m cakework.testing``: starts, prints its URL and keys, serves, stops on SIGINT."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
import pytest

from cakework.testing.__main__ import main


def test_cli_serves_and_stops_on_sigint() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cakework.testing",
            "--port",
            "0",
            "--api-key",
            "k1",
            "--api-key",
            "k2",
            "--speed",
            "10",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Cakework emulator listening on http://127.0.0.1:")
        base_url = first.rsplit(" ", 1)[1].strip()
        assert base_url.endswith("/v1")
        assert process.stdout.readline().strip() == "API keys: k1, k2"
        assert httpx.get(base_url + "/vms", headers={"X-Api-Key": "k2"}).json() == {"vms": []}
        assert httpx.get(base_url + "/vms", headers={"X-Api-Key": "k3"}).status_code == 401
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        rest, errors = process.communicate()
        assert "Stopping." in rest
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_cli_manual_clock_moves_only_when_advanced_and_stops_on_sigterm() -> None:
    # What a non-Python suite does: --port 0, read the URL, drive /_emulator, SIGTERM.
    process = subprocess.Popen(
        [sys.executable, "-m", "cakework.testing", "--port", "0", "--manual-clock"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        root = base_url.removesuffix("/v1")
        clock = httpx.get(root + "/_emulator/clock").json()
        assert clock["manual"] is True
        assert httpx.get(root + "/_emulator/clock").json() == clock
        advanced = httpx.post(root + "/_emulator/clock/advance", json={"seconds": 5}).json()
        assert advanced["now"] == clock["now"] + 5
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        _, errors = process.communicate()
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page-size", "0"], "page_size"),
        (["--speed", "0"], "speed"),
        (["--speed", "nan"], "speed"),
        (["--manual-clock", "--speed", "5"], "--manual-clock"),
    ],
)
def test_cli_bad_arguments_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "0", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_port_in_use_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main(["--port", port]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
