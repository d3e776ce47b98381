"""Benchmarks of the client and the emulator against their goals (``make bench``).

Each figure is measured side by side with its baseline in the same process, in
interleaved rounds (see :mod:`bench.harness`); ``python -m bench`` prints the table.
"""
