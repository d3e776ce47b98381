"""Helpers that walk openapi.yaml: operations and every example with the schema it illustrates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (method, path, operation) for every operation."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (repeatedly) to the node it points at."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Yield (where, example, schema) for every example in the document.

    Covers media-type examples (requests, responses, shared responses), parameter
    examples, and ``examples`` lists on component schemas and their properties.
    """

    def media(where: str, content: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
        for mime, body in content.items():
            if "example" in body:
                yield f"{where} {mime}", body["example"], body["schema"]
            for name, ex in body.get("examples", {}).items():
                yield f"{where} {mime} {name}", resolve(spec, ex)["value"], body["schema"]

    for method, path, op in operations(spec):
        where = f"{method.upper()} {path}"
        if "requestBody" in op:
            yield from media(f"{where} request", resolve(spec, op["requestBody"])["content"])
        for status, response in op["responses"].items():
            yield from media(f"{where} {status}", resolve(spec, response).get("content", {}))
        for param in op.get("parameters", []):
            param = resolve(spec, param)
            if "example" in param:
                yield f"{where} param {param['name']}", param["example"], param["schema"]
    for name, schema in spec["components"]["schemas"].items():
        for i, ex in enumerate(schema.get("examples", [])):
            yield f"schema {name} example {i}", ex, {"$ref": f"#/components/schemas/{name}"}
        for prop, sub in schema.get("properties", {}).items():
            for i, ex in enumerate(sub.get("examples", [])):
                yield f"schema {name}.{prop} example {i}", ex, sub
