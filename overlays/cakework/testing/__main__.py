"""``python -m cakework.testing``: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

try:
    from . import Emulator, StateFileError
except ModuleNotFoundError as exc:  # the emulator extra is not installed
    sys.exit(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, serve, and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cakework.testing", description="Run a local Cakework API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="emulator clock speed vs real time (default 1)"
    )
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="stop the emulator clock; it moves only through POST /_emulator/clock/advance",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accepted API key, one tenant each (repeatable; default test-key)",
    )
    parser.add_argument("--page-size", type=int, default=None, help="listVMs page size")
    parser.add_argument(
        "--log-quirk",
        action="store_true",
        help="return a log cursor on the last, empty page, like the real service did",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the world in this SQLite file: loaded at start, saved periodically and on exit",
    )
    parser.add_argument(
        "--save-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between two saves of --state (default 5)",
    )
    args = parser.parse_args(argv)
    if args.manual_clock and args.speed != 1.0:
        parser.error("--speed has no effect with --manual-clock: give one of them")
    options = {} if args.page_size is None else {"page_size": args.page_size}
    try:
        emulator = Emulator(
            tuple(args.api_keys or ("test-key",)),
            speed=args.speed,
            manual_clock=args.manual_clock,
            log_quirk=args.log_quirk,
            host=args.host,
            port=args.port,
            state_file=args.state,
            save_interval=args.save_interval,
            **options,
        )
    except StateFileError as exc:  # the file is left as it is
        print(f"cannot load the state: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a value argparse could not check (speed, page size)
        parser.error(str(exc))
    try:
        emulator.start()
    except OSError as exc:  # typically the port is taken
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        # Handlers for both: a shell may start us with SIGINT ignored (a background job).
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        # The keys are printed on purpose: they are local test keys the user chose.
        print(f"Cakework emulator listening on {emulator.base_url}", flush=True)
        print(f"API keys: {', '.join(emulator.api_keys)}", flush=True)
        print(f"Console: {emulator.console_url}", flush=True)
        if args.state:
            print(
                f"State: {args.state} (saved every {args.save_interval:g} s and on exit)",
                flush=True,
            )
        print("Press Ctrl-C to stop.", flush=True)
        stop.wait()
        print("Stopping.", flush=True)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
