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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page-size", "0"], "page_size"),
        (["--speed", "0"], "speed"),
        (["--speed", "nan"], "speed"),
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
