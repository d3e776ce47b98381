"""DEBUG logging of each attempt on ``logging.getLogger("cakework")``, and CAKEWORK_LOG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from cakework._request import configure_logging_from_env
from cakework.testing import Emulator

from .conftest import Runner

LOGGER = logging.getLogger("cakework")


@pytest.fixture
def clean_logger() -> Iterator[None]:
    level, handlers = LOGGER.level, list(LOGGER.handlers)
    yield
    LOGGER.setLevel(level)
    LOGGER.handlers[:] = handlers


async def test_each_attempt_is_logged_with_method_path_status_attempt_delay(
    client: Runner, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cakework")
    emu.inject("listVMs", status=503)
    await client.call(client.c.vms.list_page())
    records = [r for r in caplog.records if r.name == "cakework"]
    assert [r.cakework_attempt for r in records] == [1, 2]  # type: ignore[attr-defined]
    first, second = records
    assert first.cakework_method == "GET"  # type: ignore[attr-defined]
    assert first.cakework_url.endswith("/v1/vms")  # type: ignore[attr-defined]
    assert first.cakework_status == 503  # type: ignore[attr-defined]
    assert first.cakework_delay == client.sleeps[0]  # type: ignore[attr-defined]
    assert second.cakework_status == 200  # type: ignore[attr-defined]
    assert second.cakework_delay is None  # type: ignore[attr-defined]
    assert "GET" in first.getMessage()
    assert "/v1/vms" in first.getMessage()
    assert "503" in first.getMessage()
    assert "attempt 1" in first.getMessage()


@pytest.mark.usefixtures("clean_logger")
def test_cakework_log_debug_turns_logging_on(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cakework import Cakework

    LOGGER.setLevel(logging.NOTSET)
    monkeypatch.setenv("CAKEWORK_LOG", "debug")
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        client.vms.list_page()
    with Cakework(api_key=emu.api_key, base_url=emu.base_url):
        pass  # a second client adds no second handler
    assert LOGGER.level == logging.DEBUG
    err = capsys.readouterr().err
    assert err.count("GET http") == 1
    assert "/v1/vms -> 200 (attempt 1" in err


@pytest.mark.usefixtures("clean_logger")
def test_without_cakework_log_nothing_is_configured() -> None:
    before = list(LOGGER.handlers)
    configure_logging_from_env({})
    configure_logging_from_env({"CAKEWORK_LOG": "info"})
    assert LOGGER.handlers == before
