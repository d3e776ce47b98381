"""The emulator as a server people load: getVM throughput, memory after many VMs, state files."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import attrs
import httpx

from cakework.testing import Emulator
from cakework.testing._clock import ManualClock
from cakework.testing._persist import export_state, import_state, load_file, save_file
from cakework.testing._state import RETAINED_DESTROYED_VMS, Backend

from .harness import Row

ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/bench:latest"
API_KEY = "test-key"


def _thread_cpu_seconds(tid: int) -> float | None:
    """CPU time (user + system) a thread of this process has used so far; Linux only."""
    try:
        with open(f"/proc/self/task/{tid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def _setup(base_url: str, vms: int) -> list[str]:
    """Start ``vms`` VMs; their ids."""
    with httpx.Client(base_url=base_url, headers={"X-Api-Key": API_KEY}) as http:
        imported = http.post("/image/import", json={"imageUri": ECR_URI, "password": "x"})
        image_id = imported.json()["imageId"]
        return [http.post("/vm/start", json={"imageId": image_id}).json()["id"] for _ in range(vms)]


def _paths(vm_ids: list[str]) -> Iterator[str]:
    # Every request differs (VM and query): nothing on the server can be answered from
    # a memo of an earlier request.
    n = 0
    while True:
        yield f"/v1/vm/{vm_ids[n % len(vm_ids)]}?n={n}"
        n += 1


async def _lean_worker(host: str, port: int, paths: Iterator[str], deadline: float) -> int:
    """One keep-alive connection, one request at a time, read by Content-Length."""
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < deadline:
            request = f"GET {next(paths)} HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {API_KEY}\r\n\r\n"
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200 "):
                raise SystemExit(f"unexpected answer: {head!r}")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            done += 1
    finally:
        writer.close()
        await writer.wait_closed()
    return done


@attrs.frozen
class _Load:
    requests: int
    seconds: float
    client_ms: float
    server_ms: float | None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def describe(self) -> str:
        text = f"{self.requests:,} requests in {self.seconds:.1f} s; client CPU "
        text += f"{self.client_ms:.2f} ms/request"
        if self.server_ms:
            text += f", server CPU {self.server_ms:.2f} ms/request"
            text += f" = {1000 / self.server_ms:,.0f}/s per core"
        return text


async def _measure(
    pid: int, seconds: float, workers: int, worker: Callable[[float], Awaitable[int]]
) -> _Load:
    # Warm: every connection open, the server's code paths hot.
    await asyncio.gather(*(worker(time.perf_counter() + 0.3) for _ in range(workers)))
    server_before = _cpu_seconds(pid)
    client_before = time.process_time()
    started = time.perf_counter()
    counts = await asyncio.gather(*(worker(started + seconds) for _ in range(workers)))
    elapsed = time.perf_counter() - started
    client = time.process_time() - client_before
    server_after = _cpu_seconds(pid)
    total = sum(counts)
    server_ms = None
    if server_before is not None and server_after is not None:
        server_ms = (server_after - server_before) * 1000 / total
    return _Load(total, elapsed, client * 1000 / total, server_ms)


def _rate_row(metric: str, rate: float, note: str, goal: float | None = 1500) -> Row:
    """A requests-per-second row: informational, or against ``>= goal``."""
    return Row(
        metric=metric,
        ours=f"{rate:,.0f} req/s",
        baseline="",
        ratio=rate,
        ratio_min=None,
        ratio_max=None,
        goal="(informational)" if goal is None else f">= {goal:,.0f} req/s",
        met=None if goal is None else rate >= goal,
        note=note,
    )


def throughput(seconds: float, vms: int = 200, workers: int = 8) -> Row:
    """Requests per second (getVM) the emulator serves a lean client on many connections.

    ``workers`` keep-alive connections with one request in flight each, from a lean
    HTTP/1.1 client (a few lines on asyncio streams, so the figure is the server's).
    """
    with _server() as (base_url, pid):
        url = httpx.URL(base_url)
        host, port = url.host, url.port
        assert port is not None
        paths = _paths(_setup(base_url, vms))

        async def lean() -> _Load:
            return await _measure(
                pid, seconds, workers, lambda deadline: _lean_worker(host, port, paths, deadline)
            )

        by_lean = asyncio.run(lean())
    return _rate_row(
        f"emulator getVM, lean client on {workers} connections",
        by_lean.rate,
        "what the server alone serves: emulator in its own process, distinct requests; "
        + by_lean.describe(),
        goal=None,
    )


def sync_throughput(seconds: float, vms: int = 200) -> list[Row]:
    """Requests per second (getVM) from one ``httpx.Client``, one request at a time.

    The emulator in its own process; every request a distinct VM and query. The rate is
    wall-clock: the client's CPU, the server's and the trips between them, in turn. Two
    rows: the rate (the goal), and the server's share of it: its CPU per request, as the
    rate one core of the server alone would give. The client's own CPU per request is
    a ceiling no server can lift (named in the first row's note).
    """
    with _server() as (base_url, pid):
        paths = _paths(_setup(base_url, vms))
        root = str(httpx.URL(base_url).copy_with(path="/"))
        with httpx.Client(base_url=root, headers={"X-Api-Key": API_KEY}) as http:

            def run(until: float) -> int:
                done = 0
                while time.perf_counter() < until:
                    response = http.get(next(paths))
                    if response.status_code != 200:
                        raise SystemExit(f"unexpected {response.status_code}: {response.text}")
                    done += 1
                return done

            run(time.perf_counter() + 0.3)  # warm: connection open, code paths hot
            server_before = _cpu_seconds(pid)
            client_before = time.process_time()
            started = time.perf_counter()
            total = run(started + seconds)
            elapsed = time.perf_counter() - started
            client_ms = (time.process_time() - client_before) * 1000 / total
            server_after = _cpu_seconds(pid)
    server_ms = None
    if server_before is not None and server_after is not None:
        server_ms = (server_after - server_before) * 1000 / total
    load = _Load(total, elapsed, client_ms, server_ms)
    ceiling = f"; the client alone allows at most {1000 / client_ms:,.0f} req/s here"
    rows = [
        _rate_row(
            "emulator getVM from one sync `httpx.Client`, one request at a time",
            load.rate,
            "emulator in its own process, distinct VM and query per request, wall clock; "
            + load.describe()
            + ceiling,
        )
    ]
    if server_ms is not None:
        rows.append(
            _rate_row(
                "emulator's share of it: server CPU per getVM, as requests/s per core",
                1000 / server_ms,
                f"the same run: {server_ms:.2f} ms of the server's CPU per request",
            )
        )
    return rows


def listing(sizes: tuple[int, int], page_size: int = 100) -> Row:
    """Listing every VM page by page (listVMs, ``page_size`` per page) at two tenant sizes.

    The VMs are made through the state directly (quick); the listing goes over HTTP
    with one ``httpx.Client``. O(pages): a page costs the same at either size. The
    figure is the CPU time of the emulator's server thread (Linux; elsewhere of this
    whole process, client included): on a shared machine, wall time also counts the
    moments other processes hold the cores.
    """
    small, large = sizes
    per_page: dict[int, float] = {}
    seconds: dict[int, float] = {}
    wall: dict[int, float] = {}
    both: dict[int, float] = {}
    with Emulator((API_KEY,), page_size=page_size, manual_clock=True) as emu:
        thread = emu._thread
        assert thread is not None
        server = thread.native_id

        def cpu() -> float:
            seconds = None if server is None else _thread_cpu_seconds(server)
            return time.process_time() if seconds is None else seconds

        backend = emu.app.backend
        image = backend.import_image(API_KEY, image_uri=ECR_URI, password="x")["imageId"]
        with httpx.Client(headers={"X-Api-Key": API_KEY}) as http:
            made = 0
            for size in (small, large):
                for _ in range(size - made):
                    backend.start_vm(API_KEY, image_id=image)
                made = size
                listed, pages = 0, 0
                started, cpu_started = time.perf_counter(), cpu()
                both_started = time.process_time()
                params: dict[str, str] = {}
                while True:
                    body = http.get(emu.base_url + "/vms", params=params).json()
                    listed += len(body["vms"])
                    pages += 1
                    if "pagination" not in body:
                        break
                    params = {"pagination": body["pagination"]}
                seconds[size] = cpu() - cpu_started
                both[size] = time.process_time() - both_started
                wall[size] = time.perf_counter() - started
                if listed != size:
                    raise SystemExit(f"listed {listed:,} of {size:,} VMs")
                per_page[size] = seconds[size] / pages
    # The thread's CPU time counts in clock ticks (10 ms): a tiny run may read 0.
    growth = f"{per_page[large] / per_page[small]:.2f}x" if per_page[small] else "(too quick)"
    return Row(
        metric=f"emulator: list {large:,} VMs page by page, page size {page_size}",
        ours=f"{seconds[large]:.2f} s server CPU",
        baseline="",
        ratio=seconds[large],
        ratio_min=None,
        ratio_max=None,
        goal="<= 2 s",
        met=seconds[large] <= 2.0,
        note=(
            f"CPU time of the emulator's server thread; one httpx.Client in the same process"
            f" (client and server {both[large]:.2f} s CPU, {wall[large]:.2f} s wall);"
            f" a page at {large:,} VMs"
            f" takes {growth} a page at {small:,} ({per_page[large] * 1e3:.2f} ms"
            f" against {per_page[small] * 1e3:.2f} ms): O(pages)"
        ),
    )


def state_file(vms: int) -> Row:
    """Seconds to save ``vms`` running VMs to a ``--state`` file, and to restore them.

    Save: export the world and write the SQLite file (what the periodic save does).
    Restore: read the file and replace the world (what ``--state`` does at start).
    """
    backend = Backend((API_KEY,), ManualClock())
    image = backend.import_image(API_KEY, image_uri=ECR_URI, password="x")["imageId"]
    for _ in range(vms):
        backend.start_vm(API_KEY, image_id=image, env_vars={"MODE": "bench"})
    restored_backend = Backend((API_KEY,), ManualClock())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.db"
        started = time.perf_counter()
        save_file(path, export_state(backend))
        saved = time.perf_counter() - started
        size = path.stat().st_size
        started = time.perf_counter()
        import_state(restored_backend, load_file(path))
        restored = time.perf_counter() - started
    if restored_backend.resources(API_KEY)["vms"] != vms:
        raise SystemExit("the restored state lost VMs")
    return Row(
        metric=f"emulator state file, {vms:,} VMs saved / restored",
        ours=f"{saved:.2f} s / {restored:.2f} s",
        baseline="",
        ratio=max(saved, restored),
        ratio_min=None,
        ratio_max=None,
        goal="< 1 s each way",
        met=saved < 1 and restored < 1,
        note=f"SQLite, one row per VM; file {size / 2**20:.1f} MB",
    )


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
