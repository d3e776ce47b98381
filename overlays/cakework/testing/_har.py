"""The request log as an HTTP Archive (HAR 1.2), the format browsers' developer tools open.

Every request becomes one entry, secrets masked as in the console (:mod:`._journal`).
What HAR has no field for travels in underscore members, which HAR 1.2 reserves for
custom data: ``_operation`` (the operationId), ``_fault`` (the injected fault, if any),
``_emulatorTime`` (the emulator clock when it arrived). A connection the emulator dropped
on purpose has status 0, as browsers record an aborted request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from .._version import __version__
from ._journal import Exchange, masked_body, masked_headers

HAR_VERSION = "1.2"
PAGE_ID = "cakework-emulator"
"""The one page every entry belongs to (DevTools and HAR viewers group entries by page)."""


def _iso(t: float) -> str:
    millis = int(t * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{millis:03d}Z"


def _url(exchange: Exchange) -> str:
    host, port = exchange.server or ("127.0.0.1", 80)
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    query = exchange.query.decode("latin-1")
    return f"{exchange.scheme}://{netloc}{exchange.path}" + (f"?{query}" if query else "")


def _mime(headers: list[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return ""


def _entry(exchange: Exchange) -> dict[str, Any]:
    request_headers = masked_headers(exchange.request_headers)
    response_headers = masked_headers(exchange.response_headers)
    request_text, _ = masked_body(exchange.request_body)
    response_text, _ = masked_body(exchange.response_body)
    milliseconds = round(exchange.duration * 1000, 3)
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": _url(exchange),
        "httpVersion": f"HTTP/{exchange.http_version}",
        "cookies": [],
        "headers": [{"name": n, "value": v} for n, v in request_headers],
        "queryString": [
            {"name": n, "value": v}
            for n, v in parse_qsl(exchange.query.decode("latin-1"), keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        request["postData"] = {"mimeType": _mime(request_headers), "text": request_text}
    status = exchange.status
    try:
        status_text = HTTPStatus(status).phrase if status else ""
    except ValueError:
        status_text = ""
    entry: dict[str, Any] = {
        "pageref": PAGE_ID,
        "startedDateTime": _iso(exchange.started),
        "time": milliseconds,
        "request": request,
        "response": {
            "status": status,
            "statusText": status_text,
            "httpVersion": f"HTTP/{exchange.http_version}",
            "cookies": [],
            "headers": [{"name": n, "value": v} for n, v in response_headers],
            "content": {
                "size": len(exchange.response_body),
                "mimeType": _mime(response_headers) or "x-unknown",
                "text": response_text,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body) if status else -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
        "_resourceType": "fetch",  # how Chromium's DevTools files an API call
        "_operation": exchange.operation,
        "_emulatorTime": exchange.emulator_time,
    }
    label = exchange.fault_label()
    if label is not None:
        entry["_fault"] = label
        entry["comment"] = f"injected fault: {label}"
    return entry


def to_har(exchanges: Iterable[Exchange]) -> dict[str, Any]:
    """A HAR 1.2 document of the exchanges, oldest first.

    Returns:
        The document, ready for ``json.dump``.
    """
    entries = [_entry(exchange) for exchange in exchanges]
    page: dict[str, Any] = {
        "startedDateTime": entries[0]["startedDateTime"] if entries else _iso(time.time()),
        "id": PAGE_ID,
        "title": "Cakework emulator",
        "pageTimings": {},
    }
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "cakework.testing", "version": __version__},
            "pages": [page],
            "entries": entries,
        }
    }
