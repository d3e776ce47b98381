"""What openapi.yaml states reaches the public client, or ``make test`` says what to add.

Derived from the spec itself (never a hand-kept list): every operation has a public
method on both clients and a handler in the emulator, every request property and
parameter is an argument of that method, every response property an attribute of what it
returns. Only :data:`EXCLUDED` may say otherwise, each with its reason.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from cakework import AsyncCakework, Cakework, LogPage
from cakework.testing._routes import handler_for, handler_name
from cakework_spec import models, params
from cakework_spec.operations import OPERATIONS, OperationSpec, response_model

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))

EXCLUDED: dict[str, str] = {}
"""operationId -> why it has no public method. Empty: every operation has one."""

RETURNS_BY_HAND: dict[str, type[Any] | None] = {
    "getBuildLogs": LogPage,
    "getVMLogs": LogPage,
    # The lines themselves (a tuple of LogLine): the one property, ``lines``, is the value.
    "getCachedVMLogs": None,
}
"""Operations whose hand-written method returns its own type (overlay-config.yml,
``handwritten``): the class whose attributes stand for the response's properties."""


def _spec_operations() -> list[tuple[str, str, str]]:
    """``(operationId, METHOD, path)`` of every operation in openapi.yaml."""
    return [
        (op["operationId"], method.upper(), path)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    ]


OPERATION_IDS = [op_id for op_id, _, _ in _spec_operations()]


def _method(client: object, spec: OperationSpec) -> Callable[..., Any] | None:
    resource = getattr(client, spec.resource, None)
    method = getattr(resource, spec.method_name, None)
    return method if callable(method) else None


def _what_to_add(spec: OperationSpec) -> str:
    return (
        f"operation {spec.operation_id} ({spec.method} {spec.path}) has no public method"
        f" client.{spec.resource}.{spec.method_name}: run `make generate` (its plain call is"
        f" generated into cakework_spec.resources), or write the method in"
        f" overlays/cakework/_async/ if overlay-config.yml lists it under `handwritten`;"
        f" the emulator needs `def {handler_name(spec.operation_id)}(backend: Backend,"
        f" call: Call)` in overlays/cakework/testing/_routes.py"
    )


def test_the_generated_table_has_every_operation_of_the_spec() -> None:
    assert set(OPERATION_IDS) == set(OPERATIONS), "run `make generate`"
    for op_id, method, path in _spec_operations():
        assert (OPERATIONS[op_id].method, OPERATIONS[op_id].path) == (method, path)


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[Cakework, AsyncCakework]]:
    """One client of each kind (no server: nothing is sent)."""
    sync_client = Cakework(api_key="k", base_url="http://127.0.0.1:9/v1")
    async_client = AsyncCakework(api_key="k", base_url="http://127.0.0.1:9/v1")
    yield sync_client, async_client
    sync_client.close()
    asyncio.run(async_client.aclose())


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_every_operation_has_a_public_method_on_both_clients(
    operation_id: str, clients: tuple[Cakework, AsyncCakework]
) -> None:
    if operation_id in EXCLUDED:
        pytest.skip(EXCLUDED[operation_id])
    spec = OPERATIONS[operation_id]
    for client in clients:
        assert _method(client, spec) is not None, _what_to_add(spec)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_every_operation_has_an_emulator_handler(operation_id: str) -> None:
    try:
        handler_for(operation_id)
    except LookupError as exc:
        pytest.fail(str(exc))


def _accepted_names(method: Callable[..., Any]) -> set[str]:
    """Every keyword the method takes: its named parameters and its ``**params`` TypedDict."""
    names = set()
    # The TypedDicts are imported for type checkers only: resolve them from their module.
    namespace = {**vars(models), **vars(params)}
    hints = typing.get_type_hints(method, localns=namespace, include_extras=True)
    for name, parameter in inspect.signature(method).parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            unpacked = hints[name]
            assert typing.get_origin(unpacked) is typing.Unpack, (method, unpacked)
            names |= set(typing.get_type_hints(typing.get_args(unpacked)[0]))
        else:
            names.add(name)
    return names


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_every_parameter_and_request_property_is_an_argument(
    operation_id: str, clients: tuple[Cakework, AsyncCakework]
) -> None:
    if operation_id in EXCLUDED:
        pytest.skip(EXCLUDED[operation_id])
    spec = OPERATIONS[operation_id]
    for client in clients:
        method = _method(client, spec)
        assert method is not None, _what_to_add(spec)
        accepted = _accepted_names(method)
        positional = [
            p.name
            for p in inspect.signature(method).parameters.values()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        assert len(positional) >= len(spec.path_params), (
            f"{spec.resource}.{spec.method_name} must take the path values"
            f" {[p.name for p in spec.path_params]} first"
        )
        for param in spec.query + (spec.body or ()):
            assert param.name in accepted, (
                f"{spec.operation_id}: {param.wire!r} is not an argument of"
                f" client.{spec.resource}.{spec.method_name} (run `make generate`)"
            )


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_every_response_property_is_an_attribute_of_the_result(
    operation_id: str, clients: tuple[Cakework, AsyncCakework]
) -> None:
    spec = OPERATIONS[operation_id]
    model = response_model(spec)
    if model is None:
        return  # 204: nothing to read
    wires = {field.encode_name for field in msgspec.structs.fields(model)}
    schema = _success_schema(operation_id)
    assert wires == set(schema.get("properties", {})), "run `make generate`"
    if operation_id in RETURNS_BY_HAND:
        by_hand = RETURNS_BY_HAND[operation_id]
        if by_hand is None:
            return
        names = {f.name for f in msgspec.structs.fields(model)}
        missing = [n for n in names if not hasattr(by_hand, n) and n not in _attrs(by_hand)]
        assert not missing, f"{by_hand.__name__} lacks {missing} of {operation_id}'s answer"
        return
    for client in clients:
        method = _method(client, spec)
        assert method is not None, _what_to_add(spec)
        namespace = {**vars(models), **vars(params)}
        returned = typing.get_type_hints(method, localns=namespace).get("return")
        assert returned is model, (
            f"client.{spec.resource}.{spec.method_name} must return the generated"
            f" {spec.response}, not {returned}"
        )


def _attrs(cls: type[Any]) -> set[str]:
    fields = getattr(cls, "__attrs_attrs__", ())
    return {f.name for f in fields}


def _success_schema(operation_id: str) -> dict[str, Any]:
    for item in SPEC["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                for status, response in op["responses"].items():
                    if str(status).startswith("2"):
                        return _resolve(_resolve(response)["content"]["application/json"]["schema"])
    raise AssertionError(operation_id)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _spec_patterns() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                found.add(pattern.removeprefix("^").removesuffix("$"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(SPEC)
    return found


def test_no_pattern_of_the_spec_is_copied_into_hand_written_code() -> None:
    patterns = _spec_patterns()
    assert patterns, "the spec has patterns to look for"
    overlay = ROOT / "overlays" / "cakework"
    for source in sorted(overlay.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        # A copy may be split over string literals: compare the characters of the
        # literals joined, not the lines.
        literals = "".join(re.findall(r"r?\"([^\"\n]*)\"", text))
        for pattern in patterns:
            core = pattern[:24]
            assert core not in text, (
                f"{source.relative_to(ROOT)} restates the spec's pattern {pattern[:40]}...:"
                " take it from cakework_spec (generated) instead"
            )
            assert core not in literals, (
                f"{source.relative_to(ROOT)} restates the spec's pattern {pattern[:40]}...:"
                " take it from cakework_spec (generated) instead"
            )
