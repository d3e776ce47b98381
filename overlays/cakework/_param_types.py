"""Typed dictionaries for the JSON shapes a method also accepts in place of a model."""

from __future__ import annotations

from typing import TypedDict


class BuildFileParam(TypedDict):
    """One file of a build context in the API's own JSON shape.

    ``images.build_from_files(files=[...])`` accepts these as well as
    :class:`cakework.BuildFile` objects, so a body copied from the API docs works as is.

    Attributes:
        dir: Directory inside the build context; ``"."`` for the root.
        name: File name, without directory.
        content: The file's text.
    """

    dir: str
    name: str
    content: str
