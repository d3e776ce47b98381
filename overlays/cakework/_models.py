"""The typed models the high-level client returns.

They are small frozen attrs classes (``LogLine``, made as a reader hands it out, is a
named tuple), built straight from the JSON by the parsers of ``_operations``, with what the
wire format leaves awkward fixed once: timestamps become
timezone-aware datetimes, optional fields are ``None`` rather than ``UNSET``, and state
and status values stay plain strings so a value added by the service never breaks an
older client (``api-ground-truth.md``: "unknown values must not crash").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import attrs

from ._states import BUILD_TERMINAL_STATUSES


def parse_timestamp(value: str) -> datetime:
    """Parse any of the three timestamp shapes the service sends into an aware datetime.

    ``2023-02-24 20:29:40.331`` (no zone: UTC), ``2023-03-09T02:43:30.243-08:00`` and
    ``2023-03-03T20:22:39.096Z`` all parse; a value without a zone is taken as UTC. The
    result is always in UTC (``datetime.UTC``), whatever offset was sent, so values from
    different responses compare and print alike.

    Raises:
        ValueError: ``value`` is not a timestamp.
    """
    parsed = _fast_timestamp(value)
    if parsed is None:
        try:
            # isoparse takes any one-character date/time separator, so the space shape
            # too. Never dateutil's free-form parse(): it makes a date out of "5" or
            # "March" instead of reporting a body the spec does not allow.
            from dateutil import parser  # only for shapes the fast path does not know

            parsed = parser.isoparse(value)
        except OverflowError as exc:
            raise ValueError(f"timestamp out of range: {value!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_FAST_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")


def _fast_timestamp(value: str) -> datetime | None:
    """The documented shapes with ``datetime.fromisoformat`` (C code), else ``None``."""
    if not _FAST_SHAPE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None  # e.g. month 13: the general parser reports it


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MIN_TIMESTAMP_MS = -30610224000000
"""Epoch milliseconds of 1000-01-01T00:00:00Z: ``LogLine.timestamp.minimum`` in the spec."""
MAX_TIMESTAMP_MS = 32503679999999
"""Epoch milliseconds of 2999-12-31T23:59:59.999Z: ``LogLine.timestamp.maximum``, the years
of every other time of the API (a follow poll sends a line's time back as ``from``)."""


def datetime_from_ms(ms: int) -> datetime:
    """Turn Unix epoch milliseconds into an aware UTC datetime (exact to the millisecond)."""
    return _EPOCH + timedelta(milliseconds=ms)


@attrs.frozen
class Image:
    """An image VMs can be started from."""

    image_id: str


@attrs.frozen
class BuildFile:
    """One file of a build context: ``dir`` ("." for the root), ``name`` and text ``content``."""

    dir: str
    name: str
    content: str = attrs.field(repr=lambda c: f"<{len(c)} chars>")


@attrs.frozen
class Build:
    """An image build.

    Attributes:
        build_id: Id of the build.
        status: ``created`` while running, then ``succeeded`` or ``failed``; any other
            value is kept as sent and means "still running".
        image_id: Id of the built image, once the build has succeeded.
        created_at: When the build was created (aware).
        updated_at: When the build last changed (aware).
    """

    build_id: str
    status: str
    created_at: datetime
    updated_at: datetime
    image_id: str | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the build has succeeded or failed."""
        return self.status in BUILD_TERMINAL_STATUSES


@attrs.frozen
class VM:
    """A virtual machine (one-time or cached), as ``getVM``/``listVMs``/``startVM`` return it.

    ``state`` is ``created``, ``started``, ``stopped`` or ``destroyed``, or any value a newer
    service sends, kept as a string.
    """

    id: str
    hostname: str
    cpu: int
    memory: int
    image_id: str
    state: str
    created_at: datetime
    updated_at: datetime
    port: int | None = None
    volume_gb: int | None = None


@attrs.frozen
class CachedVM:
    """A cached VM as ``cacheVM`` returns it: ``id`` and ``hostname``, the rest when sent."""

    id: str
    hostname: str
    cpu: int | None = None
    memory: int | None = None
    image_id: str | None = None
    state: str | None = None
    port: int | None = None
    disk_size: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class LogLine(NamedTuple):
    """One log line.

    A named tuple rather than an attrs class like the other models: a read brings
    thousands of them, each made from its checked fields by C code alone
    (``_pages.LogBatch``), where an ``__init__`` per line would cost more than decoding it.
    Immutable, compared and hashed by value, pickled, printed as
    ``LogLine(timestamp_ms=..., level=..., message=...)``.

    Attributes:
        timestamp_ms: The raw Unix epoch milliseconds the API sent.
        level: Log level, e.g. ``info`` or ``error``.
        message: The text of the line.
    """

    timestamp_ms: int
    level: str
    message: str

    @property
    def timestamp(self) -> datetime:
        """The line's time as an aware UTC datetime."""
        return datetime_from_ms(self.timestamp_ms)


@attrs.frozen
class LogPage:
    """One page of logs with its continuation values, which go back verbatim."""

    lines: tuple[LogLine, ...]
    pagination: str | None = None
    from_: str | None = None
    to: str | None = None


@attrs.frozen
class VMPage:
    """One page of ``listVMs``."""

    vms: tuple[VM, ...]
    pagination: str | None = None
