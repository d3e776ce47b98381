"""``AsyncCakework`` spares httpcore a failing ``sys.path`` search for sniffio per request."""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Iterator

import pytest

from cakework import AsyncCakework, _sniffio


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run as if no client had been made yet; put ``sys.modules`` back afterwards."""
    monkeypatch.setattr(_sniffio, "_done", False)
    saved = sys.modules.pop("sniffio", "absent")
    yield
    sys.modules.pop("sniffio", None)
    if saved != "absent":
        sys.modules["sniffio"] = saved  # type: ignore[assignment]


def test_a_missing_sniffio_then_fails_to_import_at_once(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = importlib.util.find_spec

    def without_sniffio(name: str, package: str | None = None) -> object:
        return None if name == "sniffio" else find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_sniffio)
    AsyncCakework(api_key="k", base_url="http://127.0.0.1:9/v1")
    assert "sniffio" in sys.modules
    entry: object = sys.modules["sniffio"]  # typeshed does not admit None entries
    assert entry is None
    with pytest.raises(ImportError):
        importlib.import_module("sniffio")
    # httpcore's answer is unchanged: without sniffio it runs on asyncio.
    from httpcore._synchronization import current_async_library

    assert current_async_library() == "asyncio"


def test_an_installed_sniffio_is_left_alone(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = types.ModuleType("sniffio")
    monkeypatch.setitem(sys.modules, "sniffio", installed)
    AsyncCakework(api_key="k", base_url="http://127.0.0.1:9/v1")
    assert sys.modules["sniffio"] is installed


def test_the_sync_client_leaves_sys_modules_alone(fresh: None) -> None:
    from cakework import Cakework

    Cakework(api_key="k", base_url="http://127.0.0.1:9/v1").close()
    assert "sniffio" not in sys.modules
