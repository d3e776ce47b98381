"""Fixtures for the pool's end-to-end tests: a fast emulator, clients and an image.

The emulator runs ``SPEED`` times faster than real time and the clients' injected sleep
is scaled by the same factor, so a 3-second boot and the 1-second first poll of the
start wait take a few milliseconds, and the client and server still agree on time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator

SPEED = 1000.0


def fast_sleep(seconds: float) -> None:
    time.sleep(seconds / SPEED)


async def fast_async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds / SPEED)


@pytest.fixture(scope="module")
def _emulator() -> Iterator[Emulator]:
    with Emulator(speed=SPEED) as emulator:
        yield emulator


@pytest.fixture
def emu(_emulator: Emulator) -> Emulator:
    """The module's emulator with no resources, faults or counts left from other tests."""
    _emulator.reset()
    return _emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Cakework]:
    # No request retries: one injected fault must reach the pool as a failure.
    with Cakework(
        api_key=emu.api_key, base_url=emu.base_url, max_retries=0, sleep=fast_sleep
    ) as sync_client:
        yield sync_client


@pytest.fixture
async def aclient(emu: Emulator) -> AsyncIterator[AsyncCakework]:
    async with AsyncCakework(
        api_key=emu.api_key, base_url=emu.base_url, max_retries=0, sleep=fast_async_sleep
    ) as async_client:
        yield async_client


@pytest.fixture
def image_id(emu: Emulator) -> str:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url) as setup:
        image = setup.images.import_image(
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/jobs:latest",
            password="ecr-password",
        )
    return image.image_id


def live_cached_vms(emu: Emulator) -> int:
    """Cached VMs on the emulator that are not destroyed."""
    return emu.resources()["live_cached_vms"]
