"""``cakework`` as a real process: the console script, a terminal, a pipe, Ctrl-C, completion.

The emulator here is ``cakework emulator`` itself, run as a subprocess like a user would.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from cakework.testing import Emulator

from .conftest import APP, ECR_URI, ROOT

CAKEWORK = shutil.which("cakework", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def exe() -> str:
    assert CAKEWORK is not None, "the cakework console script is not installed"
    return CAKEWORK


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAKEWORK_", "_CAKEWORK"))}
    env.pop("FORCE_COLOR", None)
    return {**env, **extra}


@pytest.fixture(scope="module")
def emulator_env(exe: str) -> Iterator[dict[str, str]]:
    """``cakework emulator`` running; the environment its two export lines describe."""
    process = subprocess.Popen(
        [exe, "emulator", "--port", "0", "--speed", "50", "--api-key", "proc-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline().strip()]
        while banner[-1] != "Press Ctrl-C to stop.":
            banner.append(process.stdout.readline().strip())
            assert banner[-1], banner
        # The banner of python -m cakework.testing: URL, keys, ..., the two exports, Ctrl-C.
        assert banner[0].startswith("Cakework emulator listening on http://127.0.0.1:")
        assert banner[1] == "API keys: proc-key"
        variables = {}
        for line in banner[-3:-1]:
            assert line.startswith("export "), line
            name, _, value = line.removeprefix("export ").partition("=")
            variables[name] = value
        assert variables["CAKEWORK_API_KEY"] == "proc-key"
        assert variables["CAKEWORK_BASE_URL"].startswith("http://127.0.0.1:")
        yield clean_env(**variables)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        _, errors = process.communicate()
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def run(
    exe: str, args: Sequence[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [exe, *args], env=env, cwd=ROOT, capture_output=True, timeout=timeout, check=False
    )


def test_build_wait_through_a_pipe_has_no_control_characters(
    exe: str, emulator_env: dict[str, str]
) -> None:
    result = run(exe, ["images", "build", "examples/app", "--wait", "--follow-logs"], emulator_env)
    assert result.returncode == 0, result.stderr
    build = json.loads(result.stdout)
    assert build["status"] == "succeeded"
    assert b"Step 7/7" in result.stderr
    assert f"succeeded: image {build['image_id']}".encode() in result.stderr
    for stream in (result.stdout, result.stderr):
        assert b"\x1b" not in stream
        assert b"\r" not in stream


def test_vms_run_with_a_command(exe: str, emulator_env: dict[str, str]) -> None:
    image = json.loads(
        run(exe, ["images", "import", ECR_URI, "--password", "pw"], emulator_env).stdout
    )
    script = "import os; print('inside', os.environ['CAKEWORK_VM_ID'])"
    result = run(
        exe, ["vms", "run", image["image_id"], "--", sys.executable, "-c", script], emulator_env
    )
    assert result.returncode == 0, result.stderr
    vm_id = result.stdout.decode().split()[-1]
    assert result.stdout.decode().startswith("inside ")
    assert f"VM {vm_id} stopped".encode() in result.stderr
    vm = json.loads(run(exe, ["vms", "get", vm_id], emulator_env).stdout)
    assert vm["state"] in ("stopped", "destroyed")


def read_pty(master: int, process: subprocess.Popen[bytes]) -> bytes:
    output = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=30)
    return output


def test_build_wait_in_a_terminal_renders_live_progress(
    exe: str, emulator_env: dict[str, str]
) -> None:
    master, slave = pty.openpty()
    env = {**emulator_env, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [exe, "images", "build", str(APP), "--wait"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    try:
        output = read_pty(master, process)
    finally:
        os.close(master)
    assert process.returncode == 0, output
    text = output.decode()
    assert "\x1b[?25l" in text  # the spinner hid the cursor ...
    assert "\x1b[?25h" in text  # ... and showed it again when it stopped
    assert "\r\x1b[2K" in text  # the status line is redrawn in place
    assert "⠋" in text  # a frame of the "dots" spinner
    assert " created" in text
    assert "succeeded: image " in text
    # The result comes after the progress, as a table (stdout is a terminal).
    assert text.index("succeeded: image ") < text.rindex("status")
    assert "image_id" in text


def test_ctrl_c_during_vms_run_stops_the_vm_and_exits_130(
    exe: str, cakework_emulator: Emulator
) -> None:
    env = clean_env(
        CAKEWORK_API_KEY=cakework_emulator.api_key, CAKEWORK_BASE_URL=cakework_emulator.base_url
    )
    image = json.loads(run(exe, ["images", "import", ECR_URI, "--password", "pw"], env).stdout)
    process = subprocess.Popen(
        [exe, "vms", "run", image["image_id"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if "Booting VM" in line:  # started, and its logs are being followed
                break
        assert cakework_emulator.resources()["running_vms"] == 1, seen
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        rest = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert "… (Ctrl-C again to give up)\n" in rest
    assert " stopped\n" in rest
    assert rest.rstrip().splitlines()[-1] == "cakework vms run: interrupted"
    assert "Traceback" not in rest
    assert cakework_emulator.resources()["running_vms"] == 0
    assert cakework_emulator.request_count("stopVM") == 1


def test_sigterm_also_stops_the_vm(exe: str, cakework_emulator: Emulator) -> None:
    env = clean_env(
        CAKEWORK_API_KEY=cakework_emulator.api_key, CAKEWORK_BASE_URL=cakework_emulator.base_url
    )
    image = json.loads(run(exe, ["images", "import", ECR_URI, "--password", "pw"], env).stdout)
    process = subprocess.Popen(
        [exe, "vms", "run", image["image_id"]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Booting VM" in line:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert cakework_emulator.resources()["running_vms"] == 0


def test_bash_completion_is_clicks_own(exe: str) -> None:
    script = run(exe, [], clean_env(_CAKEWORK_COMPLETE="bash_source"))
    assert script.returncode == 0
    assert b"_cakework_completion" in script.stdout
    assert b"complete -o nosort -F _cakework_completion cakework" in script.stdout
    words = run(
        exe,
        [],
        clean_env(_CAKEWORK_COMPLETE="bash_complete", COMP_WORDS="cakework vm", COMP_CWORD="1"),
    )
    assert words.stdout.decode().split() == ["plain,vms"]
    options = run(
        exe,
        [],
        clean_env(
            _CAKEWORK_COMPLETE="bash_complete",
            COMP_WORDS="cakework vms list --status s",
            COMP_CWORD="4",
        ),
    )
    assert options.stdout.decode().split() == ["plain,started", "plain,stopped"]


def test_usage_errors_exit_2(exe: str) -> None:
    unknown = run(exe, ["vms", "frobnicate"], clean_env())
    assert unknown.returncode == 2
    assert b"No such command 'frobnicate'" in unknown.stderr
    missing = run(exe, ["vms", "get"], clean_env())
    assert missing.returncode == 2
    assert b"Missing argument 'VM_ID'" in missing.stderr


def test_help_lists_every_command_and_the_exit_codes(exe: str) -> None:
    result = run(exe, ["--help"], clean_env(COLUMNS="100"))
    assert result.returncode == 0
    text = result.stdout.decode()
    for command in (
        "images build ",
        "images build-github",
        "images import",
        "images get",
        "images logs",
        "vms start",
        "vms get",
        "vms stop",
        "vms list",
        "vms logs",
        "vms run",
        "cached-vms create",
        "cached-vms start",
        "cached-vms stop",
        "cached-vms destroy",
        "cached-vms logs",
        "emulator",
    ):
        assert f"\n  {command}" in text, command
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130 "):
        assert f"\n    {code}" in text, code


def test_import_cakework_does_not_import_the_command() -> None:
    # httpx itself imports click and rich when they are installed (for its own `httpx`
    # command), so what counts is what importing cakework adds after httpx.
    code = (
        "import sys, httpx; before = set(sys.modules); import cakework; "
        "added = set(sys.modules) - before; "
        "loaded = [m for m in added if m.split('.')[0] in ('click', 'rich') "
        "or m.startswith('cakework.cli')]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_without_the_extra_one_line_names_the_install_command() -> None:
    code = (
        "import sys; sys.modules['rich'] = None; "
        "from cakework.cli import main; main(['vms', 'list'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr == (
        "cakework: the cakework command needs the 'cli' extra: "
        'pip install "cakework-client[cli] @ <wheel or repository>"\n'
    )
