"""A typed usage example of the public client API, checked by ``mypy --strict``.

It is not collected by pytest (no ``test_`` prefix); ``test_typed_usage.py`` runs mypy on
it, and ``make typecheck`` covers it too. ``assert_type`` pins the return types users see.
"""

from __future__ import annotations

import contextlib
from typing import assert_type

import httpx

from cakework import (
    VM,
    APIStatusError,
    AsyncCachedVMPool,
    AsyncCakework,
    AsyncLogIterator,
    AsyncVMIterator,
    Build,
    BuildFile,
    CachedVM,
    CachedVMPool,
    Cakework,
    CakeworkError,
    Image,
    LogIterator,
    LogLine,
    LogPage,
    LogPosition,
    NotFoundError,
    PoolStats,
    VMIterator,
    VMPage,
)


def sync_usage(client: Cakework) -> None:
    image = client.images.import_image(
        image_uri="1.dkr.ecr.us-east-1.amazonaws.com/app", password="p"
    )
    assert_type(image, Image)
    build = client.images.build_from_files(
        dockerfile="FROM python:3.11", files=[BuildFile(dir=".", name="app.py", content="print()")]
    )
    assert_type(build, Build)
    assert_type(client.images.get_build(build.build_id), Build)
    page = client.images.get_build_logs(build.build_id, batch=50, order="newest_first")
    assert_type(page, LogPage)
    line = page.lines[0]
    assert_type(line, LogLine)
    assert_type(line.timestamp_ms, int)
    vm = client.vms.start(image_id=image.image_id, cpu=2, memory=512, env_vars={"A": "b"})
    assert_type(vm, VM)
    assert_type(client.vms.get(vm.id), VM)
    assert_type(client.vms.list_page(status="started"), VMPage)
    assert_type(client.vms.get_logs(vm.id), LogPage)
    assert_type(client.vms.stop(vm.id), None)
    cached = client.cached_vms.create(image_id=image.image_id, disk_size=3)
    assert_type(cached, CachedVM)
    client.cached_vms.start(cached.id)
    client.cached_vms.stop(cached.id)
    assert_type(client.cached_vms.get_logs(cached.id), tuple[LogLine, ...])
    client.cached_vms.destroy(cached.id)
    try:
        client.vms.get("missing")
    except NotFoundError as error:
        assert_type(error.status_code, int)
        assert_type(error.body, str)
    except APIStatusError as error:
        assert_type(error.message, str)
    fast = client.with_options(timeout=httpx.Timeout(5.0), max_retries=0)
    assert_type(fast, Cakework)
    long_running(client)


def long_running(client: Cakework) -> None:
    # Every value returned here has a type users can import and annotate with.
    assert_type(client.images.wait_for_build("b", on_log=print), Build)
    logs = client.images.build_logs("b", max_items=10)
    assert_type(logs, LogIterator)
    assert_type(logs.cursor, LogPosition | None)
    assert_type(client.vms.logs("v", follow=True), LogIterator)
    assert_type(client.vms.list(status="started"), VMIterator)
    assert_type(client.vms.wait_for_state("v", "stopped", timeout=None), VM)
    assert_type(client.cached_vms.logs("c", max_items=1), LogIterator)
    run = client.vms.run(image_id="img")
    assert_type(run, contextlib.AbstractContextManager[VM, bool | None])
    pool = client.cached_vms.pool(image_id="img", size=2)
    assert_type(pool, CachedVMPool)
    assert_type(pool.stats(), PoolStats)
    with pool, pool.acquire(timeout=5) as held:
        assert_type(held, VM)


async def async_usage() -> None:
    async with AsyncCakework(api_key="k", timeout=10.0) as client:
        vm = await client.vms.start(image_id="img")
        assert_type(vm, VM)
        assert_type(await client.vms.get(vm.id), VM)
        await client.vms.stop(vm.id)
        assert_type(await client.cached_vms.get_logs("c"), tuple[LogLine, ...])
        assert_type(client.with_options(max_retries=1), AsyncCakework)
        assert_type(await client.images.wait_for_build("b"), Build)
        assert_type(client.images.build_logs("b"), AsyncLogIterator)
        assert_type(client.vms.list(), AsyncVMIterator)
        assert_type(client.cached_vms.logs("c", follow=True), AsyncLogIterator)
        async with client.vms.run(image_id="img") as started:
            assert_type(started, VM)
        pool = client.cached_vms.pool(image_id="img", size=1)
        assert_type(pool, AsyncCachedVMPool)
        async with pool, pool.acquire() as held:
            assert_type(held, VM)


def construct() -> None:
    try:
        with Cakework(api_key=None, base_url=None, timeout=60.0, max_retries=2) as client:
            sync_usage(client)
    except CakeworkError:
        pass
