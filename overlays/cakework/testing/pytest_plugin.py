"""The pytest plugin registered through the ``pytest11`` entry point ``cakework``.

It only defines fixtures; importing it must stay cheap and must not need the emulator's
extra dependencies, because pytest imports every installed plugin at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cakework.testing import Emulator


@pytest.fixture
def cakework_emulator() -> Iterator[Emulator]:
    """A running Cakework emulator on 127.0.0.1, stopped after the test.

    Yields:
        The running :class:`cakework.testing.Emulator` (API key ``test-key``).
    """
    from cakework.testing import Emulator  # deferred: optional extra, and pytest imports plugins at start-up

    with Emulator() as emulator:
        yield emulator

