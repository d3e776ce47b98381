"""``cakework emulator``: ``python -m cakework.testing`` under the command's name.

One entry point: the options, the banner and the exit statuses are those of
``cakework.testing.__main__`` (``cakework emulator --help`` shows them).
"""

from __future__ import annotations

import click

from ._errors import UsageFailure


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run the local emulator (options: cakework emulator --help)."""
    try:
        from cakework.testing.__main__ import main
    except ModuleNotFoundError as exc:
        raise UsageFailure(
            f"{exc}: the emulator needs the 'emulator' extra"
            ' (pip install "cakework-client[emulator] @ <wheel or repository>")'
        ) from exc
    try:
        status = main(list(args), prog="cakework emulator")
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        status = exc.code if isinstance(exc.code, int) else 2
    if status:
        raise click.exceptions.Exit(status)
