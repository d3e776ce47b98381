"""What users of gh, flyctl or aws expect: closed pipes, --quiet, --json FIELDS, --limit,
--yes, global options anywhere, an exit status for authentication, one emulator command.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import time

import pytest
from rich.console import Console

from cakework.cli._progress import Progress
from cakework.testing.__main__ import build_parser

from .conftest import APP, Cli, one_line
from .test_process import CAKEWORK, clean_env

# ---- a closed stdout ------------------------------------------------------------------------


def run_into_closed_pipe(cakework: Cli, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``cakework ARGS`` whose stdout is a pipe nobody reads any more (`| head` has exited)."""
    assert CAKEWORK is not None
    env = clean_env(
        CAKEWORK_API_KEY=cakework.emulator.api_key, CAKEWORK_BASE_URL=cakework.emulator.base_url
    )
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [CAKEWORK, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_closed_stdout_ends_the_command_silently_with_status_141(cakework: Cli) -> None:
    build = cakework.json("images", "build", str(APP), "--wait")
    assert isinstance(build, dict)
    vm = cakework.started_vm()
    for args in (
        ("vms", "list", "-o", "table"),
        ("vms", "list", "-o", "json"),
        ("images", "logs", build["build_id"]),
        ("images", "logs", build["build_id"], "-o", "table"),
        ("vms", "get", vm, "-o", "table"),
    ):
        result = run_into_closed_pipe(cakework, *args)
        assert result.stderr == b"", args
        assert result.returncode == 141, args  # 128 + SIGPIPE, what a shell shows for coreutils


def test_a_closed_stdout_while_following_logs_ends_at_the_next_line(cakework: Cli) -> None:
    vm = cakework.started_vm()
    result = run_into_closed_pipe(cakework, "vms", "logs", vm, "--follow")
    assert (result.returncode, result.stderr) == (141, b"")


# ---- global options after the command, --quiet, auth ---------------------------------------


def test_global_options_work_after_the_command(cakework: Cli) -> None:
    env = {"CAKEWORK_API_KEY": "wrong", "CAKEWORK_BASE_URL": "http://127.0.0.1:9/v1"}
    args = ("--api-key", cakework.emulator.api_key, "--base-url", cakework.emulator.base_url)
    assert cakework("vms", "list", *args, env=env).stdout.strip() == "[]"
    debug = cakework("vms", "list", "--debug")
    assert "cakework DEBUG" in debug.stderr
    refused = cakework("vms", "list", "--api-key", "wrong", code=5)
    assert "401" in one_line(refused.stderr)


def test_authentication_has_its_own_documented_exit_status(cakework: Cli) -> None:
    refused = cakework("--api-key", "wrong", "images", "get", "some-build", code=5)
    assert "401" in one_line(refused.stderr)
    assert "  5    authentication" in cakework("--help").stdout


def test_an_api_key_with_spaces_around_it_is_a_usage_error(cakework: Cli) -> None:
    key = f" {cakework.emulator.api_key}\n"
    result = cakework("vms", "list", env={"CAKEWORK_API_KEY": key}, code=2)
    assert "spaces or line breaks around it" in one_line(result.stderr)
    assert key.strip() not in result.stderr  # the key itself is never printed


def test_quiet_prints_the_result_only(cakework: Cli) -> None:
    image = cakework.image()
    loud = cakework("vms", "start", image, "--wait")
    assert "started on" in loud.stderr
    quiet = cakework("vms", "start", image, "--wait", "--quiet")
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout)["state"] == "started"
    also = cakework("-q", "vms", "stop", json.loads(quiet.stdout)["id"])
    assert also.stderr == ""


# ---- --json FIELDS, --limit, tables -----------------------------------------------------------


def test_json_fields_selects_what_is_printed(cakework: Cli) -> None:
    vm_id = cakework.started_vm()
    listed = json.loads(cakework("vms", "list", "--json", "id,state", "-o", "table").stdout)
    assert listed == [{"id": vm_id, "state": "started"}]
    got = json.loads(cakework("vms", "get", vm_id, "--json", "hostname").stdout)
    assert list(got) == ["hostname"]
    wrong = cakework("vms", "get", vm_id, "--json", "id,colour", code=2)
    assert "'colour'" in wrong.stderr
    assert "id,state,image_id" in wrong.stderr  # the fields there are


def test_limit_stops_the_listing(cakework: Cli) -> None:
    image = cakework.image()
    for _ in range(3):
        cakework("vms", "start", image)
    assert len(json.loads(cakework("vms", "list").stdout)) == 3
    assert len(json.loads(cakework("vms", "list", "--limit", "2").stdout)) == 2


def test_tables_have_no_trailing_spaces_and_an_empty_one_says_so(cakework: Cli) -> None:
    empty = cakework("vms", "list", "-o", "table")
    assert empty.stdout == ""
    assert empty.stderr.strip() == "no VMs"
    vm_id = cakework.started_vm()
    for args in (("vms", "list"), ("vms", "get", vm_id)):
        text = cakework(*args, "-o", "table").stdout
        assert vm_id in text
        assert all(line == line.rstrip() for line in text.splitlines()), text


# ---- cached VMs: destroy asks, logs filter --------------------------------------------------


def cached_vm(cakework: Cli) -> str:
    created = cakework.json("cached-vms", "create", cakework.image())
    assert isinstance(created, dict)
    cached_id = created["id"]
    assert isinstance(cached_id, str)
    return cached_id


def test_cached_vms_destroy_needs_yes_without_a_terminal(cakework: Cli) -> None:
    cached_id = cached_vm(cakework)
    refused = cakework("cached-vms", "destroy", cached_id, code=2)
    assert "pass --yes" in one_line(refused.stderr)
    assert cakework.emulator.resources()["live_cached_vms"] == 1
    cakework("cached-vms", "destroy", cached_id, "-y")
    assert cakework.emulator.resources()["live_cached_vms"] == 0


@pytest.mark.parametrize(("answer", "live"), [("y", 0), ("n", 1)])
def test_cached_vms_destroy_asks_on_a_terminal(cakework: Cli, answer: str, live: int) -> None:
    assert CAKEWORK is not None
    cached_id = cached_vm(cakework)
    env = clean_env(
        CAKEWORK_API_KEY=cakework.emulator.api_key,
        CAKEWORK_BASE_URL=cakework.emulator.base_url,
        TERM="dumb",
    )
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [CAKEWORK, "cached-vms", "destroy", cached_id],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    output = b""
    try:
        deadline = time.monotonic() + 60
        while b"cannot be undone" not in output:
            assert time.monotonic() < deadline, output
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                output += os.read(master, 1024)
        os.write(master, answer.encode() + b"\n")
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert status == (0 if answer == "y" else 2)
    assert cakework.emulator.resources()["live_cached_vms"] == live


def test_cached_vms_logs_take_the_filters_of_other_logs(cakework: Cli) -> None:
    cached_id = cached_vm(cakework)
    cakework("cached-vms", "start", cached_id, "--wait")
    every = cakework("cached-vms", "logs", cached_id).stdout.splitlines()
    assert len(every) > 1
    one = cakework("cached-vms", "logs", cached_id, "-q", "booting", "-n", "1").stdout
    [line] = one.splitlines()
    assert "booting" in json.loads(line)["message"].lower()
    newest = cakework("cached-vms", "logs", cached_id, "--order", "newest_first", "-n", "2")
    stamps = [json.loads(each)["timestamp_ms"] for each in newest.stdout.splitlines()]
    assert len(stamps) == 2
    assert stamps[0] >= stamps[1]
    assert stamps[0] >= json.loads(every[-1])["timestamp_ms"]


# ---- messages -----------------------------------------------------------------------------


def test_build_github_without_a_token_says_how_to_give_one(cakework: Cli) -> None:
    result = cakework(
        "images",
        "build-github",
        "o/r",
        "--branch",
        "main",
        "--dockerfile",
        str(APP / "Dockerfile"),
        env={"GITHUB_TOKEN": None},
        code=2,
    )
    assert "--token or GITHUB_TOKEN" in result.stderr
    assert result.stderr.count("'") % 2 == 0


def test_a_build_wait_that_times_out_says_the_build_goes_on(cakework: Cli) -> None:
    result = cakework("images", "build", str(APP), "--wait", "--wait-timeout", "0.001", code=4)
    lines = result.stderr.strip().splitlines()
    assert any("keeps running" in line and "images get" in line for line in lines), lines


def test_the_status_line_keeps_counting_after_the_vm_started() -> None:
    now = [100.0]
    console = Console(file=io.StringIO())
    starting = Progress(console, live=False, text="starting", clock=lambda: now[0])
    now[0] = 130.0
    running = Progress(
        console, live=False, text="running", clock=lambda: now[0], since=starting.started
    )
    now[0] = 135.0
    assert running.elapsed() == 35.0


# ---- one emulator command -------------------------------------------------------------------


def test_cakework_emulator_is_python_m_cakework_testing(cakework: Cli) -> None:
    ours = cakework("emulator", "--help").stdout
    assert ours == build_parser("cakework emulator").format_help()
    for option in ("--manual-clock", "--page-size", "--log-quirk", "--speed", "--api-key"):
        assert option in ours
