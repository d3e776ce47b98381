"""The compatibility check's verdicts, edit by edit, on a frozen fixture spec.

Every edit is applied to tests/release/fixtures/openapi-0.1.0.yaml, never to the live
openapi.yaml, so a real edit of the spec fails only the tests about that edit (the gate
in test_release_check.py). Each edit finds its target by operationId and field name and
asserts the target is there. Verdicts come from `compat.classify`: the wire rules and the
public names both generators give each spec (computed once per spec, in one batch).
"""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import compat, public_names
from scripts.compat import Level

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "openapi-0.1.0.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Spec = dict[str, Any]


@functools.cache
def _loaded() -> Spec:
    return compat.load_spec(FIXTURE.read_text())


def load() -> Spec:
    return copy.deepcopy(_loaded())


# ---- locating targets ------------------------------------------------------------------


def resolve(spec: Spec, node: Any) -> Any:
    """The node a `$ref` chain points to, itself (not a merged copy), to edit it in place."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def path_of(spec: Spec, operation_id: str) -> tuple[str, str]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return path, method
    raise AssertionError(f"no operation {operation_id} in the spec")


def op(spec: Spec, operation_id: str) -> dict[str, Any]:
    path, method = path_of(spec, operation_id)
    found: dict[str, Any] = spec["paths"][path][method]
    return found


def param(spec: Spec, operation_id: str, name: str) -> dict[str, Any]:
    for raw in op(spec, operation_id).get("parameters", []):
        found = resolve(spec, raw)
        if found["name"] == name:
            assert isinstance(found, dict)
            return found
    raise AssertionError(f"{operation_id} has no parameter {name}")


def response(spec: Spec, operation_id: str, status: str = "200") -> dict[str, Any]:
    responses = op(spec, operation_id)["responses"]
    assert status in responses, f"{operation_id} has no response {status}"
    found = resolve(spec, responses[status])
    assert isinstance(found, dict)
    return found


def response_schema(spec: Spec, operation_id: str) -> dict[str, Any]:
    found = resolve(spec, response(spec, operation_id)["content"]["application/json"]["schema"])
    assert isinstance(found, dict)
    return found


def response_schema_of(spec: Spec, operation_id: str, status: str) -> dict[str, Any]:
    content = response(spec, operation_id, status)["content"]["application/json"]
    found = resolve(spec, content["schema"])
    assert isinstance(found, dict)
    return found


def request_schema(spec: Spec, operation_id: str) -> dict[str, Any]:
    body = resolve(spec, op(spec, operation_id)["requestBody"])
    found = resolve(spec, body["content"]["application/json"]["schema"])
    assert isinstance(found, dict)
    return found


def prop(schema: dict[str, Any], name: str, spec: Spec) -> dict[str, Any]:
    """The schema of a property, following its `$ref` (edits reach the shared component)."""
    assert name in schema.get("properties", {}), f"no field {name}"
    found = resolve(spec, schema["properties"][name])
    assert isinstance(found, dict)
    return found


def use(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The property as written at this use (`{$ref: ..., description: ...}`): for siblings."""
    found = schema["properties"][name]
    assert isinstance(found, dict)
    return found


def component(spec: Spec, name: str) -> dict[str, Any]:
    found = spec["components"]["schemas"][name]
    assert isinstance(found, dict)
    return found


def rename_component(spec: Spec, kind: str, old: str, new: str) -> None:
    """Rename components/<kind>/<old> and every `$ref` to it."""
    section = spec["components"][kind]
    assert old in section
    assert new not in section
    section[new] = section.pop(old)
    target, replacement = f"#/components/{kind}/{old}", f"#/components/{kind}/{new}"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == target:
                node["$ref"] = replacement
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def make_optional(schema: dict[str, Any], name: str) -> None:
    assert name in schema["required"], f"{name} is not required"
    schema["required"].remove(name)


# ---- the edits --------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    name: str
    mutate: Callable[[Spec], None]
    # None: not a change at all (an annotation nothing reads).
    verdict: Level | None
    # Text the report must contain (operation and field named).
    expect: str
    # Applied to both sides first, to build a baseline the rule needs (e.g. a closed enum).
    prepare: Callable[[Spec], None] | None = None


def _remove_operation(s: Spec) -> None:
    path, method = path_of(s, "stopVM")
    del s["paths"][path][method]


def _change_method(s: Spec) -> None:
    path, method = path_of(s, "listVMs")
    s["paths"][path]["post"] = s["paths"][path].pop(method)


def _change_path(s: Spec) -> None:
    path, _ = path_of(s, "listVMs")
    s["paths"]["/vm/list"] = s["paths"].pop(path)


def _remove_param(s: Spec) -> None:
    params = op(s, "listVMs")["parameters"]
    before = len(params)
    params[:] = [p for p in params if resolve(s, p).get("name") != "status"]
    assert len(params) == before - 1


def _rename_param(s: Spec) -> None:
    param(s, "listVMs", "imageId")["name"] = "image"


def _param_required(s: Spec) -> None:
    target = param(s, "listVMs", "pagination")
    assert not target.get("required")
    target["required"] = True


def _new_required_param(s: Spec) -> None:
    op(s, "listVMs")["parameters"].append(
        {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    )


def _remove_request_field(s: Spec) -> None:
    prop(request_schema(s, "startVM"), "port", s)
    del request_schema(s, "startVM")["properties"]["port"]


def _rename_request_field(s: Spec) -> None:
    schema = request_schema(s, "cacheVM")
    schema["properties"]["diskGB"] = schema["properties"].pop("diskSize")


def _request_field_required(s: Spec) -> None:
    schema = request_schema(s, "startVM")
    prop(schema, "cpu", s)
    assert "cpu" not in schema["required"]
    schema["required"].append("cpu")


def _new_required_request_field(s: Spec) -> None:
    schema = request_schema(s, "startVM")
    schema["properties"]["region"] = {"type": "string"}
    schema["required"].append("region")


def _request_type_changed(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "branch", s)
    assert target["type"] == "string"
    target["type"] = "integer"
    target.pop("minLength", None)
    target.pop("pattern", None)


def _format_changed(s: Spec) -> None:
    lines = prop(response_schema(s, "getBuildLogs"), "lines", s)
    timestamp = prop(resolve(s, lines["items"]), "timestamp", s)
    assert timestamp["format"] == "int64"
    timestamp["format"] = "int32"


def _max_lowered(s: Spec) -> None:
    schema = param(s, "getVMLogs", "batch")["schema"]
    schema["maximum"] = schema["maximum"] - 1


def _min_length_raised(s: Spec) -> None:
    target = prop(request_schema(s, "startVM"), "imageId", s)
    target["minLength"] = target.get("minLength", 0) + 4


def _pattern_changed(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "branch", s)
    target["pattern"] = "^[a-z]+$"


def _request_enum_narrowed(s: Spec) -> None:
    schema = resolve(s, param(s, "getVMLogs", "order")["schema"])
    assert "newest_first" in schema["enum"]
    schema["enum"].remove("newest_first")
    if schema.get("default") == "newest_first":
        schema["default"] = schema["enum"][0]


def _response_field_removed(s: Spec) -> None:
    schema = response_schema(s, "getBuild")
    prop(schema, "updatedAt", s)
    del schema["properties"]["updatedAt"]
    schema["required"].remove("updatedAt")


def _hostname_optional(s: Spec) -> None:
    make_optional(response_schema(s, "getVM"), "hostname")


def _hostname_nullable(s: Spec) -> None:
    target = prop(response_schema(s, "getVM"), "hostname", s)
    assert target["type"] == "string"
    target["type"] = ["string", "null"]


def _response_type_changed(s: Spec) -> None:
    target = prop(response_schema(s, "getVM"), "volumeGB", s)
    assert target["type"] == "integer"
    target["type"] = "string"
    target.pop("minimum", None)


def _close_level_enum(s: Spec) -> None:
    lines = prop(response_schema(s, "getVMLogs"), "lines", s)
    level = prop(resolve(s, lines["items"]), "level", s)
    level["enum"] = ["info", "error"]


def _widen_level_enum(s: Spec) -> None:
    lines = prop(response_schema(s, "getVMLogs"), "lines", s)
    level = prop(resolve(s, lines["items"]), "level", s)
    assert level["enum"] == ["info", "error"]
    level["enum"].append("debug")


def _status_removed(s: Spec) -> None:
    responses = op(s, "stopVM")["responses"]
    assert "409" in responses
    del responses["409"]


def _header_removed(s: Spec) -> None:
    headers = response(s, "getVM", "429")["headers"]
    assert "Retry-After" in headers
    del headers["Retry-After"]


def _security_changed(s: Spec) -> None:
    s["components"]["securitySchemes"]["bearer"] = {"type": "http", "scheme": "bearer"}
    op(s, "getVM")["security"] = [{"bearer": []}]


def _operation_id_renamed(s: Spec) -> None:
    op(s, "getBuild")["operationId"] = "describeBuild"


def _response_enum_removed_from_open_state(s: Spec) -> None:
    # Removing the open alternative closes the VM state enum a client must already accept.
    state = prop(response_schema(s, "getVM"), "state", s)
    variants = state["anyOf"]
    kept = [v for v in variants if not compat.is_open_alternative(resolve(s, v))]
    assert len(kept) == len(variants) - 1
    state["anyOf"] = kept


def _unknown_keyword_changed(s: Spec) -> None:
    target = prop(response_schema(s, "getVM"), "volumeGB", s)
    assert "not" not in target
    target["not"] = {"const": 7}


def _request_map_value_type_changed(s: Spec) -> None:
    variables = prop(request_schema(s, "startVM"), "envVars", s)
    values = variables["additionalProperties"]
    assert values["type"] == "string"
    values["type"] = "integer"


# ---- what breaks a typed caller although the wire stays the same -------------------------


def _schema_renamed(s: Spec) -> None:
    rename_component(s, "schemas", "VM", "VirtualMachine")


def _request_schema_renamed(s: Spec) -> None:
    rename_component(s, "schemas", "StartVMRequest", "VMStartRequest")


def _title_added(s: Spec) -> None:
    component(s, "VM")["title"] = "VirtualMachine"


def _request_title_added(s: Spec) -> None:
    component(s, "CacheVMRequest")["title"] = "CacheRequest"


def _first_tag_renamed(s: Spec) -> None:
    assert op(s, "getVM")["tags"] == ["VMs"]
    op(s, "getVM")["tags"] = ["Machines"]


def _tags_reordered(s: Spec) -> None:
    op(s, "getVM")["tags"] = ["Cached VMs", "VMs"]


def _request_enum_dropped(s: Spec) -> None:
    order = component(s, "LogOrder")
    assert "enum" in order
    del order["enum"]


def _enum_member_renamed(s: Spec) -> None:
    component(s, "LogOrder")["x-enum-varnames"] = ["OLDEST", "NEWEST"]


def _response_enum_value_removed(s: Spec) -> None:
    known = component(s, "KnownBuildStatus")
    assert "failed" in known["enum"]
    known["enum"].remove("failed")


def _parameter_component_renamed(s: Spec) -> None:
    rename_component(s, "parameters", "VMId", "VmId")


def _response_component_renamed(s: Spec) -> None:
    rename_component(s, "responses", "NotFound", "Missing")


def _path_parameter_renamed(s: Spec) -> None:
    path, _ = path_of(s, "getVM")
    assert path == "/vm/{vmId}"
    item = s["paths"].pop(path)
    item["get"]["parameters"] = [{**resolve(s, p), "name": "id"} for p in item["get"]["parameters"]]
    s["paths"]["/vm/{id}"] = item


def _read_only_beside_ref_in_request(s: Spec) -> None:
    use(request_schema(s, "startVM"), "imageId")["readOnly"] = True


def _write_only_beside_ref_in_response(s: Spec) -> None:
    use(response_schema(s, "getVM"), "hostname")["writeOnly"] = True


def _default_beside_ref_in_request(s: Spec) -> None:
    field = use(request_schema(s, "startVM"), "cpu")
    assert "$ref" in field
    assert "default" not in field
    field["default"] = 2


def _require_retry_after(s: Spec) -> None:
    s["components"]["headers"]["RetryAfter"]["required"] = True


def _retry_after_optional(s: Spec) -> None:
    header = s["components"]["headers"]["RetryAfter"]
    assert header["required"] is True
    header["required"] = False


def _header_type_changed(s: Spec) -> None:
    schema = s["components"]["headers"]["RetryAfter"]["schema"]
    assert schema["type"] == "string"
    s["components"]["headers"]["RetryAfter"]["schema"] = {"type": "integer", "minimum": 0}


# ---- more wire edits ---------------------------------------------------------------------


def _response_integer_to_number(s: Spec) -> None:
    target = prop(response_schema(s, "getVM"), "volumeGB", s)
    assert target["type"] == "integer"
    target["type"] = "number"


def _request_nullable(s: Spec) -> None:
    schema = request_schema(s, "buildImageFromGithub")
    schema["properties"]["dockerignore"] = {
        "oneOf": [schema["properties"]["dockerignore"], {"type": "null"}]
    }


def _request_not_nullable(s: Spec) -> None:
    schema = request_schema(s, "buildImageFromGithub")
    variants = schema["properties"]["dockerignore"]["oneOf"]
    schema["properties"]["dockerignore"] = variants[0]


def _request_string_format_added(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "repository", s)
    assert "format" not in target
    target["format"] = "uri"


def _response_number_format_removed(s: Spec) -> None:
    lines = prop(response_schema(s, "getBuildLogs"), "lines", s)
    timestamp = prop(resolve(s, lines["items"]), "timestamp", s)
    assert timestamp["format"] == "int64"
    del timestamp["format"]


def _request_media_type_changed(s: Spec) -> None:
    body = resolve(s, op(s, "startVM")["requestBody"])
    body["content"] = {"application/x-www-form-urlencoded": body["content"]["application/json"]}


def _response_media_removed(s: Spec) -> None:
    del response(s, "getBuild")["content"]


def _request_closed(s: Spec) -> None:
    variables = component(s, "EnvVars")
    assert isinstance(variables["additionalProperties"], dict)
    variables["additionalProperties"] = False


def _request_minimum_raised(s: Spec) -> None:
    cpu = component(s, "Cpu")
    cpu["minimum"] = cpu["minimum"] + 1


def _request_max_length_lowered(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromFiles"), "dockerfile", s)
    target["maxLength"] = 10_000


def _request_min_items_added(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromFiles"), "files", s)
    assert "minItems" not in target
    target["minItems"] = 2


def _all_of_added(s: Spec) -> None:
    schema = request_schema(s, "importImage")
    schema["allOf"] = [{"required": ["imageUri"]}]


def _param_style_changed(s: Spec) -> None:
    param(s, "getVMLogs", "query")["style"] = "deepObject"


def _response_required_header_removed(s: Spec) -> None:
    headers = response(s, "getVM", "429")["headers"]
    del headers["Retry-After"]


def _body_made_required(s: Spec) -> None:
    body = resolve(s, op(s, "startVM")["requestBody"])
    assert body["required"] is True
    body["required"] = False
    op(s, "startVM")["requestBody"] = body


def _body_now_required(s: Spec) -> None:
    op(s, "startVM")["requestBody"]["required"] = True


def _response_enum_closed_by_removing_open_variant(s: Spec) -> None:
    status = component(s, "BuildStatus")
    status["anyOf"] = [v for v in status["anyOf"] if "$ref" in v]


def _request_enum_appears(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "branch", s)
    assert "enum" not in target
    target["enum"] = ["main", "master"]


def _const_added_to_request(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "branch", s)
    target["const"] = "main"


BREAKING = [
    Edit("operation removed", _remove_operation, Level.BREAKING, "stopVM: operation POST"),
    Edit("method changed", _change_method, Level.BREAKING, "listVMs: moved from GET"),
    Edit("path changed", _change_path, Level.BREAKING, "listVMs: moved from GET /vms"),
    Edit("query param removed", _remove_param, Level.BREAKING, "query parameter `status` removed"),
    Edit(
        "query param renamed",
        _rename_param,
        Level.BREAKING,
        "listVMs: query parameter `imageId` renamed to `image`",
    ),
    Edit("param made required", _param_required, Level.BREAKING, "`pagination` is now required"),
    Edit(
        "new required param",
        _new_required_param,
        Level.BREAKING,
        "listVMs: query parameter `region` added, required",
    ),
    Edit(
        "request field removed",
        _remove_request_field,
        Level.BREAKING,
        "startVM: request field `port` removed",
    ),
    Edit(
        "request field renamed",
        _rename_request_field,
        Level.BREAKING,
        "cacheVM: request field `diskSize` renamed to `diskGB`",
    ),
    Edit(
        "request field made required",
        _request_field_required,
        Level.BREAKING,
        "startVM: request field `cpu` is now required",
    ),
    Edit(
        "new required request field",
        _new_required_request_field,
        Level.BREAKING,
        "startVM: request field `region` added, required",
    ),
    Edit(
        "request type changed",
        _request_type_changed,
        Level.BREAKING,
        "buildImageFromGithub: request field `branch` type changed from string to integer",
    ),
    Edit(
        "format changed",
        _format_changed,
        Level.BREAKING,
        "getBuildLogs: response field `lines[].timestamp` format changed",
    ),
    Edit(
        "request maximum lowered",
        _max_lowered,
        Level.BREAKING,
        "getVMLogs: query parameter `batch` maximum narrowed",
    ),
    Edit(
        "request minLength raised",
        _min_length_raised,
        Level.BREAKING,
        "startVM: request field `imageId` minLength narrowed",
    ),
    Edit(
        "request pattern added or changed",
        _pattern_changed,
        Level.BREAKING,
        "buildImageFromGithub: request field `branch` pattern",
    ),
    Edit(
        "request enum narrowed",
        _request_enum_narrowed,
        Level.BREAKING,
        "getVMLogs: query parameter `order` enum value(s) newest_first removed",
    ),
    Edit(
        "response field removed",
        _response_field_removed,
        Level.BREAKING,
        "getBuild: response field `updatedAt` removed",
    ),
    Edit(
        "response field made optional",
        _hostname_optional,
        Level.BREAKING,
        "getVM: response field `hostname` is now optional",
    ),
    Edit(
        "response field nullable",
        _hostname_nullable,
        Level.BREAKING,
        "getVM: response field `hostname` is now nullable",
    ),
    Edit(
        "response type changed",
        _response_type_changed,
        Level.BREAKING,
        "getVM: response field `volumeGB` type changed from integer to string",
    ),
    Edit(
        "closed response enum widened",
        _widen_level_enum,
        Level.BREAKING,
        "getVMLogs: response field `lines[].level` enum value(s) debug added",
        prepare=_close_level_enum,
    ),
    Edit(
        "open response enum closed",
        _response_enum_removed_from_open_state,
        Level.BREAKING,
        "getVM: response field `state` anyOf alternatives changed",
    ),
    Edit("status code removed", _status_removed, Level.BREAKING, "stopVM: response status 409"),
    Edit(
        "response header removed",
        _header_removed,
        Level.BREAKING,
        "getVM: response 429 header `retry-after` removed",
    ),
    Edit(
        "security changed",
        _security_changed,
        Level.BREAKING,
        "getVM: security requirements changed",
    ),
    Edit(
        "a keyword no rule covers",
        _unknown_keyword_changed,
        Level.BREAKING,
        "getVM: response field `volumeGB` `not` changed",
    ),
    Edit(
        "request map value type changed",
        _request_map_value_type_changed,
        Level.BREAKING,
        "startVM: request field `envVars.*` type changed from string to integer",
    ),
    Edit(
        "operationId renamed",
        _operation_id_renamed,
        Level.BREAKING,
        "getBuild: operationId renamed to `describeBuild`",
    ),
    Edit(
        "schema component renamed",
        _schema_renamed,
        Level.BREAKING,
        "Python client: `cakework_api.models.VM` removed",
    ),
    Edit(
        "schema component renamed (TypeScript)",
        _schema_renamed,
        Level.BREAKING,
        'TypeScript client: `components["schemas"]["VM"]` removed',
    ),
    Edit(
        "request schema renamed",
        _request_schema_renamed,
        Level.BREAKING,
        "Python client: `cakework_api.models.StartVMRequest` removed",
    ),
    Edit(
        "title added to a component",
        _title_added,
        Level.BREAKING,
        "Python client: `cakework_api.models.VM` removed",
    ),
    Edit(
        "title added to a request component",
        _request_title_added,
        Level.BREAKING,
        "Python client: `cakework_api.models.CacheVMRequest` removed",
    ),
    Edit(
        "first tag renamed",
        _first_tag_renamed,
        Level.BREAKING,
        "Python client: `cakework_api.api.v_ms.get_vm` removed",
    ),
    Edit(
        "tags reordered",
        _tags_reordered,
        Level.BREAKING,
        "Python client: `cakework_api.api.v_ms.get_vm` removed",
    ),
    Edit(
        "request enum dropped",
        _request_enum_dropped,
        Level.BREAKING,
        "Python client: `cakework_api.models.LogOrder` removed",
    ),
    Edit(
        "enum member names changed by x-enum-varnames",
        _enum_member_renamed,
        Level.BREAKING,
        "Python client: `cakework_api.models.LogOrder.OLDEST_FIRST` removed",
    ),
    Edit(
        "response enum value removed",
        _response_enum_value_removed,
        Level.BREAKING,
        "Python client: `cakework_api.models.KnownBuildStatus.FAILED` removed",
    ),
    Edit(
        "parameter component renamed",
        _parameter_component_renamed,
        Level.BREAKING,
        'TypeScript client: `components["parameters"]["VMId"]` removed',
    ),
    Edit(
        "response component renamed",
        _response_component_renamed,
        Level.BREAKING,
        'TypeScript client: `components["responses"]["NotFound"]` removed',
    ),
    Edit(
        "path parameter renamed",
        _path_parameter_renamed,
        Level.BREAKING,
        'TypeScript client: `paths["/vm/{vmId}"]` removed',
    ),
    Edit(
        "readOnly beside a $ref in a request",
        _read_only_beside_ref_in_request,
        Level.BREAKING,
        "startVM: request field `imageId` is now readOnly",
    ),
    Edit(
        "writeOnly beside a $ref in a response",
        _write_only_beside_ref_in_response,
        Level.BREAKING,
        "getVM: response field `hostname` is now writeOnly",
    ),
    Edit(
        "default beside a $ref in a request",
        _default_beside_ref_in_request,
        Level.BREAKING,
        "startVM: request field `cpu` default changed from None to 2",
    ),
    Edit(
        "response header made optional",
        _retry_after_optional,
        Level.BREAKING,
        "response 429 header `retry-after` is now optional",
        prepare=_require_retry_after,
    ),
    Edit(
        "response header type changed",
        _header_type_changed,
        Level.BREAKING,
        "response 429 header `retry-after` type changed from string to integer",
    ),
    Edit(
        "response integer widened to number",
        _response_integer_to_number,
        Level.BREAKING,
        "getVM: response field `volumeGB` type changed from integer to number",
    ),
    Edit(
        "request nullability removed",
        _request_not_nullable,
        Level.BREAKING,
        "buildImageFromGithub: request field `dockerignore` is no longer nullable",
        prepare=_request_nullable,
    ),
    Edit(
        "request string format added",
        _request_string_format_added,
        Level.BREAKING,
        "buildImageFromGithub: request field `repository` format changed from None to 'uri'",
    ),
    Edit(
        "response number format removed",
        _response_number_format_removed,
        Level.BREAKING,
        "getBuildLogs: response field `lines[].timestamp` format changed from 'int64' to None",
    ),
    Edit(
        "request media type changed",
        _request_media_type_changed,
        Level.BREAKING,
        "startVM: request body media type application/json removed",
    ),
    Edit(
        "response media type removed",
        _response_media_removed,
        Level.BREAKING,
        "getBuild: response media type application/json removed",
    ),
    Edit(
        "request object closed",
        _request_closed,
        Level.BREAKING,
        "startVM: request field `envVars` no longer accepts other fields",
    ),
    Edit(
        "request minimum raised",
        _request_minimum_raised,
        Level.BREAKING,
        "startVM: request field `cpu` minimum narrowed",
    ),
    Edit(
        "request maxLength lowered",
        _request_max_length_lowered,
        Level.BREAKING,
        "buildImageFromFiles: request field `dockerfile` maxLength narrowed",
    ),
    Edit(
        "request minItems added",
        _request_min_items_added,
        Level.BREAKING,
        "buildImageFromFiles: request field `files` minItems narrowed from None to 2",
    ),
    Edit(
        "allOf added",
        _all_of_added,
        Level.BREAKING,
        "importImage: request allOf added or removed",
    ),
    Edit(
        "parameter style changed",
        _param_style_changed,
        Level.BREAKING,
        "getVMLogs: query parameter `query` style changed",
    ),
    Edit(
        "request body made required",
        _body_now_required,
        Level.BREAKING,
        "startVM: request body is now required",
        prepare=_body_made_required,
    ),
    Edit(
        "open response enum closed (component)",
        _response_enum_closed_by_removing_open_variant,
        Level.BREAKING,
        "getBuild: response field `status` anyOf alternatives changed",
    ),
    Edit(
        "request enum appears",
        _request_enum_appears,
        Level.BREAKING,
        "buildImageFromGithub: request field `branch` enum added",
    ),
    Edit(
        "const added to a request field",
        _const_added_to_request,
        Level.BREAKING,
        "buildImageFromGithub: request field `branch` `const` changed",
    ),
]


def _new_operation(s: Spec) -> None:
    restart = copy.deepcopy(op(s, "stopVM"))
    restart["operationId"] = "restartVM"
    assert "/vm/{vmId}/restart" not in s["paths"]
    s["paths"]["/vm/{vmId}/restart"] = {"post": restart}


def _new_optional_param(s: Spec) -> None:
    op(s, "listVMs")["parameters"].append(
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
    )


def _new_optional_request_field(s: Spec) -> None:
    request_schema(s, "startVM")["properties"]["region"] = {"type": "string"}


def _new_response_field(s: Spec) -> None:
    response_schema(s, "getVM")["properties"]["region"] = {"type": "string"}


def _max_raised(s: Spec) -> None:
    schema = param(s, "getVMLogs", "batch")["schema"]
    schema["maximum"] = schema["maximum"] * 2


def _request_enum_widened(s: Spec) -> None:
    resolve(s, param(s, "getVMLogs", "order")["schema"])["enum"].append("random")


def _description_changed(s: Spec) -> None:
    target = op(s, "getVM")
    target["description"] = target["description"] + "\nMore words.\n"


def _summary_changed(s: Spec) -> None:
    op(s, "startVM")["summary"] = "Start a VM"


def _examples_changed(s: Spec) -> None:
    content = resolve(s, op(s, "startVM")["requestBody"])["content"]["application/json"]
    content["example"] = {"imageId": "another-image"}
    prop(request_schema(s, "startVM"), "imageId", s)["examples"] = ["img-1"]


def _tags_changed(s: Spec) -> None:
    op(s, "getVM")["tags"] = ["VMs", "Cached VMs"]


def _new_status(s: Spec) -> None:
    responses = op(s, "getVM")["responses"]
    assert "418" not in responses
    responses["418"] = {"description": "Teapot."}


def _request_field_optional(s: Spec) -> None:
    make_optional(request_schema(s, "buildImageFromGithub"), "branch")


def _response_field_required(s: Spec) -> None:
    schema = response_schema(s, "getBuild")
    prop(schema, "imageId", s)
    assert "imageId" not in schema["required"]
    schema["required"].append("imageId")


def _open_enum_widened(s: Spec) -> None:
    state = prop(response_schema(s, "getVM"), "state", s)
    known = resolve(s, state["anyOf"][0])
    known["enum"].append("paused")


def _request_pattern_removed(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "repository", s)
    assert "pattern" in target
    del target["pattern"]


def _deprecated(s: Spec) -> None:
    op(s, "listVMs")["deprecated"] = True


def _api_description_changed(s: Spec) -> None:
    s["info"]["description"] += "\nMore words.\n"


# ---- annotations and widenings that break no one ------------------------------------------


def _comment_added(s: Spec) -> None:
    component(s, "VM")["$comment"] = "Kept in step with the service's VM document."


def _unread_extension_on_schema(s: Spec) -> None:
    component(s, "VM")["x-internal-owner"] = "platform team"


def _unread_extension_on_operation(s: Spec) -> None:
    op(s, "getVM")["x-audience"] = "public"


def _request_integer_to_number(s: Spec) -> None:
    schema = param(s, "getVMLogs", "batch")["schema"]
    assert schema["type"] == "integer"
    schema["type"] = "number"


def _request_nullable_type_list(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "token", s)
    assert target["type"] == "string"
    target["type"] = ["string", "null"]


def _description_beside_ref(s: Spec) -> None:
    field = use(response_schema(s, "getVM"), "id")
    assert "$ref" in field
    field["description"] = "Id of the VM, unique among the account's VMs."


def _read_only_in_response(s: Spec) -> None:
    use(response_schema(s, "getVM"), "createdAt")["readOnly"] = True


def _write_only_in_request(s: Spec) -> None:
    prop(request_schema(s, "importImage"), "password", s)["writeOnly"] = True


def _response_header_added(s: Spec) -> None:
    response(s, "getVM")["headers"] = {"X-Request-Id": {"schema": {"type": "string"}}}


def _optional_header(s: Spec) -> None:
    s["components"]["headers"]["RetryAfter"]["required"] = False


def _header_required(s: Spec) -> None:
    s["components"]["headers"]["RetryAfter"]["required"] = True


def _nullable_spelling_changed(s: Spec) -> None:
    target = prop(request_schema(s, "buildImageFromGithub"), "token", s)
    assert target["type"] == ["string", "null"]
    rest = {k: v for k, v in target.items() if k != "type"}
    target.clear()
    target["oneOf"] = [{"type": "string", **rest}, {"type": "null"}]


def _response_maximum_added(s: Spec) -> None:
    target = prop(response_schema(s, "getVM"), "volumeGB", s)
    assert "maximum" not in target
    target["maximum"] = 65536


def _unused_component_added(s: Spec) -> None:
    s["components"]["schemas"]["Region"] = {"type": "string", "description": "A region."}


def _enum_descriptions_added(s: Spec) -> None:
    component(s, "LogOrder")["x-enum-descriptions"] = ["Oldest line first.", "Newest first."]


def _request_number_format_removed(s: Spec) -> None:
    schema = param(s, "getVMLogs", "batch")["schema"]
    schema["format"] = "int32"


def _request_number_format_dropped(s: Spec) -> None:
    schema = param(s, "getVMLogs", "batch")["schema"]
    assert schema["format"] == "int32"
    del schema["format"]


def _response_enum_appears(s: Spec) -> None:
    lines = prop(response_schema(s, "getVMLogs"), "lines", s)
    message = prop(resolve(s, lines["items"]), "message", s)
    assert "enum" not in message
    message["enum"] = ["started", "stopped"]


def _response_default_changed(s: Spec) -> None:
    prop(response_schema(s, "getVM"), "volumeGB", s)["default"] = 0


NON_BREAKING = [
    Edit("API description changed", _api_description_changed, Level.DOCS, "API: info description"),
    Edit("operation deprecated", _deprecated, Level.NON_BREAKING, "listVMs: deprecation changed"),
    Edit("new operation", _new_operation, Level.NON_BREAKING, "restartVM: new operation POST"),
    Edit(
        "new optional param",
        _new_optional_param,
        Level.NON_BREAKING,
        "listVMs: query parameter `limit` added",
    ),
    Edit(
        "new optional request field",
        _new_optional_request_field,
        Level.NON_BREAKING,
        "startVM: request field `region` added",
    ),
    Edit(
        "new response field",
        _new_response_field,
        Level.NON_BREAKING,
        "getVM: response field `region` added",
    ),
    Edit(
        "request maximum raised",
        _max_raised,
        Level.NON_BREAKING,
        "getVMLogs: query parameter `batch` maximum widened",
    ),
    Edit(
        "request enum widened",
        _request_enum_widened,
        Level.NON_BREAKING,
        "getVMLogs: query parameter `order` enum value(s) random added",
    ),
    Edit("description changed", _description_changed, Level.DOCS, "getVM: description changed"),
    Edit("summary changed", _summary_changed, Level.DOCS, "startVM: summary changed"),
    Edit("examples changed", _examples_changed, Level.DOCS, "startVM: request body example"),
    Edit("tags changed", _tags_changed, Level.DOCS, "getVM: tags changed"),
    Edit("new status code", _new_status, Level.NON_BREAKING, "getVM: response status 418 added"),
    Edit(
        "request field made optional",
        _request_field_optional,
        Level.NON_BREAKING,
        "buildImageFromGithub: request field `branch` is now optional",
    ),
    Edit(
        "response field made required",
        _response_field_required,
        Level.NON_BREAKING,
        "getBuild: response field `imageId` is now required",
    ),
    Edit(
        "open response enum widened",
        _open_enum_widened,
        Level.NON_BREAKING,
        "getVM: response field `state` enum value(s) paused added (open enum)",
    ),
    Edit(
        "request pattern removed",
        _request_pattern_removed,
        Level.NON_BREAKING,
        "buildImageFromGithub: request field `repository` pattern",
    ),
    Edit("$comment added", _comment_added, Level.DOCS, "response $comment changed"),
    Edit("unread x- extension on a schema", _unread_extension_on_schema, None, ""),
    Edit("unread x- extension on an operation", _unread_extension_on_operation, None, ""),
    Edit(
        "request integer widened to number",
        _request_integer_to_number,
        Level.NON_BREAKING,
        "getVMLogs: query parameter `batch` type changed from integer to number",
    ),
    Edit(
        "request nullability added with oneOf [$ref, null]",
        _request_nullable,
        Level.NON_BREAKING,
        "buildImageFromGithub: request field `dockerignore` is now nullable",
    ),
    Edit(
        "request nullability added with a type list",
        _request_nullable_type_list,
        Level.NON_BREAKING,
        "buildImageFromGithub: request field `token` is now nullable",
    ),
    Edit(
        "nullability spelled another way",
        _nullable_spelling_changed,
        None,
        "",
        prepare=_request_nullable_type_list,
    ),
    Edit(
        "description beside a $ref",
        _description_beside_ref,
        Level.DOCS,
        "getVM: response field `id` description changed",
    ),
    Edit(
        "readOnly on a response field",
        _read_only_in_response,
        Level.NON_BREAKING,
        "getVM: response field `createdAt` is now readOnly",
    ),
    Edit(
        "writeOnly on a request field",
        _write_only_in_request,
        Level.NON_BREAKING,
        "importImage: request field `password` is now writeOnly",
    ),
    Edit(
        "response header added",
        _response_header_added,
        Level.NON_BREAKING,
        "getVM: response header `x-request-id` added",
    ),
    Edit(
        "response header made required",
        _header_required,
        Level.NON_BREAKING,
        "response 429 header `retry-after` is now required",
        prepare=_optional_header,
    ),
    Edit(
        "response maximum added",
        _response_maximum_added,
        Level.NON_BREAKING,
        "getVM: response field `volumeGB` maximum narrowed",
    ),
    Edit(
        "unused component added",
        _unused_component_added,
        Level.NON_BREAKING,
        'TypeScript client: `components["schemas"]["Region"]` added',
    ),
    Edit(
        "enum descriptions added",
        _enum_descriptions_added,
        Level.DOCS,
        "extension `x-enum-descriptions` changed",
    ),
    Edit(
        "request number format removed",
        _request_number_format_dropped,
        Level.NON_BREAKING,
        "getVMLogs: query parameter `batch` format changed from 'int32' to None",
        prepare=_request_number_format_removed,
    ),
    Edit(
        "response enum appears",
        _response_enum_appears,
        Level.NON_BREAKING,
        "getVMLogs: response field `lines[].message` enum added",
    ),
    Edit(
        "response default changed",
        _response_default_changed,
        Level.NON_BREAKING,
        "getVM: response field `volumeGB` default changed",
    ),
]


def test_the_table_is_big_enough() -> None:
    assert len(BREAKING) >= 45
    assert len(NON_BREAKING) >= 20
    assert all(e.verdict is Level.BREAKING for e in BREAKING)
    assert all(e.verdict is not Level.BREAKING for e in NON_BREAKING)
    assert len({e.name for e in BREAKING + NON_BREAKING}) == len(BREAKING + NON_BREAKING)


def _specs(edit: Edit) -> tuple[Spec, Spec]:
    old = load()
    if edit.prepare is not None:
        edit.prepare(old)
    new = copy.deepcopy(old)
    edit.mutate(new)
    return old, new


@pytest.fixture(scope="module", autouse=True)
def _names_of_every_spec(request: pytest.FixtureRequest) -> None:
    # Both generators name every spec of the selected rows up front: openapi-typescript in
    # one Node process for all of them, openapi-python-client on every core, instead of one
    # spec at a time in each test.
    selected = [
        item.callspec.params["edit"]
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and hasattr(item, "callspec")
        and "edit" in item.callspec.params
    ]
    specs = [spec for edit in selected if isinstance(edit, Edit) for spec in _specs(edit)]
    public_names.public_names(specs)


def test_the_spec_against_itself_has_no_change() -> None:
    assert compat.classify(load(), load()).changes == []


@pytest.mark.parametrize("edit", BREAKING + NON_BREAKING, ids=lambda e: e.name)
def test_verdict(edit: Edit) -> None:
    old, new = _specs(edit)
    report = compat.classify(old, new)
    assert report.level is edit.verdict, [c.line() for c in report.changes]
    # The expected text names one operation: look for it before grouping.
    lines = [c.line() for c in compat.diff_specs(old, new) + compat.name_changes(old, new)]
    if edit.verdict is None:
        assert lines == []
    else:
        assert any(edit.expect in line for line in lines), lines


def test_every_diff_edit_is_a_real_change_of_the_fixture() -> None:
    # An edit whose target vanished from the fixture would silently test nothing.
    for edit in BREAKING + NON_BREAKING:
        old, new = _specs(edit)
        assert old != new, edit.name


def test_a_shared_component_change_is_reported_for_every_operation_using_it() -> None:
    old = load()
    new = copy.deepcopy(old)
    _hostname_optional(new)
    lines = {c.line() for c in compat.diff_specs(old, new)}
    assert "startVM: response field `hostname` is now optional (breaking)" in lines
    assert "getVM: response field `hostname` is now optional (breaking)" in lines
    assert "listVMs: response field `vms[].hostname` is now optional (breaking)" in lines


def test_a_change_to_the_shared_error_body_is_printed_once_naming_the_operations() -> None:
    old = load()
    new = copy.deepcopy(old)
    error = response_schema_of(new, "getVM", "404")
    prop(error, "error", new)
    del error["properties"]["error"]
    changes = compat.diff_specs(old, new)
    assert len(changes) > 15
    lines = [c.line() for c in compat.grouped(changes)]
    assert len(lines) < len(changes)
    removed_404 = [line for line in lines if "response 404 field `error` removed" in line]
    assert len(removed_404) == 1
    assert removed_404[0].startswith("buildImageFromFiles, buildImageFromGithub, ")
    assert "getVM, " in removed_404[0]


def test_a_name_is_reported_once_with_its_members() -> None:
    old, new = _specs(BREAKING[[e.name for e in BREAKING].index("schema component renamed")])
    lines = [c.line() for c in compat.name_changes(old, new)]
    removed = [line for line in lines if "removed" in line and "Python" in line]
    assert removed == ["Python client: `cakework_api.models.VM` removed (breaking)"], lines


@pytest.mark.parametrize(
    ("previous", "level", "needed"),
    [
        ((0, 1, 0), Level.BREAKING, (0, 2, 0)),
        ((0, 1, 3), Level.NON_BREAKING, (0, 1, 4)),
        ((0, 1, 3), Level.DOCS, (0, 1, 4)),
        ((1, 4, 2), Level.BREAKING, (2, 0, 0)),
        ((1, 4, 2), Level.NON_BREAKING, (1, 5, 0)),
        ((1, 4, 2), Level.DOCS, (1, 4, 3)),
        ((1, 4, 2), None, (1, 4, 2)),
    ],
)
def test_required_version_reads_0x_like_a_caret(
    previous: tuple[int, int, int], level: Level | None, needed: tuple[int, int, int]
) -> None:
    assert compat.required_version(previous, level) == needed


def test_code_changes_alone_need_a_patch() -> None:
    assert compat.required_version((0, 1, 0), None, code_changed=True) == (0, 1, 1)


# ---- the command line, on temporary copies -------------------------------------------


def _run_compat(
    tmp_path: Path, mutate: Callable[[Spec], None], *args: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`compat.py --base FIXTURE --spec <edited copy> ARGS`, in this process (its caches)."""
    new = load()
    mutate(new)
    copy_path = tmp_path / "openapi.yaml"
    copy_path.write_text(yaml.dump(new, Dumper=DUMPER, sort_keys=False))
    capsys.readouterr()
    status = compat.main(["--base", str(FIXTURE), "--spec", str(copy_path), *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


CHANGELOG = """# Changelog

## [Unreleased]

### Fixed
- A hand-written entry
  that spans two lines.

## [0.1.0] - 2026-12-02

### Added
- Everything.
"""


def test_breaking_changes_exit_1_naming_them_and_the_next_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def mutate(s: Spec) -> None:
        _hostname_optional(s)
        _rename_param(s)

    status, out = _run_compat(tmp_path, mutate, capsys=capsys)
    assert status == 1, out
    assert "breaking  getVM, startVM: response field `hostname` is now optional" in out
    assert "breaking  listVMs: response field `vms[].hostname` is now optional" in out
    assert "breaking  listVMs: query parameter `imageId` renamed to `image`" in out
    assert out.rstrip().endswith("breaking: next version 0.2.0"), out


def test_changelog_writes_unreleased_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG)
    status, out = _run_compat(
        tmp_path,
        _hostname_optional,
        "--changelog",
        "--changelog-file",
        str(changelog),
        capsys=capsys,
    )
    assert status == 0, out
    text = changelog.read_text()
    unreleased = text.split("## [0.1.0]")[0]
    assert "- getVM, startVM: response field `hostname` is now optional (breaking)" in unreleased
    assert "- A hand-written entry\n  that spans two lines." in unreleased
    assert text.endswith("## [0.1.0] - 2026-12-02\n\n### Added\n- Everything.\n")
    # A second run with another diff replaces what the first wrote, and keeps the rest.
    status, out = _run_compat(
        tmp_path,
        _new_response_field,
        "--changelog",
        "--changelog-file",
        str(changelog),
        capsys=capsys,
    )
    assert status == 0, out
    unreleased = changelog.read_text().split("## [0.1.0]")[0]
    assert "hostname" not in unreleased
    assert "- getVM, startVM: response field `region` added (non-breaking)" in unreleased
    assert "- A hand-written entry\n  that spans two lines." in unreleased
    assert unreleased.index("### Added") < unreleased.index("### Fixed")


def test_additions_exit_0_with_a_patch_on_0x(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def mutate(s: Spec) -> None:
        _new_optional_param(s)
        _new_response_field(s)

    status, out = _run_compat(tmp_path, mutate, capsys=capsys)
    assert status == 0, out
    assert "non-breaking  listVMs: query parameter `limit` added" in out
    assert "non-breaking  getVM, startVM: response field `region` added" in out
    assert out.rstrip().endswith("non-breaking: next version 0.1.1"), out


def test_the_four_false_alarms_pass_as_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def mutate(s: Spec) -> None:
        _comment_added(s)
        _unread_extension_on_schema(s)
        _request_integer_to_number(s)
        _request_nullable(s)

    status, out = _run_compat(tmp_path, mutate, capsys=capsys)
    assert status == 0, out
    assert "0 breaking" in out
    assert out.rstrip().endswith("non-breaking: next version 0.1.1"), out


def test_base_can_be_a_git_ref() -> None:
    # As a script, the way make compat runs it.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "compat.py"),
            "--base",
            "HEAD",
            "--spec",
            str(FIXTURE),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Comparing" in result.stdout
    assert "git HEAD" in result.stdout
    missing = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compat.py"), "--base", "no-such-ref-or-file"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert missing.returncode == 2
    assert "neither a release, a file nor a git ref" in missing.stderr


def test_an_empty_diff_leaves_the_changelog_as_it_is() -> None:
    assert compat.update_unreleased(CHANGELOG, {}) == CHANGELOG


def test_a_changelog_without_unreleased_gets_one_above_the_releases() -> None:
    text = CHANGELOG.replace("## [Unreleased]\n\n### Fixed\n- A hand-written entry\n", "")
    text = text.replace("  that spans two lines.\n\n", "")
    updated = compat.update_unreleased(text, {"Added": ["- API: thing added (non-breaking)"]})
    assert updated.index("## [Unreleased]") < updated.index("## [0.1.0]")
    assert (
        "## [Unreleased]\n\n### Added\n- API: thing added (non-breaking)\n\n## [0.1.0]" in updated
    )
    assert compat.unreleased_entries_text(updated) == ["- API: thing added (non-breaking)"]
