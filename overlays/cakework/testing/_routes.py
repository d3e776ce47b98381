"""The edge of the emulator: request validation against openapi.yaml, one handler per operation.

Validation reads the very ``openapi.yaml`` the client is generated from, loaded once per
process, so the spec and the emulator cannot drift. Handlers are deliberately tiny: pick
the validated values, call the backend, return the body (``None`` for 204).

Each operation's handler is the function of this module named after its operationId in
snake_case (``startVM`` -> ``start_vm``, :func:`handler_name`): a new operation in the
spec needs one function here, and an emulator without it refuses to start, naming it.
A request property that the operation's answer also declares (``Call.echo``) is stored
and answered back, so a property the spec adds to both round-trips with no code here.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs
import yaml
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS31Validator
from starlette.datastructures import QueryParams

from ._errors import TOO_DEEP, EmulatorError
from ._logs import DEFAULT_BATCH, LogRequest
from ._state import JSON, Backend

if TYPE_CHECKING:
    from openapi_core import OpenAPI

_SECRET_FIELDS = frozenset({"password", "token"})
# The validator's view of the host; the emulator's real host and port do not matter to it.
_SPEC_HOST = "https://api.cakework.com"
_API_PREFIX = "/v1"
_INTEGER = re.compile(r"-?[0-9]+")
# Schema keywords the fast path understands: a value these accept is unmarshalled by
# openapi-core into itself (no defaults filled in, no format turning a string into an
# object, no composition), so an accepted value needs no further work. Any other keyword
# sends the operation to openapi-core for every request.
_PLAIN_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "pattern",
        "enum",
        "const",
        "description",
        "example",
        "examples",
        "title",
    }
)
_NO_DEFAULT = object()
# Formats that neither openapi-core's validation nor its unmarshalling act on: ``password``
# only marks a secret (OpenAPI's own marker), the value stays the string it is.
_PLAIN_FORMATS = frozenset({"password"})


def find_spec() -> Path:
    """Locate openapi.yaml: packaged next to this module (wheel), else at the repo root.

    Raises:
        FileNotFoundError: neither exists.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi.yaml", here.parents[2] / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("openapi.yaml not found next to cakework.testing or at the repo root")


@attrs.frozen
class Call:
    """One validated request, as handlers see it.

    The key and the body (which may hold a password or token) stay out of its repr.
    """

    api_key: str = attrs.field(repr=False)
    path: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any = attrs.field(repr=False)
    echo: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    """The body properties the operation's success schema also declares."""


@attrs.define
class _SpecRequest:
    """The minimal request object openapi-core's unmarshaller reads."""

    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = _SPEC_HOST


@attrs.frozen
class Operation:
    """An operation of the spec: id, HTTP method and path template under ``/v1``."""

    operation_id: str
    method: str
    path: str


class SpecValidator:
    """Validates requests against openapi.yaml: a precompiled check per operation.

    The fast path is a plan compiled once per operation (:class:`_Plan`): path
    parameters, query parameters (cast as openapi-core casts them, defaults filled in)
    and the JSON body, each checked by a JSON Schema validator built once, of the class
    and with the format checker openapi-core uses for OpenAPI 3.1. A plan only ever
    *accepts*: a request it is not sure of (anything its checks refuse, an unusual
    content type, an empty query value) gets a full openapi-core round, which decides
    and words the refusal, and so does every request of an operation whose schemas use
    keywords outside ``_PLAIN_KEYWORDS``. So what is accepted and refused, and every
    refusal's message, are openapi-core's (``tests/emulator/test_validation_plan.py``
    checks that both agree on a corpus of valid and invalid requests), at a few
    microseconds instead of milliseconds for the requests clients send all day.
    """

    def __init__(self, spec_path: Path) -> None:
        self._spec_path = spec_path.resolve()
        self.operations: tuple[Operation, ...]
        self.operations, self._plans = _compile_spec(self._spec_path)

    def validate(
        self, op: Operation, path: str, query_string: bytes, content_type: str, body: bytes
    ) -> tuple[Mapping[str, Any], Any]:
        """Validate one request (already authenticated) and return ``(query, body)``.

        Args:
            op: The operation the router matched.
            path: The request's path.
            query_string: The raw query string.
            content_type: The Content-Type header ("" when absent).
            body: The raw body.

        Raises:
            EmulatorError: 400 with what is wrong.
        """
        try:
            plan = self._plans.get(op.operation_id)
            if plan is not None:
                accepted = plan.accept(path, query_string, content_type, body)
                if accepted is not None:
                    return accepted
            result = self.full_validation(op.method, path, query_string, content_type, body)
        except RecursionError:
            # JSON nested deeper than Python's parsers (and validators) recurse: a
            # malformed request, not a server fault.
            raise EmulatorError(400, TOO_DEEP) from None
        if isinstance(result, str):
            raise EmulatorError(400, result)
        return result

    def full_validation(
        self, method: str, path: str, query_string: bytes, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], Any] | str:
        """A full openapi-core round: ``(query, body)``, or what is wrong with the request."""
        _, openapi = _load_spec(self._spec_path)
        request = _SpecRequest(
            path=path,
            method=method.lower(),
            parameters=RequestParameters(
                query=QueryParams(query_string),
                header={"X-Api-Key": "present"},
                cookie={},
            ),
            body=body or None,
            content_type=content_type or "application/octet-stream",
        )
        result = openapi.unmarshal_request(request)
        for error in result.errors:
            return describe(error)
        return dict(result.parameters.query), result.body

    def echo(self, op: Operation, body: Any) -> dict[str, Any]:
        """The properties of a validated ``body`` that ``op``'s success schema declares."""
        if not isinstance(body, dict):
            return {}
        declared = _answer_properties(self._spec_path, op.operation_id)
        return {key: value for key, value in body.items() if key in declared}

    def plan_accepts(
        self, op: Operation, path: str, query_string: bytes, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], Any] | None:
        """What the fast path alone answers: ``(query, body)``, or ``None`` when unsure."""
        plan = self._plans.get(op.operation_id)
        return None if plan is None else plan.accept(path, query_string, content_type, body)


@attrs.frozen
class _QueryParam:
    name: str
    required: bool
    integer: bool
    default: Any
    check: Callable[[Any], bool]


@attrs.frozen
class _Plan:
    """What one operation certainly accepts, compiled from the spec."""

    path: re.Pattern[str]
    path_checks: tuple[tuple[str, Callable[[Any], bool]], ...]
    query: tuple[_QueryParam, ...]
    body_types: frozenset[str] | None
    """Media types of the JSON request body; ``None``: the operation takes no body."""
    body_check: Callable[[Any], bool] | None

    def accept(
        self, path: str, query_string: bytes, content_type: str, body: bytes
    ) -> tuple[dict[str, Any], Any] | None:
        """``(query, body)`` if the request is certainly valid, else ``None`` (unsure)."""
        match = self.path.fullmatch(path)
        if match is None:
            return None
        for name, check in self.path_checks:
            if not check(match[name]):
                return None
        query: dict[str, Any] = {}
        if self.query:
            params = QueryParams(query_string)  # as openapi-core reads it: last value wins
            for param in self.query:
                raw = params.get(param.name)
                if raw is None:
                    if param.default is not _NO_DEFAULT:
                        query[param.name] = param.default
                    elif param.required:
                        return None
                    continue
                if raw == "":
                    return None
                value: Any = raw
                if param.integer:
                    if not _INTEGER.fullmatch(raw):
                        return None
                    value = int(raw)
                if not param.check(value):
                    return None
                query[param.name] = value
        if self.body_types is None:
            return query, None  # openapi-core ignores a body the operation does not take
        if not body or content_type not in self.body_types:
            return None
        try:
            document = json.loads(body)
        except ValueError:
            return None
        if self.body_check is None or not self.body_check(document):
            return None
        return query, document


@functools.lru_cache(maxsize=4)
def _load_document(spec_path: Path) -> tuple[dict[str, Any], tuple[Operation, ...]]:
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    operations = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                operations.append(Operation(op["operationId"], method.upper(), path))
    return document, tuple(operations)


@functools.lru_cache(maxsize=64)
def _answer_properties(spec_path: Path, operation_id: str) -> frozenset[str]:
    """The properties of the JSON schema an operation answers with on success."""
    document, operations = _load_document(spec_path)
    op = next(o for o in operations if o.operation_id == operation_id)
    operation = document["paths"][op.path][op.method.lower()]
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            content = _resolve(document, response).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is not None:
                return frozenset(_resolve(document, schema).get("properties", {}))
    return frozenset()


@functools.lru_cache(maxsize=4)
def _load_spec(spec_path: Path) -> tuple[tuple[Operation, ...], OpenAPI]:
    # Loading and checking the spec with openapi-core takes ~0.1 s: it happens on the
    # first request the fast path cannot accept, and apps share the (read-only) result.
    from openapi_core import OpenAPI

    document, operations = _load_document(spec_path)
    return operations, OpenAPI.from_dict(document, base_uri=spec_path.as_uri())


@functools.lru_cache(maxsize=4)
def _compile_spec(spec_path: Path) -> tuple[tuple[Operation, ...], dict[str, _Plan]]:
    document, operations = _load_document(spec_path)
    plans = {}
    for op in operations:
        plan = _compile_operation(document, op)
        if plan is not None:
            plans[op.operation_id] = plan
    return operations, plans


def _compile_operation(document: Mapping[str, Any], op: Operation) -> _Plan | None:
    """The fast-path plan of one operation, or ``None`` if it uses what a plan lacks."""
    item = document["paths"][op.path]
    operation = item[op.method.lower()]
    parameters: dict[tuple[str, str], Mapping[str, Any]] = {}
    # Operation-level parameters override path-level ones of the same name and place.
    for node in [*item.get("parameters", []), *operation.get("parameters", [])]:
        param = _resolve(document, node)
        parameters[(param["name"], param["in"])] = param
    path_checks = []
    query = []
    for (name, place), param in parameters.items():
        if place not in {"path", "query"} or set(param) - _PLAIN_PARAMETER_KEYS:
            return None  # headers, cookies, styles, content: openapi-core every time
        schema = _plain_schema(document, param.get("schema"), top=True)
        if schema is None or schema.get("type") not in {"string", "integer"}:
            return None
        default = schema.pop("default", _NO_DEFAULT)
        check = _scalar_checker(schema)
        if place == "path":
            if schema["type"] != "string" or default is not _NO_DEFAULT:
                return None
            path_checks.append((name, check))
        else:
            required = bool(param.get("required"))
            query.append(_QueryParam(name, required, schema["type"] == "integer", default, check))
    body_types: frozenset[str] | None = None
    body_check: Callable[[Any], bool] | None = None
    if "requestBody" in operation:
        request_body = _resolve(document, operation["requestBody"])
        content = request_body.get("content", {})
        if not request_body.get("required") or set(content) != {"application/json"}:
            return None
        schema = _plain_schema(document, content["application/json"].get("schema"))
        if schema is None:
            return None
        body_types = frozenset(content)
        body_check = _checker(schema)
    template = re.escape(_API_PREFIX + op.path)
    pattern = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", template)
    return _Plan(re.compile(pattern), tuple(path_checks), tuple(query), body_types, body_check)


# Parameter object fields a plan handles (no style, explode, content, allowEmptyValue...).
_PLAIN_PARAMETER_KEYS = frozenset(
    {"name", "in", "required", "schema", "description", "example", "examples"}
)


def _checker(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    validator = OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER)
    check: Callable[[Any], bool] = validator.is_valid
    return check


# Keywords of a parameter schema that _scalar_checker turns into plain comparisons.
_SCALAR_KEYWORDS = frozenset(
    {"type", "minLength", "maxLength", "pattern", "enum", "minimum", "maximum"}
    | {"exclusiveMinimum", "exclusiveMaximum", "description", "example", "examples", "title"}
)


_BOUNDS: Mapping[str, Callable[[Any, Any], bool]] = {
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}


def _against(holds: Callable[[Any, Any], bool], bound: Any) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        return holds(value, bound)

    return test


def _scalar_checker(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    """The check of a path or query parameter's value (a ``str``, or an ``int`` from one).

    Every request carries path parameters, and a JSON Schema validator's round costs
    more than the rest of serving a getVM. A schema of the keywords above becomes the
    same comparisons as Python code, with the validator's meaning of each: ``pattern``
    is searched (``re.search``), lengths count code points, an integer is an ``int``
    that is not a ``bool``. Anything else keeps the validator.
    """
    kind = schema.get("type")
    enum = schema.get("enum", ())
    if (
        not set(schema) <= _SCALAR_KEYWORDS
        or kind not in {"string", "integer"}
        or not all(type(value) in {str, int} for value in enum)
    ):
        return _checker(schema)
    tests: list[Callable[[Any], bool]] = []
    if kind == "string":
        tests.append(lambda v: isinstance(v, str))
        if "minLength" in schema:
            tests.append(_against(lambda v, n: len(v) >= n, schema["minLength"]))
        if "maxLength" in schema:
            tests.append(_against(lambda v, n: len(v) <= n, schema["maxLength"]))
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            tests.append(lambda v: search(v) is not None)
    else:
        tests.append(lambda v: isinstance(v, int) and not isinstance(v, bool))
        for keyword, holds in _BOUNDS.items():
            if keyword in schema:
                tests.append(_against(holds, schema[keyword]))
    if "enum" in schema:
        tests.append(lambda v: any(type(v) is type(a) and v == a for a in enum))

    def check(value: Any) -> bool:
        return all(test(value) for test in tests)

    return check


def _plain_schema(
    document: Mapping[str, Any], node: Any, *, top: bool = False, depth: int = 0
) -> dict[str, Any] | None:
    """``node`` with every ``$ref`` inlined, or ``None`` if it is not plain (see above).

    Only a parameter's own schema may carry a ``default`` (``top``): openapi-core fills
    it in when the parameter is absent, which a plan does too; a default further down
    would be filled into objects by openapi-core's unmarshalling, which a plan does not.
    """
    if depth > 32 or not isinstance(node, Mapping):
        return None  # a cycle, or no schema at all
    node = _resolve(document, node)
    allowed = _PLAIN_KEYWORDS | {"default"} if top else _PLAIN_KEYWORDS
    if node.get("format", "password") in _PLAIN_FORMATS:
        allowed = allowed | {"format"}
    if not set(node) <= allowed:
        return None
    plain: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            properties = {}
            for name, child in value.items():
                inlined = _plain_schema(document, child, depth=depth + 1)
                if inlined is None:
                    return None
                properties[name] = inlined
            plain[key] = properties
        elif key in {"items", "additionalProperties"} and isinstance(value, Mapping):
            inlined = _plain_schema(document, value, depth=depth + 1)
            if inlined is None:
                return None
            plain[key] = inlined
        else:
            plain[key] = value
    return plain


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schema_messages(exc: BaseException | None) -> list[str]:
    messages = []
    for error in getattr(exc, "schema_errors", None) or ():
        location = ".".join(str(part) for part in error.absolute_path)
        last = str(error.absolute_path[-1]) if error.absolute_path else ""
        message = "invalid value" if last in _SECRET_FIELDS else error.message
        if isinstance(error.instance, dict | list):
            # A misshapen container (an array where the object belongs) may hold a
            # password or token: name its kind, never repeat its contents.
            kind = "an array" if isinstance(error.instance, list) else "an object"
            message = message.replace(repr(error.instance), kind)
        messages.append(f"{location}: {message}" if location else message)
    return messages


def describe(error: Exception) -> str:
    """Say what is wrong with a request, from an openapi-core validation error.

    Values of secret fields (``password``, ``token``) are never repeated.
    """
    cause = error.__cause__
    name = getattr(error, "name", None)
    messages = _schema_messages(cause)
    kind = type(error).__name__
    cause_kind = type(cause).__name__ if cause is not None else ""
    if name is not None:
        detail = "; ".join(messages) if messages else str(cause or error)
        return f"{name}: {detail}"
    if messages:
        return "; ".join(messages)
    if cause_kind == "MediaTypeDeserializeError":
        return "the request body is not valid JSON"
    if cause_kind == "MediaTypeNotFound":
        return "Content-Type must be application/json"
    if kind == "MissingRequestBody" or cause_kind == "MissingRequestBody":
        return "a JSON request body is required"
    return str(error) or kind


# ---- handlers: one per operation -------------------------------------------------------

Handler = Callable[[Backend, Call], "JSON | None"]


def _log_request(call: Call) -> LogRequest:
    query = call.query
    return LogRequest(
        query=query.get("query"),
        batch=query.get("batch", DEFAULT_BATCH),
        order=query.get("order", "oldest_first"),
        pagination=query.get("pagination"),
        from_=query.get("from"),
        to=query.get("to"),
    )


def import_image(backend: Backend, call: Call) -> JSON:
    """POST /image/import."""
    return backend.import_image(
        call.api_key, image_uri=call.body["imageUri"], password=call.body["password"]
    )


def build_image_from_files(backend: Backend, call: Call) -> JSON:
    """POST /image/build/files."""
    return backend.build_from_files(
        call.api_key, dockerfile=call.body["dockerfile"], files=call.body["files"]
    )


def build_image_from_github(backend: Backend, call: Call) -> JSON:
    """POST /image/build/github."""
    body = call.body
    return backend.build_from_github(
        call.api_key,
        dockerfile=body["dockerfile"],
        repository=body["repository"],
        branch=body["branch"],
        token=body["token"],
        dockerignore=body.get("dockerignore"),
    )


def get_build(backend: Backend, call: Call) -> JSON:
    """GET /image/build/{buildId}."""
    return backend.get_build(call.api_key, call.path["buildId"])


def get_build_logs(backend: Backend, call: Call) -> JSON:
    """GET /image/build/{buildId}/logs."""
    return backend.get_build_logs(call.api_key, call.path["buildId"], _log_request(call))


_VM_OPTIONS = ("imageId", "cpu", "memory", "port", "envVars")


def _vm_options(call: Call, disk: str) -> dict[str, Any]:
    body = call.body
    return {
        "image_id": body["imageId"],
        "cpu": body.get("cpu"),
        "memory": body.get("memory"),
        "port": body.get("port"),
        "env_vars": body.get("envVars"),
        # What the spec added to both request and answer: stored and answered back.
        "extra": {k: v for k, v in call.echo.items() if k not in (*_VM_OPTIONS, disk)},
    }


def start_vm(backend: Backend, call: Call) -> JSON:
    """POST /vm/start."""
    return backend.start_vm(
        call.api_key, **_vm_options(call, "volumeGB"), volume_gb=call.body.get("volumeGB")
    )


def stop_vm(backend: Backend, call: Call) -> None:
    """POST /vm/{vmId}/stop."""
    backend.stop_vm(call.api_key, call.path["vmId"])


def get_vm(backend: Backend, call: Call) -> JSON:
    """GET /vm/{vmId}."""
    return backend.get_vm(call.api_key, call.path["vmId"])


def list_vms(backend: Backend, call: Call) -> JSON:
    """GET /vms."""
    return backend.list_vms(
        call.api_key,
        image_id=call.query.get("imageId"),
        status=call.query.get("status"),
        pagination=call.query.get("pagination"),
    )


def get_vm_logs(backend: Backend, call: Call) -> JSON:
    """GET /vm/{vmId}/logs."""
    return backend.get_vm_logs(call.api_key, call.path["vmId"], _log_request(call))


def cache_vm(backend: Backend, call: Call) -> JSON:
    """POST /vm/cache."""
    return backend.cache_vm(
        call.api_key, **_vm_options(call, "diskSize"), disk_size=call.body.get("diskSize")
    )


def start_cached_vm(backend: Backend, call: Call) -> None:
    """POST /vm/cached/{cachedVmId}/start."""
    backend.start_cached_vm(call.api_key, call.path["cachedVmId"])


def stop_cached_vm(backend: Backend, call: Call) -> None:
    """POST /vm/cached/{cachedVmId}/stop."""
    backend.stop_cached_vm(call.api_key, call.path["cachedVmId"])


def destroy_cached_vm(backend: Backend, call: Call) -> None:
    """POST /vm/cached/{cachedVmId}/destroy."""
    backend.destroy_cached_vm(call.api_key, call.path["cachedVmId"])


def get_cached_vm_logs(backend: Backend, call: Call) -> JSON:
    """GET /vm/cached/{cachedVmId}/logs."""
    return backend.get_cached_vm_logs(call.api_key, call.path["cachedVmId"])


def handler_name(operation_id: str) -> str:
    """The name of an operation's handler: its operationId in snake_case.

    ``startVM`` -> ``start_vm``, ``getVMLogs`` -> ``get_vm_logs``, ``listVMs`` ->
    ``list_vms``: a run of capitals is one word (a plural ``s`` stays with it).
    """
    words = re.sub(r"([A-Z]+)([A-Z][a-z]{2,})", r"\1_\2", operation_id)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def handler_for(operation_id: str) -> Handler:
    """The handler of ``operation_id``.

    Raises:
        LookupError: This module has no handler for it; the message names the function
            to add.
    """
    name = handler_name(operation_id)
    handler = globals().get(name)
    if not callable(handler) or getattr(handler, "__module__", None) != __name__:
        raise LookupError(
            f"the emulator has no handler for operation {operation_id!r}: add a function"
            f" `def {name}(backend: Backend, call: Call) -> JSON | None` to"
            f" cakework/testing/_routes.py (and a Backend method it calls in _state.py)"
        )
    return cast(Handler, handler)


def handlers_for(operations: Iterable[Operation]) -> dict[str, Handler]:
    """Map every operation to its handler (operationId -> handler).

    Raises:
        LookupError: Some operations have no handler; the message names each function to
            add.
    """
    handlers: dict[str, Handler] = {}
    missing: list[str] = []
    for op in operations:
        try:
            handlers[op.operation_id] = handler_for(op.operation_id)
        except LookupError as exc:
            missing.append(str(exc))
    if missing:
        raise LookupError("openapi.yaml has operations the emulator lacks:\n" + "\n".join(missing))
    return handlers
