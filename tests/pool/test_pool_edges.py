"""Edge cases of the sync pool's driver against the emulator."""

from __future__ import annotations

import math
import threading
import time

from cakework import Cakework
from cakework.testing import Emulator

from .conftest import live_cached_vms


def test_acquire_with_an_infinite_timeout_waits_for_a_release(
    client: Cakework, emu: Emulator, image_id: str
) -> None:
    # math.inf is a valid timeout (check_timeout accepts it) but threading.Event.wait
    # raised OverflowError for it, so the waiter failed at once instead of waiting.
    got: list[str] = []
    errors: list[BaseException] = []
    with client.cached_vms.pool(image_id=image_id, size=1) as pool:

        def waiter() -> None:
            try:
                with pool.acquire(timeout=math.inf) as vm:
                    got.append(vm.id)
            except BaseException as exc:
                errors.append(exc)

        with pool.acquire(timeout=10) as held:
            thread = threading.Thread(target=waiter)
            thread.start()
            # Hold the VM until the waiter is queued (or has failed): it must really wait.
            for _ in range(5000):
                if pool._state._queue or errors:
                    break
                time.sleep(0.001)
        thread.join(10)
    assert errors == []
    assert got == [held.id]
    assert live_cached_vms(emu) == 0
