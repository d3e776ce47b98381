"""Every error survives pickling with its attributes (process pools, task queues).

Constructors with keyword-only arguments break ``Exception``'s default pickling: the
unpickled error used to fail with ``TypeError: __init__() missing ... arguments``.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from cakework import (
    VM,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    Build,
    BuildContextError,
    BuildFailedError,
    CakeworkError,
    InternalServerError,
    InvalidParameterError,
    LogLine,
    NotFoundError,
    PaginationError,
    PoolClosedError,
    PoolTimeoutError,
    RateLimitError,
    ResponseValidationError,
    UnreachableStateError,
    WaitTimeoutError,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BUILD = Build(build_id="b-1", status="failed", created_at=T0, updated_at=T0)
VM_ = VM(
    id="vm-1",
    hostname="h",
    cpu=1,
    memory=256,
    image_id="i",
    state="destroyed",
    created_at=T0,
    updated_at=T0,
)

ERRORS: list[CakeworkError] = [
    CakeworkError("plain"),
    InvalidParameterError("cpu", 9, "an integer from 1 to 8"),
    APIStatusError("Teapot", operation="getVM", status_code=418, body="{}", headers={"a": "b"}),
    NotFoundError("gone", operation="getVM", status_code=404, body='{"error":"gone"}'),
    RateLimitError("slow", operation="getVM", status_code=429, body="", retry_after=3.0),
    InternalServerError("boom", operation="startVM", status_code=599, body="<html>"),
    APIConnectionError("refused", operation="getVM"),
    APITimeoutError("slow", operation="getVM"),
    ResponseValidationError(operation="getVM", body="{", reason="JSONDecodeError"),
    BuildContextError("bad folder", paths=["a.bin"]),
    BuildFailedError(BUILD, (LogLine(1, "error", "step 3 failed"),)),
    WaitTimeoutError("vm-1", "created", 300.0),
    PoolTimeoutError("img-1", in_use=5, max_size=5, elapsed=10.0),
    UnreachableStateError(VM_, "started"),
    PoolClosedError("closed"),
    PaginationError("cursor repeated"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_error_round_trips_through_pickle(error: CakeworkError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)
