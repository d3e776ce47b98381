"""Prism as a validating proxy: the client's real traffic with the emulator obeys the spec.

``prism proxy openapi.yaml <emulator> --errors`` sits between the client and the
emulator and checks every request and every response against openapi.yaml; with
``--errors`` a violation turns into an error response, which the client raises. The
quickstart workflow (build, wait, start a VM, wait, read its logs page by page, stop,
a cached VM's whole life) and every operation, expected refusals
included, go through it, for the sync and the async client; Prism's own output must
not name a single violation either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cakework import (
    AsyncCakework,
    BuildFailedError,
    BuildFile,
    Cakework,
    ConflictError,
    LogLine,
    NotFoundError,
)
from cakework.testing import Emulator
from cakework_spec.operations import OPERATIONS

from ._prism import SPEC, Prism, run_prism

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "app"
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest"
BROKEN_DOCKERFILE = "FROM python:3.11-slim\nCOPY server.py .\nCMD python server.py\n"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Emulator]:
    # page_size=2 makes listVMs continue over several pages through the proxy.
    with Emulator(("proxy-key",), manual_clock=True, page_size=2) as emu:
        yield emu


@pytest.fixture(scope="module")
def proxy(upstream: Emulator) -> Iterator[Prism]:
    with run_prism(["proxy", str(SPEC), upstream.base_url, "--errors"]) as prism:
        yield prism


@pytest.fixture
def emu(upstream: Emulator, proxy: Prism) -> Iterator[Emulator]:
    upstream.reset()
    upstream.register_github_repo(
        "my-org/my-repo", {"index.js": "console.log(1)"}, branch="main", token="ghs_t"
    )
    seen = len(proxy.violations())
    yield upstream
    violations = proxy.violations()[seen:]
    assert violations == [], "\n".join(violations)


def test_the_quickstart_and_every_operation_pass_the_validating_proxy(
    emu: Emulator, proxy: Prism
) -> None:
    build_lines: list[LogLine] = []
    with Cakework(base_url=proxy.base_url, api_key=emu.api_key, sleep=emu.advance) as c:
        image = c.images.import_image(image_uri=ECR_URI, password="ecr-password")
        build = c.images.build_from_directory(APP)
        build = c.images.wait_for_build(build.build_id, timeout=300, on_log=build_lines.append)
        assert build.image_id is not None
        assert build_lines
        page = c.images.get_build_logs(build.build_id, query="step", batch=50)
        assert page.lines
        github = c.images.build_from_github(
            dockerfile="FROM node:20\nCOPY . /app\n",
            repository="my-org/my-repo",
            branch="main",
            token="ghs_t",
        )
        assert c.images.wait_for_build(github.build_id, timeout=300).status == "succeeded"
        broken = c.images.build_from_files(
            dockerfile=BROKEN_DOCKERFILE, files=[BuildFile(dir=".", name="a.py", content="")]
        )
        with pytest.raises(BuildFailedError):
            c.images.wait_for_build(broken.build_id, timeout=300)

        vm = c.vms.start(image_id=build.image_id, cpu=1, memory=512, port=8080)
        vm = c.vms.wait_for_state(vm.id, "started", timeout=300)
        emu.advance(600)  # the VM writes well over a page of lines
        lines = list(c.vms.logs(vm.id, batch=50, max_items=110))
        assert len(lines) == 110  # three pages, each continuation sent back through Prism
        newest = list(c.vms.logs(vm.id, query="GET", order="newest_first", max_items=60))
        assert newest
        assert c.vms.get_logs(vm.id, batch=50, from_=lines[0].timestamp.isoformat()).lines
        others = [c.vms.start(image_id=image.image_id) for _ in range(3)]
        listed = [v.id for v in c.vms.list(status=None)]
        assert set(listed) == {vm.id, *(o.id for o in others)}
        assert [v.id for v in c.vms.list(image_id=build.image_id, status="started")] == [vm.id]
        for one in (vm, *others):
            c.vms.stop(one.id)
        with pytest.raises(ConflictError):
            c.vms.stop(vm.id)
        assert c.vms.get(vm.id).state in ("stopped", "destroyed")

        cached = c.cached_vms.create(image_id=build.image_id, disk_size=3)
        c.cached_vms.start(cached.id)
        assert c.cached_vms.wait_for_state(cached.id, "started", timeout=300).state == "started"
        emu.advance(30)
        c.cached_vms.stop(cached.id)
        c.cached_vms.start(cached.id)
        c.cached_vms.wait_for_state(cached.id, "started", timeout=300)
        assert c.cached_vms.get_logs(cached.id)
        c.cached_vms.destroy(cached.id)
        with pytest.raises(ConflictError):
            c.cached_vms.destroy(cached.id)
        with pytest.raises(NotFoundError):
            c.vms.get("no-such-vm")
    counts = emu.request_counts()
    assert set(counts) == set(OPERATIONS), counts  # every operation of the spec


async def test_the_async_client_passes_the_validating_proxy(emu: Emulator, proxy: Prism) -> None:
    async def advance(seconds: float) -> None:
        emu.advance(seconds)

    async with AsyncCakework(base_url=proxy.base_url, api_key=emu.api_key, sleep=advance) as c:
        build = await c.images.build_from_directory(APP)
        build = await c.images.wait_for_build(build.build_id, timeout=300)
        assert build.image_id is not None
        vm = await c.vms.start(image_id=build.image_id)
        await c.vms.wait_for_state(vm.id, "started", timeout=300)
        emu.advance(600)
        lines = [line async for line in c.vms.logs(vm.id, batch=50, max_items=110)]
        assert len(lines) == 110
        await c.vms.stop(vm.id)
        cached = await c.cached_vms.create(image_id=build.image_id)
        await c.cached_vms.start(cached.id)
        await c.cached_vms.wait_for_state(cached.id, "started", timeout=300)
        await c.cached_vms.stop(cached.id)
        assert await c.cached_vms.get_logs(cached.id)
        await c.cached_vms.destroy(cached.id)
