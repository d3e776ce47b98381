"""Fixtures for the build-context tests: a helper that writes a folder tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cakework.testing import Emulator

from ._helpers import MakeTree, Tree


@pytest.fixture
def make_tree(tmp_path: Path) -> MakeTree:
    """Write ``{"relative/path": text or bytes}`` into a new folder and return it."""
    count = 0

    def make(files: Tree) -> Path:
        nonlocal count
        count += 1
        root = tmp_path / f"ctx{count}"
        root.mkdir()
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode())
        return root

    return make


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """One emulator per module; ``emu`` resets it for each test."""
    with Emulator(manual_clock=True) as emulator:
        yield emulator


@pytest.fixture
def emu(server: Emulator) -> Emulator:
    server.reset()
    return server
