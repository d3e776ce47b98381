"""The pytest plugin registered through the ``pytest11`` entry point ``cakework``.

It provides the ``cakework_emulator`` fixture. Importing this module stays cheap and
needs none of the emulator's extra dependencies, because pytest imports every installed
plugin at start-up.

Configure the emulator per test with a marker::

    @pytest.mark.cakework_emulator(manual_clock=True, api_keys=("a", "b"))
    def test_something(cakework_emulator): ...

When a test that used the fixture fails, the emulator's request log is saved as a HAR
file (open it in a browser's developer tools or any HAR viewer), like Playwright's
traces: next to the JUnit report when ``--junitxml`` is given, else under
``test-results/cakework/``; ``--cakework-har-dir DIR`` chooses the folder and
``--cakework-no-har`` turns it off. The end of the run lists the files written.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cakework.testing import Emulator

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_SAVED = pytest.StashKey[list[Path]]()
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the HAR options."""
    group = parser.getgroup("cakework", "cakework emulator")
    group.addoption(
        "--cakework-har-dir",
        metavar="DIR",
        default=None,
        help="where the HAR of a failed test's emulator traffic goes "
        "(default: next to --junitxml, else test-results/cakework)",
    )
    group.addoption(
        "--cakework-no-har",
        action="store_true",
        default=False,
        help="do not save the HAR of a failed test's emulator traffic",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``cakework_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "cakework_emulator(*args, **kwargs): arguments for the cakework_emulator fixture's "
        "Emulator (api_keys, speed, manual_clock, page_size, log_quirk, timings)",
    )
    config.stash[_SAVED] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, for the fixture's teardown to read."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _har_dir(config: pytest.Config) -> Path:
    chosen = config.getoption("cakework_har_dir")
    if chosen:
        return Path(chosen)
    junit = getattr(config.option, "xmlpath", None)
    if junit:
        return Path(junit).resolve().parent / "cakework-har"
    return config.rootpath / "test-results" / "cakework"


def _save_har(request: pytest.FixtureRequest, emulator: Emulator) -> None:
    config = request.config
    reports = request.node.stash.get(_REPORTS, {})
    if config.getoption("cakework_no_har") or not any(r.failed for r in reports.values()):
        return
    name = _UNSAFE.sub("_", request.node.nodeid).strip("_")[:150] + ".har"
    path = emulator.save_har(_har_dir(config) / name)
    config.stash[_SAVED].append(path)


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
        _save_har(request, emulator)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the HAR files written for failed tests."""
    saved = terminalreporter.config.stash.get(_SAVED, [])
    if saved:
        terminalreporter.section("cakework emulator traffic of failed tests (HAR)")
        for path in saved:
            terminalreporter.write_line(str(path))
