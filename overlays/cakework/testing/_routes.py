"""The edge of the emulator: request validation against openapi.yaml, one handler per operation.

Validation uses openapi-core on the very ``openapi.yaml`` the client is generated from,
loaded once per app, so the spec and the emulator cannot drift. Handlers are deliberately
tiny: pick the validated values, call the backend, return the body (``None`` for 204).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from starlette.datastructures import QueryParams

from ._errors import EmulatorError
from ._logs import DEFAULT_BATCH, LogRequest
from ._state import JSON, Backend

_SECRET_FIELDS = frozenset({"password", "token"})
# The validator's view of the host; the emulator's real host and port do not matter to it.
_SPEC_HOST = "https://api.cakework.com"
_MEMO_LIMIT = 4096
_MEMO_MAX_BODY = 4096  # large uploads (build contexts) are validated afresh, not kept


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
    any_path_value: bool = False
    """Every path parameter's schema accepts any non-empty string (see ``_accepts_any``)."""


class SpecValidator:
    """Validates requests against openapi.yaml with openapi-core.

    openapi-core costs about a millisecond per request, mostly resolving the spec. A
    request's validity depends only on its operation, path parameters, query string,
    content type and body (the API key is checked before), so results are memoised on
    exactly those. When every path parameter's schema accepts any non-empty string (a
    router-matched segment always is one), the path parameters cannot change the
    outcome and the memo is keyed on the operation instead of the concrete path: then
    ``getVM`` of any VM pays for validation once.
    """

    def __init__(self, spec_path: Path) -> None:
        self.operations, self._openapi = _load_spec(spec_path.resolve())
        self._memo: dict[tuple[str, str, bytes, str, bytes], tuple[Any, Any] | str] = {}

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
        key = (op.method, op.path if op.any_path_value else path, query_string, content_type, body)
        result = self._memo.get(key)
        if result is None:
            result = self._validate(op.method, path, query_string, content_type, body)
            if len(body) <= _MEMO_MAX_BODY:
                if len(self._memo) >= _MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = result
        if isinstance(result, str):
            raise EmulatorError(400, result)
        return result

    def _validate(
        self, method: str, path: str, query_string: bytes, content_type: str, body: bytes
    ) -> tuple[Any, Any] | str:
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
        result = self._openapi.unmarshal_request(request)
        for error in result.errors:
            return describe(error)
        return dict(result.parameters.query), result.body


@functools.lru_cache(maxsize=4)
def _load_spec(spec_path: Path) -> tuple[tuple[Operation, ...], OpenAPI]:
    # Parsing and checking the spec takes ~0.1 s; apps share the (read-only) result so
    # that a fixture starting an emulator per test stays fast.
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    operations = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            parameters = [_resolve(document, p) for p in item.get("parameters", [])]
            parameters += [_resolve(document, p) for p in op.get("parameters", [])]
            path_schemas = [
                _resolve(document, p.get("schema", {})) for p in parameters if p.get("in") == "path"
            ]
            any_value = all(_accepts_any(schema) for schema in path_schemas)
            operations.append(Operation(op["operationId"], method.upper(), path, any_value))
    return tuple(operations), OpenAPI.from_dict(document, base_uri=spec_path.as_uri())


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# Keywords that do not constrain a string value.
_ANNOTATIONS = frozenset({"type", "minLength", "description", "example", "examples", "title"})


def _accepts_any(schema: Mapping[str, Any]) -> bool:
    """Whether a schema accepts every non-empty string (conservative: unsure means no)."""
    return (
        schema.get("type") == "string"
        and schema.get("minLength", 0) <= 1
        and set(schema) <= _ANNOTATIONS
    )


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


def _vm_options(body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "image_id": body["imageId"],
        "cpu": body.get("cpu"),
        "memory": body.get("memory"),
        "port": body.get("port"),
        "env_vars": body.get("envVars"),
    }


def start_vm(backend: Backend, call: Call) -> JSON:
    """POST /vm/start."""
    return backend.start_vm(
        call.api_key, **_vm_options(call.body), volume_gb=call.body.get("volumeGB")
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
        call.api_key, **_vm_options(call.body), disk_size=call.body.get("diskSize")
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


HANDLERS: Mapping[str, Handler] = {
    "importImage": import_image,
    "buildImageFromFiles": build_image_from_files,
    "buildImageFromGithub": build_image_from_github,
    "getBuild": get_build,
    "getBuildLogs": get_build_logs,
    "startVM": start_vm,
    "stopVM": stop_vm,
    "getVM": get_vm,
    "listVMs": list_vms,
    "getVMLogs": get_vm_logs,
    "cacheVM": cache_vm,
    "startCachedVM": start_cached_vm,
    "stopCachedVM": stop_cached_vm,
    "destroyCachedVM": destroy_cached_vm,
    "getCachedVMLogs": get_cached_vm_logs,
}
"""operationId → handler; the app refuses to start if the spec has an operation not here."""
