"""The one place that touches the generated ``cakework_api`` package's client and models.

It builds the generated ``AuthenticatedClient`` (auth header, User-Agent, timeout, base
URL, the user's own httpx client), completes the request kwargs the generated
``_get_kwargs`` functions make, turns generated models into ours (checking types, which
the generated ``from_dict`` does not), and turns error responses into our exceptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, Final, TypeVar

import httpx

from cakework_api import models as wire
from cakework_api.client import AuthenticatedClient
from cakework_api.types import Unset

from . import _models as m
from ._config import ClientConfig, Secret
from ._retry import parse_retry_after
from ._version import __version__
from .errors import APIStatusError, InvalidParameterError, RateLimitError, status_error_class

T = TypeVar("T")

USER_AGENT: Final = f"cakework-python/{__version__}"
API_KEY_HEADER: Final = "X-Api-Key"


def build_generated_client(
    config: ClientConfig,
    *,
    http_client: httpx.Client | None = None,
    async_http_client: httpx.AsyncClient | None = None,
    httpx_args: Mapping[str, Any] | None = None,
) -> AuthenticatedClient:
    """The generated client, configured the way every request of ours is sent.

    Its own httpx clients get base URL, headers and timeout from ``config``; a client
    passed in by the user is used as is, because :func:`prepare_request` puts the absolute
    URL, the headers and the timeout on every request anyway.
    """
    generated = AuthenticatedClient(
        base_url=config.base_url,
        token=config.api_key,  # a Secret: the header gets the value, reprs get '***'
        prefix="",
        auth_header_name=API_KEY_HEADER,
        headers={"User-Agent": USER_AGENT},
        timeout=config.timeout,
        httpx_args=dict(httpx_args or {}),
        raise_on_unexpected_status=False,
    )
    if http_client is not None:
        generated.set_httpx_client(http_client)
    if async_http_client is not None:
        generated.set_async_httpx_client(async_http_client)
    return generated


def prepare_request(config: ClientConfig, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Complete generated ``_get_kwargs`` output into self-contained ``build_request`` kwargs.

    The URL is made absolute and the auth header, User-Agent and timeout are set per
    request, so the request is the same whatever httpx client sends it (ours, the user's,
    or one shared by ``with_options`` with another timeout).
    """
    if "json" in kwargs:
        check_encodable(kwargs["json"], "body")
    request = dict(kwargs)
    request["url"] = config.base_url + kwargs["url"]
    request["headers"] = {
        **kwargs.get("headers", {}),
        API_KEY_HEADER: config.api_key,
        "User-Agent": USER_AGENT,
    }
    request["timeout"] = config.timeout
    return request


def check_encodable(value: object, where: str) -> None:
    """Refuse text that cannot become UTF-8 JSON, before anything is sent.

    A lone surrogate (``os.environ`` or ``os.listdir`` values that were not UTF-8 come
    back as those) made JSON encoding inside the pump raise ``UnicodeEncodeError``.

    Raises:
        InvalidParameterError: Names the JSON field, never the value (it may be secret).
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
            check_encodable(key, where)
            check_encodable(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_encodable(item, f"{where}[{index}]")


def secrets_in(value: object) -> tuple[Secret, ...]:
    """Every :class:`Secret` inside request kwargs (for scrubbing echoes from errors).

    They stay wrapped, so a traceback's locals show ``('***',)``; ``str.replace`` still
    matches their real value.
    """
    if isinstance(value, Secret):
        return (value,)
    if isinstance(value, Mapping):
        return tuple(s for v in value.values() for s in secrets_in(v))
    if isinstance(value, list | tuple):
        return tuple(s for v in value for s in secrets_in(v))
    return ()


SHORT_SECRET: Final = 8
"""Secrets shorter than this are only redacted where they stand alone (see :func:`redact`)."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (a server may echo a request back).

    A short secret (a test key such as ``"k"``) is replaced only where it stands alone,
    not inside a word: replacing it everywhere turned "Name or service not known" into
    "not ***nown". Real keys, tokens and registry passwords are long, and those are
    replaced wherever they occur.
    """
    for secret in secrets:
        value = str.__str__(secret)  # the real text, also for a Secret
        if not value:
            continue
        if len(value) >= SHORT_SECRET:
            text = text.replace(value, "***")
        else:
            alone = rf"(?<![\w-]){re.escape(value)}(?![\w-])"
            text = re.sub(alone, "***", text)
    return text


def error_message(response: httpx.Response) -> str:
    """The message of an error response.

    Taken from ``error``, then ``message``, then a bare string body, then the status
    phrase (``api-ground-truth.md``, "Errors").
    """
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json can parse
        data = None
    if isinstance(data, dict):
        for key in ("error", "message"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    if isinstance(data, str) and data:
        return data
    if response.reason_phrase:
        return response.reason_phrase
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return f"HTTP {response.status_code}"


def status_error(
    operation: str, response: httpx.Response, secrets: Iterable[str] = ()
) -> APIStatusError:
    """The exception for a non-2xx response, with secrets scrubbed from body and message."""
    secrets = tuple(secrets)
    status = response.status_code
    fields: dict[str, Any] = {
        "operation": operation,
        "status_code": status,
        "body": redact(response.text, secrets),
        "headers": response.headers,
    }
    message = redact(error_message(response), secrets)
    cls = status_error_class(status)
    if cls is RateLimitError:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **fields
        )
    return cls(message, **fields)


# --- generated wire models -> our models -----------------------------------------------
# The generated from_dict copies values without checking types, so every field is checked
# here; a wrong type raises TypeError, which the request flow turns into
# ResponseValidationError.


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a string, got {type(value).__name__}")
    # Known states arrive as generated StrEnum members; ours are plain strings.
    return str.__str__(value)


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    return value


def _opt(check: Callable[[object, str], T], value: object, name: str) -> T | None:
    if value is None or isinstance(value, Unset):
        return None
    return check(value, name)


def _time(value: object, name: str) -> Any:
    return m.parse_timestamp(_str(value, name))


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{name}: expected a list, got {type(value).__name__}")
    return value


def to_image(w: wire.Image) -> m.Image:
    """Convert a generated ``Image``."""
    return m.Image(image_id=_str(w.image_id, "imageId"))


def to_build(w: wire.Build) -> m.Build:
    """Convert a generated ``Build``."""
    return m.Build(
        build_id=_str(w.build_id, "buildId"),
        status=_str(w.status, "status"),
        created_at=_time(w.created_at, "createdAt"),
        updated_at=_time(w.updated_at, "updatedAt"),
        image_id=_opt(_str, w.image_id, "imageId"),
    )


def to_vm(w: wire.VM) -> m.VM:
    """Convert a generated ``VM``."""
    return m.VM(
        id=_str(w.id, "id"),
        hostname=_str(w.hostname, "hostname"),
        cpu=_int(w.cpu, "cpu"),
        memory=_int(w.memory, "memory"),
        image_id=_str(w.image_id, "imageId"),
        state=_str(w.state, "state"),
        created_at=_time(w.created_at, "createdAt"),
        updated_at=_time(w.updated_at, "updatedAt"),
        port=_opt(_int, w.port, "port"),
        volume_gb=_opt(_int, w.volume_gb, "volumeGB"),
    )


def to_cached_vm(w: wire.CachedVM) -> m.CachedVM:
    """Convert a generated ``CachedVM`` (only ``id`` and ``hostname`` are required)."""
    return m.CachedVM(
        id=_str(w.id, "id"),
        hostname=_str(w.hostname, "hostname"),
        cpu=_opt(_int, w.cpu, "cpu"),
        memory=_opt(_int, w.memory, "memory"),
        image_id=_opt(_str, w.image_id, "imageId"),
        state=_opt(_str, w.state, "state"),
        port=_opt(_int, w.port, "port"),
        disk_size=_opt(_int, w.disk_size, "diskSize"),
        created_at=_opt(_time, w.created_at, "createdAt"),
        updated_at=_opt(_time, w.updated_at, "updatedAt"),
    )


def to_log_line(w: wire.LogLine) -> m.LogLine:
    """Convert a generated ``LogLine``."""
    return m.LogLine(
        timestamp_ms=_int(w.timestamp, "timestamp"),
        level=_str(w.level, "level"),
        message=_str(w.message, "message"),
    )


def to_log_page(w: wire.LogPage) -> m.LogPage:
    """Convert a generated ``LogPage``; continuation values are kept verbatim."""
    return m.LogPage(
        lines=tuple(to_log_line(line) for line in _list(w.lines, "lines")),
        pagination=_opt(_str, w.pagination, "pagination"),
        from_=_opt(_str, w.from_, "from"),
        to=_opt(_str, w.to, "to"),
    )


def to_vm_page(w: wire.VMList) -> m.VMPage:
    """Convert a generated ``VMList``."""
    return m.VMPage(
        vms=tuple(to_vm(vm) for vm in _list(w.vms, "vms")),
        pagination=_opt(_str, w.pagination, "pagination"),
    )


def to_log_lines(w: wire.CachedVMLogs) -> tuple[m.LogLine, ...]:
    """Convert a generated ``CachedVMLogs`` into its lines."""
    return tuple(to_log_line(line) for line in _list(w.lines, "lines"))


def to_build_file(f: m.BuildFile) -> wire.BuildFile:
    """Our ``BuildFile`` as the generated request model."""
    return wire.BuildFile(dir_=f.dir, name=f.name, content=f.content)


def to_env_vars(env: Mapping[str, str]) -> wire.EnvVars:
    """A mapping of environment variables as the generated request model."""
    env_vars = wire.EnvVars()
    env_vars.additional_properties = dict(env)
    return env_vars
