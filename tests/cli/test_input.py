"""Every file and stdin the command reads is bounded: devices refused, FIFOs and pipes cut off.

The limits are the ones ``cakework.cli._input`` states; the spec states none for these
fields, and a test here fails once it does with another value.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from cakework.cli import _input

from .conftest import APP, ECR_URI, ROOT, Cli, one_line
from .test_process import CAKEWORK, clean_env

# The request property each stated limit bounds.
LIMITS = {
    ("BuildFromFilesRequest", "dockerfile"): _input.MAX_DOCKERFILE_BYTES,
    ("BuildFromGithubRequest", "dockerfile"): _input.MAX_DOCKERFILE_BYTES,
    ("BuildFromGithubRequest", "dockerignore"): _input.MAX_DOCKERIGNORE_BYTES,
    ("ImportImageRequest", "password"): _input.MAX_PASSWORD_BYTES,
}


def test_a_limit_the_spec_states_is_the_commands_limit() -> None:
    schemas = yaml.safe_load((ROOT / "openapi.yaml").read_text())["components"]["schemas"]
    for (schema, field), limit in LIMITS.items():
        stated = schemas[schema]["properties"][field].get("maxLength")
        assert stated in (None, limit), (schema, field, stated, limit)


@pytest.mark.parametrize(
    "args",
    [
        ["images", "build", str(APP), "--dockerfile", "/dev/zero"],
        [
            "images",
            "build-github",
            "o/r",
            "--branch",
            "main",
            "--token",
            "t",
            "--dockerfile",
            str(APP / "Dockerfile"),
            "--dockerignore",
            "/dev/zero",
        ],
    ],
    ids=["dockerfile", "dockerignore"],
)
def test_a_device_is_refused_before_it_is_read(cakework: Cli, args: list[str]) -> None:
    result = cakework(*args, code=2)
    assert one_line(result.stderr).endswith(" /dev/zero is not a regular file")
    assert cakework.emulator.request_counts() == {}


def start_writer(path: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        # open() blocks until the command opens the FIFO; a broken pipe is the reader
        # stopping at its limit, which is what is being tested.
        with path.open("wb") as stream, contextlib.suppress(BrokenPipeError):
            stream.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def test_a_fifo_is_read_with_the_same_limit(cakework: Cli, tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile.fifo"
    os.mkfifo(path)
    writer = start_writer(path, b"#" * (_input.MAX_DOCKERFILE_BYTES + 10 * _input.CHUNK))
    result = cakework("images", "build", str(APP), "--dockerfile", str(path), code=2)
    writer.join(30)
    assert one_line(result.stderr).endswith(
        f"--dockerfile {path} is longer than 1 MiB, the most accepted"
    )
    assert cakework.emulator.request_counts() == {}


def test_a_fifo_within_the_limit_builds(cakework: Cli, tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile.fifo"
    os.mkfifo(path)
    writer = start_writer(path, (APP / "Dockerfile").read_bytes())
    cakework("images", "build", str(APP), "--dockerfile", str(path))
    writer.join(30)
    assert cakework.emulator.request_count("buildImageFromFiles") == 1


def test_an_endless_password_on_stdin_is_cut_off(cakework: Cli) -> None:
    assert CAKEWORK is not None
    env = clean_env(
        CAKEWORK_API_KEY=cakework.emulator.api_key, CAKEWORK_BASE_URL=cakework.emulator.base_url
    )
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        result = subprocess.run(
            [CAKEWORK, "images", "import", ECR_URI, "--password-stdin"],
            stdin=yes.stdout,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        yes.kill()
        yes.wait()
        assert yes.stdout is not None
        yes.stdout.close()
    assert result.returncode == 2
    assert one_line(result.stderr.decode()) == (
        "cakework images import: --password-stdin: stdin is longer than 64 KiB, the most accepted"
    )
    assert cakework.emulator.request_counts() == {}


def test_a_password_on_stdin_loses_its_line_break(cakework: Cli) -> None:
    image = cakework("images", "import", ECR_URI, "--password-stdin", input="pw\n")
    assert image.exit_code == 0
    assert cakework.emulator.request_count("importImage") == 1


def test_a_folder_without_a_dockerfile_names_the_option(cakework: Cli, tmp_path: Path) -> None:
    result = cakework("images", "build", str(tmp_path), code=2)
    assert one_line(result.stderr) == (
        f"cakework images build: no Dockerfile in {tmp_path}: add one or pass --dockerfile FILE"
    )


def test_ctrl_c_ends_a_read_from_a_fifo_that_never_ends(cakework: Cli, tmp_path: Path) -> None:
    assert CAKEWORK is not None
    path = tmp_path / "Dockerfile.fifo"
    os.mkfifo(path)
    env = clean_env(
        CAKEWORK_API_KEY=cakework.emulator.api_key, CAKEWORK_BASE_URL=cakework.emulator.base_url
    )
    process = subprocess.Popen(
        [CAKEWORK, "images", "build", str(APP), "--dockerfile", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        # open() returns once the command has opened the FIFO: it is reading, and waits
        # for more, as it would on a writer that never finishes.
        with path.open("wb") as writer:
            writer.write(b"FROM python:3.11-slim\n")
            writer.flush()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    assert one_line(process.stderr.read().decode()) == "cakework images build: interrupted"
    process.stderr.close()
    assert cakework.emulator.request_counts() == {}
