"""Shared by every suite.

No test leaves records in ``cakework.pending()`` for the next: the registry is
process-wide (it is what gets reported when the interpreter exits); a test that provokes
a give-up reads it, and whatever it leaves is forgotten here so the next test (and the
run's exit) starts from nothing.

The fuzz suites' one-line summary is printed here: under ``pytest -n`` only this
conftest is loaded by the process that prints, and each test's share of examples
reaches it on the test's report (``tests/hardening/conftest.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

import cakework


@pytest.fixture(autouse=True)
def _forget_pending() -> Iterator[None]:
    cakework.pending(clear=True)
    yield
    cakework.pending(clear=True)


_FUZZ_REPORTED: Counter[str] = Counter()
"""Fuzz examples by outcome, summed from the reports of every test (every worker)."""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        for name, share in report.user_properties:
            if name == "cakework_fuzz" and isinstance(share, dict):
                _FUZZ_REPORTED.update(share)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FUZZ_REPORTED:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(_FUZZ_REPORTED.items()))
        terminalreporter.write_line(f"cakework fuzz: {shown}")
