from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.vm import VM
from ...types import Response


def _get_kwargs(
    vm_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/vm/{vm_id}".format(
            vm_id=quote(str(vm_id), safe=""),
        ),
    }

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
    vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | VM]:
    """Get a VM

     Returns a VM, one-time or cached, with its current state. States move from
    `created` to `started`, and on stop to `stopped` and then `destroyed`; any state
    value not listed here should be kept and shown, not rejected.

    Args:
        vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits,
            `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VM]
    """

    kwargs = _get_kwargs(
        vm_id=vm_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | VM | None:
    """Get a VM

     Returns a VM, one-time or cached, with its current state. States move from
    `created` to `started`, and on stop to `stopped` and then `destroyed`; any state
    value not listed here should be kept and shown, not rejected.

    Args:
        vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits,
            `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VM
    """

    return sync_detailed(
        vm_id=vm_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | VM]:
    """Get a VM

     Returns a VM, one-time or cached, with its current state. States move from
    `created` to `started`, and on stop to `stopped` and then `destroyed`; any state
    value not listed here should be kept and shown, not rejected.

    Args:
        vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits,
            `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VM]
    """

    kwargs = _get_kwargs(
        vm_id=vm_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | VM | None:
    """Get a VM

     Returns a VM, one-time or cached, with its current state. States move from
    `created` to `started`, and on stop to `stopped` and then `destroyed`; any state
    value not listed here should be kept and shown, not rejected.

    Args:
        vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits,
            `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VM
    """

    return (
        await asyncio_detailed(
            vm_id=vm_id,
            client=client,
        )
    ).parsed
