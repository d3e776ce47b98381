"""Log iterators, follow mode and VM listing against the emulator, for both clients."""

from __future__ import annotations

import pytest

from cakework import AsyncCakework, InvalidParameterError, LogLine
from cakework.testing import Timings

from ._e2e import Harness
from .conftest import MakeHarness

DENSE = Timings(boot=1.0, log_interval=0.0004)
"""A VM that writes 2-3 lines per millisecond: 10,000 lines in 4 s of emulator time."""


async def dense_vm(h: Harness) -> tuple[str, list[LogLine]]:
    """A cached VM that has written just over 10,000 lines; and the truth, read in one
    getCachedVMLogs request (no paging involved)."""
    cached = await h.call(h.c.cached_vms.create(image_id=await h.image()))
    await h.call(h.c.cached_vms.start(cached.id))
    h.emu.advance(1.0 + 4.002)
    truth = await h.collect(h.c.cached_vms.logs(cached.id))
    assert len(truth) > 10_000
    # many lines share a millisecond: page boundaries fall inside such groups
    assert len({line.timestamp_ms for line in truth}) < len(truth) * 0.6
    return cached.id, truth


@pytest.mark.parametrize("quirk", [False, True], ids=["plain", "quirk"])
async def test_ten_thousand_lines_each_exactly_once(make_harness: MakeHarness, quirk: bool) -> None:
    h = make_harness(timings=DENSE, log_quirk=quirk)
    vm_id, truth = await dense_vm(h)
    extra = 1 if quirk else 0  # the quirk's last, empty page that still carries a cursor

    before = h.emu.request_count("getVMLogs")
    oldest = await h.collect(h.c.vms.logs(vm_id, batch=500))
    assert oldest == truth
    assert h.emu.request_count("getVMLogs") - before == -(-len(truth) // 500) + extra

    before = h.emu.request_count("getVMLogs")
    newest = await h.collect(h.c.vms.logs(vm_id, order="newest_first", batch=1000))
    assert newest == truth[::-1]
    assert h.emu.request_count("getVMLogs") - before == -(-len(truth) // 1000) + extra

    slow = await h.collect(h.c.vms.logs(vm_id, query="SLOW request"))  # default batch 100
    expected = [line for line in truth if "slow request" in line.message.casefold()]
    assert len(expected) > 1000
    assert slow == expected


async def test_max_items_and_resume_cursor(make_harness: MakeHarness) -> None:
    h = make_harness(timings=DENSE)
    vm_id, truth = await dense_vm(h)
    first_it = h.c.vms.logs(vm_id, batch=1000, max_items=2_500)
    first = await h.collect(first_it)
    assert first == truth[:2_500]
    assert first_it.cursor is not None
    second_it = h.c.vms.logs(vm_id, cursor=first_it.cursor, max_items=5_000)
    second = await h.collect(second_it)
    rest = await h.collect(h.c.vms.logs(vm_id, cursor=second_it.cursor))
    assert first + second + rest == truth


async def test_follow_sees_every_line_and_ends_when_the_vm_stops(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(boot=3.0, log_interval=0.5))
    vm = await h.call(h.c.vms.start(image_id=await h.image()))
    got: list[LogLine] = []
    stop_sent_at = None
    iterator = h.c.vms.logs(vm.id, follow=True)

    async def on_line(line: LogLine) -> None:
        nonlocal stop_sent_at
        got.append(line)
        if stop_sent_at is None and sum(ln.message.startswith("[app]") for ln in got) == 40:
            stop_sent_at = len(got)
            await h.call(h.c.vms.stop(vm.id))

    if isinstance(h.client, AsyncCakework):
        async for line in iterator:
            await on_line(line)
    else:
        for line in iterator:
            await on_line(line)

    assert stop_sent_at is not None  # lines arrived live, while the VM was running
    truth = await h.collect(h.c.vms.logs(vm.id))
    assert got == truth
    assert got[-1].message == "Received stop request, shutting down"
    # the three boot lines share one millisecond
    assert len({line.timestamp_ms for line in got[:3]}) == 1
    assert sum(1 for line in got if line.message.startswith("[app]")) >= 40


async def test_follow_can_be_closed_by_the_caller(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(boot=1.0, log_interval=0.5))
    vm = await h.call(h.c.vms.start(image_id=await h.image()))
    iterator = h.c.vms.logs(vm.id, follow=True)
    got = await h.collect_closing(iterator, after=10)
    assert len(got) == 10
    requests = h.emu.request_count()
    assert await h.collect(iterator) == []
    assert h.emu.request_count() == requests  # closed: nothing more is fetched
    assert (await h.call(h.c.vms.get(vm.id))).state == "started"


@pytest.mark.parametrize("follow", [False, True], ids=["read", "follow"])
async def test_close_inside_the_loop_ends_it_in_the_middle_of_a_page(
    make_harness: MakeHarness, follow: bool
) -> None:
    # The first page holds 500 lines, which go out with no check per line; close()
    # after the 10th must still end the loop there, not at the end of the page.
    h = make_harness(timings=DENSE)
    vm_id, truth = await dense_vm(h)
    iterator = h.c.vms.logs(vm_id, batch=500, follow=follow)
    got = await h.collect_closing(iterator, after=10)
    assert got == truth[:10]
    requests = h.emu.request_count()
    assert await h.collect(iterator) == []
    assert h.emu.request_count() == requests


async def test_follow_build_logs_until_the_build_finishes(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(build_step=7.0))
    dockerfile = "FROM python:3.11-slim\n" + "".join(f"RUN echo {i}\n" for i in range(12))
    build_id = await h.build(dockerfile)
    followed = await h.collect(h.c.images.build_logs(build_id, follow=True))
    assert (await h.call(h.c.images.get_build(build_id))).status == "succeeded"
    assert followed == await h.collect(h.c.images.build_logs(build_id))
    assert followed[-1].message.startswith("Pushing image")


async def test_follow_needs_oldest_first(make_harness: MakeHarness) -> None:
    h = make_harness()
    with pytest.raises(InvalidParameterError):
        h.c.vms.logs("vm-x", order="newest_first", follow=True)
    with pytest.raises(InvalidParameterError):
        h.c.images.build_logs("b-x", batch=10)
    assert h.emu.request_count() == 0


async def test_list_vms_across_pages(make_harness: MakeHarness) -> None:
    h = make_harness(page_size=5)
    image_id = await h.image()
    ids = [(await h.call(h.c.vms.start(image_id=image_id))).id for _ in range(12)]
    for vm_id in ids[:2]:
        await h.call(h.c.vms.stop(vm_id))
    listed = await h.collect(h.c.vms.list())
    assert sorted(vm.id for vm in listed) == sorted(ids)
    assert h.emu.request_count("listVMs") == 3
    stopped = await h.collect(h.c.vms.list(status="stopped"))
    assert sorted(vm.id for vm in stopped) == sorted(ids[:2])
    assert await h.collect(h.c.vms.list(image_id="nope")) == []


async def test_cached_vm_logs(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(boot=1.0, log_interval=1.0))
    cached = await h.call(h.c.cached_vms.create(image_id=await h.image()))
    await h.call(h.c.cached_vms.start(cached.id))
    h.emu.advance(10.5)
    lines = await h.collect(h.c.cached_vms.logs(cached.id))
    assert lines == await h.collect(h.c.vms.logs(cached.id))
    assert any(line.message.startswith("[app]") for line in lines)


async def test_pages_hand_out_the_same_lines_a_response_at_a_time(
    make_harness: MakeHarness,
) -> None:
    h = make_harness(timings=DENSE)
    vm_id, truth = await dense_vm(h)
    before = h.emu.request_count("getVMLogs")
    pages = await h.collect(h.c.vms.logs(vm_id, batch=1000).pages())
    assert [line for page in pages for line in page] == truth
    assert [len(page) for page in pages[:-1]] == [1000] * (len(pages) - 1)
    assert h.emu.request_count("getVMLogs") - before == len(pages)
    assert all(isinstance(page, tuple) and page for page in pages)

    # max_items cuts the last page short; the cursor continues after it.
    reader = h.c.vms.logs(vm_id, batch=1000, max_items=2_500)
    assert [len(page) for page in await h.collect(reader.pages())] == [1000, 1000, 500]
    rest = await h.collect(h.c.vms.logs(vm_id, cursor=reader.cursor).pages())
    assert [line for page in rest for line in page] == truth[2_500:]


async def test_pages_of_a_follow_and_of_a_vm_list(make_harness: MakeHarness) -> None:
    h = make_harness(timings=Timings(boot=3.0, log_interval=0.5), page_size=5)
    vm = await h.call(h.c.vms.start(image_id=await h.image()))
    got: list[LogLine] = []
    reader = h.c.vms.logs(vm.id, follow=True).pages()

    async def on_page(page: tuple[LogLine, ...]) -> None:
        assert page
        got.extend(page)
        running = got[-1].message != "Received stop request, shutting down"
        if len(got) >= 40 and running and (await h.call(h.c.vms.get(vm.id))).state == "started":
            await h.call(h.c.vms.stop(vm.id))

    if isinstance(h.client, AsyncCakework):
        async for page in reader:
            await on_page(page)
    else:
        for page in reader:
            await on_page(page)
    assert got == await h.collect(h.c.vms.logs(vm.id))  # every line once, in order

    image_id = await h.image()
    ids = {(await h.call(h.c.vms.start(image_id=image_id))).id for _ in range(7)}
    pages = await h.collect(h.c.vms.list(image_id=image_id).pages())
    assert [len(page) for page in pages] == [5, 2]
    assert {listed.id for page in pages for listed in page} == ids
