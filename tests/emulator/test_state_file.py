"""A world that survives restarts: export/restore, the SQLite state file, and its refusals.

A restored emulator must answer exactly what the saved one answered (same ids, states,
log lines, cursors); a kill -9 loses at most the last save interval and never the file; a
corrupt file or one from a newer version is refused with a clear error and left as it was.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cakework import BuildFile, Cakework
from cakework.testing import Emulator, StateFileError
from cakework.testing._clock import ManualClock, ScaledClock
from cakework.testing._persist import (
    STATE_VERSION,
    export_state,
    import_state,
    load_file,
    save_file,
)
from cakework.testing._state import Backend

from .conftest import DOCKERFILE, ECR_URI

KEYS = ("key-a", "key-b")


def _world(emu: Emulator) -> dict[str, Any]:
    """Make one of everything through the client; return what a reader sees of it."""
    with Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance) as client:
        build = client.images.build_from_files(
            dockerfile=DOCKERFILE, files=[BuildFile(dir=".", name="app.py", content="x")]
        )
        image = client.images.wait_for_build(build.build_id).image_id
        assert image is not None
        imported = client.images.import_image(image_uri=ECR_URI, password="pw")
        vm = client.vms.start(image_id=image, port=8080, env_vars={"A": "1"}, volume_gb=2)
        client.vms.wait_for_state(vm.id, "started")
        cached = client.cached_vms.create(image_id=imported.image_id, disk_size=5)
        client.cached_vms.start(cached.id)
        done = client.vms.start(image_id=image)
        client.vms.stop(done.id)
        emu.advance(600)  # the VMs write application lines, one per 5 s
        emu.register_github_repo("org/app", {"app.py": "print(1)"}, token="t0k")
    with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
        first_page = http.get(f"/vm/{vm.id}/logs", params={"batch": 50}).json()
    assert first_page["pagination"]
    return {
        "vm": vm.id,
        "cached": cached.id,
        "build": build.build_id,
        "cursor": first_page["pagination"],
        "from": first_page["from"],
        "to": first_page["to"],
    }


def _seen(emu: Emulator, ids: dict[str, Any]) -> dict[str, Any]:
    """Everything the API answers about the world (no write, so no state change)."""
    with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
        vm = ids["vm"]
        params = {"batch": 50, "pagination": ids["cursor"], "from": ids["from"], "to": ids["to"]}
        return {
            "vms": http.get("/vms").json(),
            "vm": http.get(f"/vm/{vm}").json(),
            "cached": http.get(f"/vm/{ids['cached']}").json(),
            "build": http.get(f"/image/build/{ids['build']}").json(),
            "build_logs": http.get(f"/image/build/{ids['build']}/logs").json(),
            "vm_logs_next_page": http.get(f"/vm/{vm}/logs", params=params).json(),
            "cached_logs": http.get(f"/vm/cached/{ids['cached']}/logs").json(),
            "resources": emu.resources(),
            "clock": emu.now(),
        }


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "world.db"


def test_export_then_import_into_a_new_emulator_answers_the_same(tmp_path: Path) -> None:
    with Emulator(KEYS, manual_clock=True) as first:
        ids = _world(first)
        before = _seen(first, ids)
        document = first.export_state()
    with Emulator(KEYS, manual_clock=True) as second:
        second.import_state(document)
        assert _seen(second, ids) == before  # cursors issued before still read on
        assert second.export_state() == document
        # Ids go on from where they were, not from 1 again.
        with Cakework(api_key=second.api_key, base_url=second.base_url) as client:
            fresh = client.vms.start(image_id=before["vm"]["imageId"]).id
        assert fresh not in {ids["vm"], ids["cached"]}


def test_the_file_round_trips_and_is_plain_sqlite(path: Path) -> None:
    with Emulator(KEYS, manual_clock=True, state_file=path) as first:
        ids = _world(first)
        before = _seen(first, ids)
    # Saved on stop; readable with nothing but sqlite3.
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from vms").fetchone() == (3,)
        assert dict(db.execute("select key, value from meta"))["version"] == str(STATE_VERSION)
        names = {row[0] for row in db.execute("select tenant from tenants")}
    assert names == {"sha256:" + hashlib.sha256(k.encode()).hexdigest() for k in KEYS}
    assert not any(k.encode() in path.read_bytes() for k in KEYS)  # keys are not stored
    with Emulator(KEYS, manual_clock=True, state_file=path) as second:
        assert _seen(second, ids) == before


def test_a_scaled_clock_goes_on_from_the_saved_time(path: Path) -> None:
    saved = Backend(KEYS, ManualClock(start=2_000_000_000.0))
    save_file(path, export_state(saved))
    document = load_file(path)
    restored = Backend(KEYS, ScaledClock(1.0))
    import_state(restored, document)
    assert 2_000_000_000.0 <= restored.clock.now() < 2_000_000_000.0 + 60


def test_a_kill_9_loses_at_most_the_last_save_and_never_the_file(path: Path) -> None:
    command = [sys.executable, "-m", "cakework.testing", "--port", "0", "--manual-clock"]
    command += ["--api-key", KEYS[0], "--state", str(path), "--save-interval", "0.05"]

    def run() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Cakework emulator listening on "), line
        return process, line.rsplit(" ", 1)[1].strip().removesuffix("/v1")

    process, url = run()
    try:
        with httpx.Client(base_url=url, headers={"X-Api-Key": KEYS[0]}) as http:
            image = http.post("/v1/image/import", json={"imageUri": ECR_URI, "password": "p"})
            for _ in range(20):
                http.post("/v1/vm/start", json={"imageId": image.json()["imageId"]})
            http.post("/_emulator/clock/advance", json={"seconds": 10})
            expected = http.get("/_emulator/state").json()
            # Wait for a save that holds all of it (the interval is 0.05 s); bounded.
            deadline = time.monotonic() + 60
            while (saved := load_file(path)) != expected:
                assert time.monotonic() < deadline, "no save of the world in 60 s"
                time.sleep(0.02)
            # More work that a kill may lose, then the kill, while saves keep running.
            http.post("/v1/vm/start", json={"imageId": image.json()["imageId"]})
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
    after_kill = load_file(path)  # never half written
    assert after_kill is not None
    vms = len(after_kill["tenants"][0]["vms"])
    assert vms in (20, 21)
    process, url = run()
    try:
        with httpx.Client(base_url=url) as http:
            restored = http.get("/_emulator/state").json()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()
    assert restored == after_kill
    if vms == 20:
        assert restored == saved


def test_a_corrupt_file_is_refused_and_left_alone(path: Path) -> None:
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="not a readable Cakework emulator state file"):
        Emulator(KEYS, state_file=path)
    assert path.read_bytes() == before
    # From the command line: one line on stderr, exit status 1, the file untouched.
    result = subprocess.run(
        [sys.executable, "-m", "cakework.testing", "--port", "0", "--state", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot load the state" in result.stderr
    assert str(path) in result.stderr
    assert "left unchanged" in result.stderr
    assert path.read_bytes() == before


def test_a_damaged_table_is_refused_too(path: Path) -> None:
    save_file(path, export_state(Backend(KEYS, ManualClock())))
    with sqlite3.connect(path) as db:
        db.execute("drop table vms")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="no such table: vms"):
        Emulator(KEYS, state_file=path)
    assert path.read_bytes() == before


def test_a_file_from_a_newer_version_is_refused_and_left_alone(path: Path) -> None:
    save_file(path, export_state(Backend(KEYS, ManualClock())))
    with sqlite3.connect(path) as db:
        db.execute("update meta set value = ? where key = 'version'", (str(STATE_VERSION + 1),))
    db.close()
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="newer version") as raised:
        Emulator(KEYS, state_file=path)
    assert str(path) in str(raised.value)
    assert "upgrade cakework-client" in str(raised.value)
    assert path.read_bytes() == before


def test_a_state_of_other_keys_is_refused(path: Path) -> None:
    save_file(path, export_state(Backend(("someone-else",), ManualClock())))
    with pytest.raises(StateFileError, match="same --api-key values"):
        Emulator(KEYS, state_file=path)


@pytest.mark.parametrize(
    "damage",
    [
        {"format": "something-else"},
        {"version": 0},
        {"clock": "noon"},
        {"tenants": [{"tenant": "x"}]},
        {"counters": {"vm": "many"}},
    ],
)
def test_import_refuses_a_bad_document_and_changes_nothing(damage: dict[str, Any]) -> None:
    backend = Backend(KEYS, ManualClock())
    backend.import_image(KEYS[0], image_uri=ECR_URI, password="p")
    document = export_state(backend)
    with pytest.raises(StateFileError):
        import_state(backend, {**document, **damage})
    assert export_state(backend) == document


def test_ten_thousand_vms_save_and_restore(path: Path) -> None:
    backend = Backend(KEYS, ManualClock())
    image = backend.import_image(KEYS[0], image_uri=ECR_URI, password="p")["imageId"]
    for _ in range(10_000):
        backend.start_vm(KEYS[0], image_id=image, env_vars={"K": "v"})
    document = export_state(backend)
    save_file(path, document)
    restored = Backend(KEYS, ManualClock())
    import_state(restored, load_file(path))
    assert export_state(restored) == document
    assert restored.resources(KEYS[0])["vms"] == 10_000


def test_saves_leave_no_temporary_file_behind(path: Path) -> None:
    with Emulator(KEYS, manual_clock=True, state_file=path, save_interval=0.01) as emu:
        httpx.post(
            emu.base_url + "/image/import",
            json={"imageUri": ECR_URI, "password": "p"},
            headers={"X-Api-Key": KEYS[0]},
        )
    assert load_file(path) is not None
    assert not path.with_name(path.name + ".saving").exists()


def test_the_folder_of_a_new_state_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "world.db"
    with Emulator(KEYS, manual_clock=True, state_file=path):
        pass
    document = load_file(path)
    assert document is not None
    assert [t["vms"] for t in document["tenants"]] == [[], []]
