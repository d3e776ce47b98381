"""The operation table: the one hand-written module that imports ``cakework_api``.

Each API operation of ``openapi.yaml`` is one :class:`Operation` row in
:data:`OPERATIONS`, keyed by its operationId. The rows are made from the generated
``cakework_spec.operations`` (so a new operation has a row with no line written here);
what this module adds is behaviour the spec cannot state:

* ``retry`` -- which failures may be resent (read by ``_retry``): GETs and the POSTs in
  :data:`STATE_TRANSITIONS` are safe to resend, any other POST creates something;
* ``done_if_conflict_on_retry`` -- a 409 on a retried attempt means an earlier attempt
  already did it (:data:`DONE_IF_CONFLICT_ON_RETRY`);
* ``build`` -- checked arguments -> ``httpx.Client.build_request`` kwargs with a URL
  relative to the base URL, made by the generated endpoint module's ``_get_kwargs``;
* ``parse`` -- a success -> the result: one msgspec decode into the generated model
  (any exception it raises becomes ``ResponseValidationError`` in the request flow),
  then, for a log page, the columns a reader takes (:data:`_RESULTS`).

Arguments reach the builders already checked (``_validate``); the only check left here is
that a JSON body can be encoded, since it is made here. The generated request models and
endpoint modules are imported here and nowhere else, on the first request that needs
them, so that ``import cakework`` does not load them.
"""

from __future__ import annotations

import base64
import enum
import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Final

import attrs
import httpx

from cakework_spec.operations import OPERATIONS as SPECS
from cakework_spec.operations import OperationSpec, response_model

from . import _models as m
from ._charset import DEFAULT_CHARSET, declared_charset, strict_text
from ._config import ClientConfig, Secret, mask
from ._pages import LogBatch
from ._validate import encodable
from ._version import __version__

if TYPE_CHECKING:
    import msgspec

    from cakework_api.client import AuthenticatedClient
    from cakework_spec import models as spec_models

USER_AGENT: Final = f"cakework-python/{__version__}"
API_KEY_HEADER: Final = "X-Api-Key"

STATE_TRANSITIONS: Final = frozenset({"stopVM", "startCachedVM", "stopCachedVM", "destroyCachedVM"})
"""POSTs that move an existing resource to another state: resending one cannot make a
second VM. Every other POST creates something that costs money when duplicated."""

DONE_IF_CONFLICT_ON_RETRY: Final = frozenset({"stopVM", "stopCachedVM", "destroyCachedVM"})
"""A 409 answering a retry of these means an earlier attempt did it (api-ground-truth: 409
means "already stopped"). Not startCachedVM: its 409 may also mean "destroyed"."""


class Retry(enum.Enum):
    """Which failures of an operation may be resent."""

    SAFE = "safe"
    """A GET or a state transition: resent after any retryable failure."""
    CREATING = "creating"
    """Creates something that costs money: resent only if the request certainly never
    reached the server, or on 429."""


def retry_class(spec: OperationSpec) -> Retry:
    """The retry class of an operation: see :data:`STATE_TRANSITIONS`."""
    if spec.method == "GET" or spec.operation_id in STATE_TRANSITIONS:
        return Retry.SAFE
    return Retry.CREATING


@attrs.frozen
class Operation:
    """One row of the operation table.

    Attributes:
        operation_id: The operationId in ``openapi.yaml``.
        retry: Which failures may be resent.
        module: The generated endpoint module (``cakework_api.api.<tag>.<name>``), or
            its dotted name to import it on first use.
        parse: A 2xx response -> the result.
        builder: Checked path values and arguments -> ``build_request`` kwargs (by
            default :func:`build_request` with the row's spec).
        done_if_conflict_on_retry: A 409 answering a retried attempt means success.
        spec: The generated facts of the operation.
    """

    operation_id: str
    retry: Retry
    _module: ModuleType | str = attrs.field(repr=False, alias="module")
    parse: Callable[[httpx.Response], Any] = attrs.field(repr=False)
    builder: Callable[..., dict[str, Any]] | None = attrs.field(default=None, repr=False)
    done_if_conflict_on_retry: bool = False
    spec: OperationSpec | None = attrs.field(default=None, repr=False)
    _path_only: Callable[..., dict[str, Any]] | None = attrs.field(
        default=None, init=False, repr=False, eq=False
    )

    @property
    def module(self) -> ModuleType:
        """The endpoint module, imported on first use.

        The table names modules by their dotted name, so that ``import cakework`` does
        not load the generated package; it loads with the first request.
        """
        module = self._module
        if isinstance(module, str):
            module = importlib.import_module(module)
            object.__setattr__(self, "_module", module)
        return module

    def build(
        self, path: Sequence[str] = (), params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``build_request`` kwargs (URL relative to the base) for checked arguments."""
        if self._path_only is not None:
            return self._path_only(*path)
        if self.builder is not None:
            return self.builder(path, params or {})
        if self.spec is None or not (self.spec.query or self.spec.body is not None):
            # Path values only (getVM, stopVM, ...): from now on straight to _get_kwargs.
            get_kwargs = self.module._get_kwargs
            object.__setattr__(self, "_path_only", get_kwargs)
            kwargs: dict[str, Any] = get_kwargs(*path)
            return kwargs
        return build_request(self.spec, self.module, path, params or {})


def build_generated_client(
    config: ClientConfig,
    *,
    http_client: httpx.Client | None = None,
    async_http_client: httpx.AsyncClient | None = None,
) -> AuthenticatedClient:
    """The generated client, used as the factory of our own httpx clients.

    Its httpx clients get base URL, headers and timeout from ``config``; a client passed
    in by the user is used as is, because :class:`Envelope` puts the absolute URL, the
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


@attrs.frozen
class Envelope:
    """What every request of a client carries besides its operation's own arguments.

    Made once per client from its config (:meth:`of`); :meth:`complete` puts it on each
    request. The URL is made absolute and the timeout is set per request, and so are the
    auth header and User-Agent, so the request is the same whatever httpx client sends
    it (the user's, or one shared by ``with_options`` with another timeout).

    Attributes:
        base_url: Prefixed to the operation's relative URL.
        headers: Added after the operation's own headers (key and User-Agent, and a base
            URL's credentials as ``Authorization: Basic``), or ``None`` for none.
        timeouts: The timeout as httpx's request extension: ``build_request`` then uses
            it as it is, where a ``timeout=`` argument is copied into a new ``Timeout``.
    """

    base_url: str
    headers: Mapping[str, str] | None
    timeouts: Mapping[str, float | None]

    @classmethod
    def of(cls, config: ClientConfig, *, client_headers: bool = False) -> Envelope:
        """The envelope of ``config``'s requests.

        Args:
            config: The client's config.
            client_headers: The httpx client already carries key and User-Agent (one
                this client made from ``config`` itself), so httpx need not merge them
                into every request again.
        """
        headers: dict[str, str] = {}
        if not client_headers:
            # In the order the client made from ``config`` carries them: the same bytes on
            # the wire whichever httpx client sends the request.
            headers = {"User-Agent": USER_AGENT, API_KEY_HEADER: config.api_key}
        if config.userinfo is not None:
            # Credentials of the base URL travel as a header, never inside the URL, which
            # httpx logs and errors show (see ClientConfig.userinfo).
            basic = base64.b64encode(config.userinfo.reveal().encode("utf-8")).decode("ascii")
            headers["Authorization"] = Secret(f"Basic {basic}")
        # Read-only: every request of the client carries this one mapping.
        return cls(config.base_url, MappingProxyType(headers) if headers else None, config.timeouts)

    def complete(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """A builder's new kwargs (relative URL) as self-contained ``build_request`` kwargs.

        ``kwargs`` is completed in place: each builder makes a new dict per request.
        """
        kwargs["url"] = self.base_url + kwargs["url"]
        if self.headers is not None:
            own = kwargs.get("headers")
            kwargs["headers"] = {**own, **self.headers} if own else self.headers
        kwargs["extensions"] = {"timeout": self.timeouts}
        return kwargs


# -- building: checked arguments -> generated _get_kwargs ---------------------------------
# The generated package is imported by the first request, not by ``import cakework``.


@functools.cache
def _wire() -> ModuleType:
    from cakework_api import models

    return models


def _to_wire(value: Any) -> Any:
    """A checked argument as JSON-ready data (a ``BuildFile`` becomes its dict)."""
    if isinstance(value, m.BuildFile):
        return {"dir": value.dir, "name": value.name, "content": value.content}
    if isinstance(value, Mapping):
        return {key: _to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_wire(item) for item in value]
    return value


class _EnumValue(str):
    """A checked enum value where ``_get_kwargs`` takes a generated enum (it reads ``.value``).

    For an enum declared inline in a parameter, whose generated class name is the
    generator's choice.
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        """The value itself, as the generated enum's ``.value``."""
        return str(self)


def build_request(
    spec: OperationSpec, module: ModuleType, path: Sequence[str], params: Mapping[str, Any]
) -> dict[str, Any]:
    """``_get_kwargs`` of the endpoint module for checked path values and arguments.

    Query arguments go as keywords (an enum as the generated enum); body arguments go
    by their wire names through the generated request model's ``from_dict``, so the
    body is exactly what the generated client would send. Arguments left out are not
    sent at all.
    """
    kwargs: dict[str, Any] = {}
    for param in spec.query:
        value = params.get(param.name)
        if value is not None:
            enum_name = spec.enums.get(param.name)
            if enum_name:
                value = getattr(_wire(), enum_name)(value)
            elif param.rule.enum is not None:
                value = _EnumValue(value)
            kwargs[param.name] = value
    if spec.body is None:
        result: dict[str, Any] = module._get_kwargs(*path, **kwargs)
        return result
    # A secret goes as a Secret whoever called: errors scrub every Secret of the request.
    body = {
        field.wire: mask(params[field.name]) if field.secret else _to_wire(params[field.name])
        for field in spec.body
        if params.get(field.name) is not None
    }
    model = getattr(_wire(), spec.body_model or "")
    result = module._get_kwargs(*path, body=model.from_dict(body), **kwargs)
    encodable(result.get("json"), "body")
    return result


# -- parsing: one msgspec decode into the generated model ---------------------------------


_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(model: type[Any] | None) -> msgspec.json.Decoder[Any]:
    """One decoder per model, made once: it compiles the model's checks."""
    import msgspec  # with the first answer, not with ``import cakework``

    assert model is not None
    decoder = _DECODERS.get(model)
    if decoder is None:
        decoder = _DECODERS[model] = msgspec.json.Decoder(model)
    return decoder


def _body(response: httpx.Response) -> bytes | str:
    """The body for the decoder: its bytes when UTF-8 (msgspec checks them), else text."""
    if declared_charset(response).lower().replace("_", "-") in {DEFAULT_CHARSET, "utf8"}:
        return response.content
    # Decoded by the declared charset (a bad one is a ValueError, so a
    # ResponseValidationError), not guessed from the bytes as response.json() would.
    return strict_text(response)


_STAMPS, _LEVELS, _MESSAGES = attrgetter("timestamp"), attrgetter("level"), attrgetter("message")


def _columns(lines: Sequence[Any]) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]]:
    """A page's decoded lines as three columns (C code only, nothing kept per line)."""
    return tuple(map(_STAMPS, lines)), tuple(map(_LEVELS, lines)), tuple(map(_MESSAGES, lines))


def _log_batch(page: spec_models.LogPage) -> LogBatch:
    """A decoded log page as the batch a reader takes in (``_models.LogBatch``)."""
    return LogBatch(*_columns(page.lines), pagination=page.pagination, from_=page.from_, to=page.to)


def _log_lines(page: spec_models.CachedVMLogs) -> tuple[m.LogLine, ...]:
    """Every line of a decoded log, as ``LogLine`` named tuples."""
    return LogBatch(*_columns(page.lines)).all_lines()


_RESULTS: Final[Mapping[str, Callable[[Any], Any]]] = {
    "LogPage": _log_batch,
    "CachedVMLogs": _log_lines,
}
"""Response model (by name) -> what a call returns instead: log lines are read as columns and
handed out as ``LogLine`` named tuples (``_models``); any other model is returned as is."""


def parser(spec: OperationSpec) -> Callable[[httpx.Response], Any]:
    """The parser of an operation's success: decode once, then :data:`_RESULTS`.

    The model and its decoder are made by the first answer, so that ``import cakework``
    loads neither the generated models nor msgspec.
    """
    if spec.response is None:
        return no_body
    status = spec.status
    convert = _RESULTS.get(spec.response)
    made: list[msgspec.json.Decoder[Any]] = []

    def parse(response: httpx.Response) -> Any:
        # Only the documented status carries the body; another 2xx has none we could read.
        if response.status_code != status:
            raise TypeError(f"expected a {status} body, got status {response.status_code}")
        if not made:
            made.append(_decoder(response_model(spec)))
        if ";" in response.headers.get("content-type", ""):
            value = made[0].decode(_body(response))  # a charset may be declared
        else:
            value = made[0].decode(response.content)  # none is: UTF-8, as JSON is
        return value if convert is None else convert(value)

    return parse


def no_body(response: httpx.Response) -> None:
    """The parser of operations answered by 204 No Content: any 2xx is success."""
    return None


OPERATIONS: dict[str, Operation] = {
    spec.operation_id: Operation(
        spec.operation_id,
        retry_class(spec),
        spec.endpoint,
        parser(spec),
        done_if_conflict_on_retry=spec.operation_id in DONE_IF_CONFLICT_ON_RETRY,
        spec=spec,
    )
    for spec in SPECS.values()
}
"""operationId -> its row. Code and tests derive every per-operation list from it."""
