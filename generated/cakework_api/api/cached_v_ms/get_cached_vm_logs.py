from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cached_vm_logs import CachedVMLogs
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    cached_vm_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/vm/cached/{cached_vm_id}/logs".format(
            cached_vm_id=quote(str(cached_vm_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CachedVMLogs | ErrorBody | None:
    if response.status_code == 200:
        response_200 = CachedVMLogs.from_dict(response.json())

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
) -> Response[CachedVMLogs | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[CachedVMLogs | ErrorBody]:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CachedVMLogs | ErrorBody]
    """

    kwargs = _get_kwargs(
        cached_vm_id=cached_vm_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> CachedVMLogs | ErrorBody | None:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CachedVMLogs | ErrorBody
    """

    return sync_detailed(
        cached_vm_id=cached_vm_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[CachedVMLogs | ErrorBody]:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CachedVMLogs | ErrorBody]
    """

    kwargs = _get_kwargs(
        cached_vm_id=cached_vm_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> CachedVMLogs | ErrorBody | None:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CachedVMLogs | ErrorBody
    """

    return (
        await asyncio_detailed(
            cached_vm_id=cached_vm_id,
            client=client,
        )
    ).parsed
