from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.start_vm_request import StartVMRequest
from ...models.vm import VM
from ...types import Response


def _get_kwargs(
    *,
    body: StartVMRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/vm/start",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | VM | None:
    if response.status_code == 200:
        response_200 = VM.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = ErrorBody.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = ErrorBody.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | VM]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StartVMRequest,
) -> Response[ErrorBody | VM]:
    """Start a one-time VM from an image

     Creates and boots a new VM from an image. The VM is returned at once, usually in
    state `created`; it becomes `started` after a cold start of several seconds,
    depending on the image size. Each VM runs in its own network. Each call creates
    a new VM that runs, and is billed, until it is stopped. The service defaults to
    1 CPU and 256 MB when `cpu` and `memory` are left out.

    Args:
        body (StartVMRequest): What to start. CPU and memory default to 1 and 256 on the service.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VM]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: StartVMRequest,
) -> ErrorBody | VM | None:
    """Start a one-time VM from an image

     Creates and boots a new VM from an image. The VM is returned at once, usually in
    state `created`; it becomes `started` after a cold start of several seconds,
    depending on the image size. Each VM runs in its own network. Each call creates
    a new VM that runs, and is billed, until it is stopped. The service defaults to
    1 CPU and 256 MB when `cpu` and `memory` are left out.

    Args:
        body (StartVMRequest): What to start. CPU and memory default to 1 and 256 on the service.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VM
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StartVMRequest,
) -> Response[ErrorBody | VM]:
    """Start a one-time VM from an image

     Creates and boots a new VM from an image. The VM is returned at once, usually in
    state `created`; it becomes `started` after a cold start of several seconds,
    depending on the image size. Each VM runs in its own network. Each call creates
    a new VM that runs, and is billed, until it is stopped. The service defaults to
    1 CPU and 256 MB when `cpu` and `memory` are left out.

    Args:
        body (StartVMRequest): What to start. CPU and memory default to 1 and 256 on the service.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VM]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: StartVMRequest,
) -> ErrorBody | VM | None:
    """Start a one-time VM from an image

     Creates and boots a new VM from an image. The VM is returned at once, usually in
    state `created`; it becomes `started` after a cold start of several seconds,
    depending on the image size. Each VM runs in its own network. Each call creates
    a new VM that runs, and is billed, until it is stopped. The service defaults to
    1 CPU and 256 MB when `cpu` and `memory` are left out.

    Args:
        body (StartVMRequest): What to start. CPU and memory default to 1 and 256 on the service.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VM
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
