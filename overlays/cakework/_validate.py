"""Client-side argument checks, run before a request is built, so a bad value sends nothing.

The ranges are the documented ones (``cakework-rest-api-docs.md``, ``openapi.yaml``); each
failure is an ``InvalidParameterError`` naming the parameter, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ._models import VM_STATES
from .errors import InvalidParameterError

CPU_RANGE: Final = (1, 8)
MEMORY_RANGE: Final = (256, 16384)
DISK_RANGE: Final = (1, 500)
PORT_RANGE: Final = (1, 65535)
BATCH_RANGE: Final = (50, 1000)
LOG_ORDERS: Final = ("newest_first", "oldest_first")


def int_in_range(name: str, value: int | None, bounds: tuple[int, int]) -> int | None:
    """Check an optional integer lies within ``bounds`` (inclusive)."""
    if value is None:
        return None
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(name, value, f"an integer from {low} to {high}")
    return value


def non_empty(name: str, value: str) -> str:
    """Check a required string (an id, a URI, a Dockerfile) is a non-empty ``str``."""
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(name, value, "a non-empty string")
    return value


def optional_non_empty(name: str, value: str | None) -> str | None:
    """Like :func:`non_empty`, but ``None`` is allowed."""
    return None if value is None else non_empty(name, value)


def secret_text(name: str, value: str) -> str:
    """Check a secret is a non-empty string without ever putting its value in the message."""
    if isinstance(value, str) and value:
        return value
    shown = "" if isinstance(value, str) else f"<{type(value).__name__}>"
    raise InvalidParameterError(name, shown, "a non-empty string")


def one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Check an optional string is one of ``allowed``."""
    if value is None:
        return None
    if value not in allowed:
        raise InvalidParameterError(name, value, " or ".join(repr(a) for a in allowed))
    return str(value)


def vm_status(value: str | None) -> str | None:
    """Check a ``listVMs`` status filter."""
    return one_of("status", value, VM_STATES)


def env_vars(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Check environment variables are a mapping of strings to strings."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        # Values may be secrets themselves: name the parameter, not its content.
        raise InvalidParameterError("env_vars", "<mapping>", "a mapping of str to str")
    return value
