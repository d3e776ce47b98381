"""The emulator's precompiled validation plans never accept what openapi-core refuses.

A plan (``SpecValidator``'s fast path) only ever accepts; whatever it is unsure of goes to
a full openapi-core round. So the one way it could weaken validation is by accepting a
request openapi-core refuses, or by handing the handler other values than openapi-core
would. Each request below is put to both; where the plan accepts, openapi-core must accept
with the very same query and body. The requests clients send all day must be accepted by
the plan itself (otherwise the emulator is correct but slow).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cakework.testing._routes import (
    Operation,
    SpecValidator,
    _checker,
    _plain_schema,
    _scalar_checker,
    find_spec,
)

VALIDATOR = SpecValidator(find_spec())
OPERATIONS = {op.operation_id: op for op in VALIDATOR.operations}
PATHS = {
    "getVM": "/v1/vm/abc",
    "getVMLogs": "/v1/vm/abc/logs",
    "getBuildLogs": "/v1/image/build/b-1/logs",
    "listVMs": "/v1/vms",
    "startVM": "/v1/vm/start",
    "cacheVM": "/v1/vm/cache",
    "importImage": "/v1/image/import",
    "buildImageFromFiles": "/v1/image/build/files",
    "buildImageFromGithub": "/v1/image/build/github",
    "stopVM": "/v1/vm/abc/stop",
}


def _agree(operation: str, query: bytes, content_type: str = "", body: bytes = b"") -> bool:
    """Put one request to both; fail if the plan accepts what openapi-core would not."""
    op: Operation = OPERATIONS[operation]
    path = PATHS[operation]
    fast = VALIDATOR.plan_accepts(op, path, query, content_type, body)
    full = VALIDATOR.full_validation(op.method, path, query, content_type, body)
    if fast is not None:
        assert full == fast, (operation, query, content_type, body, full)
    return fast is not None


@pytest.mark.parametrize(
    ("operation", "query", "content_type", "body"),
    [
        ("getVM", b"", "", b""),
        ("getVM", b"n=1", "", b""),
        ("stopVM", b"", "", b""),
        ("getVMLogs", b"", "", b""),
        ("getVMLogs", b"batch=1000&order=newest_first", "", b""),
        (
            "getVMLogs",
            b"batch=50&query=error&pagination=abc"
            b"&from=2023-03-07+06%3A12%3A56+UTC&to=2023-03-07+07%3A12%3A56+UTC",
            "",
            b"",
        ),
        ("getVMLogs", b"from=2022-07-19T13%3A32%3A56.000Z", "", b""),
        ("getBuildLogs", b"batch=100", "", b""),
        ("listVMs", b"status=started&imageId=img", "", b""),
        ("startVM", b"", "application/json", b'{"imageId":"x","cpu":2,"envVars":{"A":"b"}}'),
        ("cacheVM", b"", "application/json", b'{"imageId":"x","diskSize":10,"port":8080}'),
        (
            "importImage",
            b"",
            "application/json",
            b'{"imageUri":"123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1","password":"p"}',
        ),
        (
            "buildImageFromFiles",
            b"",
            "application/json",
            json.dumps(
                {"dockerfile": "FROM x", "files": [{"dir": ".", "name": "a", "content": ""}]}
            ).encode(),
        ),
    ],
)
def test_what_clients_send_is_accepted_by_the_plan_alone(
    operation: str, query: bytes, content_type: str, body: bytes
) -> None:
    assert _agree(operation, query, content_type, body)


@pytest.mark.parametrize(
    ("operation", "query", "content_type", "body"),
    [
        ("getVMLogs", b"batch=49", "", b""),
        ("getVMLogs", b"batch=1001", "", b""),
        ("getVMLogs", b"batch=x", "", b""),
        ("getVMLogs", b"batch=", "", b""),
        ("getVMLogs", b"batch=50&batch=5000", "", b""),
        ("getVMLogs", b"order=sideways", "", b""),
        ("getVMLogs", b"query=", "", b""),
        ("listVMs", b"status=weird", "", b""),
        ("listVMs", b"imageId=", "", b""),
        ("startVM", b"", "application/json", b"{nope"),
        ("startVM", b"", "text/plain", b'{"imageId":"x"}'),
        ("startVM", b"", "", b'{"imageId":"x"}'),
        ("startVM", b"", "application/json", b""),
        ("startVM", b"", "application/json", b'{"imageId":"x","cpu":9}'),
        ("startVM", b"", "application/json", b'{"imageId":"x","bogus":1}'),
        ("startVM", b"", "application/json", b'{"imageId":""}'),
        ("startVM", b"", "application/json", b'{"imageId":"x","envVars":{"A":1}}'),
        ("startVM", b"", "application/json", b'[{"imageId":"x"}]'),
        ("importImage", b"", "application/json", b'{"imageUri":"u","password":1}'),
        ("importImage", b"", "application/json", b'{"imageUri":"u","password":""}'),
        ("getVMLogs", b"from=x", "", b""),
        ("buildImageFromGithub", b"", "application/json", b'{"dockerfile":"F","token":"t"}'),
    ],
)
def test_invalid_requests_are_left_to_openapi_core(
    operation: str, query: bytes, content_type: str, body: bytes
) -> None:
    assert not _agree(operation, query, content_type, body)
    op = OPERATIONS[operation]
    assert isinstance(
        VALIDATOR.full_validation(op.method, PATHS[operation], query, content_type, body), str
    )


_VALUES = st.one_of(
    st.sampled_from(
        ["", "50", "100", "1000", "49", "1001", "050", "+50", " 50", "5e1", "50.0", "1_000"]
    ),
    st.sampled_from(
        ["-0", "\u0665\u0660", "oldest_first", "newest_first", "started", "weird", "x"]
    ),
    st.text(max_size=6),
)
_NAMES = st.sampled_from(
    ["batch", "order", "query", "pagination", "from", "to", "status", "imageId", "other"]
)
_QUERIES = st.lists(st.tuples(_NAMES, _VALUES), max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(["getVMLogs", "listVMs", "getVM"]), pairs=_QUERIES)
def test_queries_agree(operation: str, pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    _agree(operation, urlencode(pairs).encode())


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([2.0, 256.0, 1e400]),
    st.text(max_size=4),
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=6,
)
_FIELDS = st.sampled_from(
    [
        *("imageId", "cpu", "memory", "port", "envVars", "volumeGB", "diskSize", "imageUri"),
        *("password", "dockerfile", "files", "token", "repository", "branch", "dockerignore"),
    ]
)
_BODIES = st.dictionaries(_FIELDS, _JSON, max_size=5) | _JSON


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operation=st.sampled_from(
        ["startVM", "cacheVM", "importImage", "buildImageFromFiles", "buildImageFromGithub"]
    ),
    body=_BODIES,
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8"]),
)
def test_bodies_agree(operation: str, body: Any, content_type: str) -> None:
    _agree(operation, b"", content_type, json.dumps(body).encode())


_NEAR_VALID_VM = st.fixed_dictionaries(
    {"imageId": st.text(max_size=3)},
    optional={
        "cpu": st.sampled_from([0, 1, 8, 9, 2.0, 2.5, True, "2"]),
        "memory": st.sampled_from([255, 256, 16384, 16385, 512.0]),
        "port": st.sampled_from([0, 1, 65535, 65536]),
        "envVars": st.dictionaries(st.text(max_size=2), st.text(max_size=2) | st.integers()),
        "volumeGB": st.sampled_from([0, 1, 500, 501, None]),
        "diskSize": st.sampled_from([0, 1, 500, 501]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(["startVM", "cacheVM"]), body=_NEAR_VALID_VM)
def test_near_valid_vm_bodies_agree(operation: str, body: dict[str, Any]) -> None:
    _agree(operation, b"", "application/json", json.dumps(body).encode())


@pytest.mark.parametrize(
    ("schema", "plain"),
    [
        ({"type": "string", "minLength": 1, "description": "Id"}, True),
        ({"$ref": "#/components/schemas/StartVMRequest"}, True),
        ({"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}, False),
        ({"type": "string", "format": "date-time"}, False),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, False),
        ({"type": "array", "items": {"$ref": "#/components/schemas/Loop"}}, False),
        ({"type": "object", "additionalProperties": {"nullable": True}}, False),
    ],
)
def test_only_plain_schemas_get_a_plan(schema: dict[str, Any], plain: bool) -> None:
    # A default below the top, a format, a composition or a cycle would make openapi-core's
    # unmarshalled value differ from the JSON value (or the plan loop): no plan for those.
    document = {
        "components": {
            "schemas": {
                "StartVMRequest": {"type": "object", "properties": {"a": {"type": "integer"}}},
                "Loop": {"type": "array", "items": {"$ref": "#/components/schemas/Loop"}},
            }
        }
    }
    assert (_plain_schema(document, schema) is not None) is plain


_SCALAR_SCHEMAS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={
            "minLength": st.integers(0, 4),
            "maxLength": st.integers(0, 6),
            "pattern": st.sampled_from(["^[A-Za-z0-9_-]+$", "b", "^a", "[0-9]$"]),
            "enum": st.lists(st.sampled_from(["a", "ab", "1", "é"]), min_size=1, max_size=3),
            "minimum": st.integers(-2, 2),  # ignored for strings
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("integer")},
        optional={
            "minimum": st.integers(-3, 3),
            "maximum": st.integers(-3, 3),
            "exclusiveMinimum": st.integers(-3, 3),
            "exclusiveMaximum": st.integers(-3, 3),
            "enum": st.lists(st.integers(-2, 2) | st.just("1"), min_size=1, max_size=3),
            "pattern": st.just("^x"),  # ignored for integers
        },
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    schema=_SCALAR_SCHEMAS,
    value=st.integers(-4, 4) | st.booleans() | st.text("ab1é-_ x", max_size=7),
)
def test_parameter_checks_agree_with_the_schema_validator(
    schema: dict[str, Any], value: Any
) -> None:
    # Path and query values are checked by plain comparisons; they mean what the JSON
    # Schema validator means, for every value a parameter can hold.
    assert _scalar_checker(schema)(value) == _checker(schema)(value)
