"""The operation table: the one hand-written module that imports ``cakework_api``.

Each API operation is one :class:`Operation` row in :data:`OPERATIONS`, keyed by its
operationId in ``openapi.yaml``:

* ``retry`` -- which failures may be resent (read by ``_retry``);
* ``build`` -- checked parameters -> ``httpx.Client.build_request`` kwargs with a URL
  relative to the base URL, made by the generated endpoint module's ``_get_kwargs``;
* ``parse`` -- a 2xx ``httpx.Response`` -> our ``_models`` value, read straight from the
  JSON with our own type checks (any exception it raises becomes
  ``ResponseValidationError`` in the request flow);
* ``done_if_conflict_on_retry`` -- a 409 on a retried attempt means an earlier attempt
  already did it.

Arguments reach the builders already checked (``_validate``, ``_params``); the only
check left here is that a JSON body can be encoded, since it is made here. The
generated request models and endpoint modules are imported here and nowhere else, on
the first request that needs them, so that ``import cakework`` does not load them.
"""

from __future__ import annotations

import base64
import enum
import functools
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import httpx

from . import _models as m
from ._charset import strict_text
from ._config import ClientConfig, Secret
from ._pages import LogBatch, LogRequest, VMListRequest
from ._params import VMSpec
from ._validate import encodable
from ._version import __version__

if TYPE_CHECKING:
    from cakework_api.client import AuthenticatedClient

T = TypeVar("T")

USER_AGENT: Final = f"cakework-python/{__version__}"
API_KEY_HEADER: Final = "X-Api-Key"


class Retry(enum.Enum):
    """Which failures of an operation may be resent."""

    SAFE = "safe"
    """A GET or a state transition: resent after any retryable failure."""
    CREATING = "creating"
    """Creates something that costs money: resent only if the request certainly never
    reached the server, or on 429."""


@attrs.frozen
class Operation:
    """One row of the operation table.

    Attributes:
        operation_id: The operationId in ``openapi.yaml``.
        retry: Which failures may be resent.
        module: The generated endpoint module (``cakework_api.api.<tag>.<name>``), or
            its dotted name to import it on first use.
        parse: A 2xx response -> the result.
        builder: Checked parameters -> ``build_request`` kwargs, when they are more
            than path parameters (it calls ``module._get_kwargs``).
        done_if_conflict_on_retry: A 409 answering a retried attempt means success.
    """

    operation_id: str
    retry: Retry
    _module: ModuleType | str = attrs.field(repr=False, alias="module")
    parse: Callable[[httpx.Response], Any] = attrs.field(repr=False)
    builder: Callable[..., dict[str, Any]] | None = attrs.field(default=None, repr=False)
    done_if_conflict_on_retry: bool = False

    @property
    def module(self) -> ModuleType:
        """The endpoint module, imported on first use.

        The table names most modules by their dotted name, so that ``import cakework``
        does not load the generated package; it loads with the first request.
        """
        module = self._module
        if isinstance(module, str):
            module = importlib.import_module(module)
            object.__setattr__(self, "_module", module)
        return module

    def build(self, *args: Any) -> dict[str, Any]:
        """``build_request`` kwargs (URL relative to the base) for checked ``args``.

        Path parameters go straight to the endpoint module's ``_get_kwargs``; an
        operation with a body or query parameters has a ``builder`` that makes them.
        """
        if self.builder is not None:
            return self.builder(*args)
        kwargs: dict[str, Any] = self.module._get_kwargs(*args)
        return kwargs


def build_generated_client(
    config: ClientConfig,
    *,
    http_client: httpx.Client | None = None,
    async_http_client: httpx.AsyncClient | None = None,
) -> AuthenticatedClient:
    """The generated client, used as the factory of our own httpx clients.

    Its httpx clients get base URL, headers and timeout from ``config``; a client passed
    in by the user is used as is, because :func:`prepare` puts the absolute URL, the
    headers and the timeout on every request anyway.
    """
    from cakework_api.client import AuthenticatedClient

    generated = AuthenticatedClient(
        base_url=config.base_url,
        token=config.api_key,  # a Secret: the header gets the value, reprs get '***'
        prefix="",
        auth_header_name=API_KEY_HEADER,
        headers={"User-Agent": USER_AGENT},
        timeout=config.timeout,
        raise_on_unexpected_status=False,
    )
    if http_client is not None:
        generated.set_httpx_client(http_client)
    if async_http_client is not None:
        generated.set_async_httpx_client(async_http_client)
    return generated


def prepare(
    config: ClientConfig, kwargs: dict[str, Any], *, client_headers: bool = False
) -> dict[str, Any]:
    """Complete a builder's kwargs into self-contained ``build_request`` kwargs.

    The URL is made absolute and the timeout is set per request, and so are the auth
    header and User-Agent, so the request is the same whatever httpx client sends it (the
    user's, or one shared by ``with_options`` with another timeout). ``client_headers``:
    the httpx client already carries those two (one this client made from ``config``
    itself), so httpx need not merge them into every request again.
    """
    request = dict(kwargs)
    request["url"] = config.base_url + kwargs["url"]
    if not client_headers:
        # In the order the client made from ``config`` carries them: the same bytes on
        # the wire whichever httpx client sends the request.
        request["headers"] = {
            **kwargs.get("headers", {}),
            "User-Agent": USER_AGENT,
            API_KEY_HEADER: config.api_key,
        }
    if config.userinfo is not None:
        # Credentials of the base URL travel as a header, never inside the URL, which
        # httpx logs and errors show (see ClientConfig.userinfo).
        basic = base64.b64encode(config.userinfo.reveal().encode("utf-8")).decode("ascii")
        request["headers"] = {
            **request.get("headers", {}),
            "Authorization": Secret(f"Basic {basic}"),
        }
    # The timeout as httpx's request extension: build_request then uses it as it is,
    # where a ``timeout=`` argument is copied into a new Timeout and turned into this.
    request["extensions"] = {"timeout": config.timeout.as_dict()}
    return request


# -- builders: checked parameters -> generated _get_kwargs --------------------------------
# The generated package is imported by the first request, not by ``import cakework``.


def _endpoint(operation_id: str) -> Callable[..., dict[str, Any]]:
    make: Callable[..., dict[str, Any]] = OPERATIONS[operation_id].module._get_kwargs
    return make


@functools.cache
def _wire() -> ModuleType:
    from cakework_api import models

    return models


@functools.cache
def _unset() -> Any:
    from cakework_api.types import UNSET

    return UNSET


def _or_unset(value: Any) -> Any:
    return _unset() if value is None else value


def _with_body(make: Callable[..., dict[str, Any]], body: Any) -> dict[str, Any]:
    kwargs = make(body=body)
    encodable(kwargs.get("json"), "body")
    return kwargs


def _env(env_vars: Mapping[str, str] | None) -> Any:
    if env_vars is None:
        return _unset()
    model = _wire().EnvVars()
    model.additional_properties = dict(env_vars)
    return model


def _log_params(request: LogRequest) -> dict[str, Any]:
    return {
        "query": _or_unset(request.query),
        "batch": _or_unset(request.batch),
        "order": _unset() if request.order is None else _wire().LogOrder(request.order),
        "pagination": _or_unset(request.pagination),
        "from_": _or_unset(request.from_),
        "to": _or_unset(request.to),
    }


def _build_import_image(image_uri: str, password: str) -> dict[str, Any]:
    body = _wire().ImportImageRequest(image_uri=image_uri, password=Secret(password))
    return _with_body(_endpoint("importImage"), body)


def _build_from_files(dockerfile: str, files: Sequence[m.BuildFile]) -> dict[str, Any]:
    body = _wire().BuildFromFilesRequest(
        dockerfile=dockerfile,
        files=[_wire().BuildFile(dir_=f.dir, name=f.name, content=f.content) for f in files],
    )
    return _with_body(_endpoint("buildImageFromFiles"), body)


def _build_from_github(
    dockerfile: str, repository: str, branch: str, token: str, dockerignore: str | None
) -> dict[str, Any]:
    body = _wire().BuildFromGithubRequest(
        dockerfile=dockerfile,
        repository=repository,
        branch=branch,
        token=Secret(token),
        dockerignore=_or_unset(dockerignore),
    )
    return _with_body(_endpoint("buildImageFromGithub"), body)


def _build_start_vm(spec: VMSpec) -> dict[str, Any]:
    body = _wire().StartVMRequest(
        image_id=spec.image_id,
        cpu=_or_unset(spec.cpu),
        memory=_or_unset(spec.memory),
        port=_or_unset(spec.port),
        env_vars=_env(spec.env_vars),
        volume_gb=_or_unset(spec.disk_gb),
    )
    return _with_body(_endpoint("startVM"), body)


def _build_cache_vm(spec: VMSpec) -> dict[str, Any]:
    body = _wire().CacheVMRequest(
        image_id=spec.image_id,
        cpu=_or_unset(spec.cpu),
        memory=_or_unset(spec.memory),
        port=_or_unset(spec.port),
        env_vars=_env(spec.env_vars),
        disk_size=_or_unset(spec.disk_gb),
    )
    return _with_body(_endpoint("cacheVM"), body)


def _build_list_vms(request: VMListRequest) -> dict[str, Any]:
    return _endpoint("listVMs")(
        image_id=_or_unset(request.image_id),
        status=_unset() if request.status is None else _wire().KnownVMState(request.status),
        pagination=_or_unset(request.pagination),
    )


def _build_build_logs(build_id: str, request: LogRequest) -> dict[str, Any]:
    return _endpoint("getBuildLogs")(build_id, **_log_params(request))


def _build_vm_logs(vm_id: str, request: LogRequest) -> dict[str, Any]:
    return _endpoint("getVMLogs")(vm_id, **_log_params(request))


# -- parsers: JSON -> our models, each field type-checked once ----------------------------


def _json(response: httpx.Response) -> dict[str, Any]:
    # Only the documented 200 carries the body; another 2xx has none we could read.
    if response.status_code != 200:
        raise TypeError(f"expected a 200 body, got status {response.status_code}")
    # Decoded by the declared charset (a bad one is a ValueError, so a
    # ResponseValidationError), not guessed from the bytes as response.json() would.
    return _object(json.loads(strict_text(response)), "body")


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{name}: expected an object, got {type(value).__name__}")
    return value


def _str(value: object, name: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{name}: expected a string, got {type(value).__name__}")
    return value


def _int(value: object, name: str) -> int:
    if type(value) is not int:
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    return value


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{name}: expected a list, got {type(value).__name__}")
    return value


def _opt(check: Callable[[object, str], T], data: Mapping[str, Any], key: str) -> T | None:
    value = data.get(key)
    return None if value is None else check(value, key)


def _epoch_ms(value: object, name: str) -> int:
    # The spec's range (years 1000-2999): past year 9999 no datetime could even hold it.
    # Refused here, not later when LogLine.timestamp, a follow or a cursor reads it.
    ms = _int(value, name)
    if not m.MIN_TIMESTAMP_MS <= ms <= m.MAX_TIMESTAMP_MS:
        raise ValueError(f"{name}: {ms} ms is outside the years 1000-2999")
    return ms


def _time(value: object, name: str) -> Any:
    return m.parse_timestamp(_str(value, name))


def _image(data: Mapping[str, Any]) -> m.Image:
    return m.Image(image_id=_str(data["imageId"], "imageId"))


def _build(data: Mapping[str, Any]) -> m.Build:
    return m.Build(
        build_id=_str(data["buildId"], "buildId"),
        status=_str(data["status"], "status"),
        created_at=_time(data["createdAt"], "createdAt"),
        updated_at=_time(data["updatedAt"], "updatedAt"),
        image_id=_opt(_str, data, "imageId"),
    )


def _vm(value: object) -> m.VM:
    data = _object(value, "vm")
    return m.VM(
        id=_str(data["id"], "id"),
        hostname=_str(data["hostname"], "hostname"),
        cpu=_int(data["cpu"], "cpu"),
        memory=_int(data["memory"], "memory"),
        image_id=_str(data["imageId"], "imageId"),
        state=_str(data["state"], "state"),
        created_at=_time(data["createdAt"], "createdAt"),
        updated_at=_time(data["updatedAt"], "updatedAt"),
        port=_opt(_int, data, "port"),
        volume_gb=_opt(_int, data, "volumeGB"),
    )


def _cached_vm(data: Mapping[str, Any]) -> m.CachedVM:
    return m.CachedVM(
        id=_str(data["id"], "id"),
        hostname=_str(data["hostname"], "hostname"),
        cpu=_opt(_int, data, "cpu"),
        memory=_opt(_int, data, "memory"),
        image_id=_opt(_str, data, "imageId"),
        state=_opt(_str, data, "state"),
        port=_opt(_int, data, "port"),
        disk_size=_opt(_int, data, "diskSize"),
        created_at=_opt(_time, data, "createdAt"),
        updated_at=_opt(_time, data, "updatedAt"),
    )


_STAMPS, _LEVELS, _MESSAGES = itemgetter("timestamp"), itemgetter("level"), itemgetter("message")


def _log_columns(value: object) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]] | None:
    """A page's lines as checked columns: timestamps, levels, messages; ``None`` if any is off.

    Per line only C code runs: ``itemgetter`` takes one field of each object (an item
    that is no object, or lacks the field, raises); then each column is checked at once:
    ``str.join`` takes strings only, the timestamps' types are counted (``type(x) is
    int``: a JSON ``true`` is no timestamp) and their smallest and largest are held
    against the spec's range.
    """
    items = _list(value, "lines")
    try:
        stamps = tuple(map(_STAMPS, items))
        levels = tuple(map(_LEVELS, items))
        messages = tuple(map(_MESSAGES, items))
        "".join(levels)
        "".join(messages)
    except (KeyError, TypeError):
        return None
    if tuple(map(type, stamps)).count(int) != len(stamps):
        return None
    if stamps and (min(stamps) < m.MIN_TIMESTAMP_MS or max(stamps) > m.MAX_TIMESTAMP_MS):
        return None
    return stamps, levels, messages


def _log_batch(value: object, data: Mapping[str, Any] | None = None) -> LogBatch:
    """The lines of a page (and the continuation values of ``data``) as a checked batch.

    A page the fast check refuses is gone through line by line, which locates and words
    the error (:func:`_log_lines_one_by_one`).
    """
    pagination = from_ = to = None
    if data is not None:
        pagination = _opt(_str, data, "pagination")
        from_ = _opt(_str, data, "from")
        to = _opt(_str, data, "to")
    columns = _log_columns(value)
    if columns is None:
        lines = _log_lines_one_by_one(_list(value, "lines"))
        return LogBatch.of_lines(lines, pagination=pagination, from_=from_, to=to)
    return LogBatch(*columns, pagination=pagination, from_=from_, to=to)


def _log_lines(value: object) -> tuple[m.LogLine, ...]:
    """A page of lines, checked as :func:`_log_batch` checks them, every line made."""
    return _log_batch(value).all_lines()


def _log_lines_one_by_one(items: list[Any]) -> tuple[m.LogLine, ...]:
    lines = []
    for item in items:
        data = _object(item, "lines[]")
        lines.append(
            m.LogLine(
                timestamp_ms=_epoch_ms(data["timestamp"], "timestamp"),
                level=_str(data["level"], "level"),
                message=_str(data["message"], "message"),
            )
        )
    return tuple(lines)


def _log_page(data: Mapping[str, Any]) -> LogBatch:
    return _log_batch(data["lines"], data)


def _vm_page(data: Mapping[str, Any]) -> m.VMPage:
    return m.VMPage(
        vms=tuple(_vm(vm) for vm in _list(data["vms"], "vms")),
        pagination=_opt(_str, data, "pagination"),
    )


def parses(convert: Callable[[dict[str, Any]], T]) -> Callable[[httpx.Response], T]:
    """A parser for a documented 200 JSON body: decode once, then ``convert``."""

    def parse(response: httpx.Response) -> T:
        return convert(_json(response))

    return parse


def no_body(response: httpx.Response) -> None:
    """The parser of operations answered by 204 No Content: any 2xx is success."""
    return None


_ROWS: tuple[Operation, ...] = (
    Operation(
        "importImage",
        Retry.CREATING,
        "cakework_api.api.images.import_image",
        parses(_image),
        _build_import_image,
    ),
    Operation(
        "buildImageFromFiles",
        Retry.CREATING,
        "cakework_api.api.images.build_image_from_files",
        parses(_build),
        _build_from_files,
    ),
    Operation(
        "buildImageFromGithub",
        Retry.CREATING,
        "cakework_api.api.images.build_image_from_github",
        parses(_build),
        _build_from_github,
    ),
    Operation("getBuild", Retry.SAFE, "cakework_api.api.images.get_build", parses(_build)),
    Operation(
        "getBuildLogs",
        Retry.SAFE,
        "cakework_api.api.images.get_build_logs",
        parses(_log_page),
        _build_build_logs,
    ),
    Operation(
        "startVM", Retry.CREATING, "cakework_api.api.v_ms.start_vm", parses(_vm), _build_start_vm
    ),
    Operation(
        "stopVM",
        Retry.SAFE,
        "cakework_api.api.v_ms.stop_vm",
        no_body,
        done_if_conflict_on_retry=True,
    ),
    Operation("getVM", Retry.SAFE, "cakework_api.api.v_ms.get_vm", parses(_vm)),
    Operation(
        "listVMs", Retry.SAFE, "cakework_api.api.v_ms.list_v_ms", parses(_vm_page), _build_list_vms
    ),
    Operation(
        "getVMLogs",
        Retry.SAFE,
        "cakework_api.api.v_ms.get_vm_logs",
        parses(_log_page),
        _build_vm_logs,
    ),
    Operation(
        "cacheVM",
        Retry.CREATING,
        "cakework_api.api.cached_v_ms.cache_vm",
        parses(_cached_vm),
        _build_cache_vm,
    ),
    # A 409 on a retried start may also mean "destroyed", which is no success.
    Operation("startCachedVM", Retry.SAFE, "cakework_api.api.cached_v_ms.start_cached_vm", no_body),
    Operation(
        "stopCachedVM",
        Retry.SAFE,
        "cakework_api.api.cached_v_ms.stop_cached_vm",
        no_body,
        done_if_conflict_on_retry=True,
    ),
    Operation(
        "destroyCachedVM",
        Retry.SAFE,
        "cakework_api.api.cached_v_ms.destroy_cached_vm",
        no_body,
        done_if_conflict_on_retry=True,
    ),
    Operation(
        "getCachedVMLogs",
        Retry.SAFE,
        "cakework_api.api.cached_v_ms.get_cached_vm_logs",
        parses(lambda data: _log_lines(data["lines"])),
    ),
)

OPERATIONS: dict[str, Operation] = {row.operation_id: row for row in _ROWS}
"""operationId -> its row. Code and tests derive every per-operation list from it."""
