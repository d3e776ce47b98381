"""Wrong-typed arguments to the high-level methods raise ``InvalidParameterError``.

These used to escape as ``AttributeError``/``TypeError`` from deep inside the client (or
from JSON encoding inside the pump), which breaks the promise that only our errors leave
a call. Nothing is sent: the client points at a closed port, and any request would fail
as ``APIConnectionError`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cakework import Cakework, InvalidParameterError

UNREACHABLE = "http://127.0.0.1:9/v1"  # discard port: nothing listens


def no_waiting(seconds: float) -> None:
    raise AssertionError("the argument should have been refused before anything started")


@pytest.fixture
def client() -> Iterator[Cakework]:
    with Cakework(api_key="k", base_url=UNREACHABLE, max_retries=0, sleep=no_waiting) as c:
        yield c


# Callables take Any: the point is calling with types the signatures do not allow.
CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("since int", lambda c: c.images.build_logs("b", since=123), "since"),
    ("until float", lambda c: c.vms.logs("v", until=1.5), "until"),
    ("cursor str", lambda c: c.images.build_logs("b", cursor="abc"), "cursor"),
    ("cursor dict", lambda c: c.vms.logs("v", cursor={"offset": 1}), "cursor"),
    ("query int", lambda c: c.images.build_logs("b", query=5), "query"),
    ("query empty", lambda c: c.vms.logs("v", query=""), "query"),
    ("page query empty", lambda c: c.images.get_build_logs("b", query=""), "query"),
    ("on_log", lambda c: c.images.wait_for_build("b", on_log="print"), "on_log"),
    ("on_status", lambda c: c.images.wait_for_build("b", on_status=5), "on_status"),
    ("wait timeout str", lambda c: c.vms.wait_for_state("v", timeout="5"), "timeout"),
    ("wait timeout bool", lambda c: c.images.wait_for_build("b", timeout=True), "timeout"),
    ("run timeout str", lambda c: c.vms.run(image_id="i", timeout="5"), "timeout"),
    ("pool size str", lambda c: c.cached_vms.pool(image_id="i", size="3"), "size"),
    ("pool size float", lambda c: c.cached_vms.pool(image_id="i", size=2.5), "size"),
    ("pool max str", lambda c: c.cached_vms.pool(image_id="i", size=1, max_size="4"), "max_size"),
    (
        "pool start_timeout",
        lambda c: c.cached_vms.pool(image_id="i", size=1, start_timeout=-1),
        "start_timeout",
    ),
    # one id passed as a string used to be adopted character by character
    ("adopt str", lambda c: c.cached_vms.pool(image_id="i", size=2, adopt="vm"), "adopt"),
    ("adopt empty id", lambda c: c.cached_vms.pool(image_id="i", size=1, adopt=[""]), "adopt"),
]


@pytest.mark.parametrize(("name", "call", "parameter"), CASES, ids=[c[0] for c in CASES])
def test_wrong_types_raise_invalid_parameter_error(
    client: Cakework, name: str, call: Callable[[Any], Any], parameter: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call(client)
    assert info.value.parameter == parameter


def test_adopt_accepts_any_sequence_of_ids(client: Cakework) -> None:
    ids: Any = iter(["a", "b", "a"])  # not a Sequence, but iterated once it works
    pool = client.cached_vms.pool(image_id="i", size=0, max_size=2, adopt=ids)
    assert pool.stats().idle == 2
