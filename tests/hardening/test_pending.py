"""``cakework.pending()``: the registry of what may be left behind, and its exit report."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import cakework
from cakework import PendingResource
from cakework._operations import OPERATIONS, Retry
from cakework._pending import (
    CREATED_KIND,
    REGISTRY_LIMIT,
    may_be_created,
    may_be_running,
    name_left,
    record,
)


def test_every_create_of_the_table_says_what_it_makes() -> None:
    creates = {op for op, row in OPERATIONS.items() if row.retry is Retry.CREATING}
    assert set(CREATED_KIND) == creates


def test_an_entry_says_what_why_and_how_to_find_it() -> None:
    lost = may_be_created("startVM", "img-1", "an interrupt cut startVM short")
    assert (lost.kind, lost.id, lost.image_id) == ("vm", None, "img-1")
    assert str(lost) == (
        "a VM of image img-1 may have been created (an interrupt cut startVM short); find it"
        " with client.vms.list(image_id='img-1') and stop it with client.vms.stop(id)"
    )
    cached = may_be_running("cached_vm", "c-1", "destroyCachedVM", "cut short")
    assert "cached VM c-1 may still be running" in str(cached)
    assert "client.cached_vms.destroy('c-1')" in str(cached)
    build = may_be_created("buildImageFromFiles", None, "cut short")
    assert "cannot list" in str(build)


def test_name_left_notes_the_exception_and_records_each_entry() -> None:
    exc = KeyboardInterrupt()
    items = [may_be_created("cacheVM", "img", "x"), may_be_created("cacheVM", "img", "x")]
    name_left(exc, items)
    assert exc.__notes__ == [f"cakework: {items[0]}", f"cakework: {items[1]}"]
    assert cakework.pending() == tuple(items)  # two creates, two entries
    assert cakework.pending(clear=True) == tuple(items)
    assert cakework.pending() == ()


def test_a_known_id_is_recorded_once() -> None:
    item = may_be_running("vm", "vm-1", "stopVM", "x")
    record([item, item])
    assert cakework.pending() == (item,)


def test_the_registry_is_bounded() -> None:
    record([may_be_created("startVM", "img", str(i)) for i in range(REGISTRY_LIMIT + 5)])
    kept = cakework.pending()
    assert len(kept) == REGISTRY_LIMIT
    assert kept[-1].cause == str(REGISTRY_LIMIT + 4)  # the most recent are kept


@pytest.mark.parametrize("cleared", [False, True])
def test_what_is_still_recorded_is_reported_at_exit(cleared: bool) -> None:
    script = textwrap.dedent(
        f"""
        from cakework._pending import may_be_created, record
        import cakework
        record([may_be_created("cacheVM", "img-9", "a test")])
        if {cleared}:
            cakework.pending(clear=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    if cleared:
        assert result.stderr == ""
    else:
        assert "1 resource(s) may be left behind" in result.stderr
        assert "a cached VM of image img-9 may have been created (a test)" in result.stderr


def test_entries_are_public_values() -> None:
    item = may_be_created("importImage", None, "x")
    assert isinstance(item, PendingResource)
    assert item.kind == "image"
