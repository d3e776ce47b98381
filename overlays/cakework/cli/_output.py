"""What the commands print: results as a table or JSON on stdout, log lines, notes on stderr.

The rule: stdout carries the command's result (a table or JSON) and the lines of a
``logs`` command; everything that reports progress (the status line, log lines streamed
while waiting or running, notes such as "VM ... stopped") goes to stderr. So
``cakework ... --output json | jq`` always reads clean JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cakework import VM, Build, CachedVM, Image, LogLine

OutputFormat = Literal["table", "json"]
Model = Build | Image | VM | CachedVM

# The fields each model shows, in table-column and JSON-key order.
FIELDS: Mapping[type, tuple[str, ...]] = {
    Build: ("build_id", "status", "image_id", "created_at", "updated_at"),
    Image: ("image_id",),
    VM: (
        "id",
        "state",
        "image_id",
        "hostname",
        "cpu",
        "memory",
        "port",
        "volume_gb",
        "created_at",
        "updated_at",
    ),
    CachedVM: (
        "id",
        "hostname",
        "state",
        "image_id",
        "cpu",
        "memory",
        "port",
        "disk_size",
        "created_at",
        "updated_at",
    ),
    LogLine: ("timestamp", "timestamp_ms", "level", "message"),
}
# Columns of ``vms list`` (the timestamps and optional sizes make a table too wide).
LIST_COLUMNS = ("id", "state", "image_id", "cpu", "memory", "created_at")

# Spaces at the end of a line, before any closing colour codes.
TRAILING_SPACE = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")

LEVEL_STYLES = {"warn": "yellow", "warning": "yellow", "error": "bold red", "fatal": "bold red"}


def json_value(value: object) -> object:
    """A field value as JSON: datetimes as ISO 8601 strings, everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_json(model: Model | LogLine, fields: tuple[str, ...] | None = None) -> dict[str, object]:
    """A model as a JSON object with the fields of :data:`FIELDS` (or only ``fields``).

    A log line has both the ISO time (``timestamp``) and the raw epoch milliseconds.
    """
    names = FIELDS[type(model)] if fields is None else fields
    return {name: json_value(getattr(model, name)) for name in names}


def log_to_json(line: LogLine, fields: tuple[str, ...] | None = None) -> dict[str, object]:
    """A log line as a JSON object (both the ISO time and the raw epoch milliseconds)."""
    return to_json(line, fields)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def format_log_line(line: LogLine) -> Text:
    """A log line as ``2026-01-02 03:04:05.678 info  message``, the level coloured."""
    stamp = line.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    text = Text(f"{stamp} ", style="dim")
    text.append(f"{line.level:<5}", style=LEVEL_STYLES.get(line.level.lower(), "cyan"))
    text.append(f" {line.message}")
    return text


class Output:
    """Prints results in the chosen format on stdout, and notes on stderr.

    Args:
        output: ``table`` (Rich) or ``json``.
        out: The console for stdout.
        err: The console for stderr.
    """

    def __init__(self, output: OutputFormat, out: Console, err: Console) -> None:
        self.format = output
        self.out = out
        self.err = err
        self.quiet = False
        self.fields: tuple[str, ...] | None = None  # --json FIELDS

    def item(self, model: Model) -> None:
        """Print one resource: a two-column table, or one JSON object."""
        if self.format == "json":
            click.echo(json.dumps(to_json(model, self.fields), indent=2))
            return
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for name in FIELDS[type(model)]:
            table.add_row(name, _cell(getattr(model, name)))
        self._print_table(table)

    def items(self, models: Iterable[Model], columns: tuple[str, ...], *, empty: str) -> None:
        """Print a list of resources: a table, or one JSON array (written as it goes).

        Args:
            models: The resources.
            columns: The table's columns.
            empty: What a table says on stderr when there is nothing (``no VMs``).
        """
        if self.format == "json":
            # Streamed item by item so a long listing starts at once and uses little memory.
            first = True
            for model in models:
                prefix = "[\n" if first else ",\n"
                text = json.dumps(to_json(model, self.fields), indent=2)
                click.echo(prefix + _indent(text), nl=False)
                first = False
            click.echo("[]" if first else "\n]")
            return
        table = Table(box=None, pad_edge=False)
        for name in columns:
            # Ids are copied from here: fold a long one onto a second line, never cut it.
            table.add_column(name.upper(), overflow="fold")
        for model in models:
            table.add_row(*(_cell(getattr(model, name)) for name in columns))
        if not table.rows:
            self.note(empty)  # a header over nothing reads like a failure
            return
        self._print_table(table)

    def _print_table(self, table: Table) -> None:
        """Print a table without the spaces Rich pads each line's last cell with."""
        with self.out.capture() as captured:
            self.out.print(table)
        lines = captured.get().splitlines()
        self.out.file.write("".join(TRAILING_SPACE.sub(r"\1", line) + "\n" for line in lines))
        self.out.file.flush()

    def log_line(self, line: LogLine) -> None:
        """Print one log line of a ``logs`` command: text, or one JSON object per line."""
        if self.format == "json":
            click.echo(json.dumps(log_to_json(line, self.fields)))
        else:
            self.out.print(format_log_line(line), soft_wrap=True, markup=False, highlight=False)

    def log_lines(self, lines: Iterable[LogLine]) -> None:
        """Print the lines of a ``logs`` command as they arrive."""
        for line in lines:
            self.log_line(line)

    def progress_line(self, line: LogLine) -> None:
        """Print a log line streamed while waiting or running: text on stderr."""
        self.err.print(format_log_line(line), soft_wrap=True, highlight=False)

    def note(self, message: str) -> None:
        """A short message for the person at the terminal, on stderr (not with ``--quiet``)."""
        if not self.quiet:
            self.warn(message)

    def warn(self, message: str) -> None:
        """A message that must reach the person even with ``--quiet`` (what may be left)."""
        self.err.print(message, soft_wrap=True, markup=False, highlight=False)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
