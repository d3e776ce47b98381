"""The console as a person sees it: headless Chromium (Debian's) driven by Playwright.

The Python client makes a world first (a build, a VM taken through every state, a cached
VM, a getVM answered by an injected 503 and retried); the page must then show the build's
steps and log, the VM's timeline, the 503 row marked as injected and the API key masked.
axe-core (pinned in package.json) checks it at both sizes; clicking "Stop" must stop the VM
for the API too. Screenshots at 1280x800 and 390x844 go to test-artifacts/console/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from cakework import BuildFile, Cakework
from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
API_KEY = "console-secret-key-7Q2"
SECOND_KEY = "other-tenant-key-9F4"
ENV_SECRET = "hunter2-db-password"
DOCKERFILE = "FROM python:3.11-slim\nCOPY app.py .\nRUN pip install flask\nCMD python app.py\n"
# Chromium as Debian ships it: no sandbox (root in CI), nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "headless Chromium not found: install Debian's package `chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (.ci/run installs it)")
        pytest.skip(message)
    return found


@attrs.frozen
class World:
    emu: Emulator
    client: Cakework
    build_id: str
    finished_vm: str
    running_vm: str
    cached_vm: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator((API_KEY, SECOND_KEY), manual_clock=True) as emu:
        client = Cakework(api_key=API_KEY, base_url=emu.base_url, sleep=emu.advance)
        with client:
            build = client.images.build_from_files(
                dockerfile=DOCKERFILE,
                files=[BuildFile(dir=".", name="app.py", content="print('hi')\n")],
            )
            done = client.images.wait_for_build(build.build_id)
            assert done.image_id is not None
            with client.vms.run(image_id=done.image_id, cpu=2, memory=1024, port=8080) as vm:
                finished = vm.id
            emu.advance(5)  # a stopped one-time VM is destroyed shortly after
            assert client.vms.get(finished).state == "destroyed"
            running = client.vms.start(
                image_id=done.image_id, env_vars={"DB_PASSWORD": ENV_SECRET}
            ).id
            emu.inject("getVM", "error", status=503)
            assert client.vms.wait_for_state(running, "started").state == "started"
            cached = client.cached_vms.create(image_id=done.image_id, disk_size=10).id
            client.cached_vms.start(cached)
            emu.advance(5)
            yield World(emu, client, build.build_id, finished, running, cached)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _open(browser: Any, world: World, size: str) -> Any:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(world.emu.console_url)
    page.get_by_role("button", name=f"Show build {world.build_id}").wait_for()
    return page


def _axe(page: Any) -> list[dict[str, Any]]:
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make node`"
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_the_console_shows_builds_vms_requests_and_masks_secrets(
    browser: Any, world: World
) -> None:
    page = _open(browser, world, "desktop")
    try:
        builds = page.locator("section.builds")
        assert "succeeded" in builds.inner_text()
        page.get_by_role("button", name=f"Show build {world.build_id}").click()
        detail = page.locator("#build-detail")
        detail.get_by_text("Step 3/4 : RUN pip install flask").first.wait_for()
        log = detail.get_by_label("Build log").inner_text()
        assert "Step 1/4 : FROM python:3.11-slim" in log
        assert "Successfully built" in log
        assert "COPY app.py ." in detail.locator("pre").first.inner_text()  # the Dockerfile

        page.get_by_role("button", name=f"Show VM {world.finished_vm} and its requests").click()
        timeline = page.get_by_label("State timeline")
        timeline.get_by_text("destroyed").wait_for()
        states = [item.split()[0] for item in timeline.locator("li").all_inner_texts()]
        assert states == ["created", "started", "stopped", "destroyed"]
        times = timeline.locator("time").all_inner_texts()
        assert len(times) == 4
        assert all(len(t) == len("06:00:00.000") for t in times)
        # Clicking the VM filters the requests down to it.
        page.locator("#filter-resource").and_(page.get_by_role("searchbox")).wait_for()
        assert page.locator("#filter-resource").input_value() == world.finished_vm
        page.get_by_role("button", name="Show all requests").click()

        rows = page.locator("#requests-table tbody tr")
        injected = rows.filter(has_text="injected error 503")
        injected.first.wait_for()
        assert injected.count() == 1
        assert "getVM" in injected.first.inner_text()
        assert "503" in injected.first.inner_text()

        # The key is shown masked, and never whole; an env var value neither.
        assert page.locator("#tenant").inner_text().count("••••-7Q2") == 1
        start = rows.filter(has_text="startVM").filter(has_text="200")
        start.first.get_by_role("button").click()  # newest first: the second VM
        body = page.locator("#request-detail").inner_text()
        assert "DB_PASSWORD" in body
        assert "••••" in body
        html = page.content()
        assert API_KEY not in html
        assert SECOND_KEY not in html
        assert ENV_SECRET not in html

        # The download button gives the HAR file of the same requests.
        with page.expect_download() as download:
            page.get_by_role("link", name="Download HAR").click()
        assert download.value.suggested_filename == "cakework-emulator.har"
        har = json.loads(Path(download.value.path()).read_text())
        assert har["log"]["version"] == "1.2"
        assert [e["_operation"] for e in har["log"]["entries"]] == [
            e["_operation"] for e in world.emu.har()["log"]["entries"]
        ]

        # The other tenant sees none of it.
        page.get_by_label("Tenant").select_option(label="2: key ••••-9F4")
        page.locator("#builds-table").get_by_text("No build yet.").wait_for()
        page.locator("#vms-table").get_by_text("No VM yet.").wait_for()
        assert page.get_by_role("button", name=f"Show build {world.build_id}").count() == 0
    finally:
        page.close()


def test_the_console_passes_axe_and_reads_at_both_sizes(browser: Any, world: World) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        page = _open(browser, world, size)
        try:
            page.keyboard.press("Tab")  # the skip link comes first
            assert page.evaluate("document.activeElement.textContent") == "Skip to requests"
            # Every detail open, so that axe sees all the markup the page can show.
            build = page.get_by_role("button", name=f"Show build {world.build_id}")
            build.click()
            page.locator("#build-detail pre.log").wait_for()
            page.get_by_role("button", name=f"Show VM {world.running_vm} and its requests").click()
            page.get_by_label("State timeline").wait_for()
            injected = page.locator("#requests-table tbody tr").filter(has_text="injected")
            injected.get_by_role("button").click()
            page.locator("#request-detail").get_by_text("error 503").wait_for()
            violations = _axe(page)
            found = [(v["id"], [n["html"] for n in v["nodes"]][:3]) for v in violations]
            assert violations == [], found
            # No sideways scrolling at either size.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES[size][0]
            page.screenshot(path=str(ARTIFACTS / f"console-{size}-full.png"), full_page=True)
            # The first screen: the build list, the VM with its timeline, its requests.
            build.click()
            page.locator("#build-detail").wait_for(state="hidden")
            page.screenshot(path=str(ARTIFACTS / f"console-{size}.png"))
        finally:
            page.close()


def test_the_page_follows_a_running_build_and_a_new_vm_without_a_reload(
    browser: Any, world: World
) -> None:
    page = _open(browser, world, "desktop")
    try:
        build = world.client.images.build_from_files(
            dockerfile=DOCKERFILE,
            files=[BuildFile(dir=".", name="app.py", content="print('again')\n")],
        ).build_id
        page.get_by_role("button", name=f"Show build {build}").click()
        detail = page.locator("#build-detail")
        log = detail.get_by_label("Build log")
        log.get_by_text("Step 1/4 : FROM python:3.11-slim").wait_for()
        assert "Step 3/4" not in log.inner_text()
        assert "Status\ncreated" in detail.locator("dl").inner_text()
        world.emu.advance(2.5)  # two more steps written; the page polls them in
        log.get_by_text("Step 3/4 : RUN pip install flask").wait_for()
        world.emu.advance(10)
        detail.locator("dl").get_by_text("succeeded").wait_for()
        assert "Successfully built" in log.inner_text()
        image = world.client.images.get_build(build).image_id
        assert image is not None
        vm = world.client.cached_vms.create(image_id=image).id
        page.get_by_role("button", name=f"Show VM {vm} and its requests").wait_for()
    finally:
        page.close()


def test_stop_in_the_console_stops_the_vm_for_the_api(browser: Any, world: World) -> None:
    page = _open(browser, world, "desktop")
    try:
        stop = page.get_by_role("button", name=f"Stop VM {world.running_vm}")
        stop.focus()
        page.keyboard.press("Enter")  # keyboard-usable
        page.get_by_text(f"Stopped {world.running_vm}: now stopped.").wait_for()
        assert world.client.vms.get(world.running_vm).state == "stopped"
    finally:
        page.close()


def test_a_fault_injected_from_the_form_fails_the_next_request(browser: Any, world: World) -> None:
    page = _open(browser, world, "desktop")
    try:
        page.get_by_label("operation", exact=True).select_option("getBuild")
        page.get_by_label("kind", exact=True).select_option("error")
        page.get_by_label("status", exact=True).fill("502")
        assert page.get_by_label("seconds", exact=True).is_hidden()  # a latency option
        page.get_by_role("button", name="Inject fault").click()
        page.locator("#fault-list").get_by_text("getBuild").wait_for()
        with httpx.Client(base_url=world.emu.base_url, headers={"X-Api-Key": API_KEY}) as http:
            assert http.get(f"/image/build/{world.build_id}").status_code == 502
            assert http.get(f"/image/build/{world.build_id}").status_code == 200
        page.get_by_role("button", name="Clear all faults").click()
        page.locator("#fault-list").get_by_text("No fault is active.").wait_for()

        # The clock: manual here, so no speed control, and Advance moves it.
        assert page.get_by_text("Manual clock: it moves only when advanced.").is_visible()
        assert page.locator("#speed-form").is_hidden()
        before = world.emu.now()
        page.get_by_label("Advance by (seconds)").fill("7")
        page.get_by_label("Advance by (seconds)").press("Enter")
        page.locator("#clock-message").get_by_text("Advanced to").wait_for()
        assert world.emu.now() == before + 7
    finally:
        page.close()


def test_without_chromium_it_skips_naming_the_package_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Debian's package `chromium`"):
        _chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"\.ci/run installs it"):
        _chromium()
