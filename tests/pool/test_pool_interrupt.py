"""Pools: a Ctrl-C (sync) or cancellation (async) while cacheVM is in flight loses no VM.

When every VM is busy, ``acquire`` grows the pool by creating one on the caller's
thread. A ``KeyboardInterrupt`` that arrived while cacheVM's answer was being read used
to lose the only copy of the new VM's id, so ``close`` could not destroy it.

The async pool had the same hole with task cancellation.

Ctrl-C is a real SIGINT sent to the main thread when the server has created the VM and
its answer is being read (an httpx response hook). A test handler raises
``KeyboardInterrupt`` as Python's default one does and records that it ran, so the hook
can wait until the interrupt has landed: the order is fixed, nothing is timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator

from .._signals import ctrl_c_presses
from .conftest import fast_async_sleep, fast_sleep, live_cached_vms


@pytest.fixture
def ctrl_c() -> Iterator[Callable[[], None]]:
    """``press()`` sends SIGINT to the main thread (see ``tests/_signals.py``)."""
    with ctrl_c_presses() as press:
        yield press


def test_ctrl_c_during_a_growth_create_leaves_nothing_behind(
    emu: Emulator, image_id: str, ctrl_c: Callable[[], None]
) -> None:
    def on_response(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/vm/cache"):
            ctrl_c()  # the VM exists on the server; its answer is being read

    with (
        httpx.Client(event_hooks={"response": [on_response]}) as http,
        Cakework(
            api_key=emu.api_key,
            base_url=emu.base_url,
            http_client=http,
            max_retries=0,
            sleep=fast_sleep,
        ) as client,
        client.cached_vms.pool(image_id=image_id, size=0, max_size=1) as pool,
    ):
        with pytest.raises(KeyboardInterrupt), pool.acquire(timeout=10):
            pytest.fail("the body must not run")  # pragma: no cover
        # The VM was known, taken out of rotation and destroyed -- not left "in use"
        # (which would also have used up the pool's max_size until close).
        stats = pool.stats()
        assert (stats.created, stats.destroyed, stats.size, stats.in_use) == (1, 1, 0, 0)
    assert emu.request_count("cacheVM") == 1
    assert live_cached_vms(emu) == 0


async def test_cancel_during_a_growth_create_leaves_nothing_behind(
    emu: Emulator, image_id: str
) -> None:
    sent = asyncio.Event()

    async def on_request(request: httpx.Request) -> None:
        if request.url.path.endswith("/vm/cache"):
            sent.set()

    # The server takes a moment to answer cacheVM, so the cancellation lands while the
    # request is in flight (after it was sent: the server will create the VM).
    emu.inject("cacheVM", "latency", seconds=0.3)
    async with (
        httpx.AsyncClient(event_hooks={"request": [on_request]}) as http,
        AsyncCakework(
            api_key=emu.api_key,
            base_url=emu.base_url,
            http_client=http,
            max_retries=0,
            sleep=fast_async_sleep,
        ) as client,
        client.cached_vms.pool(image_id=image_id, size=0, max_size=1) as pool,
    ):

        async def job() -> None:
            async with pool.acquire(timeout=10):
                pytest.fail("the body must not run")  # pragma: no cover

        task = asyncio.create_task(job())
        await sent.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stats = pool.stats()
        assert (stats.created, stats.destroyed, stats.size, stats.in_use) == (1, 1, 0, 0)
    assert emu.request_count("cacheVM") == 1
    assert live_cached_vms(emu) == 0
