"""A client of either kind wired to a manual-clock emulator: its sleep advances the emulator.

So every wait and follow runs in emulator time: exact, and with no real waiting.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, Awaitable, Iterable
from typing import Any, TypeVar

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator

T = TypeVar("T")

ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"


class Harness:
    """One emulator, one client (``sync`` or ``async``) whose sleep moves emulator time."""

    def __init__(self, emu: Emulator, kind: str) -> None:
        self.emu = emu
        self.kind = kind
        self.sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            emu.advance(seconds)

        async def async_sleep(seconds: float) -> None:
            sleep(seconds)
            await asyncio.sleep(0)  # a real await point, so cancellation can land here

        self.client: Cakework | AsyncCakework
        if kind == "sync":
            self.client = Cakework(
                api_key=emu.api_key, base_url=emu.base_url, clock=emu.now, sleep=sleep
            )
        else:
            self.client = AsyncCakework(
                api_key=emu.api_key, base_url=emu.base_url, clock=emu.now, sleep=async_sleep
            )

    @property
    def c(self) -> Any:
        """The client, untyped: one test body drives both kinds."""
        return self.client

    async def call(self, result: T | Awaitable[T]) -> T:
        """Await an async client's result; a sync client's result is already there."""
        if inspect.isawaitable(result):
            return await result
        return result

    async def collect(self, iterator: Iterable[T] | AsyncIterable[T]) -> list[T]:
        if isinstance(iterator, AsyncIterable):
            return [item async for item in iterator]
        return list(iterator)

    async def collect_closing(self, iterator: Any, after: int) -> list[Any]:
        """What a loop over ``iterator`` gets when it calls ``iterator.close()`` inside,
        right after the ``after``-th item."""
        got: list[Any] = []
        if isinstance(self.client, AsyncCakework):
            async for item in iterator:
                got.append(item)
                if len(got) == after:
                    iterator.close()
        else:
            for item in iterator:
                got.append(item)
                if len(got) == after:
                    iterator.close()
        return got

    async def image(self) -> str:
        image = await self.call(self.c.images.import_image(image_uri=ECR_URI, password="pw"))
        return str(image.image_id)

    async def build(self, dockerfile: str, files: Any = ()) -> str:
        build = await self.call(
            self.c.images.build_from_files(dockerfile=dockerfile, files=list(files))
        )
        return str(build.build_id)

    async def run_and_raise(self, image_id: str, error: BaseException) -> None:
        """``vms.run`` (``with`` or ``async with``) around a body that raises ``error``."""
        if isinstance(self.client, AsyncCakework):
            async with self.client.vms.run(image_id=image_id):
                raise error
        else:
            with self.client.vms.run(image_id=image_id):
                raise error

    async def close(self) -> None:
        if isinstance(self.client, AsyncCakework):
            await self.client.aclose()
        else:
            self.client.close()
