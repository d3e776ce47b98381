"""Shared by every suite: no test leaves records in ``cakework.pending()`` for the next.

The registry is process-wide (it is what gets reported when the interpreter exits); a
test that provokes a give-up reads it, and whatever it leaves is forgotten here so the
next test (and the run's exit) starts from nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import cakework


@pytest.fixture(autouse=True)
def _forget_pending() -> Iterator[None]:
    cakework.pending(clear=True)
    yield
    cakework.pending(clear=True)
