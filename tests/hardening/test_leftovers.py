"""Zero unnamed leftovers: every create, every way its answer can go missing, both clients.

For each operation that creates something (the table's ``Retry.CREATING`` rows), called
through each public way in (``vms.start`` and ``vms.run`` for startVM, ``cached_vms.create``
and a pool growing for cacheVM, the build and import calls), and each way its answer
can go missing -- the connection dropped after the server acted, a read timeout, a 5xx,
a 2xx with a broken body, one interrupt, two interrupts (Ctrl-C as a real SIGINT for the
blocking client, ``task.cancel()`` for asyncio) -- whatever the emulator holds afterwards
is either cleaned up or named: its id, or "may have been created" for its operation and
image, in the error's message, its notes, or ``cakework.pending()``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

import cakework
from cakework import AsyncCakework, BuildFile, Cakework
from cakework._operations import OPERATIONS, Retry
from cakework.testing import Emulator

from .._signals import ctrl_c_presses

ROOT = Path(__file__).resolve().parents[2]
ECR = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1"
FILES = [BuildFile(dir=".", name="a.txt", content="a")]
CREATES = sorted(op for op, row in OPERATIONS.items() if row.retry is Retry.CREATING)
LATENCY = 0.3  # how long the emulator holds a create that an interrupt cuts short
READ_TIMEOUT = 0.2
HELD = ("vms.run", "pool.acquire")  # entry points whose first interrupt waits for the answer

SyncCall = Callable[[Cakework, str], None]
AsyncCall = Callable[[AsyncCakework, str], Awaitable[None]]


def _sync_calls() -> dict[str, dict[str, SyncCall]]:
    def run(c: Cakework, image: str) -> None:
        with c.vms.run(image_id=image, timeout=30):
            pass

    def grow(c: Cakework, image: str) -> None:
        with c.cached_vms.pool(image_id=image, size=0, max_size=1) as pool, pool.acquire():
            pass

    return {
        "startVM": {"vms.start": lambda c, i: _(c.vms.start(image_id=i)), "vms.run": run},
        "cacheVM": {
            "cached_vms.create": lambda c, i: _(c.cached_vms.create(image_id=i)),
            "pool.acquire": grow,
        },
        "buildImageFromFiles": {
            "build_from_files": lambda c, i: _(
                c.images.build_from_files(dockerfile="FROM x\n", files=FILES)
            )
        },
        "buildImageFromGithub": {
            "build_from_github": lambda c, i: _(
                c.images.build_from_github(
                    dockerfile="FROM x\n", repository="acme/app", branch="main", token="t" * 20
                )
            )
        },
        "importImage": {
            "import_image": lambda c, i: _(c.images.import_image(image_uri=ECR, password="pw"))
        },
    }


def _async_calls() -> dict[str, dict[str, AsyncCall]]:
    async def start(c: AsyncCakework, image: str) -> None:
        await c.vms.start(image_id=image)

    async def run(c: AsyncCakework, image: str) -> None:
        async with c.vms.run(image_id=image, timeout=30):
            pass

    async def create(c: AsyncCakework, image: str) -> None:
        await c.cached_vms.create(image_id=image)

    async def grow(c: AsyncCakework, image: str) -> None:
        async with (
            c.cached_vms.pool(image_id=image, size=0, max_size=1) as pool,
            pool.acquire(),
        ):
            pass

    async def files(c: AsyncCakework, image: str) -> None:
        await c.images.build_from_files(dockerfile="FROM x\n", files=FILES)

    async def github(c: AsyncCakework, image: str) -> None:
        await c.images.build_from_github(
            dockerfile="FROM x\n", repository="acme/app", branch="main", token="t" * 20
        )

    async def import_(c: AsyncCakework, image: str) -> None:
        await c.images.import_image(image_uri=ECR, password="pw")

    return {
        "startVM": {"vms.start": start, "vms.run": run},
        "cacheVM": {"cached_vms.create": create, "pool.acquire": grow},
        "buildImageFromFiles": {"build_from_files": files},
        "buildImageFromGithub": {"build_from_github": github},
        "importImage": {"import_image": import_},
    }


def _(value: object) -> None:
    """Drop a call's result (the lambdas above only need its side effect)."""


WAYS = ("drop_after", "read_timeout", "status_500", "bad_json", "interrupt", "interrupt_twice")
CASES = [(op, via) for op in CREATES for via in _sync_calls()[op]]


def test_every_creating_operation_is_covered() -> None:
    assert set(_sync_calls()) == set(CREATES) == set(_async_calls())
    assert {via for op in CREATES for via in _sync_calls()[op]} == {
        via for op in CREATES for via in _async_calls()[op]
    }


@pytest.fixture(scope="module")
def _emu() -> Iterator[Emulator]:
    with Emulator(speed=1000) as emu:
        yield emu


@pytest.fixture
def emu(_emu: Emulator) -> Emulator:
    _emu.reset()
    _emu.register_github_repo("acme/app", {"Dockerfile": "FROM x\n"}, token="t" * 20)
    return _emu


def _held(emu: Emulator, op: str) -> int:
    """How many of what ``op`` makes the tenant holds and nobody cleaned up."""
    counts = emu.resources()
    return {
        "startVM": counts["running_vms"],
        "cacheVM": counts["live_cached_vms"],
        "importImage": counts["images"],
    }.get(op, counts["builds"])


def _settle(emu: Emulator, op: str, before: int, held_until: float | None) -> int:
    """What ``op`` left, once a create the emulator still holds (latency) has run."""
    if held_until is not None:
        # The held request runs when its latency ends, whether or not anyone listens;
        # a stop or destroy the client sent meanwhile lands right after it.
        threading.Event().wait(max(0.0, held_until - time.monotonic()) + 0.2)
    return _held(emu, op) - before


def _named(op: str, texts: str, ids: list[str], left: int) -> None:
    """Each leftover is named by id, or counted by a "may have ..." for its operation."""
    maybe = sum(
        texts.count(phrase)
        for phrase in ("may have created", "may have been carried out", "may have been created")
    )
    if op in ("startVM", "cacheVM"):
        assert len(ids) == left  # the listing sees what the emulator counts
        unnamed = [i for i in ids if i not in texts]
        assert len(unnamed) <= maybe, (op, ids, texts)
    else:
        assert left <= maybe, (op, left, texts)


def _texts(exc: BaseException | None) -> str:
    """The error's message and notes; and every ``cakework.pending()`` entry is among them.

    The blocking client raises the interrupt itself and a task's own exception keeps its
    notes, so in-process nothing is left only to the registry (``asyncio.run``, which
    drops the notes, is ``test_sigint_process``).
    """
    parts = [] if exc is None else [str(exc), *getattr(exc, "__notes__", [])]
    text = "\n".join(parts)
    for item in cakework.pending():
        assert str(item) in text, (str(item), text)
    return text


def _inject(emu: Emulator, op: str, way: str, *, presses: int = 1) -> float | None:
    """Inject the fault of ``way``; return when a held request will have run, if any."""
    if way == "drop_after":
        emu.inject(op, "drop_after")
        return None
    if way == "bad_json":
        emu.inject(op, "bad_json")
        return None
    if way == "status_500":
        emu.inject(op, "error", status=500)
        return None
    if presses == 2:
        seconds = LATENCY * 3  # the second press must land while the first is held
    elif way.startswith("interrupt"):
        seconds = LATENCY
    else:
        seconds = READ_TIMEOUT * 2
    emu.inject(op, "latency", seconds=seconds)
    return time.monotonic() + seconds


def _live_ids(client: Cakework, op: str, image: str) -> list[str]:
    if op not in ("startVM", "cacheVM"):
        return []
    # A one-time VM is left while it runs; a cached VM until it is destroyed.
    alive = ("created", "started") if op == "startVM" else ("created", "started", "stopped")
    return [vm.id for vm in client.vms.list(image_id=image) if vm.state in alive]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(("op", "via"), CASES)
def test_sync_leaves_nothing_unnamed(emu: Emulator, op: str, via: str, way: str) -> None:
    call = _sync_calls()[op][via]
    # A plain create gives up on the first Ctrl-C: a second press would land in the test.
    presses = 2 if way == "interrupt_twice" and via in HELD else 1
    with ctrl_c_presses() as press:
        sent = threading.Event()

        def on_request(request: httpx.Request) -> None:
            if way.startswith("interrupt") and request.url.path.endswith(_path(op)):
                sent.set()

        def presser() -> None:
            sent.wait(10)
            for _ in range(presses):
                press()

        timeout = READ_TIMEOUT if way == "read_timeout" else 10.0
        with (
            httpx.Client(event_hooks={"request": [on_request]}, timeout=timeout) as http,
            Cakework(
                api_key=emu.api_key,
                base_url=emu.base_url,
                http_client=http,
                timeout=timeout,
                sleep=lambda s: None,
            ) as client,
        ):
            image = client.images.import_image(image_uri=ECR, password="pw").image_id
            before = _held(emu, op)
            held_until = _inject(emu, op, way, presses=presses)
            sent.clear()  # the import above was not the call under test
            thread = threading.Thread(target=presser, daemon=True)
            if way.startswith("interrupt"):
                thread.start()
            caught: BaseException | None = None
            try:
                call(client, image)
            except (cakework.CakeworkError, KeyboardInterrupt) as exc:
                caught = exc
            if way.startswith("interrupt"):
                thread.join(10)
                assert isinstance(caught, KeyboardInterrupt)
            else:
                assert isinstance(caught, cakework.APIError), (op, via, way, caught)
            left = _settle(emu, op, before, held_until)
            texts = _texts(caught)
            _named(op, texts, _live_ids(client, op, image), left)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(("op", "via"), CASES)
async def test_async_leaves_nothing_unnamed(emu: Emulator, op: str, via: str, way: str) -> None:
    call = _async_calls()[op][via]
    sent = asyncio.Event()

    async def on_request(request: httpx.Request) -> None:
        if request.url.path.endswith(_path(op)):
            sent.set()

    timeout = READ_TIMEOUT if way == "read_timeout" else 10.0
    async with (
        httpx.AsyncClient(event_hooks={"request": [on_request]}, timeout=timeout) as http,
        AsyncCakework(
            api_key=emu.api_key, base_url=emu.base_url, http_client=http, timeout=timeout
        ) as client,
    ):
        image = (await client.images.import_image(image_uri=ECR, password="pw")).image_id
        before = _held(emu, op)
        sent.clear()
        held_until = _inject(emu, op, way)
        seen: list[BaseException] = []

        async def job() -> None:
            try:
                await call(client, image)
            except BaseException as exc:  # awaiting a cancelled task drops its notes
                seen.append(exc)
                raise

        task = asyncio.create_task(job())
        if way.startswith("interrupt"):
            await sent.wait()
            task.cancel()
            if way == "interrupt_twice":
                await asyncio.sleep(0.05)
                task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with pytest.raises(cakework.APIError):
                await task
        left = await asyncio.to_thread(_settle, emu, op, before, held_until)
        texts = _texts(seen[0] if seen else None)
        with Cakework(api_key=emu.api_key, base_url=emu.base_url) as sync:
            ids = _live_ids(sync, op, image)
        _named(op, texts, ids, left)


@functools.cache
def _path(op: str) -> str:
    """The path of ``op`` in openapi.yaml (to spot its request in a hook)."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    for path, item in spec["paths"].items():
        if any(isinstance(o, dict) and o.get("operationId") == op for o in item.values()):
            return str(path)
    raise AssertionError(op)  # pragma: no cover
