from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.log_order import LogOrder
from ...models.log_page import LogPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    build_id: str,
    *,
    query: str | Unset = UNSET,
    batch: int | Unset = 100,
    order: LogOrder | Unset = UNSET,
    pagination: str | Unset = UNSET,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["query"] = query

    params["batch"] = batch

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order

    params["pagination"] = pagination

    params["from"] = from_

    params["to"] = to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/image/build/{build_id}/logs".format(
            build_id=quote(str(build_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | LogPage | None:
    if response.status_code == 200:
        response_200 = LogPage.from_dict(response.json())

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
) -> Response[ErrorBody | LogPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    build_id: str,
    *,
    client: AuthenticatedClient | Client,
    query: str | Unset = UNSET,
    batch: int | Unset = 100,
    order: LogOrder | Unset = UNSET,
    pagination: str | Unset = UNSET,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
) -> Response[ErrorBody | LogPage]:
    """Get one page of a build's logs

     Returns one page of the build's log lines. Lines can be filtered with a
    case-insensitive `query`, limited to a time window with `from`/`to`, and ordered
    either way by timestamp.

    **Continuation rule.** When the response carries `pagination`, `from` and `to`,
    more lines may exist. To fetch them, repeat the request with the same `query`,
    `batch` and `order`, and pass all three returned values back verbatim (never
    re-format `from`/`to`). A cursor sent without `from` and `to`, or with any of
    `query`, `batch`, `order`, `from` or `to` changed, is refused with 409. A cursor may come back on
    the last, even empty, page: stop on a
    missing cursor, on an empty page, or on a cursor you have already sent.

    Args:
        build_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        query (str | Unset):
        batch (int | Unset):  Default: 100.
        order (LogOrder | Unset): Order of log lines by timestamp.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.
        from_ (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.
        to (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | LogPage]
    """

    kwargs = _get_kwargs(
        build_id=build_id,
        query=query,
        batch=batch,
        order=order,
        pagination=pagination,
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    build_id: str,
    *,
    client: AuthenticatedClient | Client,
    query: str | Unset = UNSET,
    batch: int | Unset = 100,
    order: LogOrder | Unset = UNSET,
    pagination: str | Unset = UNSET,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
) -> ErrorBody | LogPage | None:
    """Get one page of a build's logs

     Returns one page of the build's log lines. Lines can be filtered with a
    case-insensitive `query`, limited to a time window with `from`/`to`, and ordered
    either way by timestamp.

    **Continuation rule.** When the response carries `pagination`, `from` and `to`,
    more lines may exist. To fetch them, repeat the request with the same `query`,
    `batch` and `order`, and pass all three returned values back verbatim (never
    re-format `from`/`to`). A cursor sent without `from` and `to`, or with any of
    `query`, `batch`, `order`, `from` or `to` changed, is refused with 409. A cursor may come back on
    the last, even empty, page: stop on a
    missing cursor, on an empty page, or on a cursor you have already sent.

    Args:
        build_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        query (str | Unset):
        batch (int | Unset):  Default: 100.
        order (LogOrder | Unset): Order of log lines by timestamp.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.
        from_ (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.
        to (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | LogPage
    """

    return sync_detailed(
        build_id=build_id,
        client=client,
        query=query,
        batch=batch,
        order=order,
        pagination=pagination,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    build_id: str,
    *,
    client: AuthenticatedClient | Client,
    query: str | Unset = UNSET,
    batch: int | Unset = 100,
    order: LogOrder | Unset = UNSET,
    pagination: str | Unset = UNSET,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
) -> Response[ErrorBody | LogPage]:
    """Get one page of a build's logs

     Returns one page of the build's log lines. Lines can be filtered with a
    case-insensitive `query`, limited to a time window with `from`/`to`, and ordered
    either way by timestamp.

    **Continuation rule.** When the response carries `pagination`, `from` and `to`,
    more lines may exist. To fetch them, repeat the request with the same `query`,
    `batch` and `order`, and pass all three returned values back verbatim (never
    re-format `from`/`to`). A cursor sent without `from` and `to`, or with any of
    `query`, `batch`, `order`, `from` or `to` changed, is refused with 409. A cursor may come back on
    the last, even empty, page: stop on a
    missing cursor, on an empty page, or on a cursor you have already sent.

    Args:
        build_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        query (str | Unset):
        batch (int | Unset):  Default: 100.
        order (LogOrder | Unset): Order of log lines by timestamp.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.
        from_ (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.
        to (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | LogPage]
    """

    kwargs = _get_kwargs(
        build_id=build_id,
        query=query,
        batch=batch,
        order=order,
        pagination=pagination,
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    build_id: str,
    *,
    client: AuthenticatedClient | Client,
    query: str | Unset = UNSET,
    batch: int | Unset = 100,
    order: LogOrder | Unset = UNSET,
    pagination: str | Unset = UNSET,
    from_: str | Unset = UNSET,
    to: str | Unset = UNSET,
) -> ErrorBody | LogPage | None:
    """Get one page of a build's logs

     Returns one page of the build's log lines. Lines can be filtered with a
    case-insensitive `query`, limited to a time window with `from`/`to`, and ordered
    either way by timestamp.

    **Continuation rule.** When the response carries `pagination`, `from` and `to`,
    more lines may exist. To fetch them, repeat the request with the same `query`,
    `batch` and `order`, and pass all three returned values back verbatim (never
    re-format `from`/`to`). A cursor sent without `from` and `to`, or with any of
    `query`, `batch`, `order`, `from` or `to` changed, is refused with 409. A cursor may come back on
    the last, even empty, page: stop on a
    missing cursor, on an empty page, or on a cursor you have already sent.

    Args:
        build_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters,
            digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        query (str | Unset):
        batch (int | Unset):  Default: 100.
        order (LogOrder | Unset): Order of log lines by timestamp.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back
            unchanged, never build or
            edit one.
        from_ (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.
        to (str | Unset): A bound of a log time window in a request: ISO 8601 with a zone (`Z`,
            `+hh:mm` or
            `+hhmm`) on a first request, or the `LogWindowEcho` value of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | LogPage
    """

    return (
        await asyncio_detailed(
            build_id=build_id,
            client=client,
            query=query,
            batch=batch,
            order=order,
            pagination=pagination,
            from_=from_,
            to=to,
        )
    ).parsed
