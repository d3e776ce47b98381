"""Each error class against the emulator: injected statuses with JSON, empty and HTML
bodies, the emulator's own refusals, and invalid 2xx bodies. Both clients."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest

from cakework import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CakeworkError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
)
from cakework.testing import Emulator

from .conftest import MakeClient, Runner

STATUS_CLASSES: list[tuple[int, type[APIStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, APIStatusError),
    (404, NotFoundError),
    (409, ConflictError),
    (429, RateLimitError),
    (500, InternalServerError),
    (520, InternalServerError),
    (599, InternalServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
@pytest.mark.parametrize("body", ["json", "empty", "html"])
async def test_injected_status_maps_to_its_class(
    emu: Emulator, make_client: MakeClient, status: int, cls: type[APIStatusError], body: str
) -> None:
    client = make_client(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    emu.inject("getBuild", status=status, body=body)  # type: ignore[arg-type]
    with pytest.raises(APIStatusError) as info:
        await client.call(client.c.images.get_build("b-1"))
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.operation == "getBuild"
    if body == "json":
        assert "injected fault" in error.message
        assert error.body.startswith("{")
    elif body == "html":
        assert error.body.startswith("<html>")
        assert "<" not in error.message  # the status phrase, not the markup
    else:
        assert error.body == ""
    if body != "json":
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = None
        assert error.message
        if phrase is not None:
            assert error.message == phrase
    assert str(status) in str(error)
    if cls is RateLimitError:
        assert isinstance(error, RateLimitError)
        assert error.retry_after == 1.0


async def test_emulator_refusals_carry_its_messages(client: Runner, emu: Emulator) -> None:
    c, run = client.c, client.call
    # A URI outside the spec's pattern is refused by the client (nothing sent), so the
    # emulator's 400 is injected here.
    emu.inject("importImage", "error", status=400)
    with pytest.raises(BadRequestError) as bad:
        await run(
            c.images.import_image(
                image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/app", password="p"
            )
        )
    assert bad.value.message
    assert bad.value.body.startswith('{"error"')
    with pytest.raises(NotFoundError) as missing:
        await run(c.vms.get("no-such-vm"))
    assert missing.value.status_code == 404
    image = await run(
        c.images.import_image(
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/app", password="p"
        )
    )
    vm = await run(c.vms.start(image_id=image.image_id))
    emu.advance(30)
    await run(c.vms.stop(vm.id))
    with pytest.raises(ConflictError):
        await run(c.vms.stop(vm.id))  # a first-attempt 409 is a real conflict


@pytest.mark.parametrize("kind", ["truncated", "invalid"])
async def test_invalid_2xx_json_is_response_validation_error(
    client: Runner, emu: Emulator, kind: str
) -> None:
    emu.inject("listVMs", "bad_json", bad_json=kind)  # type: ignore[arg-type]
    with pytest.raises(ResponseValidationError) as info:
        await client.call(client.c.vms.list_page())
    assert info.value.operation == "listVMs"
    assert info.value.body
    assert isinstance(info.value, CakeworkError)
    assert emu.request_count("listVMs") == 1


async def test_client_side_validation_sends_nothing(client: Runner, emu: Emulator) -> None:
    c = client.c
    calls: list[Callable[[], Any]] = [
        lambda: c.vms.start(image_id="i", cpu=0),
        lambda: c.vms.start(image_id="i", memory=100),
        lambda: c.vms.start(image_id="i", volume_gb=0),
        lambda: c.cached_vms.create(image_id="i", disk_size=501),
        lambda: c.images.get_build_logs("b", batch=10),
        lambda: c.vms.get_logs("v", order="sideways"),
        lambda: c.vms.list_page(status="running"),
        lambda: c.vms.get(""),
        lambda: c.cached_vms.destroy(""),
    ]
    for call in calls:
        with pytest.raises(InvalidParameterError) as info:
            await client.call(call())
        assert isinstance(info.value, ValueError)
    assert emu.request_count() == 0
