"""``vms.run`` says what became of its VM in a note on the exception that leaves it.

The ``cakework`` command reads these notes to tell the user "VM X stopped" or "VM X may
still be running"; both clients add them.
"""

from __future__ import annotations

import asyncio

import pytest

from cakework import AsyncCakework, Cakework, WaitTimeoutError
from cakework.testing import Emulator

ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1"


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


def client_vms(emu: Emulator) -> list[str]:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        return [vm.id for vm in client.vms.list()]


@pytest.mark.cakework_emulator(speed=50)
def test_an_interrupt_in_the_body_leaves_a_note_that_the_vm_stopped(
    cakework_emulator: Emulator,
) -> None:
    emu = cakework_emulator
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        image_id = client.images.import_image(image_uri=ECR_URI, password="pw").image_id
        vm_ids: list[str] = []

        def body() -> None:
            with client.vms.run(image_id=image_id) as vm:
                vm_ids.append(vm.id)
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt) as caught:
            body()
    assert notes(caught.value) == [f"cakework: VM {vm_ids[0]} stopped"]
    assert emu.resources()["running_vms"] == 0


@pytest.mark.cakework_emulator(manual_clock=True)  # the VM never boots
def test_a_failed_wait_leaves_a_note_that_the_vm_stopped(cakework_emulator: Emulator) -> None:
    emu = cakework_emulator
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        image_id = client.images.import_image(image_uri=ECR_URI, password="pw").image_id

        def body() -> None:
            with client.vms.run(image_id=image_id, timeout=0.5):
                pass

        with pytest.raises(WaitTimeoutError) as caught:
            body()
    [vm_id] = client_vms(emu)
    assert notes(caught.value) == [f"cakework: VM {vm_id} stopped"]
    assert emu.resources()["running_vms"] == 0


@pytest.mark.cakework_emulator(speed=50)
def test_a_failed_stop_leaves_a_note_that_the_vm_may_still_run(
    cakework_emulator: Emulator,
) -> None:
    emu = cakework_emulator
    with Cakework(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        image_id = client.images.import_image(image_uri=ECR_URI, password="pw").image_id
        vm_ids: list[str] = []

        def body() -> None:
            with client.vms.run(image_id=image_id) as vm:
                vm_ids.append(vm.id)
                emu.inject("stopVM", "error", status=500)
                raise RuntimeError("the body failed")

        with pytest.raises(RuntimeError) as caught:
            body()
    assert notes(caught.value) == [
        f"cakework: VM {vm_ids[0]} of image {image_id} may still be running (its stopVM"
        " failed); stop it with"
        f" client.vms.stop({vm_ids[0]!r})"
    ]
    assert emu.resources()["running_vms"] == 1


@pytest.mark.cakework_emulator(speed=50)
async def test_a_cancellation_in_the_async_body_leaves_the_same_note(
    cakework_emulator: Emulator,
) -> None:
    emu = cakework_emulator
    started = asyncio.Event()
    vm_ids: list[str] = []

    async with AsyncCakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        image = await client.images.import_image(image_uri=ECR_URI, password="pw")

        async def body() -> None:
            async with client.vms.run(image_id=image.image_id) as vm:
                vm_ids.append(vm.id)
                started.set()
                await asyncio.Event().wait()  # until cancelled

        task = asyncio.create_task(body())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
    assert notes(caught.value) == [f"cakework: VM {vm_ids[0]} stopped"]
    assert emu.resources()["running_vms"] == 0
