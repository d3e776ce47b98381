"""The README's `cakework` lines name commands and options that exist (sh blocks are not run)."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from cakework.cli._app import cli
from cakework.testing.__main__ import build_parser

from .conftest import ROOT

SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.M | re.S)
LINES = [
    # What a shell would hand to cakework: no comment, nothing after a pipe.
    line.split("#")[0].split(" | ")[0].strip()
    for block in SH_BLOCKS
    for line in block.splitlines()
    if line.startswith("cakework ")
]


def test_the_readme_shows_the_command() -> None:
    assert len(LINES) >= 10


@pytest.mark.parametrize("line", LINES)
def test_readme_command_line_exists(line: str) -> None:
    words = shlex.split(line)[1:]
    group: click.Command = cli
    ctx = click.Context(cli)
    for word in words:
        if not isinstance(group, click.Group) or word.startswith("-"):
            break
        names = word.split("|")  # "get|stop" shows two commands at once
        for name in names:
            assert group.get_command(ctx, name) is not None, (line, name)
        group = group.get_command(ctx, names[0])  # type: ignore[assignment]
    assert not isinstance(group, click.Group) or group is cli, line
    options = {opt for param in group.params for opt in (*param.opts, *param.secondary_opts)}
    options |= {opt for param in cli.params for opt in param.opts}
    if group.name == "emulator":  # python -m cakework.testing under another name
        options |= set(build_parser("cakework emulator")._option_string_actions)
    for word in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line.split(" -- ")[0]):
        assert word in options, (line, word)
