"""How to test your own code against ``cakework.testing`` with pytest.

The ``emulator`` extra (``pip install 'cakework-client[emulator] @ <wheel or repository>'``)
registers the ``cakework_emulator`` fixture:
a real Cakework emulator on 127.0.0.1, fresh for each test and stopped after it. Point
your code at ``emulator.base_url`` with ``emulator.api_key`` and assert on what happened,
including what the emulator counted. Run with ``pytest examples/test_my_app.py``.
"""

from __future__ import annotations

import pytest

from cakework import BuildFile, Cakework
from cakework.testing import Emulator

# ---- the code under test: what a user's product might do -------------------------------


def deploy_snippet(client: Cakework, source: str) -> str:
    """Build an image running ``source`` and return the id of a started VM."""
    build = client.images.build_from_files(
        dockerfile='FROM python:3.11-slim\nCOPY main.py .\nCMD ["python", "main.py"]\n',
        files=[BuildFile(dir=".", name="main.py", content=source)],
    )
    image_id = client.images.wait_for_build(build.build_id, timeout=600).image_id
    assert image_id is not None
    vm = client.vms.start(image_id=image_id, memory=512)
    return client.vms.wait_for_state(vm.id, "started", timeout=120).id


# ---- the tests --------------------------------------------------------------------------


@pytest.mark.cakework_emulator(speed=50)  # emulator time runs 50x faster than real time
def test_deploy_snippet_starts_exactly_one_vm(cakework_emulator: Emulator) -> None:
    with Cakework(api_key=cakework_emulator.api_key, base_url=cakework_emulator.base_url) as c:
        vm_id = deploy_snippet(c, "print('hi')")
        assert c.vms.get(vm_id).state == "started"
        assert c.vms.get(vm_id).memory == 512
    assert cakework_emulator.request_count("startVM") == 1


@pytest.mark.cakework_emulator(speed=50)
def test_deploy_snippet_survives_a_flaky_api(cakework_emulator: Emulator) -> None:
    # The next two getBuild calls fail with 503: the client retries them for you.
    cakework_emulator.inject("getBuild", "error", status=503, times=2)
    with Cakework(api_key=cakework_emulator.api_key, base_url=cakework_emulator.base_url) as c:
        vm_id = deploy_snippet(c, "print('hi')")
    assert vm_id
    assert cakework_emulator.request_count("startVM") == 1
