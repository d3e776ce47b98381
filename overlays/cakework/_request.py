"""One API request with retries, as a flow: the only request loop in the package.

:class:`Api` makes one flow per operation from the operation table (``_operations``):
the row's builder makes the request, :func:`request_flow` sends it, and the row's parser
reads the answer. ``request_flow`` yields ``Send`` for each attempt and ``Sleep``
between attempts, asks ``_retry.retry_delay`` whether to go on, and ends in exactly one
of: the parsed model, or one of our exceptions (``APIStatusError`` subclass,
``APIConnectionError``, ``APITimeoutError``, ``ResponseValidationError``). Both clients
drive it through the pumps in ``_flow``; tests drive it with
``next``/``send``/``throw``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import os
import random
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, Generic, NamedTuple, TypeVar, cast

import httpx

from ._charset import lenient_text
from ._config import ClientConfig, Secret
from ._flow import Flow, Send, Sleep
from ._models import BuildFile, LogLine
from ._operations import OPERATIONS, Envelope, Retry
from ._pages import LogBatch, LogRequest, VMListRequest
from ._params import VMSpec
from ._retry import never_left, parse_retry_after, retry_delay
from ._states import STARTED_BY_A_START
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ConflictError,
    RateLimitError,
    ResponseValidationError,
    mark_maybe_created,
    status_error_class,
)

if TYPE_CHECKING:
    from ._models import VM, Build, CachedVM, Image, VMPage

T = TypeVar("T")

logger: Final = logging.getLogger("cakework")
LOG_ENV: Final = "CAKEWORK_LOG"


class ApiCall(NamedTuple, Generic[T]):
    """One prepared API call (a named tuple: made on every call, so made cheaply).

    Attributes:
        operation: The operationId.
        request: Complete ``httpx.Client.build_request`` kwargs (``_operations.Envelope``).
        parse: Turns a 2xx response into the result; may raise anything, which becomes
            ``ResponseValidationError``.
        secrets: Secrets to scrub from errors besides those in ``request`` (the API key
            when the httpx client, not the request, carries it).
    """

    operation: str
    request: dict[str, Any]
    parse: Callable[[httpx.Response], T]
    secrets: tuple[Secret, ...] = ()

    def __repr__(self) -> str:
        return f"ApiCall({self.operation!r}, {self.request!r})"


def request_flow(
    call: ApiCall[T],
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
    # The first attempt carries no retry bookkeeping: a 2xx (nearly every call) goes
    # from the send straight to the parse. Anything else goes to the retry loop. The
    # pumps' ``call`` takes the same two steps without a generator (``AsyncPump.call``).
    outcome: httpx.Response | httpx.HTTPError
    try:
        outcome = yield Send(call.operation, call.request)
    except httpx.HTTPError as exc:
        outcome = exc
    if isinstance(outcome, httpx.Response) and outcome.is_success:
        return succeeded(call, outcome)
    return (
        yield from _retrying(call, outcome, max_retries=max_retries, rng=rng, wall_clock=wall_clock)
    )


def succeeded(call: ApiCall[T], response: httpx.Response) -> T:
    """The result of a first attempt answered by a 2xx: its body, parsed.

    Raises:
        ResponseValidationError: The spec does not allow the body.
    """
    if logger.isEnabledFor(logging.DEBUG):
        method, url = _method_and_url(call)
        _log(method, url, response.status_code, 1, None, "ok")
    return _parse(call, response)


def _method_and_url(call: ApiCall[Any]) -> tuple[str, str]:
    return str(call.request.get("method", "")).upper(), str(call.request.get("url", ""))


def _retrying(
    call: ApiCall[T],
    outcome: httpx.Response | httpx.HTTPError,
    *,
    max_retries: int,
    rng: Callable[[], float],
    wall_clock: Callable[[], float],
) -> Flow[T]:
    """The rest of :func:`request_flow` once the first attempt did not succeed."""
    method, url = _method_and_url(call)
    attempt = 1
    while True:
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
                and OPERATIONS[call.operation].done_if_conflict_on_retry
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
            raise _final_error(call, outcome, attempt)
        yield Sleep(delay)
        attempt += 1
        try:
            outcome = yield Send(call.operation, call.request)
        except httpx.HTTPError as exc:
            outcome = exc


def _parse(call: ApiCall[T], response: httpx.Response) -> T:
    try:
        return call.parse(response)
    except Exception as exc:
        # KeyError, TypeError, JSONDecodeError, UnicodeDecodeError, ... from a body the
        # spec does not allow.
        secrets = secrets_in(call.request) + call.secrets
        method, url = _method_url(call.request)
        error = ResponseValidationError(
            operation=call.operation,
            body=redact(lenient_text(response), secrets),
            reason=redact(f"{type(exc).__name__}: {exc}", secrets),
            method=method,
            url=url,
        )
        if OPERATIONS[call.operation].retry is Retry.CREATING:
            # A 2xx says the server did create it; only its id is unreadable.
            _mark_created(call, error)
        raise error from exc


def _may_have_acted(outcome: httpx.Response | httpx.HTTPError) -> bool:
    """Whether the server may have carried out a request whose answer this is.

    A 5xx can come after the work was done (or from a proxy in front of it), a read
    error or timeout after the request was sent; a 4xx or a failed connect cannot.
    """
    if isinstance(outcome, httpx.Response):
        return outcome.status_code >= 500
    return not never_left(outcome)


def _final_error(
    call: ApiCall[Any], outcome: httpx.Response | httpx.HTTPError, attempts: int = 1
) -> APIError:
    secrets = secrets_in(call.request) + call.secrets
    method, url = _method_url(call.request)
    error: APIError
    if isinstance(outcome, httpx.Response):
        error = status_error(call.operation, outcome, secrets, method=method, url=url)
    else:
        cls = APITimeoutError if isinstance(outcome, httpx.TimeoutException) else APIConnectionError
        detail = redact(str(outcome) or type(outcome).__name__, secrets)
        # Where it went, so a wrong base_url or proxy shows in the message itself.
        target = _where(call.request)
        error = cls(
            f"{call.operation}: {type(outcome).__name__}: {detail} ({target})",
            operation=call.operation,
            method=method,
            url=url,
        )
        error.__cause__ = outcome
    error.attempts = attempts
    if OPERATIONS[call.operation].retry is Retry.CREATING and _may_have_acted(outcome):
        _mark_created(call, error)
    return error


def _mark_created(call: ApiCall[Any], error: APIError) -> None:
    """Flag ``error`` of a create as ``maybe_created``, naming the image it was for."""
    body = call.request.get("json")
    image_id = body.get("imageId") if isinstance(body, Mapping) else None
    mark_maybe_created(error, image_id if isinstance(image_id, str) else None)


def _method_url(request: Mapping[str, Any]) -> tuple[str, str | None]:
    """The request's method and URL (no query, no credentials), for error attributes."""
    where = _where(request)
    method, _, url = where.partition(" ")
    return method, url or None


def secrets_in(value: object) -> tuple[Secret, ...]:
    """Every :class:`Secret` inside request kwargs (for scrubbing echoes from errors).

    They stay wrapped, so a traceback's locals show ``('***',)``; ``str.replace`` still
    matches their real value.
    """
    if isinstance(value, Secret):
        return (value,)
    if isinstance(value, Mapping):
        return tuple(s for v in value.values() for s in secrets_in(v))
    if isinstance(value, list | tuple):
        return tuple(s for v in value for s in secrets_in(v))
    return ()


SHORT_SECRET: Final = 8
"""Secrets shorter than this are only redacted where they stand alone (see :func:`redact`)."""


@functools.lru_cache(maxsize=64)
def secret_forms(value: str) -> tuple[str, ...]:
    r"""Every way ``value`` can appear in text a server sends back or we write, longest first.

    Raw; JSON-escaped (a body echoed back, ``"`` as ``\"``, a tab as ``\t``, non-ASCII as
    ``\uXXXX`` or as is); as Python's ``repr`` shows it (a parser's own error message);
    URL-encoded (a query string, a URL, a form); base64 (an ``Authorization: Basic``
    header, which carries ``user:password`` of a base URL).
    """
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value),
        base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii"),
        base64.urlsafe_b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii"),
    }
    forms.discard("")
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, in every form, replaced by ``***``.

    A server may echo a request back (body, query, headers), so each secret is looked
    for in each of :func:`secret_forms`. A short secret (a test key such as ``"k"``) is
    replaced only where it stands alone, not inside a word: replacing it everywhere
    would turn "Name or service not known" into "not ***nown". Real keys, tokens and
    registry passwords are long, and those are replaced wherever they occur.
    """
    for secret in secrets:
        value = str.__str__(secret)  # the real text, also for a Secret
        if not value:
            continue
        for form in secret_forms(value):
            if form not in text:
                continue
            if len(form) >= SHORT_SECRET:
                text = text.replace(form, "***")
            else:
                alone = rf"(?<![\w-]){re.escape(form)}(?![\w-])"
                text = re.sub(alone, "***", text)
    return text


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """Response headers with every secret masked (a ``WWW-Authenticate`` may echo the key)."""
    secrets = tuple(secrets)
    return {name: redact(value, secrets) for name, value in headers.items()}


def config_secrets(config: ClientConfig) -> tuple[Secret, ...]:
    """The secrets a client config holds: the key, and a base URL's ``user:password``.

    The password alone too; ``user:password`` is what ``Authorization: Basic`` carries
    (in base64, one of :func:`secret_forms`). A username alone is not secret.
    """
    if config.userinfo is None:
        return (config.api_key,)
    password = config.userinfo.reveal().partition(":")[2]
    found = [config.api_key, config.userinfo]
    if password:
        found.append(Secret(password))
    return tuple(found)


def error_message(response: httpx.Response) -> str:
    """The message of an error response.

    Taken from ``error``, then ``message``, then a bare string body, then the status
    phrase (``api-ground-truth.md``, "Errors").
    """
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json can parse
        data = None
    if isinstance(data, dict):
        for key in ("error", "message"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    if isinstance(data, str) and data:
        return data
    if response.reason_phrase:
        return response.reason_phrase
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return f"HTTP {response.status_code}"


def status_error(
    operation: str,
    response: httpx.Response,
    secrets: Iterable[str] = (),
    *,
    method: str | None = None,
    url: str | None = None,
) -> APIStatusError:
    """The exception for a non-2xx response, with secrets scrubbed from body and message."""
    secrets = tuple(secrets)
    status = response.status_code
    fields: dict[str, Any] = {
        "operation": operation,
        "status_code": status,
        # Decoded leniently: an error page in a charset it is not valid in (utf-16
        # without a BOM) must still become this error, not a UnicodeError.
        "body": redact(lenient_text(response), secrets),
        "headers": redact_headers(response.headers, secrets),
        "method": method,
        "url": url,
    }
    message = redact(error_message(response), secrets)
    cls = status_error_class(status)
    if cls is RateLimitError:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **fields
        )
    return cls(message, **fields)


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
    if "@" in url:
        # A base URL may carry user:password; the record must not (nor its base64).
        with contextlib.suppress(httpx.InvalidURL, TypeError):
            url = str(httpx.URL(url).copy_with(userinfo=None))
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


class Api:
    """The API operations as flows, one method per operation. Drive them with a pump.

    Arguments arrive checked (the resources check them, once, before calling); a method
    only looks its row up in the operation table and makes the request flow.

    Args:
        config: Where and how to send requests.
        rng: Jitter source for retries.
        wall_clock: Unix time, for an HTTP-date ``Retry-After`` without a ``Date`` header.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        rng: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        client_headers: bool = False,
    ) -> None:
        self.config = config
        self._rng = rng
        self._wall_clock = wall_clock
        self._envelope = Envelope.of(config, client_headers=client_headers)
        self._secrets = config_secrets(config)

    def __repr__(self) -> str:
        return f"Api({self.config!r})"

    def request(
        self, operation: str, path: Sequence[str] = (), params: Mapping[str, Any] | None = None
    ) -> ApiCall[Any]:
        """The call of ``operation`` (an operationId in the table) with checked arguments.

        Args:
            operation: The operationId.
            path: The path values, checked.
            params: The query and body arguments by their Python names, checked.
        """
        row = OPERATIONS[operation]
        request = self._envelope.complete(row.build(path, params))
        return ApiCall(operation, request, row.parse, self._secrets)

    def call(
        self, operation: str, path: Sequence[str] = (), params: Mapping[str, Any] | None = None
    ) -> Flow[Any]:
        """The flow of ``operation``: :meth:`request`, sent by :meth:`flow`."""
        return self.flow(self.request(operation, path, params))

    def flow(self, call: ApiCall[T]) -> Flow[T]:
        """``call`` sent until it succeeds or fails for good (:func:`request_flow`)."""
        return request_flow(
            call,
            max_retries=self.config.max_retries,
            rng=self._rng,
            wall_clock=self._wall_clock,
        )

    def retrying(self, call: ApiCall[T], outcome: httpx.Response | httpx.HTTPError) -> Flow[T]:
        """The rest of ``call``'s flow after a first attempt that did not succeed.

        What :func:`request_flow` goes on with; a pump's ``call`` sends the first
        attempt itself and hands anything but a 2xx to this.
        """
        return _retrying(
            call,
            outcome,
            max_retries=self.config.max_retries,
            rng=self._rng,
            wall_clock=self._wall_clock,
        )

    # The operations the flows use (waits, readers, run, the pool); every operation is
    # also reachable through ``call``.

    def import_image(self, image_uri: str, password: str) -> Flow[Image]:
        """``importImage``: import an image from AWS ECR."""
        return self.call("importImage", (), {"image_uri": image_uri, "password": password})

    def build_from_files(self, dockerfile: str, files: Sequence[BuildFile]) -> Flow[Build]:
        """``buildImageFromFiles``: start a build from a Dockerfile and file contents."""
        return self.call("buildImageFromFiles", (), {"dockerfile": dockerfile, "files": files})

    def build_from_github(
        self,
        dockerfile: str,
        repository: str,
        branch: str,
        token: str,
        dockerignore: str | None = None,
    ) -> Flow[Build]:
        """``buildImageFromGithub``: start a build from a GitHub repository."""
        params = {"dockerfile": dockerfile, "repository": repository, "branch": branch}
        return self.call(
            "buildImageFromGithub", (), {**params, "token": token, "dockerignore": dockerignore}
        )

    def get_build(self, build_id: str) -> Flow[Build]:
        """``getBuild``: one build's status."""
        return self.call("getBuild", (build_id,))

    def get_build_logs(self, build_id: str, request: LogRequest) -> Flow[LogBatch]:
        """``getBuildLogs``: one page of a build's logs."""
        return self.call("getBuildLogs", (build_id,), request.kwargs())

    def start_vm(self, spec: VMSpec) -> Flow[VM]:
        """``startVM``: create and boot a one-time VM."""
        return self.call("startVM", (), spec.params())

    def stop_vm(self, vm_id: str) -> Flow[None]:
        """``stopVM``: stop (and destroy) a one-time VM."""
        return self.call("stopVM", (vm_id,))

    def get_vm(self, vm_id: str) -> Flow[VM]:
        """``getVM``: one VM."""
        return self.call("getVM", (vm_id,))

    def list_vms(self, request: VMListRequest) -> Flow[VMPage]:
        """``listVMs``: one page of the caller's VMs, optionally filtered."""
        return self.call("listVMs", (), request.kwargs())

    def get_vm_logs(self, vm_id: str, request: LogRequest) -> Flow[LogBatch]:
        """``getVMLogs``: one page of a VM's logs."""
        return self.call("getVMLogs", (vm_id,), request.kwargs())

    # cached VMs

    def cache_vm(self, spec: VMSpec) -> Flow[CachedVM]:
        """``cacheVM``: create a cached VM (stopped until started)."""
        return self.call("cacheVM", (), spec.params())

    def start_cached_vm(self, id: str) -> Flow[None]:
        """``startCachedVM``: start a cached VM.

        A 409 that answers a *retried* start is checked with getVM: when the cached VM is
        booting or started, the earlier attempt (whose answer was lost) started it, and
        the start succeeded. A 409 may also mean "destroyed", which stays an error.
        """
        try:
            yield from self.call("startCachedVM", (id,))
        except ConflictError as conflict:
            if conflict.attempts < 2:
                raise
            try:
                vm = yield from self.get_vm(id)
            except APIError:
                raise conflict from None
            if vm.state not in STARTED_BY_A_START:
                raise
            logger.debug("cached VM %s is %s: the lost first start worked", id, vm.state)

    def stop_cached_vm(self, id: str) -> Flow[None]:
        """``stopCachedVM``: stop a cached VM (it can be started again)."""
        return self.call("stopCachedVM", (id,))

    def destroy_cached_vm(self, id: str) -> Flow[None]:
        """``destroyCachedVM``: destroy a cached VM for good."""
        return self.call("destroyCachedVM", (id,))

    def get_cached_vm_logs(self, id: str) -> Flow[tuple[LogLine, ...]]:
        """``getCachedVMLogs``: all log lines of a cached VM."""
        return self.call("getCachedVMLogs", (id,))
