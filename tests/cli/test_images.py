"""``cakework images ...`` against the emulator: results, progress, failures, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cakework.testing import Emulator

from .conftest import APP, ECR_URI, Cli, one_line

BROKEN_DOCKERFILE = "FROM python:3.11-slim\nCOPY missing.txt /app/\nRUN true\n"


def test_build_wait_prints_the_succeeded_build_as_json(cakework: Cli) -> None:
    result = cakework("images", "build", str(APP), "--wait")
    build = json.loads(result.stdout)
    assert build["status"] == "succeeded"
    assert build["image_id"]
    # Progress goes to stderr as plain lines (no terminal here): the status, then the end.
    assert f"build {build['build_id']} created" in result.stderr
    assert f"build {build['build_id']} succeeded: image {build['image_id']}" in result.stderr
    assert "\x1b" not in result.stderr + result.stdout


def test_build_follow_logs_streams_every_line_before_the_result(cakework: Cli) -> None:
    result = cakework("images", "build", str(APP), "--follow-logs")
    build = json.loads(result.stdout)
    assert build["status"] == "succeeded"
    steps = [line for line in result.stderr.splitlines() if " Step " in line]
    assert len(steps) == 7
    assert "Step 1/7 : FROM python:3.11-slim" in steps[0]
    assert f"Successfully built {build['image_id']}" in result.stderr


def test_build_without_wait_returns_the_created_build_and_get_waits(cakework: Cli) -> None:
    build = cakework.json("images", "build", str(APP), "--no-wait")
    assert isinstance(build, dict)
    assert build["status"] == "created"
    assert build["image_id"] is None
    done = cakework.json("images", "get", build["build_id"], "--wait")
    assert isinstance(done, dict)
    assert done["status"] == "succeeded"
    assert cakework.json("images", "get", build["build_id"]) == done


def test_build_with_another_dockerfile(cakework: Cli, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile.alt"
    dockerfile.write_text("FROM alpine:3\nCOPY app.py /app.py\n")
    result = cakework("images", "build", str(APP), "--dockerfile", str(dockerfile), "--wait")
    assert json.loads(result.stdout)["status"] == "succeeded"


def test_failed_build_exits_3_with_the_failing_step_and_last_lines(
    cakework: Cli, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(BROKEN_DOCKERFILE)
    result = cakework("images", "build", str(tmp_path), "--wait", code=3)
    assert result.stdout == ""
    report = result.stderr[result.stderr.index("cakework images build:") :].splitlines()
    assert report[0].startswith("cakework images build: build ")
    assert "failed: COPY failed: file not found" in report[0]
    assert report[1] == "  failing step: Step 2/3 : COPY missing.txt /app/"
    assert report[2].startswith("  last ")
    assert report[2].endswith(" log lines:")
    assert report[-2].endswith("error Build failed")
    assert report[-1].startswith("  all of it: cakework images logs ")
    assert "Traceback" not in result.stderr


def test_a_folder_without_dockerfile_is_a_usage_error(cakework: Cli, tmp_path: Path) -> None:
    result = cakework("images", "build", str(tmp_path), code=2)
    assert "no Dockerfile" in one_line(result.stderr)
    assert cakework.emulator.request_count("buildImageFromFiles") == 0


def test_a_missing_folder_is_a_click_usage_error(cakework: Cli, tmp_path: Path) -> None:
    result = cakework("images", "build", str(tmp_path / "nope"), code=2)
    assert "does not exist" in result.stderr


@pytest.mark.cakework_emulator(manual_clock=True)
def test_wait_timeout_exits_4(cakework_emulator: Emulator) -> None:
    cakework = Cli(cakework_emulator)  # the clock never moves: the build never finishes
    result = cakework("images", "build", str(APP), "--wait", "--wait-timeout", "0.3", code=4)
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("cakework images build: gave up waiting for ")
    assert "last state: created" in line


def test_import_takes_the_password_from_env_option_or_stdin(cakework: Cli) -> None:
    from_env = cakework(
        "images", "import", ECR_URI, env={"CAKEWORK_REGISTRY_PASSWORD": "secret-pw"}
    )
    from_stdin = cakework("images", "import", ECR_URI, "--password-stdin", input="secret-pw\n")
    from_option = cakework("images", "import", ECR_URI, "--password", "secret-pw")
    ids = {json.loads(r.stdout)["image_id"] for r in (from_env, from_stdin, from_option)}
    assert len(ids) == 3
    for result in (from_env, from_stdin, from_option):
        assert "secret-pw" not in result.stdout + result.stderr


def test_import_without_password_is_a_usage_error(cakework: Cli) -> None:
    result = cakework("images", "import", ECR_URI, code=2)
    assert "--password" in result.stderr
    assert cakework.emulator.request_count("importImage") == 0


def test_import_of_a_bad_uri_is_refused_before_sending(cakework: Cli) -> None:
    # The client checks the URI against the spec's pattern: a usage error, nothing sent.
    result = cakework("images", "import", "not-an-ecr-uri", "--password", "pw", code=2)
    assert "image_uri='not-an-ecr-uri' is not allowed" in result.stderr
    assert cakework.emulator.request_count("importImage") == 0


def test_build_github(cakework: Cli, tmp_path: Path) -> None:
    cakework.emulator.register_github_repo(
        "org/app", {"app.py": "print(1)\n", "notes.md": "x"}, branch="main", token="gh-token"
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nCOPY app.py /app/\n")
    ignore = tmp_path / ".dockerignore"
    ignore.write_text("*.md\n")
    args = ("images", "build-github", "org/app", "--branch", "main", "--dockerfile")
    ok = cakework(
        *args,
        str(dockerfile),
        "--dockerignore",
        str(ignore),
        "--wait",
        env={"GITHUB_TOKEN": "gh-token"},
    )
    assert json.loads(ok.stdout)["status"] == "succeeded"
    assert "gh-token" not in ok.stdout + ok.stderr
    bad = cakework(*args, str(dockerfile), "--token", "wrong", "--wait", code=3)
    assert "authentication failed" in bad.stderr


def test_logs_json_lines_filters_and_order(cakework: Cli) -> None:
    build = json.loads(cakework("images", "build", str(APP), "--wait").stdout)
    build_id = build["build_id"]
    lines = [json.loads(x) for x in cakework("images", "logs", build_id).stdout.splitlines()]
    assert next(line["message"] for line in lines) == "Step 1/7 : FROM python:3.11-slim"
    assert set(lines[0]) == {"timestamp", "timestamp_ms", "level", "message"}
    steps = cakework("images", "logs", build_id, "--query", "step").stdout.splitlines()
    assert len(steps) == 7
    newest = cakework("images", "logs", build_id, "--order", "newest_first", "-n", "2").stdout
    assert [json.loads(x)["message"] for x in newest.splitlines()] == [
        lines[-1]["message"],
        lines[-2]["message"],
    ]
    followed = cakework("images", "logs", build_id, "-f").stdout.splitlines()
    assert len(followed) == len(lines)


def test_logs_as_text(cakework: Cli) -> None:
    build_id = json.loads(cakework("images", "build", str(APP), "--wait").stdout)["build_id"]
    text = cakework("images", "logs", build_id, "-o", "table", "-n", "1").stdout
    assert text.rstrip().endswith("info  Step 1/7 : FROM python:3.11-slim")
    assert text.count("\n") == 1


def test_logs_of_an_unknown_build_exit_1(cakework: Cli) -> None:
    result = cakework("images", "logs", "no-such-build", code=1)
    assert "404" in one_line(result.stderr)


def test_get_as_table(cakework: Cli) -> None:
    build_id = json.loads(cakework("images", "build", str(APP)).stdout)["build_id"]
    table = cakework("images", "get", build_id, "--output", "table").stdout
    assert table.splitlines()[0].split() == ["build_id", build_id]
    assert "status" in table


def test_logs_time_window(cakework: Cli) -> None:
    build_id = json.loads(cakework("images", "build", str(APP), "--wait").stdout)["build_id"]
    assert cakework("images", "logs", build_id, "--since", "2999-01-01T00:00:00Z").stdout == ""
    assert cakework("images", "logs", build_id, "--until", "2000-01-01T00:00:00Z").stdout == ""
    bad = cakework("images", "logs", build_id, "--since", "yesterday", code=2)
    assert "'yesterday' is not an ISO 8601 time" in bad.stderr
    local = cakework("images", "logs", build_id, "--since", "2000-01-01T00:00:00").stdout
    assert len(local.splitlines()) == 17
