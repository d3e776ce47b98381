"""`make demo`: start the local emulator, run examples/quickstart.py against it, stop.

The quickstart sees only what a real user's program sees: CAKEWORK_BASE_URL and
CAKEWORK_API_KEY in its environment. The emulator runs at a human-watchable pace (its
clock a few times faster than real time) and is stopped on every way out, Ctrl-C included.
A short section then does the same from a shell with the `cakework` command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
# The console script next to this interpreter (the `cli` extra, part of `dev`).
CAKEWORK = shutil.which("cakework", path=str(Path(sys.executable).parent)) or "cakework"


def wait_or_interrupt(child: subprocess.Popen[Any]) -> int:
    """The child's status; 130 after a Ctrl-C, once the child has cleaned up."""
    try:
        return child.wait()
    except KeyboardInterrupt:
        # The child got the same SIGINT from the terminal; give it a moment to clean up.
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 130


def cakework(args: Sequence[str], env: dict[str, str], *, capture: bool = False) -> tuple[int, str]:
    """Show and run one `cakework` command; its status and (if captured) its stdout."""
    print(f"\n$ cakework {shlex.join(args)}", flush=True)
    # A captured stdout (to read ids from) is shown afterwards; the progress on stderr is live.
    child = subprocess.Popen(
        [CAKEWORK, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE if capture else None, text=True
    )
    out = child.stdout.read() if child.stdout is not None else ""
    status = wait_or_interrupt(child)
    print(out, end="", flush=True)
    return status, out


def cli_section(env: dict[str, str]) -> int:
    """The same workflow from a shell: build, run a VM with a command, list; a status."""
    print("\n--- The same from a shell, with the `cakework` command ---", flush=True)
    status, out = cakework(
        ["images", "build", "examples/app", "--wait", "-o", "json"], env, capture=True
    )
    if status:
        return status
    build = json.loads(out)
    steps: list[list[str]] = [
        ["images", "logs", build["build_id"], "--query", "step", "-n", "3", "-o", "table"],
        [
            "vms",
            "run",
            build["image_id"],
            "--cpu",
            "1",
            "--",
            "sh",
            "-c",
            'echo "hello from $CAKEWORK_VM_HOSTNAME"',
        ],
        ["vms", "list", "--image-id", build["image_id"], "-o", "table"],
    ]
    for args in steps:
        status, _ = cakework(args, env)
        if status:
            return status
    return 0


def main() -> int:
    """Run the demo; the exit status is the quickstart's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=3.0, help="emulator clock speed")
    parser.add_argument(
        "--example", default="quickstart.py", help="file in examples/ to run (default quickstart)"
    )
    args = parser.parse_args()
    with Emulator(api_keys=("demo-key",), speed=args.speed) as emulator:
        print(f"Local Cakework emulator on {emulator.base_url} (clock x{args.speed:g})")
        print(f"Running examples/{args.example} against it\n", flush=True)
        env = dict(
            os.environ, CAKEWORK_BASE_URL=emulator.base_url, CAKEWORK_API_KEY=emulator.api_key
        )
        child = subprocess.Popen([sys.executable, str(ROOT / "examples" / args.example)], env=env)
        status = wait_or_interrupt(child)
        if status == 0:
            status = cli_section(env)
        if status == 130:
            print("\nInterrupted; the emulator is stopping.")
    print(f"\nEmulator stopped. Demo {'succeeded' if status == 0 else 'FAILED'}.")
    if status == 0:
        # The command lives in .venv; a new shell does not know it otherwise.
        print("To use `cakework` in your shell: . .venv/bin/activate")
    return status


if __name__ == "__main__":
    sys.exit(main())
