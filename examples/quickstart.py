"""The whole Cakework workflow, through the public API only.

Builds an image from ./app, streams its build log, runs a VM from it, reads its logs,
lists VMs, serves three jobs from a pool of warm cached VMs, and shows how a broken
Dockerfile is reported. Configured like any real program: set CAKEWORK_BASE_URL and
CAKEWORK_API_KEY (``make demo`` points them at a local emulator), then run

    python examples/quickstart.py

Exit status 0 means every step did what it should.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cakework import Build, BuildFailedError, BuildFile, Cakework, LogLine

APP = Path(__file__).parent / "app"
BROKEN_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY server.py .
CMD ["python", "server.py"]
"""

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


def main() -> int:
    with Cakework() as client:
        say(f"1. Building an image from {APP.name}/ (files honour .dockerignore)")
        build = client.images.build_from_directory(APP)
        build = client.images.wait_for_build(
            build.build_id, timeout=300, on_status=show_status, on_log=show_log
        )
        check(build.image_id is not None, "the build succeeded with an image id")
        image_id = build.image_id or ""
        say(f"  image {image_id} is ready")

        say("2. Starting a VM from the image (stopped again when the block ends)")
        with client.vms.run(image_id=image_id, cpu=1, memory=512, port=8080) as vm:
            say(f"  VM {vm.id} is {vm.state} at {vm.hostname}")
            check(vm.state == "started", "the VM started")
            first_lines = list(client.vms.logs(vm.id, max_items=5))
            for line in first_lines:
                say(f"  vm | {line.timestamp:%H:%M:%S} {line.level:5} {line.message}")
            check(len(first_lines) > 0, "the VM wrote log lines")
            running = [v.id for v in client.vms.list(image_id=image_id, status="started")]
            say(f"  VMs of this image that are running: {running}")
            check(vm.id in running, "listVMs shows the running VM")
        stopped = client.vms.get(vm.id)
        say(f"  after the block the VM is {stopped.state}")
        check(stopped.state in ("stopped", "destroyed"), "the VM was stopped on exit")

        say("3. Serving three jobs from a pool of two warm cached VMs")
        with client.cached_vms.pool(image_id=image_id, size=2) as pool:
            for job in range(1, 4):
                with pool.acquire(timeout=60) as cached:
                    say(f"  job {job} runs on cached VM {cached.id}")
            stats = pool.stats()
            say(
                f"  pool: size={stats.size} idle={stats.idle} in_use={stats.in_use} "
                f"created={stats.created} start latency mean={stats.start_latency_mean:.2f}s"
            )
            check(stats.created == 2 and stats.in_use == 0, "the pool reused its two VMs")
        check(pool.stats().size == 0, "closing the pool destroyed its VMs")

        say("4. A broken Dockerfile: COPY of a file that was not uploaded")
        broken = client.images.build_from_files(
            dockerfile=BROKEN_DOCKERFILE,
            files=[BuildFile(dir=".", name="app.py", content="print('hi')\n")],
        )
        try:
            client.images.wait_for_build(broken.build_id, timeout=300, on_status=show_status)
        except BuildFailedError as exc:
            say("  the build failed as expected; the end of its log:")
            for line in exc.log_tail[-3:]:
                say(f"  | {line.message}")
            check(any("COPY server.py" in ln.message for ln in exc.log_tail), "failing step shown")
        else:
            check(False, "the broken build was reported as failed")

    verdict = "all steps succeeded" if not failures else f"{len(failures)} step(s) FAILED"
    print(f"Summary: {verdict} in {time.monotonic() - START:.1f}s", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # The `with` blocks above already stopped the VM and destroyed the pool.
        print("Interrupted; everything started so far was stopped.", flush=True)
        sys.exit(130)
