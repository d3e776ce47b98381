from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.image import Image
from ...models.import_image_request import ImportImageRequest
from ...types import Response


def _get_kwargs(
    *,
    body: ImportImageRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/image/import",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Image | None:
    if response.status_code == 200:
        response_200 = Image.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Image]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ImportImageRequest,
) -> Response[Error | Image]:
    """Import an image from AWS ECR

     Imports an existing container image from an AWS ECR repository and returns the id
    under which Cakework knows it. The URI has the ECR shape
    `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]`; the password is
    the registry password (for example the output of `aws ecr get-login-password`).
    Every call imports again and returns a new image id.

    Args:
        body (ImportImageRequest): An ECR image to import.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Image]
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
    body: ImportImageRequest,
) -> Error | Image | None:
    """Import an image from AWS ECR

     Imports an existing container image from an AWS ECR repository and returns the id
    under which Cakework knows it. The URI has the ECR shape
    `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]`; the password is
    the registry password (for example the output of `aws ecr get-login-password`).
    Every call imports again and returns a new image id.

    Args:
        body (ImportImageRequest): An ECR image to import.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Image
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ImportImageRequest,
) -> Response[Error | Image]:
    """Import an image from AWS ECR

     Imports an existing container image from an AWS ECR repository and returns the id
    under which Cakework knows it. The URI has the ECR shape
    `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]`; the password is
    the registry password (for example the output of `aws ecr get-login-password`).
    Every call imports again and returns a new image id.

    Args:
        body (ImportImageRequest): An ECR image to import.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Image]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ImportImageRequest,
) -> Error | Image | None:
    """Import an image from AWS ECR

     Imports an existing container image from an AWS ECR repository and returns the id
    under which Cakework knows it. The URI has the ECR shape
    `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]`; the password is
    the registry password (for example the output of `aws ecr get-login-password`).
    Every call imports again and returns a new image id.

    Args:
        body (ImportImageRequest): An ECR image to import.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Image
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
