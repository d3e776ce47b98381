"""`make demo`: start the local emulator, run examples/quickstart.py against it, stop.

The quickstart sees only what a real user's program sees: CAKEWORK_BASE_URL and
CAKEWORK_API_KEY in its environment. The emulator runs at a human-watchable pace (its
clock a few times faster than real time) and is stopped on every way out, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent


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
        try:
            status = child.wait()
        except KeyboardInterrupt:
            # The child got the same SIGINT from the terminal; give it a moment to clean up.
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            status = 130
            print("\nInterrupted; the emulator is stopping.")
    print(f"\nEmulator stopped. Demo {'succeeded' if status == 0 else 'FAILED'}.")
    return status


if __name__ == "__main__":
    sys.exit(main())
