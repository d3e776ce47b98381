from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cakework.testing import Emulator

ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest"
DOCKERFILE = (
    "FROM python:3.11-slim\n"
    "COPY app.py /app/app.py\n"
    "RUN pip install flask\n"
    'CMD ["python", "/app/app.py"]\n'
)
APP_FILES = [{"dir": ".", "name": "app.py", "content": "print('hi')"}]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """One server per module (start-up costs ~50 ms); ``emu`` resets it per test."""
    with Emulator(("key-a", "key-b"), manual_clock=True, page_size=3) as emulator:
        yield emulator


@pytest.fixture
def emu(server: Emulator) -> Emulator:
    server.reset()
    return server


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_key}) as http:
        yield http


@pytest.fixture
def other(emu: Emulator) -> Iterator[httpx.Client]:
    """A client of the second tenant."""
    with httpx.Client(base_url=emu.base_url, headers={"X-Api-Key": emu.api_keys[1]}) as http:
        yield http


def import_image(client: httpx.Client) -> str:
    response = client.post("/image/import", json={"imageUri": ECR_URI, "password": "pw"})
    assert response.status_code == 200, response.text
    image_id: str = response.json()["imageId"]
    return image_id


def start_vm(client: httpx.Client, image_id: str | None = None, **fields: object) -> str:
    body = {"imageId": image_id or import_image(client), **fields}
    response = client.post("/vm/start", json=body)
    assert response.status_code == 200, response.text
    vm_id: str = response.json()["id"]
    return vm_id
