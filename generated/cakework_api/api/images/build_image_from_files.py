from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.build import Build
from ...models.build_from_files_request import BuildFromFilesRequest
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    *,
    body: BuildFromFilesRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/image/build/files",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Build | ErrorBody | None:
    if response.status_code == 200:
        response_200 = Build.from_dict(response.json())

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
) -> Response[Build | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BuildFromFilesRequest,
) -> Response[Build | ErrorBody]:
    """Build an image from uploaded files

     Starts an image build from a Dockerfile and a list of files whose contents travel
    as strings. The call returns at once with a build in status `created`; the build
    runs in the background. Poll `getBuild` until the status is `succeeded` (the build
    then carries `imageId`) or `failed` (the reason is in the build logs).
    Each call starts a new build.

    Args:
        body (BuildFromFilesRequest): A Dockerfile and the files it builds from.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Build | ErrorBody]
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
    body: BuildFromFilesRequest,
) -> Build | ErrorBody | None:
    """Build an image from uploaded files

     Starts an image build from a Dockerfile and a list of files whose contents travel
    as strings. The call returns at once with a build in status `created`; the build
    runs in the background. Poll `getBuild` until the status is `succeeded` (the build
    then carries `imageId`) or `failed` (the reason is in the build logs).
    Each call starts a new build.

    Args:
        body (BuildFromFilesRequest): A Dockerfile and the files it builds from.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Build | ErrorBody
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BuildFromFilesRequest,
) -> Response[Build | ErrorBody]:
    """Build an image from uploaded files

     Starts an image build from a Dockerfile and a list of files whose contents travel
    as strings. The call returns at once with a build in status `created`; the build
    runs in the background. Poll `getBuild` until the status is `succeeded` (the build
    then carries `imageId`) or `failed` (the reason is in the build logs).
    Each call starts a new build.

    Args:
        body (BuildFromFilesRequest): A Dockerfile and the files it builds from.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Build | ErrorBody]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: BuildFromFilesRequest,
) -> Build | ErrorBody | None:
    """Build an image from uploaded files

     Starts an image build from a Dockerfile and a list of files whose contents travel
    as strings. The call returns at once with a build in status `created`; the build
    runs in the background. Poll `getBuild` until the status is `succeeded` (the build
    then carries `imageId`) or `failed` (the reason is in the build logs).
    Each call starts a new build.

    Args:
        body (BuildFromFilesRequest): A Dockerfile and the files it builds from.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Build | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
