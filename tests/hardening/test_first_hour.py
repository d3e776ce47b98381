"""The seven first-hour items of the hardening issue, one test (or more) each.

Item 5 (``build_from_files`` with the API's JSON shape) is in ``test_inputs``; item 7 (the
README) in ``test_readme_claims``.
"""

from __future__ import annotations

import asyncio
import inspect
import pydoc
import threading
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from cakework import AsyncCakework, BuildFailedError, Cakework, NotFoundError
from cakework.testing import Emulator

from .._signals import ctrl_c_presses
from ._wire import BASE_URL, FakeApi, happy

# --- 1. a second Ctrl-C gives up at once ---------------------------------------------------


@pytest.fixture
def ctrl_c() -> Iterator[Callable[[], None]]:
    """``press()`` sends SIGINT to the main thread (see ``tests/_signals.py``)."""
    with ctrl_c_presses() as press:
        yield press


def test_second_ctrl_c_during_a_slow_stop_exits_at_once(ctrl_c: Callable[[], None]) -> None:
    """Ctrl-C in the body starts the stop; a second one while stopVM hangs ends ``run``.

    The order is fixed, nothing is timed: stopVM's "network" presses Ctrl-C and then holds
    the answer until the test releases it, after ``run`` has exited.
    """
    release = threading.Event()
    stop_answered = threading.Event()

    def respond(operation: str, request: httpx.Request, api: FakeApi) -> httpx.Response:
        if operation == "stopVM":
            ctrl_c()  # the second Ctrl-C, while the stop is in flight
            release.wait(30)
            stop_answered.set()
        return happy(operation, request, api)

    api = FakeApi(respond=respond)
    client = Cakework(api_key="k" * 16, base_url=BASE_URL, http_client=api.sync_client())

    def body() -> None:
        with client.vms.run(image_id="img1"):
            raise KeyboardInterrupt  # the first Ctrl-C, in the user's code

    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            body()
        assert not stop_answered.is_set(), "run waited for the stop after a second Ctrl-C"
        notes = "\n".join(getattr(caught.value, "__notes__", []))
        assert "vm1" in notes
        assert "may still be running" in notes
        assert "client.vms.stop('vm1')" in notes
    finally:
        release.set()
        client.close()


def test_second_ctrl_c_while_a_pool_closes_exits_at_once(ctrl_c: Callable[[], None]) -> None:
    """The pool keeps the same promise: Ctrl-C in the body, a second one during close."""
    release = threading.Event()
    destroy_answered = threading.Event()

    def respond(operation: str, request: httpx.Request, api: FakeApi) -> httpx.Response:
        if operation == "destroyCachedVM":
            ctrl_c()
            release.wait(30)
            destroy_answered.set()
        return happy(operation, request, api)

    api = FakeApi(respond=respond)
    client = Cakework(api_key="k" * 16, base_url=BASE_URL, http_client=api.sync_client())

    def body() -> None:
        with client.cached_vms.pool(image_id="img1", size=1):
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            body()
        assert not destroy_answered.is_set(), "close waited after a second Ctrl-C"
        notes = "\n".join(getattr(caught.value, "__notes__", []))
        assert "c1" in notes
        assert "client.cached_vms.destroy" in notes
    finally:
        release.set()
        client.close()


def test_first_ctrl_c_during_stop_still_waits_for_the_answer(
    ctrl_c: Callable[[], None],
) -> None:
    """One Ctrl-C (arriving while stopVM is in flight) keeps the old promise."""
    stop_answered = threading.Event()

    def respond(operation: str, request: httpx.Request, api: FakeApi) -> httpx.Response:
        if operation == "stopVM":
            ctrl_c()
            stop_answered.set()
        return happy(operation, request, api)

    api = FakeApi(respond=respond)
    client = Cakework(api_key="k" * 16, base_url=BASE_URL, http_client=api.sync_client())
    with client, pytest.raises(KeyboardInterrupt), client.vms.run(image_id="img1"):
        pass
    assert stop_answered.is_set()
    assert api.operations.count("stopVM") == 1


# --- 2. a failed build explains itself -----------------------------------------------------


def test_uncaught_build_failure_names_the_step_and_the_last_lines() -> None:
    with Emulator(speed=1000) as emu, Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        build = c.images.build_from_files(
            dockerfile="FROM python:3.11-slim\nCOPY missing.py .\n", files=[]
        )
        with pytest.raises(BuildFailedError) as caught:
            c.images.wait_for_build(build.build_id)
    printed = "".join(traceback.format_exception_only(caught.value))
    assert "Step 2/2 : COPY missing.py ." in printed
    assert "file not found in build context" in printed  # the cause, from the log tail
    assert caught.value.failed_step == "Step 2/2 : COPY missing.py ."


# --- 3. a wrong base URL says so ----------------------------------------------------------


def test_base_url_without_v1_says_the_base_url_may_be_wrong() -> None:
    with Emulator() as emu:
        root = emu.base_url.removesuffix("/v1")
        c = Cakework(api_key=emu.api_key, base_url=root, max_retries=0)
        with c, pytest.raises(NotFoundError) as caught:
            c.vms.get("e784996f346483")
    message = str(caught.value)
    assert f"GET {root}/vm/e784996f346483" in message
    assert "base URL may be wrong" in message
    assert caught.value.method == "GET"
    assert caught.value.url == f"{root}/vm/e784996f346483"


def test_a_real_not_found_has_no_base_url_hint() -> None:
    with Emulator() as emu, Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        base_url = emu.base_url
        with pytest.raises(NotFoundError) as caught:
            c.vms.get("e784996f346483")
    assert "base URL" not in str(caught.value)
    assert f"GET {base_url}/vm/e784996f346483" in str(caught.value)


# --- 4. resources visible to help(), dir() and IDEs ---------------------------------------


@pytest.mark.parametrize("cls", [Cakework, AsyncCakework])
def test_help_and_dir_show_the_resources(cls: type) -> None:
    text = pydoc.plain(pydoc.render_doc(cls))
    for name in ("images", "vms", "cached_vms"):
        assert name in dir(cls)
        assert f"\n |  {name}\n |      " in text, f"help({cls.__name__}) lacks {name}"
        assert inspect.getdoc(getattr(cls, name)), f"{cls.__name__}.{name} has no docstring"


# --- 6. the three log readers take the same keywords ---------------------------------------


@pytest.mark.parametrize("cls", [Cakework, AsyncCakework])
def test_log_readers_have_the_same_keywords(cls: type) -> None:
    client = cls(api_key="k", base_url=BASE_URL)
    readers = [client.images.build_logs, client.vms.logs, client.cached_vms.logs]
    keywords = [
        [p.name for p in inspect.signature(r).parameters.values() if p.kind == p.KEYWORD_ONLY]
        for r in readers
    ]
    assert keywords[0] == keywords[1] == keywords[2]
    assert {"max_items", "cursor", "follow"} <= set(keywords[2])


def test_cached_vm_logs_max_items_cursor_and_follow() -> None:
    with Emulator(speed=1000) as emu, Cakework(api_key=emu.api_key, base_url=emu.base_url) as c:
        image = c.images.import_image(
            image_uri="123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1", password="pw"
        )
        cached = c.cached_vms.create(image_id=image.image_id)
        c.cached_vms.start(cached.id)
        c.cached_vms.wait_for_state(cached.id)
        everything = c.cached_vms.get_logs(cached.id)
        assert len(everything) >= 2
        first = c.cached_vms.logs(cached.id, max_items=1)
        assert list(first) == [everything[0]]
        assert first.cursor is not None
        rest = list(c.cached_vms.logs(cached.id, cursor=first.cursor))
        assert rest[: len(everything) - 1] == list(everything[1:])
        c.cached_vms.stop(cached.id)
        followed = list(c.cached_vms.logs(cached.id, follow=True))  # ends once stopped
        assert followed[: len(everything)] == list(everything)


async def test_second_cancellation_during_a_slow_stop_ends_at_once() -> None:
    """The asyncio twin: the task is cancelled in the body, then again during stopVM."""
    stop_in_flight = asyncio.Event()
    release = asyncio.Event()
    stop_answered = asyncio.Event()
    api = FakeApi()

    async def handler(request: httpx.Request) -> httpx.Response:
        response = api(request)
        if api.operations[-1] == "stopVM":
            stop_in_flight.set()
            await release.wait()
            stop_answered.set()
        return response

    entered = asyncio.Event()
    client = AsyncCakework(
        api_key="k" * 16,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )

    seen: list[BaseException] = []

    async def body() -> None:
        try:
            async with client.vms.run(image_id="img1"):
                entered.set()
                await asyncio.Event().wait()  # until cancelled
        except BaseException as exc:  # awaiting a cancelled task drops the notes: keep them
            seen.append(exc)
            raise

    task = asyncio.create_task(body())
    try:
        await entered.wait()
        task.cancel()  # the first cancellation, in the user's code
        await stop_in_flight.wait()
        task.cancel()  # the second, while stopVM is in flight
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not stop_answered.is_set(), "run waited for the stop after a second cancel"
        notes = "\n".join(getattr(seen[0], "__notes__", []))
        assert "client.vms.stop('vm1')" in notes
    finally:
        release.set()
        await client.aclose()
