"""``import cakework`` loads what the blocking client needs, and no more (issue: import cost).

Each check runs in a fresh interpreter: this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cakework

_PROBE = """
import json, sys
import cakework
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_cakework_loads_no_asyncio_emulator_pool_or_date_parser() -> None:
    loaded = _modules_after(_PROBE)
    assert "cakework._sync.client" in loaded
    # The generated package loads with the first client.
    unwanted: tuple[str, ...] = ("asyncio", "cakework._async", "cakework.testing")
    unwanted += ("dateutil", "starlette", "cakework_api")
    assert not {m for m in loaded if m.startswith(unwanted)}
    assert not {"cakework._pool_state", "cakework._sync.pool", "cakework._directory"} & loaded


def test_the_async_names_load_on_first_use() -> None:
    loaded = _modules_after(
        "from cakework import AsyncCakework, AsyncCachedVMPool, PoolStats\n" + _PROBE
    )
    assert {"asyncio", "cakework._async.client", "cakework._pool_state"} <= loaded


def test_the_generated_client_loads_with_the_first_client() -> None:
    loaded = _modules_after("import cakework\ncakework.Cakework(api_key='k').close()\n" + _PROBE)
    assert "cakework_api.client" in loaded


def test_lazy_names_are_ordinary_attributes() -> None:
    from cakework._async.client import AsyncCakework

    assert cakework.AsyncCakework is AsyncCakework
    assert {"AsyncCakework", "CachedVMPool", "PoolStats"} <= set(dir(cakework))
    with pytest.raises(AttributeError, match="NoSuchName"):
        getattr(cakework, "NoSuchName")  # noqa: B009
