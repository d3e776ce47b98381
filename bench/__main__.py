"""``make bench``: every performance goal of the client and the emulator, as one table.

Usage: python -m bench [--quick] [--json PATH] [--only NAME ...]

``--quick`` runs a tiny configuration (what ``tests/bench`` runs: the code works; the
figures mean nothing). The table goes to stdout as Markdown, the run as JSON to
``bench/results.json`` (git-ignored; compare runs with it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import client, emulator, memory, polling, process
from .harness import Row, table, to_json

RESULTS = Path(__file__).resolve().parent / "results.json"


@attrs.frozen
class Config:
    """How much of everything to run."""

    rounds: int = 41
    calls: int = 100
    log_rounds: int = 9
    log_lines: int = 100_000
    log_batch: int = 1000
    # A round of 10,000 costs ten of 1,000: the wider fan-out gets fewer rounds.
    gather_rounds: tuple[int, ...] = (31, 7)
    gather_widths: tuple[int, ...] = (1_000, 10_000)
    import_runs: int = 21
    emulator_seconds: float = 5.0
    vm_cycles: int = 10_000
    list_vms: tuple[int, int] = (10_000, 100_000)
    state_vms: int = 10_000
    memory_lines: int = 1_000_000
    memory_long_lines: int = 6_000_000
    memory_heap: int = 1_000_000
    poll_seeds: int = 20
    lag_seeds: int = 200


QUICK = Config(
    rounds=2,
    calls=5,
    log_rounds=2,
    log_lines=2_500,
    gather_rounds=(2,),
    gather_widths=(20,),
    import_runs=1,
    emulator_seconds=0.3,
    vm_cycles=50,
    list_vms=(200, 1_000),
    state_vms=50,
    memory_lines=3_000,
    memory_long_lines=6_000,
    memory_heap=10_000,
    poll_seeds=1,
    lag_seeds=2,
)


def benchmarks(config: Config) -> dict[str, Callable[[], list[Row]]]:
    """Every benchmark by name, each giving its rows."""
    c = config
    return {
        "get": lambda: [*client.sync_get(c.rounds, c.calls), *client.async_get(c.rounds, c.calls)],
        "logs": lambda: [
            *client.sync_logs(c.log_rounds, c.log_lines, c.log_batch),
            *client.async_logs(c.log_rounds, c.log_lines, c.log_batch),
        ],
        "gather": lambda: [
            client.gather(rounds, width)
            for rounds, width in zip(c.gather_rounds, c.gather_widths, strict=True)
        ],
        "import": lambda: [process.import_cost(c.import_runs)],
        "emulator": lambda: [
            *emulator.sync_throughput(c.emulator_seconds),
            emulator.throughput(c.emulator_seconds),
            emulator.listing(c.list_vms),
            emulator.memory(c.vm_cycles),
            emulator.state_file(c.state_vms),
        ],
        "polling": lambda: [polling.polls(c.poll_seeds), polling.detection_lag(c.lag_seeds)],
        "memory": lambda: memory.rows(c.memory_lines, c.memory_long_lines, c.memory_heap),
    }


def run(config: Config, only: Sequence[str] = ()) -> list[Row]:
    """Run the benchmarks (all, or those named in ``only``), printing progress to stderr."""
    rows: list[Row] = []
    for name, benchmark in benchmarks(config).items():
        if only and name not in only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += benchmark()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the table and the notes, write the JSON; 0 even if a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny configuration (a smoke run)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the run")
    parser.add_argument(
        "--only", nargs="*", default=(), choices=sorted(benchmarks(Config())), help="subset"
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    rows = run(config, args.only)
    print(table(rows))
    print()
    for row in rows:
        if row.note:
            print(f"- {row.metric}: {row.note}")
    config_json: dict[str, Any] = attrs.asdict(config)
    args.json.write_text(to_json(rows, config_json), encoding="utf-8")
    print(f"\n(written to {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
