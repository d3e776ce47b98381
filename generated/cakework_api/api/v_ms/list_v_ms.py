from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.known_vm_state import KnownVMState
from ...models.vm_list import VMList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    image_id: str | Unset = UNSET,
    status: KnownVMState | Unset = UNSET,
    pagination: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["imageId"] = image_id

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["pagination"] = pagination

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/vms",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | VMList | None:
    if response.status_code == 200:
        response_200 = VMList.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

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
) -> Response[ErrorBody | VMList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    image_id: str | Unset = UNSET,
    status: KnownVMState | Unset = UNSET,
    pagination: str | Unset = UNSET,
) -> Response[ErrorBody | VMList]:
    """List VMs

     Lists the caller's VMs, newest first, one page at a time, optionally filtered by
    image and by state. When the response carries `pagination`, pass it back with the
    same filters to get the next page; a response without it is the last page.

    Args:
        image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII
            letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        status (KnownVMState | Unset): The VM states known to this version of the description;
            also the `listVMs` filter.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VMList]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
        status=status,
        pagination=pagination,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    image_id: str | Unset = UNSET,
    status: KnownVMState | Unset = UNSET,
    pagination: str | Unset = UNSET,
) -> ErrorBody | VMList | None:
    """List VMs

     Lists the caller's VMs, newest first, one page at a time, optionally filtered by
    image and by state. When the response carries `pagination`, pass it back with the
    same filters to get the next page; a response without it is the last page.

    Args:
        image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII
            letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        status (KnownVMState | Unset): The VM states known to this version of the description;
            also the `listVMs` filter.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VMList
    """

    return sync_detailed(
        client=client,
        image_id=image_id,
        status=status,
        pagination=pagination,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    image_id: str | Unset = UNSET,
    status: KnownVMState | Unset = UNSET,
    pagination: str | Unset = UNSET,
) -> Response[ErrorBody | VMList]:
    """List VMs

     Lists the caller's VMs, newest first, one page at a time, optionally filtered by
    image and by state. When the response carries `pagination`, pass it back with the
    same filters to get the next page; a response without it is the last page.

    Args:
        image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII
            letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        status (KnownVMState | Unset): The VM states known to this version of the description;
            also the `listVMs` filter.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VMList]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
        status=status,
        pagination=pagination,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    image_id: str | Unset = UNSET,
    status: KnownVMState | Unset = UNSET,
    pagination: str | Unset = UNSET,
) -> ErrorBody | VMList | None:
    """List VMs

     Lists the caller's VMs, newest first, one page at a time, optionally filtered by
    image and by state. When the response carries `pagination`, pass it back with the
    same filters to get the next page; a response without it is the last page.

    Args:
        image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII
            letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        status (KnownVMState | Unset): The VM states known to this version of the description;
            also the `listVMs` filter.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VMList
    """

    return (
        await asyncio_detailed(
            client=client,
            image_id=image_id,
            status=status,
            pagination=pagination,
        )
    ).parsed
