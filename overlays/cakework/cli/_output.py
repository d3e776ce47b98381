"""What the commands print: results as a table or JSON on stdout, log lines, notes on stderr.

The rule: stdout carries the command's result (a table or JSON) and the lines of a
``logs`` command; everything that reports progress (the status line, log lines streamed
while waiting or running, notes such as "VM ... stopped") goes to stderr. So
``cakework ... --output json | jq`` always reads clean JSON.
"""

from __future__ import annotations

import json
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
}
# Columns of ``vms list`` (the timestamps and optional sizes make a table too wide).
LIST_COLUMNS = ("id", "state", "image_id", "cpu", "memory", "created_at")

LEVEL_STYLES = {"warn": "yellow", "warning": "yellow", "error": "bold red", "fatal": "bold red"}


def json_value(value: object) -> object:
    """A field value as JSON: datetimes as ISO 8601 strings, everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_json(model: Model) -> dict[str, object]:
    """A model as a JSON object with the fields of :data:`FIELDS`."""
    return {name: json_value(getattr(model, name)) for name in FIELDS[type(model)]}


def log_to_json(line: LogLine) -> dict[str, object]:
    """A log line as a JSON object (both the ISO time and the raw epoch milliseconds)."""
    return {
        "timestamp": line.timestamp.isoformat(),
        "timestamp_ms": line.timestamp_ms,
        "level": line.level,
        "message": line.message,
    }


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

    def item(self, model: Model) -> None:
        """Print one resource: a two-column table, or one JSON object."""
        if self.format == "json":
            click.echo(json.dumps(to_json(model), indent=2))
            return
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for name in FIELDS[type(model)]:
            table.add_row(name, _cell(getattr(model, name)))
        self.out.print(table)

    def items(self, models: Iterable[Model], columns: tuple[str, ...]) -> None:
        """Print a list of resources: a table, or one JSON array (written as it goes)."""
        if self.format == "json":
            # Streamed item by item so a long listing starts at once and uses little memory.
            first = True
            for model in models:
                prefix = "[\n" if first else ",\n"
                click.echo(prefix + _indent(json.dumps(to_json(model), indent=2)), nl=False)
                first = False
            click.echo("[]" if first else "\n]")
            return
        table = Table(box=None, pad_edge=False)
        for name in columns:
            # Ids are copied from here: fold a long one onto a second line, never cut it.
            table.add_column(name.upper(), overflow="fold")
        for model in models:
            table.add_row(*(_cell(getattr(model, name)) for name in columns))
        self.out.print(table)

    def log_line(self, line: LogLine) -> None:
        """Print one log line of a ``logs`` command: text, or one JSON object per line."""
        if self.format == "json":
            click.echo(json.dumps(log_to_json(line)))
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
        """A short message for the person at the terminal, on stderr."""
        self.err.print(message, soft_wrap=True, markup=False, highlight=False)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
