"""The typed models the high-level client returns.

The response models (``Image``, ``Build``, ``VM``, ``CachedVM``, ``VMPage``) are the
msgspec Structs generated from openapi.yaml (``cakework_spec.models``): one decode makes
and checks them, timestamps are timezone-aware UTC datetimes, optional fields are ``None``
rather than ``UNSET``, and state and status values stay plain strings so a value added by
the service never breaks an older client (``api-ground-truth.md``: "unknown values must
not crash"). What is written here is what the spec cannot say: the log line as a named
tuple read a page at a time (:class:`LogLine`, :class:`LogPage`; the page's columns are
``_pages.LogBatch``), and :class:`BuildFile`, which hides its content from reprs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

if TYPE_CHECKING:
    from cakework_spec.models import VM, Build, CachedVM, Image
    from cakework_spec.models import VMList as VMPage

__all__ = [
    "VM",
    "Build",
    "BuildFile",
    "CachedVM",
    "Image",
    "LogLine",
    "LogPage",
    "VMPage",
    "datetime_from_ms",
    "parse_timestamp",
]


_GENERATED = {
    "VM": "VM",
    "Build": "Build",
    "CachedVM": "CachedVM",
    "Image": "Image",
    "VMPage": "VMList",
}


def __getattr__(name: str) -> Any:
    """The generated models, imported on first use (they bring msgspec with them).

    ``import cakework`` then costs no msgspec; the first answer decoded, or the first
    use of a model's name, loads it.
    """
    if name in _GENERATED:
        from cakework_spec import models

        value = getattr(models, _GENERATED[name])
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def datetime_from_ms(ms: int) -> datetime:
    """Turn Unix epoch milliseconds into an aware UTC datetime (exact to the millisecond)."""
    return _EPOCH + timedelta(milliseconds=ms)


@attrs.frozen
class BuildFile:
    """One file of a build context: ``dir`` ("." for the root), ``name`` and text ``content``."""

    dir: str
    name: str
    content: str = attrs.field(repr=lambda c: f"<{len(c)} chars>")


class LogLine(NamedTuple):
    """One log line.

    A named tuple rather than an attrs class like the other models: a read brings
    thousands of them, each made from its checked fields by C code alone (a page's
    columns zipped), where an ``__init__`` per line would cost more than decoding it.
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
