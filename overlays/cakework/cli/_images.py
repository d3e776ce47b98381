"""``cakework images ...``: build, import, status and logs of images."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from cakework import Build, Image, LogLine, WaitTimeoutError

from ._errors import UsageFailure
from ._input import (
    MAX_DOCKERFILE_BYTES,
    MAX_DOCKERIGNORE_BYTES,
    MAX_PASSWORD_BYTES,
    read_stdin_secret,
    read_text_file,
)
from ._progress import BuildProgress, Progress
from ._root import (
    App,
    LogFilters,
    log_options,
    output_option,
    pass_app,
    wait_timeout_option,
)

P = ParamSpec("P")
R = TypeVar("R")

BUILD_WAIT_TIMEOUT = 1800.0
# Where `images build PATH` looks for the Dockerfile, in order: as `docker build` does.
DOCKERFILE_NAMES = ("Dockerfile", "dockerfile")

# ---- images ---------------------------------------------------------------------------------


@click.group()
def images() -> None:
    """Build and import images; read build status and logs."""


def _wait_for_build(app: App, build: Build, *, follow_logs: bool, wait_timeout: float) -> Build:
    """Wait for a build with live progress; the succeeded build."""
    client = app.client()
    progress = Progress(app.chatter, live=app.live, text=f"build {build.build_id} {build.status}")
    tracker = BuildProgress(progress, build.build_id, show_logs=follow_logs)
    # Reading logs costs a request per poll: only for --follow-logs or the live step display.
    on_log = tracker.on_log if follow_logs or progress.live else None
    try:
        with progress:
            done = client.images.wait_for_build(
                build.build_id,
                timeout=wait_timeout,
                on_status=tracker.on_status,
                on_log=on_log,
            )
    except (KeyboardInterrupt, WaitTimeoutError):
        # Neither ends the build: say so, and how to pick the wait up again.
        app.output.warn(
            f"build {build.build_id} keeps running (a build cannot be cancelled); "
            f"`cakework images get {build.build_id} --wait` waits for it again"
        )
        raise
    progress.finish(f"build {done.build_id} succeeded: image {done.image_id}")
    return done


def _finish_build(
    app: App, build: Build, *, wait: bool, follow_logs: bool, wait_timeout: float
) -> None:
    if wait or follow_logs:
        build = _wait_for_build(app, build, follow_logs=follow_logs, wait_timeout=wait_timeout)
    app.output.item(build)


def _wait_options(f: Callable[P, R]) -> Callable[P, R]:
    f = wait_timeout_option(BUILD_WAIT_TIMEOUT)(f)
    f = click.option(
        "--follow-logs",
        is_flag=True,
        help="Print the build's log lines while waiting (implies --wait).",
    )(f)
    return click.option(
        "--wait/--no-wait",
        default=False,
        show_default=True,
        help="Wait until the build has finished, showing its progress.",
    )(f)


@images.command("build")
@click.argument(
    "path", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--dockerfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Dockerfile to use. [default: PATH/Dockerfile]",
)
@_wait_options
@output_option(Build)
@pass_app
def images_build(
    app: App,
    path: Path,
    dockerfile: Path | None,
    wait: bool,
    follow_logs: bool,
    wait_timeout: float,
) -> None:
    """Build an image from a local folder (honours .dockerignore)."""
    if dockerfile is None:
        found = [path / name for name in DOCKERFILE_NAMES if (path / name).is_file()]
        if not found:
            raise UsageFailure(f"no Dockerfile in {path}: add one or pass --dockerfile FILE")
        dockerfile = found[0]
    text = read_text_file(dockerfile, option="--dockerfile", limit=MAX_DOCKERFILE_BYTES)
    build = app.client().images.build_from_directory(path, dockerfile=text)
    _finish_build(app, build, wait=wait, follow_logs=follow_logs, wait_timeout=wait_timeout)


@images.command("build-github")
@click.argument("repository", metavar="REPO")
@click.option("--branch", required=True, help="Branch to build.")
@click.option(
    "--dockerfile",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Local Dockerfile to build with.",
)
@click.option(
    "--dockerignore",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Local .dockerignore to apply to the repository.",
)
@click.option(
    "--token",
    envvar="GITHUB_TOKEN",
    show_envvar=True,
    help="GitHub token that can read REPO (never printed). [required]",
)
@_wait_options
@output_option(Build)
@pass_app
def images_build_github(
    app: App,
    repository: str,
    branch: str,
    dockerfile: Path,
    dockerignore: Path | None,
    token: str | None,
    wait: bool,
    follow_logs: bool,
    wait_timeout: float,
) -> None:
    """Build an image from a GitHub repository (REPO: owner/name)."""
    if not token:
        raise click.UsageError(
            "give a GitHub token that can read the repository: --token or GITHUB_TOKEN"
        )
    build = app.client().images.build_from_github(
        dockerfile=read_text_file(dockerfile, option="--dockerfile", limit=MAX_DOCKERFILE_BYTES),
        repository=repository,
        branch=branch,
        token=token,
        dockerignore=(
            read_text_file(dockerignore, option="--dockerignore", limit=MAX_DOCKERIGNORE_BYTES)
            if dockerignore is not None
            else None
        ),
    )
    _finish_build(app, build, wait=wait, follow_logs=follow_logs, wait_timeout=wait_timeout)


@images.command("import")
@click.argument("image_uri", metavar="URI")
@click.option(
    "--password",
    envvar="CAKEWORK_REGISTRY_PASSWORD",
    show_envvar=True,
    help="Registry password (never printed).",
)
@click.option("--password-stdin", is_flag=True, help="Read the registry password from stdin.")
@output_option(Image)
@pass_app
def images_import(app: App, image_uri: str, password: str | None, password_stdin: bool) -> None:
    """Import an image from AWS ECR.

    URI: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]
    """
    if password_stdin:
        password = read_stdin_secret(
            sys.stdin.buffer, option="--password-stdin", limit=MAX_PASSWORD_BYTES
        )
    if password is None:
        raise click.UsageError(
            "give the registry password: --password, --password-stdin or CAKEWORK_REGISTRY_PASSWORD"
        )
    app.output.item(app.client().images.import_image(image_uri=image_uri, password=password))


@images.command("get")
@click.argument("build_id")
@_wait_options
@output_option(Build)
@pass_app
def images_get(app: App, build_id: str, wait: bool, follow_logs: bool, wait_timeout: float) -> None:
    """Show a build's status (and wait for it with --wait)."""
    build = app.client().images.get_build(build_id)
    _finish_build(app, build, wait=wait, follow_logs=follow_logs, wait_timeout=wait_timeout)


@images.command("logs")
@click.argument("build_id")
@log_options
@output_option(LogLine)
@pass_app
def images_logs(app: App, build_id: str, filters: LogFilters) -> None:
    """Print a build's log lines (JSON: one object per line)."""
    app.output.log_lines(filters.lines(app.client().images.build_logs, build_id))


def _print_lines(app: App, lines: Iterable[LogLine]) -> None:
    for line in lines:
        app.output.log_line(line)
