"""``typed_usage.py`` passes ``mypy --strict`` (the public API is typed for users)."""

from __future__ import annotations

from pathlib import Path

from mypy import api as mypy_api

HERE = Path(__file__).resolve().parent


def test_typed_usage_passes_mypy_strict() -> None:
    stdout, stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", str(HERE / "typed_usage.py")]
    )
    assert status == 0, stdout + stderr
