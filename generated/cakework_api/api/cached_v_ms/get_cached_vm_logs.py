from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cached_vm_logs import CachedVMLogs
from ...models.error import Error
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
) -> CachedVMLogs | Error | None:
    if response.status_code == 200:
        response_200 = CachedVMLogs.from_dict(response.json())

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
) -> Response[CachedVMLogs | Error]:
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
) -> Response[CachedVMLogs | Error]:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CachedVMLogs | Error]
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
) -> CachedVMLogs | Error | None:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CachedVMLogs | Error
    """

    return sync_detailed(
        cached_vm_id=cached_vm_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[CachedVMLogs | Error]:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CachedVMLogs | Error]
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
) -> CachedVMLogs | Error | None:
    """Get all logs of a cached VM

     Returns every log line the cached VM has written, across all its starts, oldest
    first. There are no filters and no pagination.

    Args:
        cached_vm_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CachedVMLogs | Error
    """

    return (
        await asyncio_detailed(
            cached_vm_id=cached_vm_id,
            client=client,
        )
    ).parsed
