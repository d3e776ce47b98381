"""The quickstart with ``AsyncCakework``: same workflow, same names, with ``await``.

The three pool jobs run concurrently here, so the pool hands out both warm VMs at once
and the third job waits for a release. Set CAKEWORK_BASE_URL and CAKEWORK_API_KEY, then

    python examples/quickstart_async.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from cakework import AsyncCachedVMPool, AsyncCakework, Build, BuildFailedError, BuildFile, LogLine

APP = Path(__file__).parent / "app"
BROKEN_DOCKERFILE = "FROM python:3.11-slim\nCOPY server.py .\n"

START = time.monotonic()
failures: list[str] = []


def say(message: str) -> None:
    """Print with the elapsed time, so long waits show progress."""
    print(f"[{time.monotonic() - START:5.1f}s] {message}", flush=True)


def check(ok: bool, what: str) -> None:
    """Record a step's outcome; the exit status reports any failure."""
    if not ok:
        failures.append(what)
        say(f"  !! FAILED: {what}")


def show_status(build: Build) -> None:
    say(f"  build {build.build_id[:8]} is {build.status}")


def show_log(line: LogLine) -> None:
    say(f"  | {line.message}")


async def job(pool: AsyncCachedVMPool, number: int) -> str:
    async with pool.acquire(timeout=60) as vm:
        say(f"  job {number} runs on cached VM {vm.id}")
        await asyncio.sleep(0.2)  # the job's own work
        return vm.id


async def main() -> int:
    async with AsyncCakework() as client:
        say(f"1. Building an image from {APP.name}/")
        build = await client.images.build_from_directory(APP)
        build = await client.images.wait_for_build(
            build.build_id, timeout=300, on_status=show_status, on_log=show_log
        )
        image_id = build.image_id or ""
        check(bool(image_id), "the build succeeded with an image id")

        say("2. Running a VM")
        async with client.vms.run(image_id=image_id) as vm:
            say(f"  VM {vm.id} is {vm.state}")
            lines = [line async for line in client.vms.logs(vm.id, max_items=3)]
            for line in lines:
                say(f"  vm | {line.message}")
            check(bool(lines), "the VM wrote log lines")
            ids = [v.id async for v in client.vms.list(image_id=image_id)]
            check(vm.id in ids, "listVMs shows the VM")
        check((await client.vms.get(vm.id)).state in ("stopped", "destroyed"), "VM stopped")

        say("3. Three concurrent jobs on a pool of two cached VMs")
        async with client.cached_vms.pool(image_id=image_id, size=2) as pool:
            used = await asyncio.gather(*(job(pool, n) for n in (1, 2, 3)))
            stats = pool.stats()
            say(f"  pool: created={stats.created} size={stats.size} idle={stats.idle}")
            check(len(set(used)) == 2 and stats.created == 2, "the pool reused its two VMs")

        say("4. A broken Dockerfile")
        broken = await client.images.build_from_files(
            dockerfile=BROKEN_DOCKERFILE, files=[BuildFile(dir=".", name="a.py", content="")]
        )
        try:
            await client.images.wait_for_build(broken.build_id, timeout=300)
        except BuildFailedError as exc:
            for line in exc.log_tail[-3:]:
                say(f"  | {line.message}")
            check(any("COPY server.py" in ln.message for ln in exc.log_tail), "failing step")
        else:
            check(False, "the broken build was reported as failed")

    verdict = "all steps succeeded" if not failures else f"{len(failures)} step(s) FAILED"
    print(f"Summary: {verdict} in {time.monotonic() - START:.1f}s", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
