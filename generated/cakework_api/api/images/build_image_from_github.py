from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.build import Build
from ...models.build_from_github_request import BuildFromGithubRequest
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    *,
    body: BuildFromGithubRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/image/build/github",
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
    body: BuildFromGithubRequest,
) -> Response[Build | ErrorBody]:
    """Build an image from a GitHub repository

     Starts an image build from a branch of a GitHub repository, using a Dockerfile
    (and optionally a .dockerignore) that you supply, so your user never has to see
    them. `token` is the token your GitHub App obtained for the user's repository.
    The call returns at once with a build in status `created`; poll `getBuild` until
    it is `succeeded` or `failed`. Each call starts a new build.

    Args:
        body (BuildFromGithubRequest): A Dockerfile and the GitHub branch it builds from.

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
    body: BuildFromGithubRequest,
) -> Build | ErrorBody | None:
    """Build an image from a GitHub repository

     Starts an image build from a branch of a GitHub repository, using a Dockerfile
    (and optionally a .dockerignore) that you supply, so your user never has to see
    them. `token` is the token your GitHub App obtained for the user's repository.
    The call returns at once with a build in status `created`; poll `getBuild` until
    it is `succeeded` or `failed`. Each call starts a new build.

    Args:
        body (BuildFromGithubRequest): A Dockerfile and the GitHub branch it builds from.

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
    body: BuildFromGithubRequest,
) -> Response[Build | ErrorBody]:
    """Build an image from a GitHub repository

     Starts an image build from a branch of a GitHub repository, using a Dockerfile
    (and optionally a .dockerignore) that you supply, so your user never has to see
    them. `token` is the token your GitHub App obtained for the user's repository.
    The call returns at once with a build in status `created`; poll `getBuild` until
    it is `succeeded` or `failed`. Each call starts a new build.

    Args:
        body (BuildFromGithubRequest): A Dockerfile and the GitHub branch it builds from.

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
    body: BuildFromGithubRequest,
) -> Build | ErrorBody | None:
    """Build an image from a GitHub repository

     Starts an image build from a branch of a GitHub repository, using a Dockerfile
    (and optionally a .dockerignore) that you supply, so your user never has to see
    them. `token` is the token your GitHub App obtained for the user's repository.
    The call returns at once with a build in status `created`; poll `getBuild` until
    it is `succeeded` or `failed`. Each call starts a new build.

    Args:
        body (BuildFromGithubRequest): A Dockerfile and the GitHub branch it builds from.

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
