"""The compatibility check's verdicts, edit by edit, on copies of openapi.yaml.

Each edit is a structural mutation of the loaded spec that finds its target by
operationId and field name (and asserts the target is there), so the table keeps
working while the spec itself evolves.
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

from scripts import compat
from scripts.compat import Level

ROOT = Path(__file__).resolve().parents[2]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Spec = dict[str, Any]


@functools.cache
def _loaded() -> Spec:
    return compat.load_spec((ROOT / "openapi.yaml").read_text())


def load() -> Spec:
    return copy.deepcopy(_loaded())


# ---- locating targets ------------------------------------------------------------------


def resolve(spec: Spec, node: Any) -> Any:
    return compat.Resolver(spec).resolve(node)


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
    assert name in schema.get("properties", {}), f"no field {name}"
    found = resolve(spec, schema["properties"][name])
    assert isinstance(found, dict)
    return found


def make_optional(schema: dict[str, Any], name: str) -> None:
    assert name in schema["required"], f"{name} is not required"
    schema["required"].remove(name)


# ---- the edits --------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    name: str
    mutate: Callable[[Spec], None]
    verdict: Level
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
    target = prop(response_schema(s, "getVM"), "id", s)
    target["readOnly"] = not target.get("readOnly", False)


def _request_map_value_type_changed(s: Spec) -> None:
    variables = prop(request_schema(s, "startVM"), "envVars", s)
    values = variables["additionalProperties"]
    assert values["type"] == "string"
    values["type"] = "integer"


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
        "getVM: response field `id` `readOnly` changed",
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
]


def test_the_table_is_big_enough() -> None:
    assert len(BREAKING) >= 15
    assert len(NON_BREAKING) >= 8
    assert all(e.verdict is Level.BREAKING for e in BREAKING)
    assert all(e.verdict is not Level.BREAKING for e in NON_BREAKING)


def test_the_spec_against_itself_has_no_change() -> None:
    assert compat.diff_specs(load(), load()) == []


@pytest.mark.parametrize("edit", BREAKING + NON_BREAKING, ids=lambda e: e.name)
def test_verdict(edit: Edit) -> None:
    old = load()
    if edit.prepare is not None:
        edit.prepare(old)
    new = copy.deepcopy(old)
    edit.mutate(new)
    changes = compat.diff_specs(old, new)
    lines = [c.line() for c in changes]
    assert compat.worst(changes) is edit.verdict, lines
    assert any(edit.expect in line for line in lines), lines


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


# ---- the two "done when" cases, through the command line ------------------------


def _run_compat(tmp_path: Path, mutate: Callable[[Spec], None], *args: str) -> tuple[int, str]:
    new = load()
    mutate(new)
    copy_path = tmp_path / "openapi.yaml"
    copy_path.write_text(yaml.dump(new, Dumper=DUMPER, sort_keys=False))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "compat.py"),
            "--base",
            str(ROOT / "openapi.yaml"),
            "--spec",
            str(copy_path),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return result.returncode, result.stdout + result.stderr


def test_hostname_optional_and_image_id_renamed_exit_1_naming_both(tmp_path: Path) -> None:
    def mutate(s: Spec) -> None:
        _hostname_optional(s)
        _rename_param(s)

    status, out = _run_compat(tmp_path, mutate)
    assert status == 1, out
    assert "breaking  getVM, startVM: response field `hostname` is now optional" in out
    assert "breaking  listVMs: response field `vms[].hostname` is now optional" in out
    assert "breaking  listVMs: query parameter `imageId` renamed to `image`" in out

    status, out = _run_compat(tmp_path, mutate, "--changelog")
    assert status == 1, out
    assert "- getVM, startVM: response field `hostname` is now optional (breaking)" in out


def test_new_optional_param_and_response_field_exit_0_as_additions(tmp_path: Path) -> None:
    def mutate(s: Spec) -> None:
        _new_optional_param(s)
        _new_response_field(s)

    status, out = _run_compat(tmp_path, mutate, "--changelog")
    assert status == 0, out
    added = out.split("### Added", 1)[1].split("###", 1)[0]
    assert "- listVMs: query parameter `limit` added (non-breaking)" in added
    assert "- getVM, startVM: response field `region` added (non-breaking)" in added
    assert "breaking)" not in out.replace("(non-breaking)", "")


def test_base_can_be_a_git_ref(tmp_path: Path) -> None:
    status, out = _run_compat(tmp_path, lambda s: None)
    assert status == 0, out
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compat.py"), "--base", "HEAD"],
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
