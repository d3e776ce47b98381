"""The issue's named inputs: documented limits, types and shapes, refused before sending.

Each case runs against the counting mock transport: the call must raise
``InvalidParameterError`` naming the parameter, and nothing may be sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cakework import (
    AsyncCakework,
    BuildContextError,
    BuildFile,
    Cakework,
    InvalidParameterError,
)
from cakework_spec.operations import OPERATIONS, SCHEMAS

from ._wire import BASE_URL, FakeApi, FakeClock

# The documented limits, as the spec states them (generated into cakework_spec).
MAX_ID_LENGTH = SCHEMAS["Id"].max_length or 0
MAX_CURSOR_LENGTH = SCHEMAS["Cursor"].max_length or 0
MAX_QUERY_LENGTH = next(
    p.rule.max_length or 0 for p in OPERATIONS["getVMLogs"].query if p.name == "query"
)

Call = Callable[[Any], Any]

REFUSED: list[tuple[str, Call, str]] = [
    ("long vm id", lambda c: c.vms.get("x" * 70_000), "vm_id"),
    ("id one too long", lambda c: c.vms.get("x" * (MAX_ID_LENGTH + 1)), "vm_id"),
    ("long query", lambda c: c.vms.get_logs("vm1", query="x" * 70_000), "query"),
    (
        "query one too long",
        lambda c: c.images.get_build_logs("b1", query="q" * (MAX_QUERY_LENGTH + 1)),
        "query",
    ),
    (
        "long pagination",
        lambda c: c.vms.get_logs("vm1", pagination="p" * (MAX_CURSOR_LENGTH + 1)),
        "pagination",
    ),
    ("long from", lambda c: c.vms.get_logs("vm1", from_="f" * 70_000), "from_"),
    ("long to", lambda c: c.images.get_build_logs("b", to="t" * 70_000), "to"),
    ("from not a time", lambda c: c.vms.get_logs("vm1", from_="yesterday"), "from_"),
    ("since year 5", lambda c: c.vms.logs("vm1", since=datetime(5, 1, 1)), "since"),
    ("until not a time", lambda c: c.images.build_logs("b1", until="soon"), "until"),
    (
        "image uri not ECR",
        lambda c: c.images.import_image(image_uri="docker.io/library/app", password="pw"),
        "image_uri",
    ),
    ("id with a dot", lambda c: c.cached_vms.start("a.b"), "id"),
    (
        "long list cursor",
        lambda c: c.vms.list_page(pagination="p" * (MAX_CURSOR_LENGTH + 1)),
        "pagination",
    ),
    ("long iterator query", lambda c: c.vms.logs("vm1", query="x" * 70_000), "query"),
    (
        "dockerignore int",
        lambda c: c.images.build_from_github(
            dockerfile="FROM x", repository="o/r", branch="main", token="t", dockerignore=5
        ),
        "dockerignore",
    ),
    (
        "dockerignore nan",
        lambda c: c.images.build_from_github(
            dockerfile="FROM x",
            repository="o/r",
            branch="main",
            token="t",
            dockerignore=float("nan"),
        ),
        "dockerignore",
    ),
    (
        "repository",
        lambda c: c.images.build_from_github(
            dockerfile="FROM x", repository="not a repo", branch="main", token="t"
        ),
        "repository",
    ),
    (
        "empty BuildFile",
        lambda c: c.images.build_from_files(
            dockerfile="FROM x", files=[BuildFile(dir="", name="", content="")]
        ),
        "files[0].dir",
    ),
    (
        "BuildFile dict missing content",
        lambda c: c.images.build_from_files(dockerfile="FROM x", files=[{"dir": ".", "name": "a"}]),
        "files[0]",
    ),
    ("env str", lambda c: c.vms.start(image_id="img", env_vars="ab"), "env_vars"),
    (
        "env str pool",
        lambda c: c.cached_vms.pool(image_id="img", size=1, env_vars="ab"),
        "env_vars",
    ),
    ("pagination list", lambda c: c.vms.get_logs("vm1", pagination=["a", "b"]), "pagination"),
    ("pagination empty", lambda c: c.vms.list_page(pagination=""), "pagination"),
    ("from dict", lambda c: c.images.get_build_logs("b1", from_={"a": 1}), "from_"),
    ("to bool", lambda c: c.vms.get_logs("vm1", to=True), "to"),
    ("status list", lambda c: c.vms.list_page(status=["started"]), "status"),
    ("pool size str", lambda c: c.cached_vms.pool(image_id="img", size="2"), "size"),
    ("pool size neg", lambda c: c.cached_vms.pool(image_id="img", size=-1), "size"),
    (
        "pool adopt str",
        lambda c: c.cached_vms.pool(image_id="img", size=1, adopt="c1"),
        "adopt",
    ),
    (
        "pool adopt dotdot",
        lambda c: c.cached_vms.pool(image_id="img", size=1, adopt=[".."]),
        "adopt",
    ),
    (
        "pool start_timeout nan",
        lambda c: c.cached_vms.pool(image_id="img", size=1, start_timeout=float("nan")),
        "start_timeout",
    ),
    (
        "pool destroy_adopted str",
        lambda c: c.cached_vms.pool(image_id="img", size=1, destroy_adopted="no"),
        "destroy_adopted",
    ),
    ("nul in path", lambda c: c.images.build_from_directory("a\x00b"), "path"),
    ("follow str", lambda c: c.vms.logs("vm1", follow="yes"), "follow"),
    ("on_log not callable", lambda c: c.images.wait_for_build("b1", on_log=5), "on_log"),
    ("on_status not callable", lambda c: c.images.wait_for_build("b1", on_status="x"), "on_status"),
    ("wait timeout nan", lambda c: c.vms.wait_for_state("vm1", timeout=float("nan")), "timeout"),
    ("run timeout str", lambda c: c.vms.run(image_id="img", timeout="5"), "timeout"),
]


def _sync_call(call: Call, api: FakeApi) -> None:
    clock = FakeClock()
    with Cakework(
        api_key="k" * 16,
        base_url=BASE_URL,
        http_client=api.sync_client(),
        clock=clock,
        sleep=clock.sleep,
    ) as client:
        result = call(client)
        if hasattr(result, "__enter__"):
            with result:
                pass
        elif hasattr(result, "__next__"):
            next(result, None)


async def _async_call(call: Call, api: FakeApi) -> None:
    clock = FakeClock()
    async with AsyncCakework(
        api_key="k" * 16,
        base_url=BASE_URL,
        http_client=api.async_client(),
        clock=clock,
        sleep=clock.asleep,
    ) as client:
        result = call(client)
        if hasattr(result, "__await__"):
            await result
        elif hasattr(result, "__aenter__"):
            async with result:
                pass
        elif hasattr(result, "__anext__"):
            await anext(result, None)


def _either(call: Call, api: FakeApi, is_async: bool) -> None:
    if is_async:
        asyncio.run(_async_call(call, api))
    else:
        _sync_call(call, api)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("case", "call", "parameter"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_sending(case: str, call: Call, parameter: str, is_async: bool) -> None:
    api = FakeApi()
    with pytest.raises(InvalidParameterError) as caught:
        _either(call, api, is_async)
    assert api.count == 0
    assert caught.value.parameter == parameter
    assert len(str(caught.value)) < 400  # a 70 000-character value is not repeated


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_undecodable_folder_name_is_a_build_context_error(is_async: bool) -> None:
    """A lone surrogate is a valid (undecodable) folder name: typed, and nothing sent."""
    api = FakeApi()
    with pytest.raises(BuildContextError, match="not a folder"):
        _either(lambda c: c.images.build_from_directory("dir\udcff"), api, is_async)
    assert api.count == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.vms.get("x" * MAX_ID_LENGTH),
        lambda c: c.vms.get_logs("vm1", query="q" * MAX_QUERY_LENGTH),
        lambda c: c.vms.get_logs(
            "vm1",
            pagination="é" * MAX_CURSOR_LENGTH,
            from_="2023-03-07 06:12:56 UTC",
            to="2999-12-31T23:59:59.999999+14:00",
            query="\U0001f600" * MAX_QUERY_LENGTH,
        ),
    ],
)
def test_values_at_the_limits_are_sent(call: Call) -> None:
    api = FakeApi()
    _sync_call(call, api)
    assert api.count == 1
    assert api.malformed == []


def test_build_from_files_accepts_the_api_json_shape(tmp_path: Path) -> None:
    """First-hour item 5: the ``files`` shape from the API docs works as is."""
    api = FakeApi()
    with Cakework(api_key="k" * 16, base_url=BASE_URL, http_client=api.sync_client()) as c:
        build = c.images.build_from_files(
            dockerfile="FROM python:3.11-slim\nCOPY app.py .\n",
            files=[
                {"dir": ".", "name": "app.py", "content": "print('hi')\n"},
                BuildFile(dir="src", name="lib.py", content=""),
            ],
        )
    assert build.build_id == "b1"
    assert api.operations == ["buildImageFromFiles"]
    assert api.malformed == []
