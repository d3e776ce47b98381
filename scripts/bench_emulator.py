"""Measure how many getVM requests per second the emulator serves to a loopback client.

The emulator runs as ``python -m cakework.testing`` in its own process (one event loop:
one core); the client is a keep-alive ``httpx.Client`` in this process. Two figures are
printed: polling one VM (what waiters do; request validation is memoised) and cycling
over many VMs (every request validated by openapi-core afresh).
``--in-process`` runs the server on a thread of this process instead (client and server
then share one GIL, so one core in total).

Usage: python scripts/bench_emulator.py [--seconds 3] [--vms 500] [--in-process]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from cakework.testing import Emulator

ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/bench:latest"


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used so far; Linux only, else None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def server(in_process: bool) -> Iterator[tuple[str, int | None]]:
    """Yield the base URL (API key ``test-key``) and pid of a running emulator."""
    if in_process:
        with Emulator() as emu:
            yield emu.base_url, None
        return
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


def measure(
    client: httpx.Client, paths: list[str], seconds: float, pid: int | None
) -> tuple[float, float | None]:
    """Return requests/s seen by the client and the server's CPU ms per request."""
    for path in paths[:50]:  # warm up the connection and the server
        client.get(path).raise_for_status()
    count = 0
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            response = client.get(paths[count % len(paths)])
            if response.status_code != 200:
                raise SystemExit(f"unexpected {response.status_code}: {response.text}")
            count += 1
    rate = count / (time.perf_counter() - started)
    cpu_after = cpu_seconds(pid)
    if cpu_before is None or cpu_after is None:
        return rate, None
    return rate, (cpu_after - cpu_before) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--vms", type=int, default=500)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    with (
        server(args.in_process) as (base_url, pid),
        httpx.Client(base_url=base_url, headers={"X-Api-Key": "test-key"}) as client,
    ):
        image = client.post("/image/import", json={"imageUri": ECR_URI, "password": "x"})
        image_id = image.json()["imageId"]
        vm_ids = [
            client.post("/vm/start", json={"imageId": image_id}).json()["id"]
            for _ in range(args.vms)
        ]
        results = {
            "polling one VM": measure(client, [f"/vm/{vm_ids[0]}"], args.seconds, pid),
            f"cycling over {args.vms} VMs": measure(
                client, [f"/vm/{vm_id}" for vm_id in vm_ids], args.seconds, pid
            ),
            # An ignored, ever-changing query parameter defeats the validation memo, so
            # every request pays openapi-core's full price (the worst case).
            "all distinct (no memo)": measure(
                client, [f"/vm/{vm_ids[0]}?n={n}" for n in range(100_000)], args.seconds, pid
            ),
        }
    where = "a thread of the client's process" if args.in_process else "its own process"
    print(f"getVM requests/s (server in {where}, one event loop; loopback httpx client)")
    for label, (rate, cpu_ms) in results.items():
        capacity = (
            f"; server CPU {cpu_ms:.3f} ms/request = {1000 / cpu_ms:.0f}/s on one core"
            if cpu_ms
            else ""
        )
        print(f"  {label:<24} {rate:8.0f}/s{capacity}")
    print("target: >= 1000/s")


if __name__ == "__main__":
    main()
