"""What the emulated builder checks in a Dockerfile, and the build log it writes.

The Dockerfile is parsed by the PyPI package ``dockerfile`` (a wrapper around Docker's
own Go parser), so the emulator accepts and rejects what ``docker build`` would parse.
On top of the parser it checks what a builder checks before running anything: known
instructions only, ``FROM`` first (``ARG`` may come before it), and every ``COPY``/``ADD``
source present in the build context.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
from collections.abc import Iterable, Mapping, Sequence

import attrs
import dockerfile

from .._directory import DockerIgnore

KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
# Instructions that are meaningless without an argument (``docker build`` rejects them).
_NEEDS_ARGUMENT = KNOWN_INSTRUCTIONS - {"HEALTHCHECK"}
_REMOTE_PREFIXES = ("http://", "https://", "git@", "git://")


@attrs.frozen
class Step:
    """One instruction of the Dockerfile as the builder runs it.

    Attributes:
        lines: ``(level, message)`` log lines the step writes.
    """

    lines: tuple[tuple[str, str], ...]


@attrs.frozen
class BuildPlan:
    """What a build will do: its steps in order and, if it fails, why.

    Attributes:
        steps: The steps that run (for a failed build, up to and including the one that
            fails).
        error: The failure message, or ``None`` when the build succeeds.
    """

    steps: tuple[Step, ...]
    error: str | None


def context_path(directory: str, name: str) -> str:
    """Return the path of an uploaded file inside the build context (``dir`` honoured)."""
    path = posixpath.normpath(posixpath.join(directory, name))
    return path.lstrip("/")


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _source_present(source: str, paths: Sequence[str]) -> bool:
    source = posixpath.normpath(source.lstrip("/")) if source not in ("", ".", "./") else "."
    if source == ".":
        return True
    for path in paths:
        if path == source or path.startswith(source + "/"):
            return True
        if fnmatch.fnmatchcase(path, source):
            return True
        # A glob may also name a directory: ``COPY sr* /app`` copies everything under src/.
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if fnmatch.fnmatchcase("/".join(parts[:depth]), source):
                return True
    return False


def _copy_sources(command: dockerfile.Command) -> tuple[str, ...]:
    if command.heredocs or any(flag.startswith("--from") for flag in command.flags):
        return ()
    return tuple(
        value
        for value in command.value[:-1]
        if not value.startswith(_REMOTE_PREFIXES) and not value.startswith("<<")
    )


def _failed(steps: Iterable[Step], message: str) -> BuildPlan:
    return BuildPlan(steps=tuple(steps), error=message)


def plan_build(text: str, files: Mapping[str, str]) -> BuildPlan:
    """Check a Dockerfile against a build context and lay out the build.

    Args:
        text: The Dockerfile.
        files: The build context, path (as :func:`context_path` makes it) to content.

    Returns:
        The plan; ``plan.error`` says why the build fails, if it does.
    """
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        return _failed((), f"failed to parse Dockerfile: {exc}")
    paths = sorted(files)
    total = len(commands)
    seen_from = False
    steps: list[Step] = []
    for number, command in enumerate(commands, start=1):
        instruction = command.cmd.upper()
        original = " ".join(command.original.split("\n", 1)[0].split())
        header = ("info", f"Step {number}/{total} : {original}")
        if instruction not in KNOWN_INSTRUCTIONS:
            return _failed(
                [*steps, Step((header,))],
                f"Dockerfile parse error line {command.start_line}: "
                f"unknown instruction: {command.cmd}",
            )
        if instruction in _NEEDS_ARGUMENT and not command.value:
            return _failed(
                [*steps, Step((header,))],
                f"Dockerfile parse error line {command.start_line}: "
                f"{instruction} requires at least one argument",
            )
        if not seen_from and instruction not in ("ARG", "FROM"):
            return _failed(
                [*steps, Step((header,))],
                "no build stage in current context: the first instruction must be FROM "
                "(only ARG may come before it)",
            )
        seen_from = seen_from or instruction == "FROM"
        if instruction in ("COPY", "ADD"):
            if len(command.value) < 2 and not command.heredocs:
                return _failed(
                    [*steps, Step((header,))],
                    f"Dockerfile parse error line {command.start_line}: "
                    f"{instruction} requires at least two arguments",
                )
            for source in _copy_sources(command):
                if not _source_present(source, paths):
                    return _failed(
                        [*steps, Step((header,))],
                        f"{instruction} failed: file not found in build context or excluded "
                        f"by .dockerignore: stat {source}: file does not exist",
                    )
        digest = _short_hash(text, str(number))
        lines: tuple[tuple[str, str], ...]
        if instruction == "RUN":
            lines = (header, ("info", f" ---> Running in {digest}"), ("info", f" ---> {digest}"))
        else:
            lines = (header, ("info", f" ---> {digest}"))
        steps.append(Step(lines))
    if not seen_from:
        return _failed(steps, "no build stage in current context: the Dockerfile has no FROM")
    return BuildPlan(steps=tuple(steps), error=None)


def apply_dockerignore(files: Mapping[str, str], dockerignore: str | None) -> dict[str, str]:
    """Drop the files a ``.dockerignore`` excludes, with Docker's own rules.

    The matcher is the client's (``cakework._directory.DockerIgnore``), so what the
    emulator's GitHub builds leave out is exactly what ``build_from_directory`` leaves out.

    Raises:
        BuildContextError: a malformed pattern (Docker refuses such a build too).
    """
    if not dockerignore:
        return dict(files)
    ignore = DockerIgnore(dockerignore)
    return {path: content for path, content in files.items() if not ignore.is_excluded(path)}
