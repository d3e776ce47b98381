"""Client-side argument checks, run before a request is built, so a bad value sends nothing.

What a value may be (type, required, range, length, pattern, enum) is what openapi.yaml
says: the rules are generated into ``cakework_spec.operations`` and applied here
(:func:`arguments`, :func:`check_value`). What this module adds is behaviour the spec does not
state: text must be encodable as UTF-8, secrets (``format: password`` in the spec) are
masked and never appear in a message, an id that travels in a URL path must be a plain
path segment, and the datetimes ``since``/``until`` are checked as the strings they
become. Each failure is an
``InvalidParameterError`` naming the parameter, the value (never a secret's) and what is
allowed.

Ids travel as URL path segments: besides the spec's ``Id`` rule, :func:`resource_id`
refuses anything but unreserved URL characters other than ``.``, so ``.``, ``..``, ``/``,
``?``, ``#`` or ``%`` can never let URL normalisation (by httpx, a proxy or the server)
turn ``vms.stop("..")`` into a request to another endpoint, whatever the spec allows.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cakework_spec.operations import OPERATIONS, SCHEMAS, OperationSpec, Param, Rule
from cakework_spec.params import BuildFileParam

from ._config import mask
from ._models import BuildFile
from ._states import VM_STATES
from .errors import InvalidParameterError

_PATH_SEGMENT: Final = re.compile(r"[A-Za-z0-9_~-]+")
"""RFC 3986 unreserved characters without ``.``: a path segment no normalisation changes."""


def _shown(value: object) -> object:
    """The value for an error message: long text is cut, so the message stays readable."""
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:40]}...<{len(value)} characters>"
    if isinstance(value, int) and value.bit_length() > 256:
        # Past 4,300 digits repr() itself raises ValueError; long before, it is unreadable.
        return _Shown(f"<an integer of {value.bit_length()} bits>")
    return value


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def describe(rule: Rule) -> str:
    """What ``rule`` allows, in words, for an error message."""
    if rule.enum is not None:
        return " or ".join(repr(v) for v in rule.enum)
    if rule.kind == "integer" or rule.kind == "number":
        what = "an integer" if rule.kind == "integer" else "a number"
        if rule.minimum is not None and rule.maximum is not None:
            return f"{what} from {rule.minimum} to {rule.maximum}"
        if rule.minimum is not None:
            return f"{what} >= {rule.minimum}"
        if rule.maximum is not None:
            return f"{what} <= {rule.maximum}"
        return what
    if rule.kind == "boolean":
        return "True or False"
    if rule.kind == "map":
        inner = describe(rule.values) if rule.values is not None else "anything"
        return f"a mapping of str to {'str' if inner == 'a string' else inner}"
    if rule.kind == "array":
        return f"a sequence of {rule.schema or 'items'}"
    if rule.kind == "object":
        return f"a {rule.schema or 'mapping'} mapping"
    charset = _CHARACTER_CLASS.fullmatch(rule.pattern or "")
    if charset is not None:
        # ^[a-z0-9_]+$ with lengths 1 to 8 reads "1-8 characters of a-z 0-9 _".
        low, high = rule.min_length or 1, rule.max_length
        count = f"{low}-{high}" if high is not None else f"{low} or more"
        return f"{count} characters of {' '.join(_CLASS_PART.findall(charset[1]))}"
    words = "a non-empty string" if rule.min_length else "a string"
    if rule.max_length is not None:
        words += f" of at most {rule.max_length} characters"
    if rule.pattern is not None:
        words += f": {rule.title}" if rule.title else f" matching {rule.pattern}"
    return words


_CHARACTER_CLASS: Final = re.compile(r"\^\[([^\]\\]+)\]\+\$")
"""A pattern that is one character class, repeated, such as ``^[a-z0-9_]+$``."""
_CLASS_PART: Final = re.compile(r".-.(?!$)|.")
"""A range (``A-Z``) or a single character of a character class."""


def check_value(name: str, rule: Rule, given: object, *, secret: bool = False) -> Any:
    """Check ``given`` against ``rule``; return it (a mapping as a plain ``dict``).

    Args:
        name: The argument's name, for the message.
        rule: What the spec allows.
        given: The value.
        secret: Never show the value.

    Raises:
        InvalidParameterError: ``given`` is not allowed.
    """

    def refuse(shown: object | None = None) -> InvalidParameterError:
        if secret:
            shown = "" if isinstance(given, str) else f"<{type(given).__name__}>"
        elif shown is None:
            shown = _shown(given)
        return InvalidParameterError(name, shown, describe(rule))

    kind = rule.kind
    if kind == "string":
        if not isinstance(given, str):
            raise refuse()
        if rule.min_length is not None and len(given) < rule.min_length:
            raise refuse()
        if rule.max_length is not None and len(given) > rule.max_length:
            raise refuse()
        if rule.pattern is not None and not _pattern(rule.pattern).search(given):
            raise refuse()
        if rule.enum is not None and given not in rule.enum:
            raise refuse()
        return utf8_text(name, given)
    if kind == "integer" or kind == "number":
        number = int if kind == "integer" else int | float
        if isinstance(given, bool) or not isinstance(given, number):
            raise refuse()
        if kind == "number" and not math.isfinite(given):
            raise refuse()
        if rule.minimum is not None and given < rule.minimum:
            raise refuse()
        if rule.maximum is not None and given > rule.maximum:
            raise refuse()
        if rule.enum is not None and given not in rule.enum:
            raise refuse()
        return given
    if kind == "boolean":
        if not isinstance(given, bool):
            raise refuse()
        return given
    if kind == "map":
        # Values may be secrets themselves (environment variables): name the
        # parameter, never its content.
        if not isinstance(given, Mapping) or not all(isinstance(k, str) for k in given):
            raise refuse("<mapping>")
        checked = {}
        for key, item in given.items():
            utf8_text(name, key)
            if rule.values is not None:
                if rule.values.kind == "string" and not isinstance(item, str):
                    raise refuse("<mapping>")
                item = check_value(f"{name}[{key!r}]", rule.values, item, secret=True)
            checked[key] = item
        return checked
    if kind == "array":
        if isinstance(given, str | bytes | Mapping) or not isinstance(given, Sequence):
            raise refuse(f"<{type(given).__name__}>")
        if rule.min_length is not None and len(given) < rule.min_length:
            raise refuse(f"<{len(given)} items>")
        if rule.max_length is not None and len(given) > rule.max_length:
            raise refuse(f"<{len(given)} items>")
        if rule.items is None:
            return list(given)
        return [
            check_value(f"{name}[{index}]", rule.items, item) for index, item in enumerate(given)
        ]
    if kind == "object":
        if not isinstance(given, Mapping):
            raise refuse(f"<{type(given).__name__}>")
        wires = {field.wire for field in rule.fields}
        if not set(given) <= wires or any(f.required and f.wire not in given for f in rule.fields):
            raise refuse(f"<{type(given).__name__}>")
        return {
            f.wire: check_value(f"{name}.{f.wire}", f.rule, given[f.wire], secret=f.secret)
            for f in rule.fields
            if f.wire in given
        }
    raise refuse()


def param(param: Param, given: object) -> Any:
    """Check one argument of an operation (``None``: left out, unless it is required)."""
    if given is None:
        if param.required:
            raise InvalidParameterError(param.name, None, describe(param.rule))
        return None
    checked = check_value(param.name, param.rule, given, secret=param.secret)
    return mask(checked) if param.secret else checked


def operation(operation_id: str) -> OperationSpec:
    """The generated spec of an operation."""
    return OPERATIONS[operation_id]


def arguments(
    operation_id: str, path: Sequence[str], given_params: Mapping[str, object]
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Check every argument of ``operation_id``: path values, then query and body values.

    Returns:
        The path values and the given (not ``None``) arguments, checked; secrets masked.

    Raises:
        InvalidParameterError: An argument is not allowed.
        TypeError: ``params`` names an argument the operation does not have (as Python
            says of an unexpected keyword).
    """
    spec = OPERATIONS[operation_id]
    pairs = zip(spec.path_params, path, strict=True)
    checked_path = tuple([resource_id(p.name, given, p.rule) for p, given in pairs])
    if not given_params and not _fields(operation_id)[2]:
        return checked_path, {}  # nothing given, nothing required: nothing to check
    return checked_path, params(operation_id, given_params)


@functools.cache
def _fields(operation_id: str) -> tuple[tuple[Param, ...], dict[str, Param], bool]:
    """An operation's query and body parameters, by name, and whether any is required."""
    spec = OPERATIONS[operation_id]
    fields = spec.query + (spec.body or ())
    return fields, {f.name: f for f in fields}, any(f.required for f in fields)


def params(operation_id: str, given_params: Mapping[str, object]) -> dict[str, Any]:
    """Check the query and body arguments of ``operation_id``: see :func:`arguments`."""
    fields, by_name, _ = _fields(operation_id)
    for key in given_params:
        if key not in by_name:
            name = OPERATIONS[operation_id].method_name
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
    checked: dict[str, Any] = {}
    for field in fields:
        result = param(field, given_params.get(field.name))
        if result is not None:
            checked[field.name] = result
    return checked


def argument(operation_id: str, name: str, given: object) -> Any:
    """Check one query or body argument of ``operation_id`` by its Python name."""
    field = _fields(operation_id)[1].get(name)
    if field is None:
        raise KeyError(f"{operation_id} has no argument {name!r}")
    return param(field, given)


class _Shown(str):
    """Text shown as is in an error message (its repr is the text itself)."""

    def __repr__(self) -> str:
        return str(self)


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


def resource_id(name: str, value: str, rule: Rule | None = None) -> str:
    """Check an id that becomes a URL path segment (see the module docstring).

    Args:
        name: The argument's name.
        value: The id.
        rule: The spec's rule for it; by default the ``Id`` schema's.
    """
    rule = SCHEMAS["Id"] if rule is None else rule
    if not isinstance(value, str) or not _PATH_SEGMENT.fullmatch(value):
        raise InvalidParameterError(name, _shown(value), f"an id: {describe(rule)}")
    try:
        check_value(name, rule, value)
    except InvalidParameterError:
        raise InvalidParameterError(name, _shown(value), f"an id: {describe(rule)}") from None
    return value


def one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Check an optional string is one of ``allowed``."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidParameterError(name, _shown(value), " or ".join(repr(a) for a in allowed))
    return str(value)


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
    allowed = "a number of seconds >= 0 (at most 1e308, or math.inf), or None"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameterError(name, _shown(value), allowed)
    try:
        # An int beyond a float's range (10**400) would raise OverflowError later, in
        # the deadline arithmetic of the wait.
        seconds = float(value)
    except OverflowError:
        raise InvalidParameterError(name, _shown(value), allowed) from None
    if math.isnan(seconds) or seconds < 0:
        raise InvalidParameterError(name, _shown(value), allowed)
    return value


def check_timeout(value: float | None, name: str = "timeout") -> None:
    """Like :func:`timeout`, for callers that only need the check."""
    timeout(value, name)


def vm_state(value: str) -> str:
    """Check a state to wait for (one the API documents)."""
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
    """Check a build context: ``BuildFile`` objects or dicts in the API's JSON shape.

    Each file is checked by the spec's ``BuildFile`` rule (content is never shown: it
    may be large or hold something private); dicts become ``BuildFile`` objects.
    """
    files = OPERATIONS["buildImageFromFiles"].body or ()
    rule = next(f.rule for f in files if f.wire == "files")
    allowed = f"a sequence of BuildFile or {{'dir', 'name', 'content'}} dicts ({describe(rule)})"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidParameterError("files", f"<{type(value).__name__}>", allowed)
    result = []
    for index, item in enumerate(value):
        where = f"files[{index}]"
        if isinstance(item, BuildFile):
            fields: Mapping[str, object] = {
                "dir": item.dir,
                "name": item.name,
                "content": item.content,
            }
        elif isinstance(item, Mapping):
            fields = item
        else:
            raise InvalidParameterError(where, f"<{type(item).__name__}>", allowed)
        if rule.items is None:  # the spec says nothing of the items: any mapping goes
            checked = dict(fields)
        else:
            content = fields.get("content")
            if "content" in fields and not isinstance(content, str):
                raise InvalidParameterError(
                    f"{where}.content", f"<{type(content).__name__}>", "text (str)"
                )
            checked = check_value(where, rule.items, fields)
        result.append(
            BuildFile(
                dir=str(checked["dir"]), name=str(checked["name"]), content=str(checked["content"])
            )
        )
    return tuple(result)


def local_path(name: str, value: str | os.PathLike[str]) -> str:
    """Check a local folder path: ``str`` or ``os.PathLike[str]``, without a NUL byte."""
    if not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(name, _shown(value), "a path (str or os.PathLike)")
    path = os.fspath(value)
    if not isinstance(path, str) or "\x00" in path:
        raise InvalidParameterError(name, _shown(path), "a path without NUL characters")
    try:
        # What the OS is handed: a lone surrogate ("\ud800") has no file-system bytes
        # (undecodable bytes arrive as "\udc80"-"\udcff", which encode back).
        os.fsencode(path)
    except UnicodeEncodeError:
        raise InvalidParameterError(
            name, _shown(path), "a path the file system can encode"
        ) from None
    return path


def window_bound(name: str, value: str | None) -> str | None:
    """Check a log time-window bound sent as ``from``/``to`` (the ``LogWindowBound`` rule)."""
    if value is None:
        return None
    rule = SCHEMAS["LogWindowBound"]
    if not isinstance(value, str) or not _pattern(rule.pattern or "").search(value):
        raise InvalidParameterError(
            name,
            _shown(value),
            "ISO 8601 with a zone (2022-07-19T13:32:56Z), or the value a page returned",
        )
    return value


def window_time(name: str, value: datetime | str | None) -> datetime | str | None:
    """Check ``since``/``until``: a datetime, or a bound string.

    A datetime is checked as the string it is sent as (``LogWindowBound``), so the years
    the spec allows are the years allowed here.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        # A naive datetime is taken as UTC; an aware one is sent in UTC.
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        try:
            window_bound(name, utc.isoformat(timespec="milliseconds"))
        except InvalidParameterError:
            raise InvalidParameterError(
                name, value, "a datetime the API can take (its LogWindowBound)"
            ) from None
        return value
    if isinstance(value, str):
        return window_bound(name, value)
    raise InvalidParameterError(name, _shown(value), "a datetime or an ISO 8601 string")
