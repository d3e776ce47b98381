"""A call still running when its client is closed ends in ``CakeworkError``.

A wait (or a follow, or a pool) on one thread or task outlives ``close()`` on another;
its next request used to raise httpx's bare ``RuntimeError: Cannot send a request, as
the client has been closed``. The injected sleep closes the client, so the next poll of
the wait is the first request on a closed client: deterministic, no threads needed.
"""

from __future__ import annotations

import pytest

from cakework import AsyncCakework, Cakework, CakeworkError
from cakework.testing import Emulator

ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"


def start_vm(emu: Emulator) -> str:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as setup:
        image = setup.images.import_image(image_uri=ECR_URI, password="pw")
        return setup.vms.start(image_id=image.image_id).id


def test_sync_wait_whose_client_is_closed_meanwhile(emu: Emulator) -> None:
    vm_id = start_vm(emu)
    clients: list[Cakework] = []

    def close_instead_of_sleeping(seconds: float) -> None:
        clients[0].close()

    client = Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=close_instead_of_sleeping)
    clients.append(client)
    with pytest.raises(CakeworkError, match="closed while this call was running"):
        client.vms.wait_for_state(vm_id)
    assert emu.request_count("getVM") == 0


async def test_async_wait_whose_client_is_closed_meanwhile(emu: Emulator) -> None:
    vm_id = start_vm(emu)
    clients: list[AsyncCakework] = []

    async def close_instead_of_sleeping(seconds: float) -> None:
        await clients[0].aclose()

    client = AsyncCakework(
        api_key=emu.api_key, base_url=emu.base_url, sleep=close_instead_of_sleeping
    )
    clients.append(client)
    with pytest.raises(CakeworkError, match="closed while this call was running"):
        await client.vms.wait_for_state(vm_id)
    assert emu.request_count("getVM") == 0
