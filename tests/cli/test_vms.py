"""``cakework vms ...`` and ``cakework cached-vms ...`` against the emulator."""

from __future__ import annotations

import json
import sys

from .conftest import Cli, one_line


def test_start_wait_get_list_logs_stop(cakework: Cli) -> None:
    image_id = cakework.image()
    started = cakework("vms", "start", image_id, "--cpu", "2", "--memory", "512", "--wait")
    vm = json.loads(started.stdout)
    assert (vm["state"], vm["cpu"], vm["memory"], vm["image_id"]) == ("started", 2, 512, image_id)
    assert f"VM {vm['id']} started on {vm['hostname']}" in started.stderr
    assert cakework.json("vms", "get", vm["id"]) == vm
    listed = cakework.json("vms", "list", "--status", "started")
    assert isinstance(listed, list)
    assert [v["id"] for v in listed] == [vm["id"]]
    assert cakework.json("vms", "list", "--image-id", "other-image") == []
    logs = cakework("vms", "logs", vm["id"], "-n", "3").stdout.splitlines()
    assert [json.loads(line)["message"] for line in logs][2] == "Booting VM"
    stopped = cakework("vms", "stop", vm["id"])
    assert f"VM {vm['id']} stopped" in stopped.stderr
    assert cakework.emulator.resources()["running_vms"] == 0
    # Followed logs end by themselves once the VM has stopped.
    followed = cakework("vms", "logs", vm["id"], "--follow").stdout.splitlines()
    messages = [json.loads(line)["message"] for line in followed]
    assert "Received stop request, shutting down" in messages


def test_list_follows_every_page(cakework: Cli) -> None:
    image_id = cakework.image()
    ids = {json.loads(cakework("vms", "start", image_id).stdout)["id"] for _ in range(4)}
    listed = cakework.json("vms", "list", "--image-id", image_id)
    assert isinstance(listed, list)
    assert {v["id"] for v in listed} == ids
    table = cakework("vms", "list", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["ID", "STATE", "IMAGE_ID", "CPU", "MEMORY", "CREATED_AT"]
    assert len(table) == 5


def test_env_vars_reach_the_vm(cakework: Cli) -> None:
    vm = cakework.json("vms", "start", cakework.image(), "-e", "A=1", "--env", "URL=x=y")
    assert isinstance(vm, dict)
    assert cakework.emulator.request_count("startVM") == 1


def test_api_errors_exit_1_with_one_line(cakework: Cli) -> None:
    missing = cakework("vms", "get", "no-such-vm", code=1)
    # The message goes on with the method and URL that failed.
    assert one_line(missing.stderr).startswith(
        "cakework vms get: getVM: 404 VM no-such-vm does not exist (GET http://"
    )
    vm_id = cakework.started_vm()
    cakework("vms", "stop", vm_id)
    again = cakework("vms", "stop", vm_id, code=1)
    assert one_line(again.stderr).startswith("cakework vms stop: stopVM: 409 ")


def test_bad_arguments_exit_2_and_send_nothing(cakework: Cli) -> None:
    out_of_range = cakework("vms", "start", "img", "--cpu", "64", code=2)
    assert "cpu=64" in one_line(out_of_range.stderr)
    bad_env = cakework("vms", "start", "img", "--env", "NOEQUALS", code=2)
    assert "KEY=VALUE" in bad_env.stderr
    bad_status = cakework("vms", "list", "--status", "running", code=2)
    assert "running" in bad_status.stderr
    assert cakework.emulator.request_counts() == {} or not any(
        cakework.emulator.request_counts().values()
    )


def test_no_api_key_is_a_usage_error(cakework: Cli) -> None:
    result = cakework("vms", "list", code=2, env={"CAKEWORK_API_KEY": None})
    assert one_line(result.stderr) == (
        "cakework vms list: no API key: pass --api-key or set CAKEWORK_API_KEY"
    )


def test_options_override_the_environment(cakework: Cli) -> None:
    env = {"CAKEWORK_API_KEY": "wrong", "CAKEWORK_BASE_URL": "http://127.0.0.1:9/v1"}
    args = ("--api-key", cakework.emulator.api_key, "--base-url", cakework.emulator.base_url)
    assert cakework(*args, "vms", "list", env=env).stdout.strip() == "[]"
    refused = cakework(
        "--api-key", "wrong", "vms", "list", code=5
    )  # authentication: its own exit status
    assert "401" in one_line(refused.stderr)


def test_connection_errors_are_one_line_unless_debug(cakework: Cli) -> None:
    args = ("--base-url", "http://127.0.0.1:9/v1", "--max-retries", "0", "--timeout", "2")
    plain = cakework(*args, "vms", "list", code=1)
    assert one_line(plain.stderr).startswith("cakework vms list: ")
    debug = cakework("--debug", *args, "vms", "list", code=1)
    assert "Traceback" in debug.stderr
    assert "cakework DEBUG" in debug.stderr  # the client's own debug log
    assert debug.stderr.rstrip().splitlines()[-1].startswith("cakework vms list: ")


def test_run_with_a_command_stops_the_vm_and_passes_its_status(cakework: Cli) -> None:
    image_id = cakework.image()
    script = (
        "import os, sys; "
        "print('vm', os.environ['CAKEWORK_VM_ID'], os.environ['CAKEWORK_VM_HOSTNAME']); "
        "sys.exit(int(sys.argv[1]))"
    )
    ok = cakework("vms", "run", image_id, "--cpu", "2", "--", sys.executable, "-c", script, "0")
    assert "VM " in ok.stderr
    assert " stopped" in ok.stderr
    failing = cakework("vms", "run", image_id, "--", sys.executable, "-c", script, "5", code=5)
    assert " stopped" in failing.stderr
    vms = cakework.json("vms", "list")
    assert isinstance(vms, list)
    assert len(vms) == 2
    assert {vm["state"] for vm in vms} <= {"stopped", "destroyed"}
    assert cakework.emulator.resources()["running_vms"] == 0


def test_run_with_a_missing_command_exits_127_and_stops_the_vm(cakework: Cli) -> None:
    result = cakework("vms", "run", cakework.image(), "--", "no-such-command-xyz", code=127)
    assert "cannot run no-such-command-xyz" in result.stderr
    assert cakework.emulator.resources()["running_vms"] == 0


def test_cached_vm_lifecycle(cakework: Cli) -> None:
    image_id = cakework.image()
    cached = cakework.json("cached-vms", "create", image_id, "--cpu", "1", "--disk-size", "5")
    assert isinstance(cached, dict)
    cached_id = cached["id"]
    assert cached["hostname"]
    started = cakework.json("cached-vms", "start", cached_id, "--wait")
    assert isinstance(started, dict)
    assert started["state"] == "started"
    assert cakework("cached-vms", "stop", cached_id).stderr.strip().endswith("stopped")
    lines = [json.loads(x) for x in cakework("cached-vms", "logs", cached_id).stdout.splitlines()]
    assert any("Received stop request" in line["message"] for line in lines)
    text = cakework("cached-vms", "logs", cached_id, "-o", "table").stdout
    assert "Booting VM" in text
    cakework("cached-vms", "start", cached_id)
    cakework("cached-vms", "destroy", cached_id, "--yes")
    assert cakework.emulator.resources()["live_cached_vms"] == 0
    gone = cakework("cached-vms", "start", cached_id, code=1)
    assert "409" in one_line(gone.stderr)


def test_emulator_refuses_bad_settings(cakework: Cli) -> None:
    bad_speed = cakework("emulator", "--port", "0", "--speed", "0", code=2)
    assert "speed" in bad_speed.stderr
    host, port = cakework.emulator.base_url.removeprefix("http://").split("/")[0].split(":")
    taken = cakework("emulator", "--host", host, "--port", port, code=1)
    assert one_line(taken.stderr).startswith(f"cakework emulator: cannot listen on {host}:{port}")
