"""What the command reads from files and stdin: bounded, interruptible, text.

The rule: every read has a limit, and the command never reads more than the limit plus
one chunk, so ``--dockerfile /dev/zero`` or ``yes | cakework ... --password-stdin`` ends at
once with a usage error instead of filling memory. Reads go a chunk at a time, so Ctrl-C
is handled between chunks. A path must name a regular file or a FIFO (read with the same
limit); a device, a socket or a directory is refused before it is opened.

openapi.yaml states no maximum length (``maxLength``) for a Dockerfile, a ``.dockerignore``
or a registry password, so the limits are stated here, far above any real value; a test
fails once the spec states one that differs, so a limit the API gains is the limit here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Final

from ._errors import UsageFailure

CHUNK: Final = 64 * 1024
"""Bytes read at a time (Ctrl-C is seen between two reads)."""

MAX_DOCKERFILE_BYTES: Final = 1024 * 1024
"""A Dockerfile (``--dockerfile``): real ones are a few KiB."""

MAX_DOCKERIGNORE_BYTES: Final = 1024 * 1024
"""A ``.dockerignore`` (``--dockerignore``): real ones are a few KiB."""

MAX_PASSWORD_BYTES: Final = 64 * 1024
"""A registry password (``--password-stdin``): an ECR token is about 2 KiB."""


def describe_size(limit: int) -> str:
    """``1 MiB``, ``64 KiB`` or ``100 bytes``."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def read_bounded(stream: BinaryIO, limit: int, what: str) -> bytes:
    """Read ``stream`` to its end, a chunk at a time, refusing more than ``limit`` bytes.

    Args:
        stream: An open binary stream.
        limit: The most bytes accepted.
        what: What is read, for the message (``--dockerfile Dockerfile``).

    Raises:
        UsageFailure: More than ``limit`` bytes (exit status 2).
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        # read1: at most one system call, so a pipe or terminal hands over what it has.
        chunk = stream.read1(CHUNK) if hasattr(stream, "read1") else stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise UsageFailure(f"{what} is longer than {describe_size(limit)}, the most accepted")
        chunks.append(chunk)


def decode(data: bytes, what: str) -> str:
    """``data`` as UTF-8 text.

    Raises:
        UsageFailure: It is not UTF-8.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageFailure(f"{what} is not UTF-8 text (byte {exc.start})") from None


def read_text_file(path: Path, *, option: str, limit: int) -> str:
    """The UTF-8 text of the regular file or FIFO at ``path``, at most ``limit`` bytes.

    Args:
        path: What the option names.
        option: The option, for the message (``--dockerfile``).
        limit: The most bytes accepted.

    Raises:
        UsageFailure: Not a regular file or FIFO, unreadable, too long or not UTF-8.
    """
    what = f"{option} {path}"
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise UsageFailure(f"{what}: {exc.strerror}") from None
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise UsageFailure(f"{what} is not a regular file")
    try:
        # A FIFO blocks here until a writer opens it; Ctrl-C interrupts the wait.
        with path.open("rb") as stream:
            data = read_bounded(stream, limit, what)
    except OSError as exc:
        raise UsageFailure(f"{what}: {exc.strerror}") from None
    return decode(data, what)


def read_stdin_secret(stream: BinaryIO, *, option: str, limit: int) -> str:
    """A secret from stdin (``--password-stdin``), without its final line break.

    Args:
        stream: ``sys.stdin.buffer``.
        option: The option, for the message.
        limit: The most bytes accepted.

    Raises:
        UsageFailure: Too long or not UTF-8.
    """
    what = f"{option}: stdin"
    return decode(read_bounded(stream, limit, what), what).rstrip("\r\n")
