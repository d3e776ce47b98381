"""One API request with retries, as a flow: the only request loop in the package.

``request_flow`` yields ``Send`` for each attempt and ``Sleep`` between attempts, asks
``_retry.retry_delay`` whether to go on, and ends in exactly one of: the parsed model, or
one of our exceptions (``APIStatusError`` subclass, ``APIConnectionError``,
``APITimeoutError``, ``ResponseValidationError``). Both clients drive it through the pumps
in ``_flow``; tests drive it with ``next``/``send``/``throw``.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final, Generic, TypeVar, cast

import attrs
import httpx

from ._adapter import redact, secrets_in, status_error
from ._flow import Flow, Send, Sleep
from ._retry import DONE_IF_CONFLICT_ON_RETRY, retry_delay
from .errors import APIConnectionError, APITimeoutError, ResponseValidationError

T = TypeVar("T")

logger: Final = logging.getLogger("cakework")
LOG_ENV: Final = "CAKEWORK_LOG"


@attrs.frozen
class Call(Generic[T]):
    """One prepared API call.

    Attributes:
        operation: The operationId.
        request: Complete ``httpx.Client.build_request`` kwargs (see ``_adapter``).
        parse: Turns a 2xx response into the result; may raise anything, which becomes
            ``ResponseValidationError``.
    """

    operation: str
    request: dict[str, Any]
    parse: Callable[[httpx.Response], T] = attrs.field(repr=False)


def request_flow(
    call: Call[T],
    *,
    max_retries: int,
    rng: Callable[[], float] = random.random,
    wall_clock: Callable[[], float] = time.time,
) -> Flow[T]:
    """Send ``call`` until it succeeds, a failure is final, or the retry budget is spent.

    Args:
        call: What to send and how to parse the answer.
        max_retries: Retries allowed after the first attempt.
        rng: Jitter source, uniform in ``[0, 1)``.
        wall_clock: Unix time, used only for an HTTP-date ``Retry-After`` when the response
            carries no ``Date`` header.

    Returns:
        The parsed result.

    Raises:
        APIStatusError: A non-2xx answer that is not retried (or retries ran out).
        APIConnectionError: No response (``APITimeoutError`` for a timeout).
        ResponseValidationError: A 2xx answer whose body the spec does not allow.
    """
    method = str(call.request.get("method", "")).upper()
    url = str(call.request.get("url", ""))
    attempt = 0
    while True:
        attempt += 1
        outcome: httpx.Response | httpx.HTTPError
        try:
            outcome = yield Send(call.operation, call.request)
        except httpx.HTTPError as exc:
            outcome = exc
        status: int | str = (
            outcome.status_code if isinstance(outcome, httpx.Response) else type(outcome).__name__
        )
        if isinstance(outcome, httpx.Response):
            if outcome.is_success:
                _log(method, url, status, attempt, None, "ok")
                return _parse(call, outcome)
            if (
                outcome.status_code == 409
                and attempt > 1
                and call.operation in DONE_IF_CONFLICT_ON_RETRY
            ):
                # An earlier attempt stopped it and we never heard (api-ground-truth: 409
                # means "already stopped"), so the caller's wish is fulfilled.
                _log(method, url, status, attempt, None, "409 on a retry: already done")
                return cast(T, None)
        delay = retry_delay(
            call.operation,
            attempt,
            outcome,
            max_retries=max_retries,
            rng=rng,
            now=_server_now(outcome, wall_clock),
        )
        _log(method, url, status, attempt, delay, "giving up" if delay is None else "retrying")
        if delay is None:
            raise _final_error(call, outcome)
        yield Sleep(delay)


def _parse(call: Call[T], response: httpx.Response) -> T:
    try:
        return call.parse(response)
    except Exception as exc:
        # KeyError, TypeError, JSONDecodeError, ... from a body the spec does not allow.
        secrets = secrets_in(call.request)
        raise ResponseValidationError(
            operation=call.operation,
            body=redact(response.text, secrets),
            reason=redact(f"{type(exc).__name__}: {exc}", secrets),
        ) from exc


def _final_error(call: Call[Any], outcome: httpx.Response | httpx.HTTPError) -> Exception:
    secrets = secrets_in(call.request)
    if isinstance(outcome, httpx.Response):
        return status_error(call.operation, outcome, secrets)
    cls = APITimeoutError if isinstance(outcome, httpx.TimeoutException) else APIConnectionError
    detail = redact(str(outcome) or type(outcome).__name__, secrets)
    # Where it went, so a wrong base_url or proxy shows in the message itself.
    target = _where(call.request)
    error = cls(
        f"{call.operation}: {type(outcome).__name__}: {detail} ({target})",
        operation=call.operation,
    )
    error.__cause__ = outcome
    return error


def _where(request: Mapping[str, Any]) -> str:
    """``METHOD scheme://host:port/path`` of a request, without credentials or query."""
    method = str(request.get("method", "")).upper()
    try:
        url = httpx.URL(str(request.get("url", "")))
    except (httpx.InvalidURL, TypeError):
        return method
    return f"{method} {url.copy_with(userinfo=None, query=None, fragment=None)}"


def _server_now(
    outcome: httpx.Response | httpx.HTTPError, wall_clock: Callable[[], float]
) -> float | None:
    """The time an HTTP-date Retry-After is measured from.

    That is the server's own ``Date`` header (immune to local clock skew), else the local
    wall clock.
    """
    if not isinstance(outcome, httpx.Response) or "Retry-After" not in outcome.headers:
        return None
    try:
        return parsedate_to_datetime(outcome.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return wall_clock()


def _log(
    method: str, url: str, status: int | str, attempt: int, delay: float | None, then: str
) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "%s %s -> %s (attempt %d, %s, delay %s)",
        method,
        url,
        status,
        attempt,
        then,
        "-" if delay is None else f"{delay:.2f}s",
        extra={
            "cakework_method": method,
            "cakework_url": url,
            "cakework_status": status,
            "cakework_attempt": attempt,
            "cakework_delay": delay,
        },
    )


def configure_logging_from_env(environ: Mapping[str, str] | None = None) -> None:
    """Turn on DEBUG logging to stderr for ``cakework`` when ``CAKEWORK_LOG=debug``.

    Idempotent: the handler is added once, however many clients are created.
    """
    env = os.environ if environ is None else environ
    if env.get(LOG_ENV, "").strip().lower() != "debug":
        return
    logger.setLevel(logging.DEBUG)
    if not any(getattr(h, "_cakework_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._cakework_env = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
