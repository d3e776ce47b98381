"""Every operation against the emulator, for ``Cakework`` and ``AsyncCakework``."""

from __future__ import annotations

import pytest

from cakework import (
    VM,
    AuthenticationError,
    Build,
    BuildFile,
    CachedVM,
    Image,
    LogPage,
    NotFoundError,
    VMPage,
)
from cakework.testing import Emulator
from cakework_spec.operations import OPERATIONS

from .conftest import MakeClient, Runner

ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"
DOCKERFILE = "FROM python:3.11\nCOPY app.py .\nCMD python app.py\n"
FILES = [BuildFile(dir=".", name="app.py", content="print('hi')")]


async def test_every_operation(client: Runner, emu: Emulator) -> None:
    c, run = client.c, client.call
    emu.register_github_repo("acme/app", {"app.py": "print(1)"}, branch="main", token="ghp_x")

    image = await run(c.images.import_image(image_uri=ECR_URI, password="ecr-password"))
    assert isinstance(image, Image)
    build = await run(c.images.build_from_files(dockerfile=DOCKERFILE, files=FILES))
    assert isinstance(build, Build)
    assert build.created_at.tzinfo is not None
    gh_build = await run(
        c.images.build_from_github(
            dockerfile=DOCKERFILE, repository="acme/app", branch="main", token="ghp_x"
        )
    )
    emu.advance(120)
    done = await run(c.images.get_build(build.build_id))
    assert (done.status, done.is_terminal, done.image_id is not None) == ("succeeded", True, True)
    assert (await run(c.images.get_build(gh_build.build_id))).status == "succeeded"
    logs = await run(c.images.get_build_logs(build.build_id, batch=50, order="oldest_first"))
    assert isinstance(logs, LogPage)
    assert logs.lines[0].message.startswith("Step 1/")
    assert logs.lines[0].timestamp.tzinfo is not None

    vm = await run(c.vms.start(image_id=image.image_id, cpu=2, memory=512, env_vars={"A": "b"}))
    assert isinstance(vm, VM)
    assert (vm.cpu, vm.memory) == (2, 512)
    emu.advance(30)
    assert (await run(c.vms.get(vm.id))).state == "started"
    page = await run(c.vms.list_page(image_id=image.image_id, status="started"))
    assert isinstance(page, VMPage)
    assert [v.id for v in page.vms] == [vm.id]
    vm_logs = await run(c.vms.get_logs(vm.id, query="started"))
    assert vm_logs.lines
    assert all("started" in line.message.lower() for line in vm_logs.lines)
    await run(c.vms.stop(vm.id))
    assert (await run(c.vms.get(vm.id))).state in ("stopped", "destroyed")

    cached = await run(c.cached_vms.create(image_id=image.image_id, disk_size=3))
    assert isinstance(cached, CachedVM)
    await run(c.cached_vms.start(cached.id))
    emu.advance(30)
    await run(c.cached_vms.stop(cached.id))
    await run(c.cached_vms.start(cached.id))
    emu.advance(30)
    lines = await run(c.cached_vms.get_logs(cached.id))
    assert isinstance(lines, tuple)
    assert lines
    await run(c.cached_vms.destroy(cached.id))

    counts = emu.request_counts()
    assert set(counts) == set(OPERATIONS), counts  # every operation of the spec
    assert counts["startCachedVM"] == 2
    assert emu.resources() == {
        "images": 3,
        "builds": 2,
        "vms": 1,
        "cached_vms": 1,
        "running_vms": 0,
        "live_cached_vms": 0,
    }


async def test_list_page_follows_a_cursor(client: Runner, emu: Emulator) -> None:
    c, run = client.c, client.call
    image = await run(c.images.import_image(image_uri=ECR_URI, password="p"))
    started = {(await run(c.vms.start(image_id=image.image_id))).id for _ in range(7)}
    first = await run(c.vms.list_page())
    assert first.pagination is not None
    second = await run(c.vms.list_page(pagination=first.pagination))
    assert {v.id for v in first.vms + second.vms} == started


async def test_tenants_cannot_see_each_other(
    client: Runner, emu: Emulator, make_client: MakeClient
) -> None:
    image = await client.call(client.c.images.import_image(image_uri=ECR_URI, password="p"))
    vm = await client.call(client.c.vms.start(image_id=image.image_id))
    other = make_client(base_url=emu.base_url, api_key=emu.api_keys[1])
    with pytest.raises(NotFoundError):
        await other.call(other.c.vms.get(vm.id))


async def test_unknown_key_is_authentication_error(emu: Emulator, make_client: MakeClient) -> None:
    stranger = make_client(base_url=emu.base_url, api_key="not-a-key")
    with pytest.raises(AuthenticationError) as info:
        await stranger.call(stranger.c.vms.get("x"))
    assert info.value.status_code == 401
    assert info.value.message
    assert emu.request_count("getVM") == 1


async def test_env_var_fallbacks_reach_the_emulator(
    emu: Emulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAKEWORK_API_KEY", emu.api_key)
    monkeypatch.setenv("CAKEWORK_BASE_URL", emu.base_url)
    client = make_client(api_key=None)
    page = await client.call(client.c.vms.list_page())
    assert page.vms == ()
    assert emu.request_count("listVMs") == 1
