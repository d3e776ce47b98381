"""The fixture saves the HAR of a failed test's traffic, next to the report; opt-out works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FAILING = """
import httpx

def test_fails(cakework_emulator):
    httpx.get(cakework_emulator.base_url + "/vms", headers={"X-Api-Key": "test-key"})
    assert False, "the failure under test"

def test_passes(cakework_emulator):
    httpx.get(cakework_emulator.base_url + "/vms", headers={"X-Api-Key": "test-key"})
"""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    # The inner run has no pyproject.toml: say what pytest-asyncio would warn about.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def _entries(path: Path) -> list[str]:
    return [e["_operation"] for e in json.loads(path.read_text())["log"]["entries"]]


def test_a_failed_test_leaves_its_har_next_to_the_junit_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample=FAILING)
    result = pytester.runpytest("--junitxml=reports/junit.xml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    saved = sorted((pytester.path / "reports" / "cakework-har").iterdir())
    assert [p.name for p in saved] == ["test_sample.py_test_fails.har"]
    assert _entries(saved[0]) == ["listVMs"]
    result.stdout.fnmatch_lines(["*cakework emulator traffic of failed tests*", "*test_fails.har"])


def test_without_a_report_it_goes_to_test_results(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample=FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    saved = list((pytester.path / "test-results" / "cakework").iterdir())
    assert [p.name for p in saved] == ["test_sample.py_test_fails.har"]


def test_the_folder_can_be_chosen_and_saving_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample=FAILING)
    pytester.runpytest("--cakework-har-dir=hars", "-p", "no:cacheprovider")
    assert [p.name for p in (pytester.path / "hars").iterdir()] == ["test_sample.py_test_fails.har"]
    result = pytester.runpytest(
        "--cakework-no-har", "--cakework-har-dir=none", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)
    assert not (pytester.path / "none").exists()
    assert not (pytester.path / "test-results").exists()
