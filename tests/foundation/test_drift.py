"""The drift check reports every kind of difference (so it can fail), and passes on the repo."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cakework_generate", ROOT / "scripts/generate.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_tree_diff_reports_changed_missing_and_stale_files(tmp_path: Path) -> None:
    gen = _generate_module()
    fresh, committed = tmp_path / "fresh", tmp_path / "committed"
    for root in (fresh, committed):
        (root / "api").mkdir(parents=True)
        (root / "same.py").write_text("x = 1\n")
    assert gen.tree_diff(fresh, committed) == []
    (fresh / "api" / "new.py").write_text("")
    (committed / "stale.py").write_text("")
    (committed / "same.py").write_text("x = 2\n")
    problems = "\n".join(gen.tree_diff(fresh, committed))
    assert "only in fresh output: api/new.py" in problems
    assert "stale.py" in problems
    assert "-x = 2" in problems
    assert "+x = 1" in problems


def _unasync_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cakework_unasync", ROOT / "scripts/unasync.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_unasync_rewrites_async_tokens_and_drops_async_only_blocks() -> None:
    un = _unasync_module()
    source = "\n".join(
        [
            "class AsyncPager:",
            "    async def __anext__(self) -> T:",
            "        if not await self._pump(run_async(flow)):",
            "            raise StopAsyncIteration",
            "    # unasync: async-only",
            "    async def aclose(self) -> None: ...",
            "    # unasync: end",
            "    async def __aexit__(self, *exc: object) -> None: ...",
        ]
    )
    assert un.unasync_text(source).splitlines() == [
        "class Pager:",
        "    def __next__(self) -> T:",
        "        if not self._pump(run_sync(flow)):",
        "            raise StopIteration",
        "    def __exit__(self, *exc: object) -> None: ...",
    ]


def test_the_committed_sync_edge_is_what_unasync_makes() -> None:
    un = _unasync_module()
    wanted = un.generate()
    present = {p.name: p.read_text() for p in un.TARGET.glob("*.py")}
    assert present == wanted  # whole files, and no stale extra file
