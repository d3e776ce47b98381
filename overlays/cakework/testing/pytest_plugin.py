"""The pytest plugin registered through the ``pytest11`` entry point ``cakework``.

It provides the ``cakework_emulator`` fixture. Importing this module stays cheap and
needs none of the emulator's extra dependencies, because pytest imports every installed
plugin at start-up.

Configure the emulator per test with a marker:

```python
@pytest.mark.cakework_emulator(manual_clock=True, api_keys=("a", "b"))
def test_something(cakework_emulator): ...
```

"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cakework.testing import Emulator


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``cakework_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "cakework_emulator(*args, **kwargs): arguments for the cakework_emulator fixture's "
        "Emulator (api_keys, speed, manual_clock, page_size, log_quirk, timings)",
    )


@pytest.fixture
def cakework_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running Cakework emulator on 127.0.0.1, stopped after the test.

    Yields:
        The running :class:`cakework.testing.Emulator` (API key ``test-key`` unless the
        ``cakework_emulator`` marker says otherwise).
    """
    # Deferred: the emulator is an optional extra, and pytest imports plugins at start-up.
    from cakework.testing import Emulator

    marker = request.node.get_closest_marker("cakework_emulator")
    args = marker.args if marker is not None else ()
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with Emulator(*args, **kwargs) as emulator:
        yield emulator
