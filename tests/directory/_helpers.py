"""Helpers shared by the build-context tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from cakework._directory import BuildContext

Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]

DOCKERFILE = "FROM python:3.11-slim\nCOPY . /app\n"


def paths(context: BuildContext) -> list[str]:
    """The files of a context as ``dir/name`` strings, in the order they were returned."""
    return [f.name if f.dir == "." else f"{f.dir}/{f.name}" for f in context.files]
