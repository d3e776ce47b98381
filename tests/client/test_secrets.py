"""The API key, GitHub token and ECR password never show up in logs, reprs or errors.

A whole workflow runs with all logging captured at DEBUG, including failures (retries,
dropped connections, a server that echoes the request, a wrong key), then every log
record, every repr and every exception (message, repr, traceback with locals of our
frames) is searched for the secrets.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from cakework import BuildFile, CakeworkError
from cakework.testing import Emulator

from .conftest import MakeClient

API_KEY = "sk-live-7f3a-emulator-secret"
WRONG_KEY = "sk-wrong-19c2-secret"
TOKEN = "ghp_Secr3tT0kenValue"
PASSWORD = "ecr-Pa55word-value"
SECRETS = (API_KEY, WRONG_KEY, TOKEN, PASSWORD)
ECR_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"


@pytest.fixture(scope="module")
def secret_emulator() -> Any:
    with Emulator(api_keys=(API_KEY,), manual_clock=True) as emu:
        yield emu


def _our_frames_text(exc: BaseException) -> str:
    """Traceback text with locals, limited to our package's frames (not httpx's or the
    test's own, whose locals are the caller's plain strings)."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        tb = traceback.TracebackException.from_exception(seen, capture_locals=True)
        for frame in tb.stack:
            if "/overlays/cakework/" in frame.filename:
                parts.append(f"{frame.filename}:{frame.lineno} {frame.locals}")
        parts.append("".join(tb.format_exception_only()))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


async def test_no_secret_anywhere(
    secret_emulator: Emulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    emu = secret_emulator
    emu.reset()
    caplog.set_level(logging.DEBUG)  # root: ours, httpx, httpcore, the emulator's
    texts: list[str] = []
    errors: list[BaseException] = []

    async def attempt(call: Callable[[], Any]) -> Any:
        try:
            return await client.call(call())
        except CakeworkError as exc:
            errors.append(exc)
            return None

    client = make_client(base_url=emu.base_url, api_key=API_KEY, on_sleep=emu.advance)
    c = client.c
    emu.register_github_repo("acme/app", {"app.py": "print(1)"}, token=TOKEN)

    image = await attempt(lambda: c.images.import_image(image_uri=ECR_URI, password=PASSWORD))
    emu.inject("importImage", status=503)
    await attempt(lambda: c.images.import_image(image_uri=ECR_URI, password=PASSWORD))
    await attempt(lambda: c.images.import_image(image_uri="not-ecr", password=PASSWORD))  # 400
    emu.inject("buildImageFromGithub", "drop_after")
    await attempt(
        lambda: c.images.build_from_github(
            dockerfile="FROM python:3.11\n", repository="acme/app", branch="main", token=TOKEN
        )
    )
    build = await attempt(
        lambda: c.images.build_from_github(
            dockerfile="FROM python:3.11\n", repository="acme/app", branch="main", token=TOKEN
        )
    )
    await attempt(
        lambda: c.images.build_from_github(dockerfile="F", repository="a/b", branch="m", token="")
    )
    await attempt(
        lambda: c.images.build_from_files(dockerfile="FROM x\n", files=[BuildFile(".", "a", "b")])
    )
    emu.inject("getBuild", status=500, times=5)
    await attempt(lambda: c.images.get_build(build.build_id))
    vm = await attempt(lambda: c.vms.start(image_id=image.image_id, env_vars={"A": "b"}))
    emu.inject("stopVM", "drop_after")
    await attempt(lambda: c.vms.stop(vm.id))
    await attempt(lambda: c.vms.stop(vm.id))  # 409
    emu.inject("getVM", "bad_json")
    await attempt(lambda: c.vms.get(vm.id))
    await attempt(lambda: c.vms.start(image_id="x", cpu=99))

    wrong = make_client(base_url=emu.base_url, api_key=WRONG_KEY)
    await attempt(lambda: wrong.c.vms.list_page())
    closed = make_client(base_url="http://127.0.0.1:9/v1", api_key=API_KEY, max_retries=0)
    await attempt(lambda: closed.c.vms.get("v"))

    assert len(errors) >= 8
    texts += [repr(c), repr(wrong.c), repr(c.vms), repr(c.images), repr(c.cached_vms)]
    texts += [repr(c._api), repr(c._config), repr(c.with_options(timeout=1))]
    texts += [repr(image), repr(build), repr(vm)]
    for exc in errors:
        texts += [str(exc), repr(exc), repr(vars(exc)), _our_frames_text(exc)]
    for record in caplog.records:
        texts += [record.getMessage(), repr(vars(record))]
    assert any("importImage" in t or "/image/import" in t for t in texts)  # we did look
    assert any(r.name == "cakework" for r in caplog.records)
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in: {text[:300]}"
