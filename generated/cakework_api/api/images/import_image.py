from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
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
) -> ErrorBody | Image | None:
    if response.status_code == 200:
        response_200 = Image.from_dict(response.json())

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
) -> Response[ErrorBody | Image]:
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
) -> Response[ErrorBody | Image]:
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
        Response[ErrorBody | Image]
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
) -> ErrorBody | Image | None:
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
        ErrorBody | Image
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ImportImageRequest,
) -> Response[ErrorBody | Image]:
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
        Response[ErrorBody | Image]
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
) -> ErrorBody | Image | None:
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
        ErrorBody | Image
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
