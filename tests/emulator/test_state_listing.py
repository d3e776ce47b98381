"""listVMs pages through a creation-ordered index: same pages as a full scan, O(page) work."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cakework.testing._clock import ManualClock
from cakework.testing._state import Backend, VMRecord

ECR = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:latest"


def _scan(
    backend: Backend, key: str, image_id: str | None = None, status: str | None = None
) -> list[str]:
    # The definition: every VM of the tenant, newest first, filtered.
    tenant = backend.tenant(key)
    now = backend.clock.now()
    return [
        vm.vm_id
        for vm in sorted(tenant.vms.values(), key=lambda v: v.seq, reverse=True)
        if (image_id is None or vm.image_id == image_id)
        and (status is None or vm.state(now) == status)
    ]


def _pages(backend: Backend, key: str, **filters: Any) -> list[list[str]]:
    pages = []
    token = None
    while True:
        body = backend.list_vms(key, pagination=token, **filters)
        pages.append([vm["id"] for vm in body["vms"]])
        token = body.get("pagination")
        if token is None:
            return pages


@pytest.mark.parametrize("seed", range(5))
def test_pages_are_the_scan_cut_into_pages_through_sweeps_and_tenants(seed: int) -> None:
    rng = random.Random(seed)
    backend = Backend(("a", "b"), ManualClock(), page_size=4, retain_destroyed=3)
    images = {
        key: [backend.import_image(key, image_uri=ECR, password="pw")["imageId"] for _ in "12"]
        for key in ("a", "b")
    }
    live: dict[str, list[str]] = {"a": [], "b": []}
    for _ in range(120):
        key = rng.choice("ab")
        roll = rng.random()
        if roll < 0.6 or not live[key]:
            vm = backend.start_vm(key, image_id=rng.choice(images[key]))
            live[key].append(vm["id"])
        elif roll < 0.9:
            # stopped, later destroyed and, past three, forgotten by a sweep
            backend.stop_vm(key, live[key].pop(rng.randrange(len(live[key]))))
        else:
            backend.clock.advance(rng.choice([1.0, 30.0]))
        if rng.random() < 0.2:
            for filters in ({}, {"status": "started"}, {"image_id": images[key][0]}):
                pages = _pages(backend, key, **filters)
                assert [vm for page in pages for vm in page] == _scan(backend, key, **filters)
                assert all(len(page) == 4 for page in pages[:-1])
    assert backend.tenant("a").forgotten_vms + backend.tenant("b").forgotten_vms > 0


def test_a_page_looks_at_the_vms_it_holds_and_one_more(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = Backend(("a",), ManualClock(), page_size=5)
    image = backend.import_image("a", image_uri=ECR, password="pw")["imageId"]
    for _ in range(2_000):
        backend.start_vm("a", image_id=image)
    looked = 0
    state = VMRecord.state

    def counting(vm: VMRecord, now: float) -> str:
        nonlocal looked
        looked += 1
        return state(vm, now)

    monkeypatch.setattr(VMRecord, "state", counting)
    token = None
    for _ in range(50):
        looked = 0
        body = backend.list_vms("a", status="created", pagination=token)
        assert len(body["vms"]) == 5
        # the page's five and the one that says a cursor is due; never the other 1,994
        assert looked == 6
        token = body["pagination"]
