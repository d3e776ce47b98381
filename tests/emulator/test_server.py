"""The Emulator context manager: starts, stops cleanly, leaves nothing behind."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading

import httpx
import pytest

import cakework.testing
from cakework.testing import Emulator, Fault, create_app


def test_public_names() -> None:
    assert set(cakework.testing.__all__) == {
        "Emulator",
        "EmulatorApp",
        "EmulatorError",
        "Fault",
        "FaultKind",
        "ManualClock",
        "ScaledClock",
        "StateFileError",
        "Timings",
        "create_app",
    }


def emulator_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "cakework-emulator"]


def test_stops_cleanly_with_nothing_left_behind() -> None:
    with Emulator() as emu:
        host, port = emu.url.removeprefix("http://").split(":")
        with httpx.Client() as client:  # a keep-alive connection still open at stop
            assert client.get(emu.base_url + "/vms", headers={"X-Api-Key": "test-key"}).is_success
            assert len(emulator_threads()) == 1
            emu.stop()
    assert emulator_threads() == []
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), 1):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url
    emu.stop()  # idempotent


def test_two_emulators_get_different_ports() -> None:
    with Emulator() as first, Emulator() as second:
        assert first.base_url != second.base_url


def test_restart_after_stop() -> None:
    emu = Emulator(manual_clock=True)
    with emu:
        pass
    with emu:
        assert httpx.get(emu.base_url + "/vms", headers={"X-Api-Key": "test-key"}).is_success
    with pytest.raises(RuntimeError, match="already running"), emu, emu:
        pass


def test_create_app_is_a_fresh_asgi_app_each_time() -> None:
    first, second = create_app(), create_app()
    assert first.backend is not second.backend
    assert {op.operation_id for op in first.operations} == {
        "importImage",
        "buildImageFromFiles",
        "buildImageFromGithub",
        "getBuild",
        "getBuildLogs",
        "startVM",
        "stopVM",
        "getVM",
        "listVMs",
        "getVMLogs",
        "cacheVM",
        "startCachedVM",
        "stopCachedVM",
        "destroyCachedVM",
        "getCachedVMLogs",
    }


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="API key"):
        Emulator(())
    with pytest.raises(ValueError, match="speed"):
        Emulator(speed=0)
    with pytest.raises(ValueError, match="back"):
        Emulator(manual_clock=True).advance(-1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # Keys no client can present: HTTP strips the blanks, forbids the line break.
        ({"api_keys": ("",)}, "API key"),
        ({"api_keys": (" padded ",)}, "API key"),
        ({"api_keys": ("a\nb",)}, "API key"),
        ({"api_keys": (1,)}, "API key"),
        # A page size that would fail on every listVMs instead of here.
        ({"page_size": 2.5}, "page_size"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_unusable_settings_are_refused_at_construction(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(**kwargs)  # type: ignore[arg-type]


def test_repr_has_no_keys() -> None:
    emu = Emulator(("secret-key-123",))
    assert "secret-key-123" not in repr(emu)
    with emu:
        assert "secret-key-123" not in repr(emu)


def test_plugin_import_is_cheap() -> None:
    # pytest imports the plugin in every session; it must not pull in the server stack.
    code = (
        "import sys, cakework.testing.pytest_plugin;"
        "heavy = {'starlette', 'uvicorn', 'openapi_core', 'dockerfile'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_stop_cuts_a_request_held_by_a_latency_fault(caplog: pytest.LogCaptureFixture) -> None:
    # A test that injects a long latency and then ends must not wait for it, nor leave an
    # "Exception in ASGI application" in the log: the held request is dropped at stop.
    outcome: list[BaseException | int] = []
    with Emulator() as emu:
        emu.inject("listVMs", "latency", seconds=60)

        def call() -> None:
            try:
                response = httpx.get(
                    emu.base_url + "/vms", headers={"X-Api-Key": emu.api_key}, timeout=120
                )
                outcome.append(response.status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        for _ in range(2000):
            if emu.request_count("listVMs"):
                break
            caller.join(0.005)
    caller.join(30)
    assert not caller.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open fds via /proc")
def test_start_stop_cycles_leave_no_descriptor_or_thread() -> None:
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with Emulator():  # warm up imports and lazily opened files
        pass
    before_fds, before_threads = open_fds(), threading.active_count()
    for _ in range(3):
        with Emulator(manual_clock=True) as emu:
            emu.inject("getVM", "drop_after")
            with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
                assert http.get("/vms").status_code == 200
                with pytest.raises(httpx.RemoteProtocolError):
                    http.get("/vm/x")
            idle = httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key})
            assert idle.get("/vms").status_code == 200  # still connected at stop
        idle.close()
    assert (open_fds(), threading.active_count()) == (before_fds, before_threads)


@pytest.mark.parametrize(("kind", "created"), [("drop_before", 0), ("drop_after", 1)])
async def test_in_process_app_drops_like_a_server(kind: str, created: int) -> None:
    # ``create_app`` served by httpx's ASGI transport (no socket): a dropped connection
    # must reach the client as the same httpx error a real server's drop gives.
    app = create_app(manual_clock=True)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator/v1", headers={"X-Api-Key": "test-key"}
    ) as http:
        body = {"imageUri": "123456789012.dkr.ecr.us-west-2.amazonaws.com/a", "password": "pw"}
        app.add_fault("importImage", Fault(kind=kind), times=1, fraction=None)  # type: ignore[arg-type]
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/image/import", json=body)
        assert app.backend.resources("test-key")["images"] == created
        assert (await http.post("/image/import", json=body)).status_code == 200
