"""An id addresses exactly the resource it names, or is refused before anything is sent.

Against a loopback server that records the raw path of every request it receives: ids
such as ``..`` would otherwise reach another endpoint after URL normalisation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cakework import Cakework, InvalidParameterError, NotFoundError
from cakework.errors import CakeworkError

from ._recording_server import Recorded, recording_server

BAD_IDS = [
    ".",
    "..",
    "../vms",
    "a/b",
    "a/../../vms",
    "%2e%2e",
    "%2E%2E",
    "%2e",
    "x%2Fstop",
    "x?status=started",
    "x#frag",
    "a b",
    "a\\b",
    "\x00",
    "é",
    "a.b",
    "a~b",
    "x" * 129,
]

# Every public method that puts an id into the path: (label, call, path template).
ID_METHODS: list[tuple[str, Callable[[Cakework, str], Any], str]] = [
    ("vms.get", lambda c, i: c.vms.get(i), "/v1/vm/{}"),
    ("vms.stop", lambda c, i: c.vms.stop(i), "/v1/vm/{}/stop"),
    ("vms.get_logs", lambda c, i: c.vms.get_logs(i), "/v1/vm/{}/logs"),
    ("vms.logs", lambda c, i: list(itertools.islice(c.vms.logs(i), 1)), "/v1/vm/{}/logs"),
    ("vms.wait_for_state", lambda c, i: c.vms.wait_for_state(i, timeout=5), "/v1/vm/{}"),
    ("cached_vms.start", lambda c, i: c.cached_vms.start(i), "/v1/vm/cached/{}/start"),
    ("cached_vms.stop", lambda c, i: c.cached_vms.stop(i), "/v1/vm/cached/{}/stop"),
    ("cached_vms.destroy", lambda c, i: c.cached_vms.destroy(i), "/v1/vm/cached/{}/destroy"),
    ("cached_vms.get_logs", lambda c, i: c.cached_vms.get_logs(i), "/v1/vm/cached/{}/logs"),
    ("cached_vms.logs", lambda c, i: list(c.cached_vms.logs(i)), "/v1/vm/cached/{}/logs"),
    ("images.get_build", lambda c, i: c.images.get_build(i), "/v1/image/build/{}"),
    (
        "images.get_build_logs",
        lambda c, i: c.images.get_build_logs(i),
        "/v1/image/build/{}/logs",
    ),
    (
        "images.build_logs",
        lambda c, i: list(c.images.build_logs(i)),
        "/v1/image/build/{}/logs",
    ),
    (
        "images.wait_for_build",
        lambda c, i: c.images.wait_for_build(i, timeout=5),
        "/v1/image/build/{}",
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Recorded]:
    with recording_server() as record:
        yield record


@pytest.fixture
def client(server: Recorded) -> Iterator[Cakework]:
    server.paths.clear()
    with Cakework(api_key="test-key", base_url=server.base_url, max_retries=0) as c:
        yield c


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
@pytest.mark.parametrize(("label", "call", "template"), ID_METHODS, ids=[m[0] for m in ID_METHODS])
def test_bad_id_is_refused_before_sending(
    client: Cakework,
    server: Recorded,
    label: str,
    call: Callable[[Cakework, str], Any],
    template: str,
    bad_id: str,
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        call(client, bad_id)
    assert server.paths == [], f"{label}({bad_id!r}) reached {server.paths}"
    assert "characters of A-Z a-z 0-9 _ -" in str(caught.value)


@pytest.mark.parametrize(("label", "call", "template"), ID_METHODS, ids=[m[0] for m in ID_METHODS])
@pytest.mark.parametrize(
    "good_id", ["e784996f346483", "af3e93bb-5c9e-42d6", "01GTZHKS9C_x", "x" * 128]
)
def test_good_id_reaches_exactly_its_own_path(
    client: Cakework,
    server: Recorded,
    label: str,
    call: Callable[[Cakework, str], Any],
    template: str,
    good_id: str,
) -> None:
    with pytest.raises(CakeworkError):  # the server answers 404 to everything
        call(client, good_id)
    assert server.paths, f"{label} sent nothing"
    assert {p.split("?", 1)[0] for p in server.paths} == {template.format(good_id)}


def test_the_404_of_a_real_api_error_names_method_and_url(
    client: Cakework, server: Recorded
) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.vms.get("vm1")
    message = str(caught.value)
    assert f"GET {server.base_url}/vm/vm1" in message
    assert "base URL" not in message  # the body was the API's error shape
