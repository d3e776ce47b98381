"""Each emulator response leaves in one write to its connection: head and body together.

Written apart (as uvicorn writes them), with TCP_NODELAY they leave as two segments: the
client wakes up twice per answer and the server pays two sends. Whether a reader sees
them apart depends on timing, so the test counts the writes that reach the connection's
transport on a real server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cakework.testing import Emulator, _server

ECR = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:latest"


class _Counting:
    """uvicorn's transport, with every write recorded."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(data)
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def test_each_response_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[bytes] = []
    joined_init = _server._Joined.__init__

    def counting_init(self: _server._Joined, transport: Any) -> None:
        joined_init(self, _Counting(transport, writes))

    monkeypatch.setattr(_server._Joined, "__init__", counting_init)
    with (
        Emulator() as emu,
        httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http,
    ):
        image = http.post("/image/import", json={"imageUri": ECR, "password": "pw"})
        vm_id = http.post("/vm/start", json={"imageId": image.json()["imageId"]}).json()["id"]
        writes.clear()
        for n in range(20):
            assert http.get(f"/vm/{vm_id}", params={"n": n}).status_code == 200
        assert http.post(f"/vm/{vm_id}/stop").status_code == 204  # no body at all
    assert len(writes) == 21
    for data in writes[:20]:
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert vm_id.encode() in body
    assert writes[20].startswith(b"HTTP/1.1 204 ")
