"""Odd responses end as typed errors when the response is parsed, never later.

Response-body fuzzing of the read operations: any status, any body (valid, structurally
wrong, random bytes), any declared charset. The property: the call returns a result whose
every field can be read (``LogLine.timestamp`` included), or raises ``APIStatusError`` or
``ResponseValidationError``. Plus the issue's named cases, each as its own test.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cakework import (
    AsyncCakework,
    Cakework,
    CakeworkError,
    ResponseValidationError,
)
from cakework.errors import APIStatusError

from ._wire import BASE_URL, LINES, FakeApi, FakeClock, build_body, vm_body
from .conftest import FUZZ_COUNTS, FUZZ_SETTINGS

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["lines", "vms", "id", "timestamp", "x"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)
LINE: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "timestamp": st.integers(-(2**63), 2**63 - 1),
        "level": st.text(max_size=5),
        "message": st.text(max_size=10),
    }
)

GOOD = {
    "getBuild": build_body("succeeded"),
    "getVM": vm_body("vm1", "started"),
    "listVMs": {"vms": [vm_body("vm1", "started")]},
    "getVMLogs": {"lines": LINES, "pagination": "p", "from": "f", "to": "t"},
    "getBuildLogs": {"lines": LINES},
    "getCachedVMLogs": {"lines": LINES},
}


@st.composite
def bodies(draw: st.DrawFn, operation: str) -> Any:
    kind = draw(st.sampled_from(["good", "lines", "json", "shape"]))
    if kind == "good":
        return GOOD[operation]
    if kind == "lines":
        return {"lines": draw(st.lists(LINE, max_size=3)), "vms": []}
    if kind == "shape":
        return {"lines": {}, "vms": {}}
    return draw(JSON)


CHARSETS = st.sampled_from(
    [
        "",
        "; charset=utf-8",
        "; charset=utf-16",
        "; charset=utf-32",
        "; charset=latin-1",
        "; charset=no-such-charset",
        "; charset=utf-16-be",
    ]
)


@st.composite
def responses(draw: st.DrawFn, operation: str) -> tuple[int, str, bytes]:
    status = draw(st.sampled_from([200, 200, 200, 201, 204, 400, 404, 409, 418, 500, 520]))
    charset = draw(CHARSETS)
    media = draw(st.sampled_from(["application/json", "text/html", "text/plain"]))
    raw = draw(st.booleans())
    body = draw(st.binary(max_size=20)) if raw else json.dumps(draw(bodies(operation))).encode()
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32-le", "latin-1"]))
    if not raw:
        body = body.decode("utf-8").encode(encoding, errors="replace")
    return status, media + charset, body


CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "getBuild": ("images", "get_build", {"build_id": "b1"}),
    "getVM": ("vms", "get", {"vm_id": "vm1"}),
    "listVMs": ("vms", "list_page", {}),
    "getVMLogs": ("vms", "get_logs", {"vm_id": "vm1"}),
    "getBuildLogs": ("images", "get_build_logs", {"build_id": "b1"}),
    "getCachedVMLogs": ("cached_vms", "get_logs", {"id": "c1"}),
}


def touch(result: Any) -> None:
    """Read every field, as a user would later (timestamps included)."""
    if isinstance(result, tuple):
        for item in result:
            touch(item)
        return
    if attrs.has(type(result)):
        for field in attrs.fields(type(result)):
            touch(getattr(result, field.name))
        if hasattr(result, "timestamp"):
            result.timestamp.isoformat()


def respond_with(status: int, content_type: str, body: bytes) -> FakeApi:
    def answer(operation: str, request: httpx.Request, api: FakeApi) -> httpx.Response:
        return httpx.Response(status, headers={"Content-Type": content_type}, content=body)

    return FakeApi(respond=answer)


def call_once(operation: str, api: FakeApi, is_async: bool) -> Any:
    resource, name, kwargs = CALLS[operation]
    clock = FakeClock()
    if not is_async:
        with Cakework(
            api_key="k" * 16,
            base_url=BASE_URL,
            http_client=api.sync_client(),
            max_retries=0,
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            return getattr(getattr(client, resource), name)(**kwargs)

    async def run() -> Any:
        async with AsyncCakework(
            api_key="k" * 16,
            base_url=BASE_URL,
            http_client=api.async_client(),
            max_retries=0,
            clock=clock,
            sleep=clock.asleep,
        ) as client:
            return await getattr(getattr(client, resource), name)(**kwargs)

    return asyncio.run(run())


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("operation", sorted(CALLS))
def test_response_fuzz(operation: str, is_async: bool) -> None:
    @FUZZ_SETTINGS
    @given(responses(operation))
    def property_holds(response: tuple[int, str, bytes]) -> None:
        status, content_type, body = response
        try:
            result = call_once(operation, respond_with(*response), is_async)
        except APIStatusError:
            FUZZ_COUNTS["response examples (typed error)"] += 1
            assert not 200 <= status < 300
            return
        except ResponseValidationError:
            FUZZ_COUNTS["response examples (typed error)"] += 1
            assert 200 <= status < 300
            return
        except Exception as exc:
            FUZZ_COUNTS["response examples (untyped)"] += 1
            pytest.fail(f"{operation} {status} {content_type} {body[:60]!r}: untyped {exc!r}")
        FUZZ_COUNTS["response examples (ok)"] += 1
        assert 200 <= status < 300
        try:
            touch(result)
        except Exception as exc:
            FUZZ_COUNTS["response examples (failed later)"] += 1
            pytest.fail(f"{operation} {body[:80]!r}: reading the result raised {exc!r}")

    property_holds()


# --- the named cases ------------------------------------------------------------


def test_utf16_error_page_without_bom_is_an_api_status_error() -> None:
    api = respond_with(500, "text/html; charset=utf-16", b"<h1>upstream broke</h1>")
    with pytest.raises(APIStatusError) as caught:
        call_once("getVM", api, is_async=False)
    assert caught.value.status_code == 500


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "no-such-charset"])
def test_undecodable_2xx_is_a_response_validation_error(charset: str) -> None:
    body = json.dumps(vm_body("vm1", "started")).encode()
    api = respond_with(200, f"application/json; charset={charset}", body[:-1])
    with pytest.raises(ResponseValidationError):
        call_once("getVM", api, is_async=False)


def test_body_in_its_declared_charset_parses() -> None:
    body = json.dumps(vm_body("vm1", "started")).encode("utf-16")  # with a BOM
    api = respond_with(200, "application/json; charset=utf-16", body)
    assert call_once("getVM", api, is_async=True).id == "vm1"


@pytest.mark.parametrize(
    "ms", [253402300800000, 2**63 - 1, -(2**63), -62135596800001, 32503680000000]
)
@pytest.mark.parametrize("operation", ["getVMLogs", "getBuildLogs", "getCachedVMLogs"])
def test_timestamp_outside_the_spec_range_is_refused_at_parse_time(operation: str, ms: int) -> None:
    line = {"timestamp": ms, "level": "info", "message": "far future"}
    api = respond_with(200, "application/json", json.dumps({"lines": [line]}).encode())
    with pytest.raises(ResponseValidationError, match="timestamp"):
        call_once(operation, api, is_async=False)


def test_the_spec_range_ends_are_accepted() -> None:
    lines = [
        {"timestamp": 32503679999999, "level": "info", "message": "last"},
        {"timestamp": -30610224000000, "level": "info", "message": "first"},
    ]
    api = respond_with(200, "application/json", json.dumps({"lines": lines}).encode())
    last, first = call_once("getCachedVMLogs", api, is_async=False)
    assert last.timestamp.isoformat() == "2999-12-31T23:59:59.999000+00:00"
    assert first.timestamp.year == 1000


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("getVMLogs", {"lines": {}}),
        ("getBuildLogs", {"lines": {}}),
        ("getCachedVMLogs", {"lines": {}}),
        ("listVMs", {"vms": {}}),
    ],
)
def test_object_where_a_list_belongs_is_refused(operation: str, body: Any) -> None:
    api = respond_with(200, "application/json", json.dumps(body).encode())
    with pytest.raises(ResponseValidationError):
        call_once(operation, api, is_async=False)


def test_iterators_surface_the_error_instead_of_ending_quietly() -> None:
    """``{"vms": {}}`` used to end ``vms.list`` as if it were an empty last page."""
    api = respond_with(200, "application/json", b'{"vms": {}}')
    client = Cakework(api_key="k" * 16, base_url=BASE_URL, http_client=api.sync_client())
    with client, pytest.raises(CakeworkError):
        list(client.vms.list())
