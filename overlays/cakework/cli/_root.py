"""The root of the command tree: settings, the shared client, options every group uses.

Every command reaches the API through one lazily made :class:`~cakework.Cakework` (so
``--help`` and ``emulator`` need no API key), prints its result through ``_output`` and
fails through ``_errors.report``, called from one place: :meth:`CakeworkGroup.invoke`.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs
import click
from rich.console import Console

from cakework import Cakework, CakeworkError, LogLine, __version__
from cakework._validate import describe
from cakework_spec.operations import OPERATIONS

from ._errors import EXIT_CODES_HELP, ExitCode, UsageFailure, report, silence_stdout
from ._output import FIELDS, Output, OutputFormat

P = ParamSpec("P")
R = TypeVar("R")

# The stdout console's width when stdout is not a terminal (see ``App``).
UNLIMITED_WIDTH = 100_000


class StdoutConsole(Console):
    """stdout: a closed pipe raises ``BrokenPipeError``, which ends the command quietly.

    Rich's own handling exits with status 1, which the exit codes reserve for the API.
    """

    def on_broken_pipe(self) -> None:
        """Go quiet and raise (see :func:`~cakework.cli._errors.silence_stdout`)."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "stdout was closed")


class StderrConsole(Console):
    """stderr: once closed, progress and notes are dropped and the command goes on."""

    def on_broken_pipe(self) -> None:
        """Go quiet: nobody reads the notes any more, but the work (a stop) must finish."""
        self.quiet = True


class App:
    """What every command shares: the settings, the client (made on first use), the consoles.

    Args:
        api_key: ``--api-key`` (or ``CAKEWORK_API_KEY``).
        base_url: ``--base-url`` (or ``CAKEWORK_BASE_URL``).
        timeout: Per-request timeout in seconds.
        max_retries: Retries of a failed request.
        debug: Tracebacks and the client's debug log.
        quiet: No progress and no notes on stderr; errors and warnings still show.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        debug: bool,
        quiet: bool = False,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.debug = False
        self.command = "cakework"
        self.out: Console = StdoutConsole(highlight=False)
        if not self.out.is_terminal:
            # A pipe or file has no width: never cut an id short to fit 80 columns.
            self.out = StdoutConsole(highlight=False, width=UNLIMITED_WIDTH)
        self.err: Console = StderrConsole(stderr=True, highlight=False)
        self.output = Output("table", self.out, self.err)
        self._client: Cakework | None = None
        self._log_handler: logging.Handler | None = None
        self._log_level = logging.NOTSET
        if debug:
            self.enable_debug()
        self.quiet = False
        if quiet:
            self.enable_quiet()

    def enable_quiet(self) -> None:
        """``--quiet``: progress and notes go nowhere from now on."""
        self.quiet = True
        self.output.quiet = True

    @property
    def chatter(self) -> Console:
        """Where progress is drawn: stderr, or nowhere with ``--quiet``."""
        return Console(stderr=True, quiet=True) if self.quiet else self.err

    def enable_debug(self) -> None:
        """``--debug``: tracebacks, and the client's DEBUG records on stderr until close."""
        if self.debug:
            return
        self.debug = True
        logger = logging.getLogger("cakework")
        self._log_level = logger.level
        self._log_handler = logging.StreamHandler(sys.stderr)
        self._log_handler.setFormatter(
            logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
        )
        logger.addHandler(self._log_handler)
        logger.setLevel(logging.DEBUG)

    @property
    def live(self) -> bool:
        """Animate progress: only when both stdout and stderr are (capable) terminals."""
        return (
            sys.stdout.isatty()
            and sys.stderr.isatty()
            and self.err.is_terminal
            and not self.err.is_dumb_terminal
        )

    def client(self) -> Cakework:
        """The client, made on first use.

        Raises:
            UsageFailure: No API key, or a base URL, timeout or retry count it refuses.
        """
        if self._client is None:
            key = self.api_key or os.environ.get("CAKEWORK_API_KEY")
            if key and key != key.strip():
                # Pasted with a space or a line break: the API would answer 401.
                raise UsageFailure(
                    "the API key (--api-key or CAKEWORK_API_KEY) has spaces or line breaks"
                    " around it: remove them"
                )
            try:
                self._client = Cakework(
                    api_key=self.api_key,
                    base_url=self.base_url,
                    timeout=self.timeout,
                    max_retries=self.max_retries,
                )
            except CakeworkError as exc:
                if not (self.api_key or os.environ.get("CAKEWORK_API_KEY")):
                    raise UsageFailure(
                        "no API key: pass --api-key or set CAKEWORK_API_KEY"
                    ) from exc
                raise UsageFailure(str(exc)) from exc
        return self._client

    def close(self) -> None:
        """Close the client's connections, if it was made, and undo ``--debug``."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._log_handler is not None:
            logger = logging.getLogger("cakework")
            logger.removeHandler(self._log_handler)
            logger.setLevel(self._log_level)
            self._log_handler = None


def pass_app(f: Callable[Concatenate[App, P], R]) -> Callable[P, R]:
    """Pass the :class:`App` first and record which command runs (for error reports)."""

    @functools.wraps(f)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ctx = click.get_current_context()
        app = ctx.find_object(App) or _default_app(ctx)
        app.command = ctx.command_path
        return f(app, *args, **kwargs)

    return wrapper


def _default_app(ctx: click.Context) -> App:
    """Default settings, for a command invoked without the root group (as tests may)."""
    app = App(api_key=None, base_url=None, timeout=60.0, max_retries=2, debug=False)
    ctx.obj = app
    return app


class CakeworkGroup(click.Group):
    """The root group: every command in its help; every failure a report and an exit status."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command, subcommands of groups included, with its one-line help."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            if isinstance(command, click.Group):
                sub_ctx = click.Context(command, parent=ctx, info_name=name)
                for sub_name in command.list_commands(sub_ctx):
                    sub = command.get_command(sub_ctx, sub_name)
                    if sub is not None and not sub.hidden:
                        rows.append((f"{name} {sub_name}", sub.get_short_help_str(limit=60)))
            else:
                rows.append((name, command.get_short_help_str(limit=60)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; on failure print the one-line report and exit with its code."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError as exc:
            # The reader of stdout went away (`| head`): end quietly, as git and coreutils do.
            silence_stdout()
            raise click.exceptions.Exit(ExitCode.PIPE_CLOSED) from exc
        except (Exception, KeyboardInterrupt) as exc:
            app = ctx.find_object(App) or _default_app(ctx)
            code = report(exc, command=app.command, console=app.err, debug=app.debug)
            raise click.exceptions.Exit(code) from exc
        finally:
            shared = ctx.find_object(App)
            if shared is not None:
                shared.close()


# ---- shared options ------------------------------------------------------------------------


def output_option(kind: type) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``-o/--output table|json`` and ``--json FIELDS`` for a command printing ``kind``.

    Args:
        kind: What the command prints (``VM``, ``Build``, ``LogLine``, ...): its fields
            are the ones ``--json`` may select.
    """
    fields = FIELDS[kind]

    def format_callback(
        ctx: click.Context, param: click.Parameter, value: str | None
    ) -> OutputFormat:
        chosen: OutputFormat
        if value is None:
            chosen = "table" if sys.stdout.isatty() else "json"
        else:
            chosen = "json" if value == "json" else "table"
        app = ctx.find_object(App) or _default_app(ctx)
        if app.output.fields is None:  # --json FIELDS chose JSON already
            app.output.format = chosen
        return chosen

    def fields_callback(
        ctx: click.Context, param: click.Parameter, value: str | None
    ) -> tuple[str, ...] | None:
        if value is None:
            return None
        chosen = tuple(name.strip() for name in value.split(",") if name.strip())
        unknown = [name for name in chosen if name not in fields]
        if unknown or not chosen:
            problem = f"unknown field {', '.join(map(repr, unknown))}" if unknown else "no field"
            raise click.BadParameter(f"{problem}; the fields are: {','.join(fields)}", ctx, param)
        app = ctx.find_object(App) or _default_app(ctx)
        app.output.fields = chosen
        app.output.format = "json"
        return chosen

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        f = click.option(
            "--json",
            "json_fields",
            metavar="FIELDS",
            expose_value=False,
            is_eager=True,  # before --output, which it overrides
            callback=fields_callback,
            help=f"JSON with only these comma-separated fields: {','.join(fields)}.",
        )(f)
        return click.option(
            "-o",
            "--output",
            type=click.Choice(["table", "json"]),
            default=None,
            envvar="CAKEWORK_OUTPUT",
            show_envvar=True,
            expose_value=False,
            callback=format_callback,
            help="Result format. [default: table on a terminal, json otherwise]",
        )(f)

    return decorate


def wait_timeout_option(default: float) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--wait-timeout SECONDS``: how long ``--wait`` waits."""
    return click.option(
        "--wait-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=default,
        show_default=True,
        help="Seconds --wait waits before giving up (exit status 4).",
    )


def _parse_time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An ISO 8601 time for ``--since``/``--until``; one without a zone is local time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-01-02T15:04:05Z)", ctx, param
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


@attrs.frozen
class LogFilters:
    """What a log command's options ask for (:func:`log_options`)."""

    follow: bool
    query: str | None
    since: datetime | None
    until: datetime | None
    order: str
    max_lines: int | None

    def lines(self, logs: Callable[..., Iterable[LogLine]], of: str) -> Iterable[LogLine]:
        """The lines that ``logs`` (a reader such as ``client.vms.logs``) gives for ``of``."""
        return logs(
            of,
            query=self.query,
            order=self.order,
            since=self.since,
            until=self.until,
            max_items=self.max_lines,
            follow=self.follow,
        )


def log_options(f: Callable[..., R]) -> Callable[..., R]:
    """The filters shared by the log commands, handed to the command as ``filters``."""

    @functools.wraps(f)
    def with_filters(
        *args: Any,
        follow: bool,
        query: str | None,
        since: datetime | None,
        until: datetime | None,
        order: str,
        max_lines: int | None,
        **kwargs: Any,
    ) -> R:
        filters = LogFilters(follow, query, since, until, order, max_lines)
        return f(*args, filters=filters, **kwargs)

    command: Callable[..., R] = with_filters
    for option in reversed(
        (
            click.option(
                "-f", "--follow", is_flag=True, help="Keep printing new lines, like tail -f."
            ),
            click.option("-q", "--query", help="Only lines containing this (case-insensitive)."),
            click.option(
                "--since",
                callback=_parse_time,
                help="Start of the window: ISO 8601, local time unless a zone is given.",
            ),
            click.option("--until", callback=_parse_time, help="End of the window (as --since)."),
            click.option(
                "--order",
                type=click.Choice(["oldest_first", "newest_first"]),
                default="oldest_first",
                show_default=True,
                help="Line order (--follow needs oldest_first).",
            ),
            click.option(
                "-n",
                "--max-lines",
                type=click.IntRange(min=1),
                help="Stop after this many lines.",
            ),
        )
    ):
        command = option(command)
    return command


def _parse_env(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """Split each ``--env KEY=VALUE`` (the value may contain ``=``)."""
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx, param)
        pairs.append((key, rest))
    return tuple(pairs)


def _allowed(name: str) -> str:
    """What openapi.yaml allows for a startVM/cacheVM argument, in words (never restated)."""
    field = next(f for f in OPERATIONS["cacheVM"].body or () if f.name == name)
    return describe(field.rule)


def vm_spec_options(*, disk: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--cpu --memory --port --env K=V ... --volume-gb/--disk-size``."""

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        options = (
            click.option("--cpu", type=int, help=f"CPUs, {_allowed('cpu')} (service default 1)."),
            click.option(
                "--memory", type=int, help=f"Memory in MB, {_allowed('memory')} (default 256)."
            ),
            click.option("--port", type=int, help=f"Internal port to open, {_allowed('port')}."),
            click.option(
                "-e",
                "--env",
                "env",
                multiple=True,
                metavar="KEY=VALUE",
                callback=_parse_env,
                help="Environment variable KEY=VALUE (repeatable).",
            ),
            click.option(
                f"--{disk.replace('_', '-')}",
                disk,
                type=int,
                help=f"Persistent storage in GB, {_allowed('disk_size')}.",
            ),
        )
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def env_mapping(pairs: Iterable[tuple[str, str]]) -> dict[str, str] | None:
    """The ``--env`` pairs as ``env_vars`` (``None`` when there are none)."""
    env = dict(pairs)
    return env or None


# ---- the root group ------------------------------------------------------------------------


@click.group(
    cls=CakeworkGroup,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--api-key",
    envvar="CAKEWORK_API_KEY",
    show_envvar=True,
    help="API key (never printed).",
)
@click.option(
    "--base-url",
    envvar="CAKEWORK_BASE_URL",
    show_envvar=True,
    help="API root. [default: https://api.cakework.com/v1]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds per HTTP request (connect: 5).",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Retries of a failed request.",
)
@click.option("--debug", is_flag=True, help="Tracebacks, and the client's debug log on stderr.")
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress or notes on stderr (errors still show)."
)
@click.version_option(__version__, "-V", "--version", prog_name="cakework")
@click.pass_context
def cli(
    ctx: click.Context,
    api_key: str | None,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    debug: bool,
    quiet: bool,
) -> None:
    """Cakework from a terminal: build images, run VMs, read logs, run a local emulator.

    Configure with CAKEWORK_API_KEY and CAKEWORK_BASE_URL (or --api-key/--base-url);
    `cakework emulator` prints both for a local emulator.
    """
    ctx.obj = App(
        api_key=api_key or None,
        base_url=base_url or None,
        timeout=timeout,
        max_retries=max_retries,
        debug=debug,
        quiet=quiet,
    )


# ---- the root's options after a command's name ------------------------------------------

GLOBAL_OPTIONS = ("api_key", "base_url", "timeout", "max_retries", "debug", "quiet")
"""The root's options every command also takes after its name (``vms list --debug``)."""


def _set_late(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """Apply a root option given after the command's name (the root's value is overridden)."""
    if value is None or value is False:
        return
    app = ctx.find_object(App) or _default_app(ctx)
    if param.name == "debug":
        app.enable_debug()
    elif param.name == "quiet":
        app.enable_quiet()
    else:
        setattr(app, str(param.name), value)


def accept_global_options(group: click.Group) -> None:
    """Give every command of ``group`` (recursively) the root's options, unless it has its own.

    Args:
        group: The root group, with every command added.
    """
    root = {param.name: param for param in group.params if isinstance(param, click.Option)}
    late = []
    for name in GLOBAL_OPTIONS:
        option = root[name]
        late.append(
            click.Option(
                option.opts + option.secondary_opts,
                type=None if option.is_flag else option.type,
                is_flag=option.is_flag,
                default=None,
                expose_value=False,
                callback=_set_late,
                help=f"{option.help} (also before the command)",
            )
        )
    ctx = click.Context(group)
    for command in _leaves(ctx, group):
        if command.context_settings.get("ignore_unknown_options"):
            continue  # it passes its arguments on (``emulator``): they are not ours
        taken = {opt for param in command.params for opt in param.opts}
        for option in late:
            if not taken & set(option.opts):
                command.params.append(option)


def _leaves(ctx: click.Context, group: click.Group) -> list[click.Command]:
    leaves: list[click.Command] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            leaves.extend(_leaves(ctx, command))
        elif command is not None:
            leaves.append(command)
    return leaves
