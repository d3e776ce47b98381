"""images.build_from_directory end to end against the emulator, sync and async.

The client talks real HTTP to the emulator on 127.0.0.1. An httpx request hook records
the buildImageFromFiles body as it leaves, so the test can check exactly which files were
sent; the emulator then shows they arrived: a build whose COPY sources were all sent
succeeds, and one that COPYs an ignored file fails with "file not found in build context".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cakework import AsyncCakework, Cakework
from cakework.errors import BuildContextError
from cakework.testing import Emulator

from ._helpers import MakeTree

DOCKERFILE = (
    "FROM python:3.11-slim\n"
    "COPY app /app\n"
    "COPY docs/keep.md /docs/\n"
    'CMD ["python", "/app/main.py"]\n'
)
# COPYs a file that .dockerignore excludes: Docker fails such a build, and so must ours.
DOCKERFILE_NEEDS_IGNORED = "FROM python:3.11-slim\nCOPY docs/notes.md /docs/\n"

EXPECTED = {
    ".dockerignore",
    "Dockerfile",
    "app/main.py",
    "app/util/helpers.py",
    "docs/keep.md",
}


def app_folder(make_tree: MakeTree) -> Path:
    return make_tree(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": (
                "# build context rules\n**/__pycache__\n**/*.md\n!docs/keep.md\nsecrets\n"
            ),
            "app/main.py": "from util.helpers import greet\nprint(greet())\n",
            "app/util/helpers.py": "def greet() -> str:\n    return 'hi'\n",
            "app/__pycache__/main.cpython-311.pyc": b"\xa7\r\r\n\x00\x00\x00\x00",
            "docs/keep.md": "# kept\n",
            "docs/notes.md": "ignored\n",
            "README.md": "ignored too\n",
            "secrets/token.txt": "s3cr3t\n",
            ".git/HEAD": "ref: refs/heads/main\n",
        }
    )


def sent_files(bodies: list[dict[str, Any]]) -> dict[str, str]:
    (body,) = bodies
    return {
        f["name"] if f["dir"] == "." else f"{f['dir']}/{f['name']}": f["content"]
        for f in body["files"]
    }


def log_text(client: Cakework, build_id: str) -> str:
    return "\n".join(line.message for line in client.images.get_build_logs(build_id).lines)


def test_sync_build_from_directory(make_tree: MakeTree, emu: Emulator) -> None:
    bodies: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/image/build/files"):
            bodies.append(json.loads(request.content))

    root = app_folder(make_tree)
    with (
        httpx.Client(event_hooks={"request": [record]}) as http,
        Cakework(api_key=emu.api_key, base_url=emu.base_url, http_client=http) as client,
    ):
        build = client.images.build_from_directory(root)
        assert build.status == "created"
        files = sent_files(bodies)
        assert set(files) == EXPECTED
        assert files["app/main.py"] == "from util.helpers import greet\nprint(greet())\n"
        assert bodies[0]["dockerfile"] == DOCKERFILE
        assert emu.request_count("buildImageFromFiles") == 1

        emu.advance(600)
        done = client.images.get_build(build.build_id)
        assert done.status == "succeeded", log_text(client, build.build_id)
        assert done.image_id is not None

        # Same folder, a Dockerfile that needs an ignored file: the emulator never got it.
        failing = client.images.build_from_directory(root, dockerfile=DOCKERFILE_NEEDS_IGNORED)
        emu.advance(600)
        assert client.images.get_build(failing.build_id).status == "failed"
        assert "stat docs/notes.md: file does not exist" in log_text(client, failing.build_id)


async def test_async_build_from_directory(make_tree: MakeTree, emu: Emulator) -> None:
    bodies: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/image/build/files"):
            bodies.append(json.loads(request.content))

    root = app_folder(make_tree)
    async with (
        httpx.AsyncClient(event_hooks={"request": [record]}) as http,
        AsyncCakework(api_key=emu.api_key, base_url=emu.base_url, http_client=http) as client,
    ):
        build = await client.images.build_from_directory(str(root))
        assert set(sent_files(bodies)) == EXPECTED
        assert emu.request_count("buildImageFromFiles") == 1

        emu.advance(600)
        done = await client.images.get_build(build.build_id)
        assert done.status == "succeeded"

        failing = await client.images.build_from_directory(
            root, dockerfile=DOCKERFILE_NEEDS_IGNORED
        )
        emu.advance(600)
        assert (await client.images.get_build(failing.build_id)).status == "failed"


def test_sync_refusal_sends_nothing(make_tree: MakeTree, emu: Emulator) -> None:
    root = app_folder(make_tree)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    with (
        Cakework(api_key=emu.api_key, base_url=emu.base_url) as client,
        pytest.raises(BuildContextError, match=r"logo\.png: binary"),
    ):
        client.images.build_from_directory(root)
    assert emu.request_count() == 0


async def test_async_refusal_sends_nothing(make_tree: MakeTree, emu: Emulator) -> None:
    root = make_tree({"app.py": "pass\n"})
    async with AsyncCakework(api_key=emu.api_key, base_url=emu.base_url) as client:
        with pytest.raises(BuildContextError, match="no Dockerfile"):
            await client.images.build_from_directory(root)
    assert emu.request_count() == 0
