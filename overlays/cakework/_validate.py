"""Client-side argument checks, run before a request is built, so a bad value sends nothing.

The ranges are the documented ones (``cakework-rest-api-docs.md``, ``openapi.yaml``); each
failure is an ``InvalidParameterError`` naming the parameter, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from ._models import VM_STATES, BuildFile
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


def ident(name: str, value: str) -> str:
    """Check an id (or other path/body text): non-empty and encodable as UTF-8."""
    encodable(non_empty(name, value), name)
    return value


def encodable(value: object, where: str) -> None:
    """Refuse text that cannot become UTF-8 (JSON body, URL), before anything is sent.

    A lone surrogate (``os.environ`` or ``os.listdir`` values that were not UTF-8 come
    back as those) would otherwise fail inside the pump with ``UnicodeEncodeError``.

    Raises:
        InvalidParameterError: Names the field, never the value (it may be secret).
    """
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidParameterError(
                    where, "<text>", "text that can be encoded as UTF-8 (no lone surrogates)"
                ) from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            encodable(key, where)
            encodable(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            encodable(item, f"{where}[{index}]")


def timeout(value: float | None, name: str = "timeout") -> float | None:
    """Check a wait's deadline: ``None`` (wait forever) or a number of seconds >= 0."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
        or value < 0
    ):
        raise InvalidParameterError(name, value, "a number of seconds >= 0, or None")
    return value


def check_timeout(value: float | None, name: str = "timeout") -> None:
    """Like :func:`timeout`, for callers that only need the check."""
    timeout(value, name)


def vm_state(value: str) -> str:
    """Check a state to wait for."""
    if value not in VM_STATES:
        raise InvalidParameterError("state", value, " / ".join(VM_STATES))
    return value


def callback(name: str, value: Callable[..., object] | None) -> None:
    """Check an optional callback, so a wrong one fails now, not in the middle of a wait."""
    if value is not None and not callable(value):
        raise InvalidParameterError(name, value, "a callable or None")


def build_files(files: Sequence[BuildFile]) -> Sequence[BuildFile]:
    """Check a build context: a sequence of ``BuildFile`` with ``str`` fields."""
    items: object = files  # checked at run time: callers may not use a type checker
    if isinstance(items, str | bytes) or not all(isinstance(f, BuildFile) for f in files):
        raise InvalidParameterError("files", "<files>", "a sequence of BuildFile")
    for f in files:
        # BuildFile does not check its fields; bytes content would otherwise fail deep
        # inside JSON encoding, after the request was "sent".
        if not all(isinstance(v, str) for v in (f.dir, f.name, f.content)):
            shown = f"<BuildFile {f.name!r}>" if isinstance(f.name, str) else "<BuildFile>"
            raise InvalidParameterError("files", shown, "BuildFile dir, name and content as str")
    return files


def max_items(value: int | None) -> int | None:
    """Check a log iterator's ``max_items``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidParameterError("max_items", value, "an integer >= 0, or None")
    return value
