"""The pytest fixture from the ``pytest11`` entry point."""

from __future__ import annotations

import httpx
import pytest

from cakework.testing import Emulator


def test_fixture_serves(cakework_emulator: Emulator) -> None:
    response = httpx.get(
        cakework_emulator.base_url + "/vms", headers={"X-Api-Key": cakework_emulator.api_key}
    )
    assert response.status_code == 200
    assert cakework_emulator.api_key == "test-key"


@pytest.mark.cakework_emulator(manual_clock=True, api_keys=("one", "two"))
def test_fixture_marker_configures(cakework_emulator: Emulator) -> None:
    assert cakework_emulator.api_keys == ("one", "two")
    before = cakework_emulator.now()
    cakework_emulator.advance(5)
    assert cakework_emulator.now() == before + 5


@pytest.mark.cakework_emulator(("one", "two"), manual_clock=True)
def test_fixture_marker_positional_api_keys(cakework_emulator: Emulator) -> None:
    # Emulator's first parameter is positional; the marker must pass it on, not drop it.
    assert cakework_emulator.api_keys == ("one", "two")
