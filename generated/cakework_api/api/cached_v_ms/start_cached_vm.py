from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    cached_vm_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/vm/cached/{cached_vm_id}/start".format(
            cached_vm_id=quote(str(cached_vm_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorBody | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

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
) -> Response[Any | ErrorBody]:
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
) -> Response[Any | ErrorBody]:
    """Start a cached VM

     Starts a stopped cached VM. The call returns once the start was accepted; the VM's
    state (see `getVM`) becomes `started` shortly after. Starting a destroyed cached
    VM answers 409. There is no response body.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
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
) -> Any | ErrorBody | None:
    """Start a cached VM

     Starts a stopped cached VM. The call returns once the start was accepted; the VM's
    state (see `getVM`) becomes `started` shortly after. Starting a destroyed cached
    VM answers 409. There is no response body.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return sync_detailed(
        cached_vm_id=cached_vm_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    cached_vm_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Any | ErrorBody]:
    """Start a cached VM

     Starts a stopped cached VM. The call returns once the start was accepted; the VM's
    state (see `getVM`) becomes `started` shortly after. Starting a destroyed cached
    VM answers 409. There is no response body.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
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
) -> Any | ErrorBody | None:
    """Start a cached VM

     Starts a stopped cached VM. The call returns once the start was accepted; the VM's
    state (see `getVM`) becomes `started` shortly after. Starting a destroyed cached
    VM answers 409. There is no response body.

    Args:
        cached_vm_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return (
        await asyncio_detailed(
            cached_vm_id=cached_vm_id,
            client=client,
        )
    ).parsed
