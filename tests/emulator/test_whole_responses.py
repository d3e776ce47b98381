"""Each emulator response leaves in one TCP segment: a client reading it wakes up once."""

from __future__ import annotations

import socket

import httpx

from cakework.testing import Emulator

ECR = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:latest"


def test_head_and_body_arrive_in_the_first_read() -> None:
    with Emulator() as emu:
        with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
            image = http.post("/image/import", json={"imageUri": ECR, "password": "pw"})
            vm_id = http.post("/vm/start", json={"imageId": image.json()["imageId"]}).json()["id"]
        url = httpx.URL(emu.base_url)
        assert url.port is not None
        with socket.create_connection((url.host, url.port), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pieces = []
            for n in range(50):
                request = f"GET /v1/vm/{vm_id}?n={n} HTTP/1.1\r\nHost: emulator\r\n"
                sock.sendall(f"{request}X-Api-Key: {emu.api_key}\r\n\r\n".encode())
                # Read at once: written apart, the head usually arrives alone first.
                first = sock.recv(65536)
                head, _, body = first.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                count = 1
                while len(body) < length:
                    body += sock.recv(65536)
                    count += 1
                assert head.startswith(b"HTTP/1.1 200 ")
                assert vm_id.encode() in body
                pieces.append(count)
    assert pieces == [1] * 50
