"""Every public method, sync and async, called with fuzzed arguments.

The property (issue: "every bad input refused before sending"): a call returns a result or
raises a ``CakeworkError`` subclass; when it raises ``InvalidParameterError`` nothing was
sent; and every request that was sent is one the spec allows (checked with openapi-core
by the counting mock transport in ``_wire``), addressed to the operation the method is for.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cakework import (
    AsyncCakework,
    BuildFile,
    Cakework,
    CakeworkError,
    InvalidParameterError,
)
from cakework_spec.operations import OPERATIONS, SCHEMAS, Rule

from ._wire import BASE_URL, FakeApi, FakeClock
from .conftest import FUZZ_COUNTS, FUZZ_SETTINGS

S = st.SearchStrategy[Any]

# --- argument strategies ---------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    [
        "",
        ".",
        "..",
        "a/b",
        "../stop",
        "%2e%2e",
        "%2E%2E%2Fvms",
        "x?y=1",
        "#frag",
        "a b",
        "a\x00b",
        "\udcff",
        "é",
        "x" * 70_000,
        "not a repo",
        "nan",
    ]
)
GARBAGE: S = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY_TEXT,
    st.text(max_size=12),
    st.binary(max_size=4),
    st.lists(st.sampled_from(["a", "b", 1]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "dir", "name", "content"]), st.integers(), max_size=3),
    st.just(object()),
)

ID: S = st.from_regex(SCHEMAS["Id"].pattern or "", fullmatch=True).filter(
    lambda value: len(value) <= (SCHEMAS["Id"].max_length or len(value))
)
WINDOW_BOUNDS = ["2023-03-07 06:12:56 UTC", "2022-07-19T13:32:56+0000", "2023-03-07T06:12:56.5Z"]
WINDOW: S = st.none() | st.sampled_from(WINDOW_BOUNDS)
ECR_URI: S = st.sampled_from(
    [
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:latest",
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/app",
    ]
)
TEXT: S = st.text(min_size=1, max_size=20)
OPT_TEXT: S = st.none() | TEXT
SECONDS: S = st.none() | st.floats(0, 10_000) | st.integers(0, 10_000)
CALLBACK: S = st.none() | st.just(lambda _: None)
MOMENT: S = (
    st.none()
    | st.datetimes(datetime(1000, 1, 2), datetime(2999, 12, 30), timezones=st.just(UTC))
    | st.sampled_from(WINDOW_BOUNDS)
)


def opt_int(low: int, high: int) -> S:
    return st.none() | st.integers(low, high)


def in_range(rule: Rule) -> S:
    """``None`` or an integer the spec's rule allows (never a copy of its bounds)."""
    assert rule.minimum is not None
    assert rule.maximum is not None
    return opt_int(int(rule.minimum), int(rule.maximum))


def batch_rule() -> Rule:
    """The ``batch`` rule of getVMLogs, as the spec states it."""
    [param] = [p for p in OPERATIONS["getVMLogs"].query if p.wire == "batch"]
    return param.rule


LOG_ORDERS = list(SCHEMAS["LogOrder"].enum or ())
DISK = in_range(SCHEMAS["DiskGB"])


ENV: S = st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)
FILE: S = st.builds(BuildFile, dir=st.sampled_from([".", "src"]), name=ID, content=st.text())
FILE_DICT: S = st.fixed_dictionaries(
    {"dir": st.sampled_from([".", "src"]), "name": ID, "content": st.text()}
)
FILES: S = st.lists(FILE | FILE_DICT, max_size=3)

VM_SETTINGS: dict[str, S] = {
    "image_id": ID,
    "cpu": in_range(SCHEMAS["Cpu"]),
    "memory": in_range(SCHEMAS["Memory"]),
    "port": in_range(SCHEMAS["Port"]),
    "env_vars": ENV,
}
LOG_READ: dict[str, S] = {
    "query": OPT_TEXT,
    "batch": in_range(batch_rule()),
    "order": st.none() | st.sampled_from(LOG_ORDERS),
    "pagination": OPT_TEXT,
    "from_": WINDOW,
    "to": WINDOW,
}
LOG_ITERATE: dict[str, S] = {
    "query": OPT_TEXT,
    "order": st.sampled_from(LOG_ORDERS),
    "batch": in_range(batch_rule()),
    "since": MOMENT,
    "until": MOMENT,
    "max_items": st.none() | st.integers(0, 5),
    "follow": st.booleans(),
}
STATE: S = st.sampled_from(["created", "started", "stopped", "destroyed"])


@attrs.frozen
class Method:
    """A public method: where it is, how its result is consumed, and its parameters."""

    resource: str
    name: str
    kind: str  # "call", "iterate", "context" or "pool"
    params: dict[str, S]
    required: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.resource}.{self.name}"


def _method(resource: str, name: str, kind: str, required: str = "", **params: S) -> Method:
    return Method(resource, name, kind, params, frozenset(required.split()))


METHODS = [
    _method(
        "images", "import_image", "call", "image_uri password", image_uri=ECR_URI, password=TEXT
    ),
    _method("images", "build_from_files", "call", "dockerfile files", dockerfile=TEXT, files=FILES),
    _method("images", "build_from_directory", "call", "path", path=st.just("<dir>")),
    _method(
        "images",
        "build_from_github",
        "call",
        "dockerfile repository branch token",
        dockerfile=TEXT,
        repository=st.from_regex(r"[A-Za-z0-9_.-]{1,8}/[A-Za-z0-9_.-]{1,8}", fullmatch=True),
        branch=TEXT,
        token=TEXT,
        dockerignore=st.none() | st.text(max_size=10),
    ),
    _method("images", "get_build", "call", "build_id", build_id=ID),
    _method("images", "get_build_logs", "call", "build_id", build_id=ID, **LOG_READ),
    _method(
        "images",
        "wait_for_build",
        "call",
        "build_id",
        build_id=ID,
        timeout=SECONDS,
        on_status=CALLBACK,
        on_log=CALLBACK,
    ),
    _method("images", "build_logs", "iterate", "build_id", build_id=ID, **LOG_ITERATE),
    _method("vms", "start", "call", "image_id", volume_gb=DISK, **VM_SETTINGS),
    _method("vms", "get", "call", "vm_id", vm_id=ID),
    _method("vms", "stop", "call", "vm_id", vm_id=ID),
    _method(
        "vms",
        "list_page",
        "call",
        image_id=st.none() | ID,
        status=st.none() | STATE,
        pagination=OPT_TEXT,
    ),
    _method("vms", "get_logs", "call", "vm_id", vm_id=ID, **LOG_READ),
    _method("vms", "wait_for_state", "call", "vm_id", vm_id=ID, state=STATE, timeout=SECONDS),
    _method("vms", "logs", "iterate", "vm_id", vm_id=ID, **LOG_ITERATE),
    _method("vms", "list", "iterate", image_id=st.none() | ID, status=st.none() | STATE),
    _method(
        "vms",
        "run",
        "context",
        "image_id",
        volume_gb=DISK,
        timeout=SECONDS,
        **VM_SETTINGS,
    ),
    _method("cached_vms", "create", "call", "image_id", disk_size=DISK, **VM_SETTINGS),
    _method("cached_vms", "start", "call", "id", id=ID),
    _method("cached_vms", "stop", "call", "id", id=ID),
    _method("cached_vms", "destroy", "call", "id", id=ID),
    _method("cached_vms", "get_logs", "call", "id", id=ID),
    _method("cached_vms", "wait_for_state", "call", "id", id=ID, state=STATE, timeout=SECONDS),
    _method("cached_vms", "logs", "iterate", "id", id=ID, **LOG_ITERATE),
    _method(
        "cached_vms",
        "pool",
        "pool",
        "image_id size",
        size=st.integers(0, 3),
        disk_size=DISK,
        max_size=st.none() | st.integers(1, 4),
        adopt=st.none() | st.lists(ID, max_size=2),
        destroy_adopted=st.booleans(),
        start_timeout=SECONDS,
        acquire_timeout=SECONDS,
        **VM_SETTINGS,
    ),
]

EXPECTED_OPERATIONS = {
    "images.import_image": {"importImage"},
    "images.build_from_files": {"buildImageFromFiles"},
    "images.build_from_directory": {"buildImageFromFiles"},
    "images.build_from_github": {"buildImageFromGithub"},
    "images.get_build": {"getBuild"},
    "images.get_build_logs": {"getBuildLogs"},
    "images.wait_for_build": {"getBuild", "getBuildLogs"},
    "images.build_logs": {"getBuildLogs", "getBuild"},
    "vms.start": {"startVM"},
    "vms.get": {"getVM"},
    "vms.stop": {"stopVM"},
    "vms.list_page": {"listVMs"},
    "vms.get_logs": {"getVMLogs"},
    "vms.wait_for_state": {"getVM"},
    "vms.logs": {"getVMLogs", "getVM"},
    "vms.list": {"listVMs"},
    "vms.run": {"startVM", "getVM", "stopVM", "listVMs"},
    "cached_vms.create": {"cacheVM"},
    "cached_vms.start": {"startCachedVM"},
    "cached_vms.stop": {"stopCachedVM"},
    "cached_vms.destroy": {"destroyCachedVM"},
    "cached_vms.get_logs": {"getCachedVMLogs"},
    "cached_vms.wait_for_state": {"getVM"},
    "cached_vms.logs": {"getCachedVMLogs", "getVM"},
    "cached_vms.pool": {
        "cacheVM",
        "startCachedVM",
        "stopCachedVM",
        "destroyCachedVM",
        "getVM",
        "listVMs",
    },
}


def _strategy(rule: Rule) -> S:
    """Valid values of a generated rule (the spec's), for a plain call the table lacks."""
    if rule.enum is not None:
        return st.sampled_from(rule.enum)
    if rule.kind == "integer":
        return st.integers(
            int(rule.minimum if rule.minimum is not None else -(2**31)),
            int(rule.maximum if rule.maximum is not None else 2**31),
        )
    if rule.kind == "boolean":
        return st.booleans()
    if rule.kind == "map":
        return st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)
    if rule.kind == "string" and rule.pattern is not None:
        return st.from_regex(rule.pattern)
    if rule.kind == "string":
        return st.text(min_size=rule.min_length or 0, max_size=rule.max_length or 20)
    return GARBAGE


def _plain_calls_from_the_spec() -> list[Method]:
    """A method for each generated plain call the table above does not name.

    An operation the spec gains is fuzzed from its generated rules, with no line here.
    """
    named = {m.label for m in METHODS}
    derived = []
    for spec in OPERATIONS.values():
        label = f"{spec.resource}.{spec.method_name}"
        if label in named:
            continue
        fields = spec.query + (spec.body or ())
        params = {p.name: ID for p in spec.path_params}
        params |= {f.name: st.none() | _strategy(f.rule) for f in fields}
        required = {p.name for p in spec.path_params} | {f.name for f in fields if f.required}
        derived.append(Method(spec.resource, spec.method_name, "call", params, frozenset(required)))
        EXPECTED_OPERATIONS[label] = {spec.operation_id}
    return derived


METHODS += _plain_calls_from_the_spec()


@st.composite
def arguments(draw: st.DrawFn, method: Method) -> dict[str, Any]:
    """Valid values for every parameter, or (most examples) some replaced by garbage."""
    mode = draw(st.sampled_from(["valid", "mixed", "mixed"]))
    kwargs: dict[str, Any] = {}
    for name, valid in method.params.items():
        value = draw(GARBAGE) if mode == "mixed" and draw(st.integers(0, 3)) == 0 else draw(valid)
        if name in method.required or value is not None or draw(st.booleans()):
            kwargs[name] = value
    return kwargs


# --- driving one call -------------------------------------------------------------------


def _build_dir(tmp: Path) -> Path:
    folder = tmp / "context"
    folder.mkdir(exist_ok=True)
    (folder / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY app.py .\n")
    (folder / "app.py").write_text("print('hi')\n")
    return folder


def _prepare(method: Method, kwargs: dict[str, Any], folder: Path) -> dict[str, Any]:
    kwargs = dict(kwargs)
    if method.name == "build_from_directory" and kwargs.get("path") == "<dir>":
        kwargs["path"] = str(folder)
    return kwargs


def _run_sync(method: Method, kwargs: dict[str, Any], api: FakeApi) -> None:
    clock = FakeClock()
    with Cakework(
        api_key="k" * 16,
        base_url=BASE_URL,
        http_client=api.sync_client(),
        clock=clock,
        sleep=clock.sleep,
        max_retries=1,
    ) as client:
        target = getattr(getattr(client, method.resource), method.name)
        if method.kind == "call":
            target(**kwargs)
        elif method.kind == "iterate":
            iterator = target(**kwargs)
            try:
                list(itertools.islice(iterator, 5))
            finally:
                iterator.close()
        elif method.kind == "context":
            with target(**kwargs):
                pass
        else:
            acquire_timeout = kwargs.pop("acquire_timeout", None)
            with target(**kwargs) as pool, pool.acquire(timeout=acquire_timeout):
                pass


async def _run_async(method: Method, kwargs: dict[str, Any], api: FakeApi) -> None:
    clock = FakeClock()
    async with AsyncCakework(
        api_key="k" * 16,
        base_url=BASE_URL,
        http_client=api.async_client(),
        clock=clock,
        sleep=clock.asleep,
        max_retries=1,
    ) as client:
        target = getattr(getattr(client, method.resource), method.name)
        if method.kind == "call":
            await target(**kwargs)
        elif method.kind == "iterate":
            iterator = target(**kwargs)
            try:
                count = 0
                async for _ in iterator:
                    count += 1
                    if count >= 5:
                        break
            finally:
                closing = getattr(iterator, "aclose", None) or iterator.close
                result = closing()
                if inspect.isawaitable(result):
                    await result
        elif method.kind == "context":
            async with target(**kwargs):
                pass
        else:
            acquire_timeout = kwargs.pop("acquire_timeout", None)
            async with target(**kwargs) as pool, pool.acquire(timeout=acquire_timeout):
                pass


def check_property(method: Method, kwargs: dict[str, Any], is_async: bool, folder: Path) -> None:
    """Run one call and assert the fuzz property (see the module docstring)."""
    api = FakeApi()
    kwargs = _prepare(method, kwargs, folder)
    outcome = "ok"
    try:
        if is_async:
            asyncio.run(_run_async(method, dict(kwargs), api))
        else:
            _run_sync(method, dict(kwargs), api)
    except InvalidParameterError:
        outcome = "refused"
        if api.count:
            FUZZ_COUNTS["refused but sent"] += 1
        assert api.count == 0, f"{method.label}: refused after sending {api.operations}"
    except CakeworkError:
        outcome = "typed error"
    except Exception as exc:
        FUZZ_COUNTS["untyped"] += 1
        pytest.fail(f"{method.label}({_show(kwargs)}) raised untyped {exc!r}")
    FUZZ_COUNTS[f"examples ({outcome})"] += 1
    if api.malformed:
        FUZZ_COUNTS["malformed requests sent"] += len(api.malformed)
    assert not api.malformed, f"{method.label}({_show(kwargs)}) sent {api.malformed[:2]}"
    unexpected = set(api.operations) - EXPECTED_OPERATIONS[method.label]
    assert not unexpected, f"{method.label} reached {unexpected}"


def _show(kwargs: dict[str, Any]) -> str:
    def one(value: Any) -> str:
        text = repr(value)
        return text if len(text) < 60 else f"{text[:50]}...<{len(text)}>"

    return ", ".join(f"{k}={one(v)}" for k, v in kwargs.items())


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_dir(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("method", METHODS, ids=[m.label for m in METHODS])
def test_public_method_fuzz(method: Method, is_async: bool, folder: Path) -> None:
    @FUZZ_SETTINGS
    @given(arguments(method))
    def property_holds(kwargs: dict[str, Any]) -> None:
        check_property(method, kwargs, is_async, folder)

    property_holds()


def test_every_public_method_is_fuzzed() -> None:
    """A public method added later cannot escape the fuzz table."""
    client = Cakework(api_key="k", base_url=BASE_URL)
    try:
        public = {
            f"{resource}.{name}"
            for resource in ("images", "vms", "cached_vms")
            for name in dir(getattr(client, resource))
            if not name.startswith("_") and callable(getattr(getattr(client, resource), name))
        }
    finally:
        client.close()
    assert public == {m.label for m in METHODS}
