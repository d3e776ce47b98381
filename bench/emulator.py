"""The emulator as a server people load: getVM throughput, and memory after many VMs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator

import httpx

from cakework.testing._clock import ManualClock
from cakework.testing._state import RETAINED_DESTROYED_VMS, Backend

from .harness import Row

ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/bench:latest"
API_KEY = "test-key"


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; Linux only, else None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _server() -> Iterator[tuple[str, int]]:
    """An emulator in its own process (``python -m cakework.testing``): base URL and pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cakework.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    with process.stdout:
        try:
            yield process.stdout.readline().rsplit(" ", 1)[1].strip(), process.pid
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


async def _load(base_url: str, pid: int, seconds: float, vms: int, workers: int) -> Row:
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-Api-Key": API_KEY}, limits=limits
    ) as http:
        imported = await http.post("/image/import", json={"imageUri": ECR_URI, "password": "x"})
        image_id = imported.json()["imageId"]
        vm_ids = []
        for _ in range(vms):
            vm = await http.post("/vm/start", json={"imageId": image_id})
            vm_ids.append(vm.json()["id"])
        counter = iter(range(10**9))

        async def worker(deadline: float) -> int:
            done = 0
            while time.perf_counter() < deadline:
                n = next(counter)
                # Every request differs (VM and query): nothing on the server can be
                # answered from a memo of an earlier request.
                response = await http.get(f"/vm/{vm_ids[n % len(vm_ids)]}", params={"n": n})
                if response.status_code != 200:
                    raise SystemExit(f"unexpected {response.status_code}: {response.text}")
                done += 1
            return done

        # Warm: every connection of the pool open, the server's code paths hot.
        await asyncio.gather(*(worker(time.perf_counter() + 0.5) for _ in range(workers)))
        cpu_before = _cpu_seconds(pid)
        client_before = time.process_time()
        started = time.perf_counter()
        counts = await asyncio.gather(*(worker(started + seconds) for _ in range(workers)))
        elapsed = time.perf_counter() - started
        client_ms = (time.process_time() - client_before) * 1000
        cpu_after = _cpu_seconds(pid)
    total = sum(counts)
    rate = total / elapsed
    capacity = f"; client CPU {client_ms / total:.2f} ms/request"
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        cpu_ms = (cpu_after - cpu_before) * 1000 / total
        capacity += f", server CPU {cpu_ms:.2f} ms/request = {1000 / cpu_ms:,.0f}/s per core"
    return Row(
        metric="emulator getVM, distinct requests, one client process, loopback",
        ours=f"{rate:,.0f} req/s",
        baseline="",
        ratio=rate,
        ratio_min=None,
        ratio_max=None,
        goal=">= 1,000 req/s",
        met=rate >= 1000,
        note=(
            f"emulator in its own process; httpx.AsyncClient, {workers} connections kept "
            f"alive, {total:,} requests in {elapsed:.1f} s{capacity}"
        ),
    )


def throughput(seconds: float, vms: int = 200, workers: int = 8) -> Row:
    """Requests per second (getVM) the emulator serves one client process."""
    with _server() as (url, pid):
        return asyncio.run(_load(url, pid, seconds, vms, workers))


def memory(cycles: int) -> Row:
    """Traced memory of the emulator's state after ``cycles`` VMs started and stopped.

    The state is driven directly (no HTTP: the figure is about what the state keeps);
    the clock advances through boot and destruction as a real run would.
    """
    backend = Backend((API_KEY,), ManualClock())
    image = backend.import_image(API_KEY, image_uri=ECR_URI, password="x")["imageId"]

    def run(count: int) -> int:
        for _ in range(count):
            vm_id = backend.start_vm(API_KEY, image_id=image)["id"]
            backend.clock.advance(backend.timings.boot)
            backend.stop_vm(API_KEY, vm_id)
            backend.clock.advance(backend.timings.destroy)
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        before = run(0)
        first = run(cycles)
        second = run(cycles)
    finally:
        tracemalloc.stop()
    per_vm = (second - first) / cycles
    return Row(
        metric=f"emulator memory after {cycles:,} VMs started and stopped",
        ours=f"{(first - before) / 2**20:+.2f} MB; next {cycles:,}: {per_vm:+.0f} B/VM",
        baseline="",
        ratio=None,
        ratio_min=None,
        ratio_max=None,
        goal="bounded",
        # Bounded: the second batch adds nothing per VM (a few bytes of counters at most).
        met=per_vm < 16,
        note=(
            f"traced allocations of the state; the {RETAINED_DESTROYED_VMS:,} most recently "
            "destroyed VMs are kept, older ones forgotten"
        ),
    )
