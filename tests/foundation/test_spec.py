"""openapi.yaml matches the ground-truth route table and its examples validate."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._spec_walk import examples, operations

# api-ground-truth.md, "Route table (decisions)": binding.
ROUTES = {
    "importImage": ("post", "/image/import", "Images"),
    "buildImageFromFiles": ("post", "/image/build/files", "Images"),
    "buildImageFromGithub": ("post", "/image/build/github", "Images"),
    "getBuild": ("get", "/image/build/{buildId}", "Images"),
    "getBuildLogs": ("get", "/image/build/{buildId}/logs", "Images"),
    "startVM": ("post", "/vm/start", "VMs"),
    "stopVM": ("post", "/vm/{vmId}/stop", "VMs"),
    "getVM": ("get", "/vm/{vmId}", "VMs"),
    "listVMs": ("get", "/vms", "VMs"),
    "getVMLogs": ("get", "/vm/{vmId}/logs", "VMs"),
    "cacheVM": ("post", "/vm/cache", "Cached VMs"),
    "startCachedVM": ("post", "/vm/cached/{cachedVmId}/start", "Cached VMs"),
    "stopCachedVM": ("post", "/vm/cached/{cachedVmId}/stop", "Cached VMs"),
    "destroyCachedVM": ("post", "/vm/cached/{cachedVmId}/destroy", "Cached VMs"),
    "getCachedVMLogs": ("get", "/vm/cached/{cachedVmId}/logs", "Cached VMs"),
}
CREATING = {"importImage", "buildImageFromFiles", "buildImageFromGithub", "startVM", "cacheVM"}


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_exactly_the_fifteen_operations(spec: dict[str, Any]) -> None:
    found = {op["operationId"]: (m, p, tuple(op["tags"])) for m, p, op in operations(spec)}
    assert found == {k: (m, p, (t,)) for k, (m, p, t) in ROUTES.items()}


@pytest.mark.parametrize("operation_id", sorted(ROUTES))
def test_operation_is_fully_described(spec: dict[str, Any], operation_id: str) -> None:
    op = next(o for _, _, o in operations(spec) if o["operationId"] == operation_id)
    assert op["summary"].strip()
    assert len(op["description"].split()) >= 15, "descriptions say what a caller must know"
    expected = {"400", "401", "404", "429", "500"}
    if operation_id in {"stopVM", "startCachedVM", "stopCachedVM", "destroyCachedVM"}:
        expected.add("409")
    codes = set(op["responses"])
    assert expected <= codes
    assert any(c.startswith("2") for c in codes)
    if operation_id in CREATING:
        assert op["requestBody"]["required"] is True


def test_server_security_and_continuation_rule(spec: dict[str, Any]) -> None:
    assert spec["servers"][0]["url"] == "https://api.cakework.com/v1"
    assert any("{port}" in s["url"] for s in spec["servers"])
    scheme = spec["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Api-Key")
    assert spec["security"] == [{"apiKey": []}]
    log_ops = [o for _, p, o in operations(spec) if p.endswith("/logs") and "cached" not in p]
    for op in log_ops:
        assert "verbatim" in op["description"] or "exactly as received" in op["description"]


def test_ranges_from_the_docs(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert (schemas["Cpu"]["minimum"], schemas["Cpu"]["maximum"]) == (1, 8)
    assert (schemas["Memory"]["minimum"], schemas["Memory"]["maximum"]) == (256, 16384)
    assert (schemas["DiskGB"]["minimum"], schemas["DiskGB"]["maximum"]) == (1, 500)
    batch = spec["components"]["parameters"]["LogBatch"]["schema"]
    assert (batch["minimum"], batch["maximum"], batch["default"]) == (50, 1000, 100)
    assert schemas["StartVMRequest"]["properties"]["volumeGB"]["$ref"].endswith("/DiskGB")
    assert schemas["CacheVMRequest"]["properties"]["diskSize"]["$ref"].endswith("/DiskGB")
    # from/to are continuation values sent back verbatim, never date-time.
    for key in ("from", "to"):
        assert "format" not in schemas["LogPage"]["properties"][key]


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:cakework-spec", resource)
    if "$ref" in schema:
        schema = {"$ref": "urn:cakework-spec" + schema["$ref"]}
    else:
        schema = {**schema, "$id": "urn:cakework-example"}
        schema = _rebase(schema)
    return OAS31Validator(schema, registry=registry)


def _rebase(node: Any) -> Any:
    """Point local refs inside an inline schema at the registered spec."""
    if isinstance(node, dict):
        return {
            k: ("urn:cakework-spec" + v if k == "$ref" and v.startswith("#") else _rebase(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def test_every_example_validates_against_its_schema(spec: dict[str, Any]) -> None:
    found = list(examples(spec))
    assert len(found) >= 30
    failures = []
    for where, example, schema in found:
        errors = list(_validator(spec, schema).iter_errors(example))
        if errors:
            failures.append(f"{where}: {errors[0].message}")
    assert not failures


def test_the_example_check_can_fail(spec: dict[str, Any]) -> None:
    schema = {"$ref": "#/components/schemas/StartVMRequest"}
    assert list(_validator(spec, schema).iter_errors({"imageId": "x", "cpu": 9}))
    assert list(_validator(spec, schema).iter_errors({"cpu": 1}))


def test_server_sent_states_are_open(spec: dict[str, Any]) -> None:
    for name in ("BuildStatus", "VMState"):
        schema = {"$ref": f"#/components/schemas/{name}"}
        assert not list(_validator(spec, schema).iter_errors("hibernating"))
    closed = {"$ref": "#/components/schemas/KnownVMState"}
    assert list(_validator(spec, closed).iter_errors("hibernating"))
