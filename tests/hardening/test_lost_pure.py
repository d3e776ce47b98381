"""``create_or_adopt``: which VM a lost create answer is recovered as, with no server."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

import pytest

from cakework import VM, APIConnectionError, CachedVM, VMPage
from cakework._flow import Sleep
from cakework._lost import PoolAdopter, create_or_adopt
from cakework.errors import mark_maybe_created

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def vm(vm_id: str, state: str = "created") -> VM:
    return VM(vm_id, "h", 1, 256, "img", state, NOW, NOW)


def lists(*listings: list[VM]) -> Any:
    """A listVMs that answers each listing in turn, split in pages of one."""
    queue = list(listings)
    current: list[VM] = []

    def list_page(token: str | None) -> Generator[Any, Any, VMPage]:
        nonlocal current
        if token is None:
            current = queue.pop(0)
        index = 0 if token is None else int(token)
        more = index + 1 < len(current)
        yield from ()  # a flow that sends nothing
        return VMPage(tuple(current[index : index + 1]), str(index + 1) if more else None)

    return list_page


def lost(image_id: str = "img") -> Generator[Any, Any, VM]:
    yield from ()
    error = APIConnectionError("startVM: ReadError", operation="startVM")
    raise mark_maybe_created(error, image_id)


def made() -> Generator[Any, Any, VM]:
    yield from ()
    return vm("new")


def drive(flow: Generator[Any, Any, VM]) -> VM:
    try:
        next(flow)
    except StopIteration as stop:
        result: VM = stop.value
        return result
    raise AssertionError("the flow yielded")


def test_an_answered_create_is_returned() -> None:
    flow = create_or_adopt(made(), lists([vm("old")]), operation="startVM")
    assert drive(flow).id == "new"


def test_the_one_new_unknown_vm_is_adopted() -> None:
    listing = lists([vm("a"), vm("b")], [vm("a"), vm("orphan"), vm("b"), vm("mine")])
    flow = create_or_adopt(lost(), listing, known=lambda: {"mine"}, operation="startVM")
    assert drive(flow).id == "orphan"


def test_two_candidates_adopt_nothing() -> None:
    listing = lists([vm("a")], [vm("a"), vm("x"), vm("y")])
    with pytest.raises(APIConnectionError) as caught:
        drive(create_or_adopt(lost(), listing, operation="startVM"))
    assert caught.value.maybe_created


def test_a_destroyed_newcomer_is_not_adopted() -> None:
    listing = lists([], [vm("gone", "destroyed")])
    with pytest.raises(APIConnectionError):
        drive(create_or_adopt(lost(), listing, operation="cacheVM"))


def test_a_pool_listing_that_overlapped_a_create_is_taken_again() -> None:
    # A lost create lists while a second create of the pool is sent: the second one's VM
    # shows in that listing before its own answer is known lost, so the listing is
    # taken again once the pool is quiet, and each lost create adopts one VM.
    adopter = PoolAdopter()
    adopter.before = frozenset()
    server: list[VM] = []

    def list_page(token: str | None) -> Generator[Any, Any, VMPage]:
        yield "listing"
        return VMPage(tuple(server), None)

    def lost_cache(vm_id: str, in_flight: bool) -> Generator[Any, Any, CachedVM]:
        server.append(vm(vm_id))
        if in_flight:
            yield "in flight"
        error = APIConnectionError("cacheVM: ReadError", operation="cacheVM")
        raise mark_maybe_created(error, "img")

    # Typed as Any: the test yields markers of its own where the flows yield effects.
    first: Any = adopter.create(lost_cache("a", in_flight=False), list_page, wait=0.1)
    assert next(first) == "listing"
    second: Any = adopter.create(lost_cache("b", in_flight=True), list_page, wait=0.1)
    assert next(second) == "in flight"
    assert first.send(None) == Sleep(0.1)  # "b" is in the listing, its sender unheard
    assert second.send(None) == "listing"
    assert first.send(None) == "listing"
    adopted = set()
    for flow in (first, second):
        with pytest.raises(StopIteration) as done:
            flow.send(None)
        adopted.add(done.value.value.id)
    assert adopted == {"a", "b"}
