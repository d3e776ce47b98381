"""Client-side argument checks, run before a request is built, so a bad value sends nothing.

The ranges, lengths and patterns are the ones ``openapi.yaml`` declares (a test keeps the
patterns here equal to the spec's); each failure is an ``InvalidParameterError`` naming the
parameter, the value (never a secret's) and what is allowed.

Ids travel as URL path segments. The spec's ``Id`` is 1 to :data:`MAX_ID_LENGTH` ASCII
letters, digits, ``-`` and ``_``: such an id needs no percent-encoding, and ``.``, ``..``,
``/``, ``?``, ``#`` or ``%`` can never let URL normalisation (by httpx, a proxy or the
server) turn ``vms.stop("..")`` into a request to another endpoint.

Query values go into the URL too; :data:`MAX_QUERY_LENGTH` and :data:`MAX_CURSOR_LENGTH`
keep the longest URL the client can build under httpx's 65,536-character limit.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from ._models import BuildFile
from ._param_types import BuildFileParam
from ._states import VM_STATES
from .errors import InvalidParameterError

CPU_RANGE: Final = (1, 8)
MEMORY_RANGE: Final = (256, 16384)
DISK_RANGE: Final = (1, 500)
PORT_RANGE: Final = (1, 65535)
BATCH_RANGE: Final = (50, 1000)
LOG_ORDERS: Final = ("newest_first", "oldest_first")

MAX_ID_LENGTH: Final = 128
"""Longest id (build, VM, cached VM, image): ``Id.maxLength`` in the spec."""
MAX_QUERY_LENGTH: Final = 1024
"""Longest log ``query``: ``LogQuery.maxLength`` in the spec."""
MAX_CURSOR_LENGTH: Final = 1024
"""Longest ``pagination`` value: ``Cursor.maxLength`` in the spec (``from``/``to`` are
bounded by their pattern)."""

ID: Final = re.compile(r"[A-Za-z0-9_-]+")
"""``Id.pattern`` of the spec (without anchors: used with ``fullmatch``)."""
ID_ALLOWED: Final = f"1-{MAX_ID_LENGTH} characters of A-Z a-z 0-9 _ - (an id as the API issues it)"
IMAGE_URI: Final = re.compile(
    r"[0-9]{12}\.dkr\.ecr\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com(?:\.cn)?/[a-z0-9]+(?"
    r":[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})?"
)
"""``ImportImageRequest.imageUri.pattern``: an AWS ECR image URI."""
LOG_WINDOW_BOUND: Final = re.compile(
    r"(?:[12][0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0["
    r"1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[12][0-9](?:0[48]|[2468][048]|[13"
    r"579][26])|(?:1[26]|2[048])00)-02-29)(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?"
    r":\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])| (?:[01][0-9]|2[0-3]):[0-5"
    r"][0-9]:[0-5][0-9] UTC)"
)
"""``LogWindowBound.pattern``: ISO 8601 with a zone, or a ``from``/``to`` echoed by the API."""
LOG_WINDOW_YEARS: Final = (1000, 2999)
"""The years ``LOG_WINDOW_BOUND`` admits."""
REPOSITORY: Final = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
"""``BuildFromGithubRequest.repository``: ``owner/name``."""


def _shown(value: object) -> object:
    """The value for an error message: long text is cut, so the message stays readable."""
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:40]}...<{len(value)} characters>"
    return value


def int_in_range(name: str, value: int | None, bounds: tuple[int, int]) -> int | None:
    """Check an optional integer lies within ``bounds`` (inclusive)."""
    if value is None:
        return None
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(name, _shown(value), f"an integer from {low} to {high}")
    return value


def utf8_text(name: str, value: object) -> str:
    """Check ``value`` is a ``str`` that can be encoded as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise InvalidParameterError(name, _shown(value), "a string")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Never repeat the value: it may be a secret or an undecodable file name.
            raise InvalidParameterError(
                name, "<text>", "text that can be encoded as UTF-8 (no lone surrogates)"
            ) from None
    return value


def non_empty(name: str, value: str) -> str:
    """Check a required string (a URI, a Dockerfile, a branch) is a non-empty ``str``."""
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(name, _shown(value), "a non-empty string")
    return utf8_text(name, value)


def optional_non_empty(name: str, value: str | None) -> str | None:
    """Like :func:`non_empty`, but ``None`` is allowed."""
    return None if value is None else non_empty(name, value)


def optional_text(name: str, value: str | None) -> str | None:
    """``None`` or any UTF-8 string, also empty (e.g. a ``.dockerignore``)."""
    return None if value is None else utf8_text(name, value)


def resource_id(name: str, value: str) -> str:
    """Check an id that becomes a URL path segment (see the module docstring)."""
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or not ID.fullmatch(value):
        raise InvalidParameterError(name, _shown(value), ID_ALLOWED)
    return value


def optional_resource_id(name: str, value: str | None) -> str | None:
    """Like :func:`resource_id`, but ``None`` is allowed (a filter left out)."""
    return None if value is None else resource_id(name, value)


def bounded_text(name: str, value: str | None, max_length: int) -> str | None:
    """Check an optional non-empty query value of at most ``max_length`` characters."""
    if value is None:
        return None
    non_empty(name, value)
    if len(value) > max_length:
        raise InvalidParameterError(
            name, _shown(value), f"a non-empty string of at most {max_length} characters"
        )
    return value


def log_query(value: str | None) -> str | None:
    """Check a log ``query`` (an empty one is a 400 on the service)."""
    return bounded_text("query", value, MAX_QUERY_LENGTH)


def cursor(name: str, value: str | None) -> str | None:
    """Check a continuation value (``pagination``, ``from``, ``to``) sent back."""
    return bounded_text(name, value, MAX_CURSOR_LENGTH)


def secret_text(name: str, value: str) -> str:
    """Check a secret is a non-empty string without ever putting its value in the message."""
    if isinstance(value, str) and value:
        return utf8_text(name, value)
    shown = "" if isinstance(value, str) else f"<{type(value).__name__}>"
    raise InvalidParameterError(name, shown, "a non-empty string")


def repository(value: str) -> str:
    """Check a GitHub repository is ``owner/name``."""
    if not isinstance(value, str) or not REPOSITORY.fullmatch(value):
        raise InvalidParameterError(
            "repository", _shown(value), "'owner/name' (letters, digits, '_', '.', '-')"
        )
    return value


def one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Check an optional string is one of ``allowed``."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidParameterError(name, _shown(value), " or ".join(repr(a) for a in allowed))
    return str(value)


def vm_status(value: str | None) -> str | None:
    """Check a ``listVMs`` status filter."""
    return one_of("status", value, VM_STATES)


def flag(name: str, value: bool) -> bool:
    """Check a ``True``/``False`` switch (``"no"`` or ``0`` would silently mean something)."""
    if not isinstance(value, bool):
        raise InvalidParameterError(name, _shown(value), "True or False")
    return value


def seconds(name: str, value: float | None) -> float | None:
    """Check an optional finite, non-negative number of seconds."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidParameterError(name, _shown(value), "a number of seconds >= 0, or None")
    return value


def env_vars(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Check environment variables are a mapping of strings to strings."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        # Values may be secrets themselves: name the parameter, not its content.
        raise InvalidParameterError("env_vars", "<mapping>", "a mapping of str to str")
    for key, item in value.items():
        utf8_text("env_vars", key)
        utf8_text(f"env_vars[{key!r}]", item)
    return value


def id_list(name: str, value: Iterable[str] | None) -> tuple[str, ...]:
    """Check optional ids (e.g. cached VMs to adopt); a lone string is refused."""
    if value is None:
        return ()
    # Any iterable of ids works (it is read once); a lone string would be read as ids of
    # one character each, and a mapping is a mistake.
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidParameterError(name, _shown(value), "a sequence of ids")
    return tuple(resource_id(name, item) for item in value)


def ident(name: str, value: str) -> str:
    """Check an id (image, build, VM, cached VM): see :func:`resource_id`."""
    return resource_id(name, value)


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
        raise InvalidParameterError(name, _shown(value), "a number of seconds >= 0, or None")
    return value


def check_timeout(value: float | None, name: str = "timeout") -> None:
    """Like :func:`timeout`, for callers that only need the check."""
    timeout(value, name)


def vm_state(value: str) -> str:
    """Check a state to wait for."""
    if not isinstance(value, str) or value not in VM_STATES:
        raise InvalidParameterError("state", _shown(value), " / ".join(VM_STATES))
    return value


def callback(name: str, value: Callable[..., object] | None) -> None:
    """Check an optional callback, so a wrong one fails now, not in the middle of a wait."""
    if value is not None and not callable(value):
        raise InvalidParameterError(name, _shown(value), "a callable or None")


def max_items(value: int | None) -> int | None:
    """Check a log iterator's ``max_items``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidParameterError("max_items", value, "an integer >= 0, or None")
    return value


def build_files(value: Sequence[BuildFile | BuildFileParam]) -> tuple[BuildFile, ...]:
    """Check a build context: ``BuildFile`` objects or ``{"dir", "name", "content"}`` dicts.

    ``dir`` and ``name`` are non-empty, ``content`` is text (bytes would fail deep inside
    JSON encoding); every value is UTF-8 encodable. Dicts become ``BuildFile`` objects.
    """
    allowed = "a sequence of BuildFile or {'dir', 'name', 'content'} dicts"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidParameterError("files", f"<{type(value).__name__}>", allowed)
    result = []
    for index, item in enumerate(value):
        where = f"files[{index}]"
        if isinstance(item, BuildFile):
            fields: dict[str, object] = {
                "dir": item.dir,
                "name": item.name,
                "content": item.content,
            }
        elif isinstance(item, Mapping) and set(item) == {"dir", "name", "content"}:
            fields = dict(item)
        else:
            raise InvalidParameterError(where, f"<{type(item).__name__}>", allowed)
        # Content is never shown: it may be large or hold something private.
        for key in ("dir", "name"):
            text = fields[key]
            if not isinstance(text, str) or not text:
                raise InvalidParameterError(f"{where}.{key}", _shown(text), "a non-empty string")
            utf8_text(f"{where}.{key}", text)
        content = fields["content"]
        if not isinstance(content, str):
            raise InvalidParameterError(
                f"{where}.content", f"<{type(content).__name__}>", "text (str)"
            )
        utf8_text(f"{where}.content", content)
        result.append(BuildFile(dir=str(fields["dir"]), name=str(fields["name"]), content=content))
    return tuple(result)


def local_path(name: str, value: str | os.PathLike[str]) -> str:
    """Check a local folder path: ``str`` or ``os.PathLike[str]``, without a NUL byte."""
    if not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(name, _shown(value), "a path (str or os.PathLike)")
    path = os.fspath(value)
    if not isinstance(path, str) or "\x00" in path:
        raise InvalidParameterError(name, _shown(path), "a path without NUL characters")
    return path


def image_uri(value: str) -> str:
    """Check an ECR image URI (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag]``)."""
    if not isinstance(value, str) or not IMAGE_URI.fullmatch(value):
        raise InvalidParameterError(
            "image_uri",
            _shown(value),
            "an ECR image URI, <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]",
        )
    return value


def window_bound(name: str, value: str | None) -> str | None:
    """Check a log time-window bound sent as ``from``/``to`` (see :data:`LOG_WINDOW_BOUND`)."""
    if value is None:
        return None
    if not isinstance(value, str) or not LOG_WINDOW_BOUND.fullmatch(value):
        raise InvalidParameterError(
            name,
            _shown(value),
            "ISO 8601 with a zone (2022-07-19T13:32:56Z) in the years 1000-2999, or the"
            " value a page returned",
        )
    return value


def window_time(name: str, value: datetime | str | None) -> datetime | str | None:
    """Check ``since``/``until``: a datetime in the years 1000-2999, or a bound string."""
    if value is None:
        return None
    if isinstance(value, datetime):
        low, high = LOG_WINDOW_YEARS
        # A naive datetime is taken as UTC; an aware one is sent in UTC.
        utc = value if value.tzinfo is None else value.astimezone(UTC)
        if not low <= utc.year <= high:
            raise InvalidParameterError(name, value, f"a datetime in the years {low}-{high}")
        return value
    if isinstance(value, str):
        return window_bound(name, value)
    raise InvalidParameterError(name, _shown(value), "a datetime or an ISO 8601 string")
