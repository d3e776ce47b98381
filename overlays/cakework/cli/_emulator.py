"""``cakework emulator``: the local emulator of ``cakework.testing`` in the foreground."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from types import FrameType

import click

from cakework import CakeworkError

from ._errors import UsageFailure
from ._root import App, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port (0: any free one).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Accepted API key, one tenant each (repeatable). [default: test-key]",
)
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Emulator clock speed against real time.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Keep the world in this SQLite file: loaded at start, saved every 5 s and on exit.",
)
@pass_app
def emulator(
    app: App,
    host: str,
    port: int,
    api_keys: tuple[str, ...],
    speed: float,
    state_file: str | None,
) -> None:
    """Run the local emulator; prints the two variables to export and the console's URL."""
    try:
        from cakework.testing import Emulator, StateFileError
    except ModuleNotFoundError as exc:
        raise UsageFailure(str(exc)) from exc
    try:
        server = Emulator(
            api_keys or ("test-key",), speed=speed, host=host, port=port, state_file=state_file
        )
    except StateFileError as exc:  # the file is left as it is
        raise CakeworkError(f"cannot load the state: {exc}") from exc
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    try:
        server.start()
    except OSError as exc:
        raise CakeworkError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig in previous:
            signal.signal(sig, request_stop)
        # The keys are printed on purpose: local test keys the user chose.
        click.echo(f"export CAKEWORK_BASE_URL={shlex.quote(server.base_url)}")
        click.echo(f"export CAKEWORK_API_KEY={shlex.quote(server.api_key)}")
        sys.stdout.flush()
        app.output.note(
            f"# Cakework emulator on {server.base_url} (clock x{speed:g}, "
            f"keys: {', '.join(server.api_keys)}); Ctrl-C stops it"
        )
        app.output.note(f"# console: {server.console_url}")
        stop.wait()
        app.output.note("# emulator stopped")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
