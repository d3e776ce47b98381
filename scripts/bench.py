"""`make bench`: performance figures, each a ratio of two things measured side by side.

1. Polling cost: getBuild requests our ``wait_for_build`` sends for a simulated 10-minute
   build, against the vendor example's fixed 2-second loop (emulator with a manual clock;
   deterministic, no real waiting).
2. Client overhead: ``Cakework.vms.get`` and ``AsyncCakework.vms.get`` against a bare
   ``httpx.Client`` GET of the same VM, in one run on one emulator.
3. Emulator throughput: ``scripts/bench_emulator.py`` (getVM requests/s, target >= 1000/s).

Usage: python scripts/bench.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from cakework import AsyncCakework, Cakework
from cakework.testing import Emulator, Timings

ROOT = Path(__file__).resolve().parent.parent
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/bench:latest"
DOCKERFILE = "FROM python:3.11-slim\n" + "RUN echo step\n" * 9  # 10 steps of 60 s


def polling_cost() -> None:
    """Compare getBuild counts for a 10-minute build: our schedule vs a 2-second loop."""
    timings = Timings(build_step=60.0)
    counts: dict[str, int] = {}
    with Emulator(manual_clock=True, timings=timings) as emu:
        client = Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance)
        with client:
            build = client.images.build_from_files(dockerfile=DOCKERFILE, files=[])
            before = emu.request_count("getBuild")
            client.images.wait_for_build(build.build_id)
            counts["cakework wait_for_build"] = emu.request_count("getBuild") - before

            build = client.images.build_from_files(dockerfile=DOCKERFILE, files=[])
            before = emu.request_count("getBuild")
            while client.images.get_build(build.build_id).status == "created":
                emu.advance(2.0)  # the vendor example: poll every 2 s, forever
            counts["vendor 2 s loop"] = emu.request_count("getBuild") - before
    ours, vendor = counts["cakework wait_for_build"], counts["vendor 2 s loop"]
    print("1. getBuild requests for a 10-minute build")
    for label, count in counts.items():
        print(f"   {label:<26} {count:5d}")
    print(f"   ratio ours/vendor           {ours / vendor:.3f}  (target: <= 50 requests)")


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``call`` over about ``seconds``."""
    for _ in range(20):
        call()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            call()
        count += 50
    return count / (time.perf_counter() - started)


async def async_rate(client: AsyncCakework, vm_id: str, seconds: float) -> float:
    """getVM calls per second through ``AsyncCakework``."""
    for _ in range(20):
        await client.vms.get(vm_id)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            await client.vms.get(vm_id)
        count += 50
    return count / (time.perf_counter() - started)


def client_overhead(seconds: float) -> None:
    """getVM through our clients vs a bare httpx GET, against one emulator."""
    with Emulator() as emu:
        headers = {"X-Api-Key": emu.api_key}
        with httpx.Client(base_url=emu.base_url, headers=headers) as raw:
            image_id = raw.post(
                "/image/import", json={"imageUri": ECR_URI, "password": "x"}
            ).json()["imageId"]
            vm_id = raw.post("/vm/start", json={"imageId": image_id}).json()["id"]
            rates = {"bare httpx GET": rate(lambda: raw.get(f"/vm/{vm_id}").json(), seconds)}
        with Cakework(api_key=emu.api_key, base_url=emu.base_url) as client:
            rates["Cakework.vms.get"] = rate(lambda: client.vms.get(vm_id), seconds)

        async def run_async() -> float:
            async with AsyncCakework(api_key=emu.api_key, base_url=emu.base_url) as client:
                return await async_rate(client, vm_id, seconds)

        rates["AsyncCakework.vms.get"] = asyncio.run(run_async())
    base = rates["bare httpx GET"]
    print("2. getVM round trips per second (emulator in this process, loopback)")
    for label, value in rates.items():
        print(f"   {label:<26} {value:7.0f}/s   ratio to bare httpx {value / base:.2f}")


def main() -> int:
    """Run every benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput figure")
    args = parser.parse_args()
    polling_cost()
    client_overhead(args.seconds)
    print("3. emulator throughput")
    sys.stdout.flush()
    return subprocess.call(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_emulator.py"),
            "--seconds",
            str(args.seconds),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
