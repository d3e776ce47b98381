"""Turn a local folder into the ``files`` of ``buildImageFromFiles``, the way Docker would.

The module's rule: what is sent is what ``docker build <path>`` would put in the build
context (so that ``COPY`` sees the same files), minus what cannot be expressed as a list
of text files, and *nothing* is sent when any file cannot travel as a JSON string.

Decisions, each with its reason:

* ``.dockerignore`` follows Docker's rules, not gitignore's (Docker's "Dockerfile
  reference: .dockerignore file" and ``moby/patternmatcher``): lines starting with ``#``
  are comments; every line is stripped of surrounding whitespace and cleaned like Go's
  ``filepath.Clean``; a leading ``/`` is dropped; every pattern is anchored at the context
  root (``foo`` excludes ``./foo`` only, where gitignore would match ``foo`` at any
  depth); ``*``/``?``/``[...]`` never cross ``/``; a whole ``**`` segment matches any
  number of directories; a pattern that matches a directory excludes everything below it;
  ``!`` re-includes, even below an excluded directory; the last matching line wins. The
  glob of each line is compiled by ``pathspec``'s gitignore pattern class (the
  ``GitIgnoreSpecPattern``, which reports malformed brackets instead of guessing), fed the
  line with a ``/`` in front so it is anchored; the evaluation order (each line tried
  against the path and each parent directory, last match wins) is Docker's and lives in
  :class:`DockerIgnore`. ``pathspec``'s ``PathSpec``/``GitIgnoreSpec`` are not used as a
  whole because their evaluation is git's (unanchored bare names, directory-only
  patterns), not Docker's. Known divergence: ``**`` glued to other characters inside one
  segment (``**.txt``) acts like ``*``; Docker's own matcher is inconsistent there.
* ``.git`` (directory or file, at any depth) is never sent: it is version-control
  metadata, mostly binary, and often holds credentials in ``.git/config``.
* ``Dockerfile`` and ``.dockerignore`` stay in ``files`` unless ``.dockerignore``
  excludes them: Docker's ``COPY . .`` sees them under the same rule. The Dockerfile text
  itself travels in the separate ``dockerfile`` field either way.
* Symlinks: one whose target resolves inside the folder is followed (a file's content is
  sent under the link's name; a directory is walked under the link's path, cycles cut).
  One pointing outside the folder, a dangling one, and one whose target is excluded by
  ``.dockerignore`` or lies in ``.git`` are skipped (never followed, so nothing outside
  the folder and nothing ignored can leak), logged as a warning on the ``cakework``
  logger and listed in :attr:`BuildContext.skipped_symlinks`. Skipping rather than
  failing because such links are common and harmless (``.venv/bin/python``) and Docker
  sends them as links, not content.
* Anything that is not UTF-8 text (a NUL byte counts as binary), a file that cannot be
  read, a special file (FIFO, socket, device) or a name that is not valid UTF-8 makes
  :func:`collect_build_context` raise one :class:`BuildContextError` naming every such
  path, before anything is sent; the fix is to list them in ``.dockerignore``.
* Empty directories cannot be expressed in the API's file list and are not sent.
* Order is deterministic: files sorted by their path components.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from ._models import BuildFile
from .errors import (
    BuildContextError,
)

if TYPE_CHECKING:
    from pathspec.pattern import Pattern

__all__ = ["BuildContext", "BuildContextError", "DockerIgnore", "collect_build_context"]

logger = logging.getLogger("cakework")

DOCKERIGNORE = ".dockerignore"
DOCKERFILE_NAMES = ("Dockerfile", "dockerfile")
"""Docker's CLI falls back to a lowercase ``dockerfile`` when ``Dockerfile`` is missing."""

_UTF8_BOM = "\ufeff"
_EXTRA_HINT = "pip install 'cakework-client[dockerignore] @ <wheel or repository>'"


@attrs.frozen
class BuildContext:
    """What ``buildImageFromFiles`` needs, read from a folder.

    Attributes:
        dockerfile: The Dockerfile text.
        files: Every file of the build context, sorted by path.
        skipped_symlinks: Paths of symlinks that were not followed (pointing outside the
            folder, dangling, or at something ignored).
    """

    dockerfile: str = attrs.field(repr=lambda d: f"<{len(d)} chars>")
    files: tuple[BuildFile, ...]
    skipped_symlinks: tuple[str, ...] = ()


def _go_clean(path: str) -> str:
    """Clean a slash path the way Go's ``filepath.Clean`` does on Unix (Docker uses it)."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(seg)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def _read_patterns(text: str) -> list[str]:
    """Split ``.dockerignore`` text into cleaned patterns, exactly as Docker's ``ReadAll``.

    A leading ``!`` stays on the returned pattern.
    """
    patterns: list[str] = []
    for index, raw in enumerate(text.splitlines()):
        line = raw.removeprefix(_UTF8_BOM) if index == 0 else raw
        # Docker tests for "#" before stripping: " # x" is a pattern, not a comment.
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if negated else pattern)
    return patterns


@attrs.frozen
class _Rule:
    negated: bool
    body: str
    pattern: Pattern

    def matches(self, candidates: Sequence[str]) -> bool:
        return any(self.pattern.match_file(c) is not None for c in candidates)


class DockerIgnore:
    """A compiled ``.dockerignore`` with Docker's evaluation rules.

    Args:
        text: The content of the ``.dockerignore`` file.

    Raises:
        BuildContextError: A line is malformed (Docker refuses the build too), or a
            pattern is present and ``pathspec`` is not installed.
    """

    def __init__(self, text: str) -> None:
        rules: list[_Rule] = []
        for line in _read_patterns(text):
            negated = line.startswith("!")
            body = line[1:] if negated else line
            if not body:
                raise BuildContextError(f'.dockerignore: illegal exclusion pattern "{line}"')
            if body in (".", "/") or body == ".." or body.startswith("../"):
                # Cleaned to the root itself or above it: Docker's matcher never
                # matches these against a path inside the context.
                continue
            rules.append(_Rule(negated, body, _compile(body, line)))
        self._rules = tuple(rules)
        # The literal start of each "!" line (up to its first wildcard or escape): the
        # only paths it can re-include are below or above that prefix.
        self._exception_prefixes = tuple(
            _literal_prefix(rule.body) for rule in rules if rule.negated
        )

    def may_reinclude_below(self, directory: str) -> bool:
        """Whether a ``!`` line could bring back a file below an excluded ``directory``.

        Conservative: ``True`` unless no ``!`` line can match anything below it, so an
        excluded ``node_modules`` is not walked just because ``!README.md`` exists.

        Args:
            directory: A path relative to the context root, with ``/`` separators.
        """
        below = directory + "/"
        return any(below.startswith(p) or p.startswith(below) for p in self._exception_prefixes)

    def is_excluded(self, path: str) -> bool:
        """Whether Docker would leave ``path`` out of the build context.

        Args:
            path: A path relative to the context root, with ``/`` separators.

        Returns:
            True when the last line matching ``path`` or one of its parent directories
            excludes it.
        """
        parts = path.split("/")
        candidates = [path] + ["/".join(parts[:i]) for i in range(1, len(parts))]
        excluded = False
        for rule in self._rules:
            # Docker's shortcut: an exclude line cannot change an excluded path, and a
            # "!" line cannot change an included one.
            if rule.negated != excluded:
                continue
            if rule.matches(candidates):
                excluded = not rule.negated
        return excluded


def _literal_prefix(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in "*?[\\":
            return pattern[:index]
    return pattern


def _compile(body: str, line: str) -> Pattern:
    try:
        from pathspec.patterns.gitignore import GitIgnorePatternError
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern
    except ImportError as exc:
        raise BuildContextError(
            f"reading .dockerignore needs pathspec>=1.0: {_EXTRA_HINT}"
        ) from exc
    try:
        # The leading "/" anchors the pattern at the root, as Docker does for every line.
        pattern = GitIgnoreSpecPattern("/" + body)
    except GitIgnorePatternError as exc:
        raise BuildContextError(f".dockerignore: syntax error in pattern {line!r}") from exc
    if pattern.include is None:
        # GitIgnoreSpecPattern drops a line with a malformed bracket expression; Docker
        # (Go's filepath.Match) rejects it, and so do we rather than silently ignore it.
        raise BuildContextError(f".dockerignore: syntax error in pattern {line!r}")
    return pattern


def _display(rel: str) -> str:
    # File names that are not UTF-8 arrive as surrogate escapes; show their bytes.
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_within(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


class _Collector:
    """One walk over the folder; holds what was found so the walk reads top-down."""

    def __init__(self, root: str, ignore: DockerIgnore | None) -> None:
        self.root = root
        self.ignore = ignore
        self.files: list[tuple[tuple[str, ...], BuildFile]] = []
        self.problems: list[tuple[str, str]] = []
        self.skipped: list[str] = []

    def _excluded(self, parts: tuple[str, ...]) -> bool:
        if ".git" in parts:
            return True
        return self.ignore is not None and self.ignore.is_excluded("/".join(parts))

    def _skip_link(self, rel: str, why: str) -> None:
        logger.warning("build_from_directory: not following symlink %s (%s)", _display(rel), why)
        self.skipped.append(rel)

    def walk(
        self,
        directory: str,
        parts: tuple[str, ...],
        real_parts: tuple[str, ...],
        active: frozenset[str],
    ) -> None:
        """Collect files below ``directory``.

        ``parts`` is the path as the build will see it; ``real_parts`` is where it really
        is inside the root (they differ below a followed directory symlink), so that an
        ignored file cannot be reached through a link to it. ``active`` holds the
        resolved directories being walked, to cut symlink cycles.
        """
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            if not parts:
                raise BuildContextError(f"cannot read the folder: {exc.strerror}") from exc
            # Only folders that may hold files to send are walked, so this one matters.
            self.problems.append(("/".join(parts), f"cannot be read ({exc.strerror})"))
            return
        for entry in entries:
            if entry.name == ".git":
                continue
            rel_parts = (*parts, entry.name)
            real_rel: tuple[str, ...] = (*real_parts, entry.name)
            real_dir = os.path.join(self.root, *real_rel)
            if entry.is_symlink():
                real_dir = os.path.realpath(entry.path)
                rel = "/".join(rel_parts)
                if not _is_within(real_dir, self.root):
                    self._skip_link(rel, "it points outside the folder")
                    continue
                if not os.path.exists(real_dir):
                    self._skip_link(rel, "its target does not exist")
                    continue
                if real_dir in active:
                    self._skip_link(rel, "it points at a folder containing it (a cycle)")
                    continue
                real_rel = tuple(os.path.relpath(real_dir, self.root).split(os.sep))
                if self._excluded(real_rel):
                    self._skip_link(rel, "its target is excluded")
                    continue
            excluded = self._excluded(rel_parts)
            try:
                info = os.stat(entry.path)  # follows a symlink already judged safe
            except OSError as exc:
                if not excluded:
                    self.problems.append(("/".join(rel_parts), f"cannot be read ({exc.strerror})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                # Below an excluded directory only a "!" line can bring files back.
                if excluded and (
                    self.ignore is None or not self.ignore.may_reinclude_below("/".join(rel_parts))
                ):
                    continue
                self.walk(entry.path, rel_parts, real_rel, active | {real_dir})
            elif not excluded:
                self._add_file(entry.path, rel_parts, info)

    def _add_file(self, full: str, rel_parts: tuple[str, ...], info: os.stat_result) -> None:
        rel = "/".join(rel_parts)
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            self.problems.append((rel, "its name is not valid UTF-8"))
            return
        if not stat.S_ISREG(info.st_mode):
            self.problems.append((rel, "not a regular file"))
            return
        try:
            with open(full, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            self.problems.append((rel, f"cannot be read ({exc.strerror})"))
            return
        if b"\x00" in data:
            self.problems.append((rel, "binary (contains NUL bytes)"))
            return
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append((rel, f"not UTF-8 text (invalid byte at offset {exc.start})"))
            return
        directory = "/".join(rel_parts[:-1]) or "."
        self.files.append(
            (rel_parts, BuildFile(dir=directory, name=rel_parts[-1], content=content))
        )


def _read_text(full: str, what: str) -> str:
    try:
        with open(full, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise BuildContextError(f"cannot read {what}: {exc.strerror}", [what]) from exc
    if b"\x00" in data:
        raise BuildContextError(f"{what} is binary (contains NUL bytes)", [what])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildContextError(f"{what} is not UTF-8 text", [what]) from exc


def collect_build_context(
    path: str | os.PathLike[str], dockerfile: str | None = None
) -> BuildContext:
    """Read a folder into a Dockerfile text and the file list ``buildImageFromFiles`` takes.

    Pure apart from reading the folder: nothing is sent anywhere. The rules (Docker's
    ``.dockerignore`` semantics, ``.git`` always left out, symlinks, text-only content)
    are in this module's docstring.

    Args:
        path: The build context folder.
        dockerfile: The Dockerfile text. When ``None``, ``Dockerfile`` (or, as Docker
            does, ``dockerfile``) in ``path`` is read.

    Returns:
        The Dockerfile text and every file of the context, sorted by path.

    Raises:
        BuildContextError: ``path`` is not a folder; no Dockerfile was given or found;
            ``.dockerignore`` is malformed or needs ``pathspec`` which is not installed;
            or some files cannot travel as JSON strings (binary, not UTF-8, unreadable,
            special files) — all of them are named in the message and in ``paths``.
    """
    root = os.path.realpath(os.fspath(path))
    if not os.path.isdir(root):
        raise BuildContextError(f"build context {os.fspath(path)!r} is not a folder")

    if dockerfile is None:
        for name in DOCKERFILE_NAMES:
            candidate = os.path.join(root, name)
            if os.path.isfile(candidate):
                dockerfile = _read_text(candidate, name)
                break
        else:
            raise BuildContextError(
                f"no Dockerfile in {os.fspath(path)!r}: add one or pass dockerfile='...'"
            )

    ignore: DockerIgnore | None = None
    ignore_path = os.path.join(root, DOCKERIGNORE)
    if os.path.isfile(ignore_path):
        ignore = DockerIgnore(_read_text(ignore_path, DOCKERIGNORE))

    collector = _Collector(root, ignore)
    collector.walk(root, (), (), frozenset({root}))
    if collector.problems:
        lines = "\n".join(f"  {_display(rel)}: {why}" for rel, why in collector.problems)
        raise BuildContextError(
            f"{len(collector.problems)} file(s) in {os.fspath(path)!r} cannot be sent as "
            f"text; list them in .dockerignore or remove them:\n{lines}",
            [rel for rel, _ in collector.problems],
        )
    collector.files.sort(key=lambda item: item[0])
    return BuildContext(
        dockerfile=dockerfile,
        files=tuple(f for _, f in collector.files),
        skipped_symlinks=tuple(sorted(collector.skipped, key=lambda rel: rel.split("/"))),
    )
