"""CachedVMPool (threads) against the emulator: no leaks, no double hand-out, clean failures."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter

import pytest

from cakework import Cakework, InternalServerError, WaitTimeoutError
from cakework.errors import PoolClosedError, PoolTimeoutError
from cakework.testing import Emulator

from .conftest import live_cached_vms


def test_normal_use_hands_out_started_vms_and_destroys_them_on_close(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    with client.cached_vms.pool(image_id=image_id, size=2, cpu=2, memory=512) as pool:
        assert live_cached_vms(emu) == 2
        with pool.acquire(timeout=10) as vm:
            assert vm.state == "started"
            assert (vm.cpu, vm.memory, vm.image_id) == (2, 512, image_id)
            assert client.vms.get(vm.id).state == "started"
            assert pool.stats().in_use == 1
        assert client.vms.get(vm.id).state == "stopped"
        stats = pool.stats()
        assert (stats.size, stats.idle, stats.in_use, stats.created) == (2, 2, 0, 2)
        assert stats.start_latency_mean is not None
    assert live_cached_vms(emu) == 0
    stats = pool.stats()
    assert (stats.size, stats.created, stats.destroyed, stats.failures) == (0, 2, 2, 0)
    pool.close()  # closing twice is harmless
    assert emu.request_count("destroyCachedVM") == 2


def test_error_in_the_body_still_destroys_everything(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    pool = client.cached_vms.pool(image_id=image_id, size=2)
    with pytest.raises(RuntimeError, match="job failed"), pool, pool.acquire(timeout=10):
        raise RuntimeError("job failed")
    assert live_cached_vms(emu) == 0
    assert emu.request_count("stopCachedVM") == 1


def test_keyboard_interrupt_in_the_body_still_destroys_everything(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    pool = client.cached_vms.pool(image_id=image_id, size=3)
    with pytest.raises(KeyboardInterrupt), pool, pool.acquire(timeout=10):
        raise KeyboardInterrupt
    assert live_cached_vms(emu) == 0
    assert pool.stats().destroyed == 3


def test_injected_start_failure_replaces_the_vm(
    client: Cakework, emu: Emulator, image_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with client.cached_vms.pool(image_id=image_id, size=2) as pool:
        emu.inject("startCachedVM", status=500, times=1)
        with caplog.at_level(logging.WARNING, logger="cakework"), pool.acquire(timeout=10) as vm:
            assert vm.state == "started"
        stats = pool.stats()
        assert (stats.failures, stats.replaced, stats.destroyed, stats.created) == (1, 1, 1, 3)
        assert stats.size == 2
        assert live_cached_vms(emu) == 2
    assert "failed to start" in caplog.text
    assert live_cached_vms(emu) == 0


def test_injected_stop_failure_replaces_the_vm(
    client: Cakework, emu: Emulator, image_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with client.cached_vms.pool(image_id=image_id, size=1) as pool:
        emu.inject("stopCachedVM", status=500, times=1)
        with caplog.at_level(logging.WARNING, logger="cakework"), pool.acquire(timeout=10) as vm:
            broken = vm.id
        with pool.acquire(timeout=10) as vm:
            assert vm.id != broken
        assert client.vms.get(broken).state == "destroyed"
        stats = pool.stats()
        assert (stats.failures, stats.replaced, stats.destroyed, stats.size) == (1, 1, 1, 1)
    assert "failed to stop" in caplog.text
    assert live_cached_vms(emu) == 0


def test_injected_failure_during_warm_up_destroys_what_was_created(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    emu.inject("cacheVM", status=500, times=1)
    pool = client.cached_vms.pool(image_id=image_id, size=4)
    with pytest.raises(InternalServerError), pool:
        pytest.fail("the body must not run")
    assert emu.request_count("cacheVM") == 4
    assert emu.resources()["cached_vms"] == 3
    assert live_cached_vms(emu) == 0
    stats = pool.stats()
    assert (stats.created, stats.destroyed, stats.failures) == (3, 3, 1)
    with pytest.raises(PoolClosedError):
        pool.open()


def test_ctrl_c_during_warm_up_destroys_what_was_created(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    emu.inject("cacheVM", "latency", seconds=0.3, times=3)
    pool = client.cached_vms.pool(image_id=image_id, size=3)

    def interrupt_when_all_creates_are_in_flight() -> None:
        while emu.request_count("cacheVM") < 3:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_all_creates_are_in_flight, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        pool.open()
    assert emu.resources()["cached_vms"] == 3
    assert live_cached_vms(emu) == 0


def test_fifty_threads_on_a_pool_of_five_never_share_a_vm(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    holders: Counter[str] = Counter()
    shared: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    finished: list[str] = []

    def job() -> None:
        try:
            with pool.acquire(timeout=60) as vm:
                with lock:
                    holders[vm.id] += 1
                    if holders[vm.id] > 1:
                        shared.append(vm.id)
                time.sleep(0.002)
                with lock:
                    holders[vm.id] -= 1
            finished.append(vm.id)
        except BaseException as exc:
            errors.append(exc)

    with client.cached_vms.pool(image_id=image_id, size=5) as pool:
        threads = [threading.Thread(target=job) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = pool.stats()
    assert errors == []
    assert shared == []
    assert len(finished) == 50
    assert len(set(finished)) == 5
    assert emu.request_count("startCachedVM") == emu.request_count("stopCachedVM") == 50
    assert (stats.size, stats.idle, stats.created, stats.failures) == (5, 5, 5, 0)
    assert live_cached_vms(emu) == 0


def test_acquire_times_out_cleanly_and_the_pool_grows_to_max_size(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    with client.cached_vms.pool(image_id=image_id, size=1, max_size=2) as pool:
        with pool.acquire(timeout=10) as first, pool.acquire(timeout=10) as second:
            assert first.id != second.id
            assert pool.stats().size == 2
            with pytest.raises(PoolTimeoutError) as caught, pool.acquire(timeout=0.05):
                pytest.fail("no VM should be free")
            assert isinstance(caught.value, WaitTimeoutError)
            assert (caught.value.in_use, caught.value.max_size) == (2, 2)
            assert emu.request_count("cacheVM") == 2
        stats = pool.stats()
        assert (stats.size, stats.idle, stats.in_use) == (2, 2, 0)
        with pool.acquire(timeout=0.05) as vm:  # free again: no timeout
            assert vm.state == "started"
    assert live_cached_vms(emu) == 0


def test_acquire_outside_open_is_refused(client: Cakework, image_id: str) -> None:
    pool = client.cached_vms.pool(image_id=image_id, size=1)
    with pytest.raises(PoolClosedError, match="not open"), pool.acquire():
        pytest.fail("unreachable")


def test_adopted_vms_are_reused_and_kept_unless_asked(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    ids = [client.cached_vms.create(image_id=image_id).id for _ in range(2)]
    pool = client.cached_vms.pool(image_id=image_id, size=2, adopt=ids)
    with pool, pool.acquire(timeout=10) as vm:
        assert vm.id in ids
    assert emu.request_count("cacheVM") == 2  # only ours, none by the pool
    assert live_cached_vms(emu) == 2
    with client.cached_vms.pool(image_id=image_id, size=2, adopt=ids, destroy_adopted=True):
        pass
    assert live_cached_vms(emu) == 0
