"""AsyncCachedVMPool (tasks) against the emulator: no leaks, no double hand-out, clean failures."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

import pytest

from cakework import AsyncCakework, InternalServerError, WaitTimeoutError
from cakework.errors import PoolClosedError, PoolTimeoutError
from cakework.testing import Emulator

from .conftest import live_cached_vms


async def _until(predicate: Callable[[], bool]) -> None:
    # The condition is a count inside the emulator's server thread: nothing to await on.
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(0.002)


async def test_normal_use_hands_out_started_vms_and_destroys_them_on_close(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    async with aclient.cached_vms.pool(image_id=image_id, size=2) as pool:
        assert live_cached_vms(emu) == 2
        async with pool.acquire(timeout=10) as vm:
            assert vm.state == "started"
            assert (await aclient.vms.get(vm.id)).state == "started"
        assert (await aclient.vms.get(vm.id)).state == "stopped"
        stats = pool.stats()
        assert (stats.size, stats.idle, stats.in_use, stats.created) == (2, 2, 0, 2)
    assert live_cached_vms(emu) == 0
    stats = pool.stats()
    assert (stats.size, stats.created, stats.destroyed, stats.failures) == (0, 2, 2, 0)
    await pool.aclose()  # closing twice is harmless
    assert emu.request_count("destroyCachedVM") == 2


async def test_error_in_the_body_still_destroys_everything(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    pool = aclient.cached_vms.pool(image_id=image_id, size=2)
    with pytest.raises(RuntimeError, match="job failed"):
        async with pool, pool.acquire(timeout=10):
            raise RuntimeError("job failed")
    assert live_cached_vms(emu) == 0
    assert emu.request_count("stopCachedVM") == 1


async def test_cancelled_task_in_the_body_still_destroys_everything(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    holding = asyncio.Event()

    async def job() -> None:
        pool = aclient.cached_vms.pool(image_id=image_id, size=2)
        async with pool, pool.acquire(timeout=10):
            holding.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(job())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert emu.request_count("stopCachedVM") == 1
    assert live_cached_vms(emu) == 0


async def test_cancelled_during_a_start_destroys_that_vm_and_the_rest(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    pool = aclient.cached_vms.pool(image_id=image_id, size=2)
    await pool.open()
    emu.inject("startCachedVM", "latency", seconds=0.5, times=1)
    acquirer = asyncio.create_task(pool.acquire(timeout=10).__aenter__())
    await _until(lambda: emu.request_count("startCachedVM") == 1)
    acquirer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await acquirer
    stats = pool.stats()
    assert (stats.size, stats.destroyed, stats.failures) == (1, 1, 0)
    assert live_cached_vms(emu) == 1
    await pool.close()
    assert live_cached_vms(emu) == 0


async def test_cancelled_during_warm_up_destroys_what_was_created(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    emu.inject("cacheVM", "latency", seconds=0.3, times=3)
    pool = aclient.cached_vms.pool(image_id=image_id, size=3)
    opening = asyncio.create_task(pool.open())
    await _until(lambda: emu.request_count("cacheVM") == 3)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    assert emu.resources()["cached_vms"] == 3
    assert live_cached_vms(emu) == 0


async def test_injected_start_failure_replaces_the_vm(
    aclient: AsyncCakework, emu: Emulator, image_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with aclient.cached_vms.pool(image_id=image_id, size=2) as pool:
        emu.inject("startCachedVM", status=500, times=1)
        with caplog.at_level(logging.WARNING, logger="cakework"):
            async with pool.acquire(timeout=10) as vm:
                assert vm.state == "started"
        stats = pool.stats()
        assert (stats.failures, stats.replaced, stats.destroyed, stats.created) == (1, 1, 1, 3)
        assert live_cached_vms(emu) == 2
    assert "failed to start" in caplog.text
    assert live_cached_vms(emu) == 0


async def test_injected_stop_failure_replaces_the_vm(
    aclient: AsyncCakework, emu: Emulator, image_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with aclient.cached_vms.pool(image_id=image_id, size=1) as pool:
        emu.inject("stopCachedVM", status=500, times=1)
        with caplog.at_level(logging.WARNING, logger="cakework"):
            async with pool.acquire(timeout=10) as vm:
                broken = vm.id
        async with pool.acquire(timeout=10) as vm:
            assert vm.id != broken
        assert (await aclient.vms.get(broken)).state == "destroyed"
        stats = pool.stats()
        assert (stats.failures, stats.replaced, stats.destroyed, stats.size) == (1, 1, 1, 1)
    assert "failed to stop" in caplog.text
    assert live_cached_vms(emu) == 0


async def test_injected_failure_during_warm_up_destroys_what_was_created(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    emu.inject("cacheVM", status=500, times=1)
    pool = aclient.cached_vms.pool(image_id=image_id, size=4)
    with pytest.raises(InternalServerError):
        async with pool:
            pytest.fail("the body must not run")
    assert emu.request_count("cacheVM") == 4
    assert emu.resources()["cached_vms"] == 3
    assert live_cached_vms(emu) == 0
    stats = pool.stats()
    assert (stats.created, stats.destroyed, stats.failures) == (3, 3, 1)


async def test_fifty_tasks_on_a_pool_of_five_never_share_a_vm(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    holders: Counter[str] = Counter()
    shared: list[str] = []

    async with aclient.cached_vms.pool(image_id=image_id, size=5) as pool:

        async def job() -> str:
            async with pool.acquire(timeout=60) as vm:
                holders[vm.id] += 1
                if holders[vm.id] > 1:
                    shared.append(vm.id)
                await asyncio.sleep(0.002)
                holders[vm.id] -= 1
            return vm.id

        finished = await asyncio.gather(*(job() for _ in range(50)))
        stats = pool.stats()
    assert shared == []
    assert len(finished) == 50
    assert len(set(finished)) == 5
    assert emu.request_count("startCachedVM") == emu.request_count("stopCachedVM") == 50
    assert (stats.size, stats.idle, stats.created, stats.failures) == (5, 5, 5, 0)
    assert live_cached_vms(emu) == 0


async def test_acquire_times_out_cleanly_and_the_pool_grows_to_max_size(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    async with aclient.cached_vms.pool(image_id=image_id, size=1, max_size=2) as pool:
        async with pool.acquire(timeout=10) as first, pool.acquire(timeout=10) as second:
            assert first.id != second.id
            with pytest.raises(PoolTimeoutError) as caught:
                async with pool.acquire(timeout=0.05):
                    pytest.fail("no VM should be free")
            assert isinstance(caught.value, WaitTimeoutError)
            assert (caught.value.in_use, caught.value.max_size) == (2, 2)
        stats = pool.stats()
        assert (stats.size, stats.idle, stats.in_use, stats.created) == (2, 2, 0, 2)
    assert live_cached_vms(emu) == 0


async def test_close_while_an_acquire_waits_wakes_it_with_pool_closed(
    aclient: AsyncCakework, emu: Emulator, image_id: str
) -> None:
    pool = await aclient.cached_vms.pool(image_id=image_id, size=1).open()
    async with pool.acquire(timeout=10):
        waiter = asyncio.create_task(pool.acquire(timeout=None).__aenter__())
        await _until(lambda: len(pool._state._queue) == 1)
        await pool.close()
        with pytest.raises(PoolClosedError):
            await waiter
    assert live_cached_vms(emu) == 0
