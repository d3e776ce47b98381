"""``Cakework`` and ``AsyncCakework``: configuration, the connection pool and a pump.

All request logic (building, retries, parsing, errors) lives in flows made by
:class:`~cakework._api.Api`. The two classes differ only in the pump that drives those
flows (``run_sync`` / ``run_async``) and in how the pool is closed: ``close()`` for
``Cakework``; ``aclose()`` for ``AsyncCakework``, as on ``httpx.AsyncClient``, with an
awaitable ``close()`` alias for those used to other SDKs.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Generic, Self, TypeVar

import httpx

from ._adapter import build_generated_client
from ._api import Api
from ._config import DEFAULT_MAX_RETRIES, NOT_GIVEN, ClientConfig, NotGiven, mask
from ._flow import AsyncSleep, Clock, Flow, SyncSleep, run_async, run_sync
from ._request import configure_logging_from_env
from ._sniffio import skip_missing_sniffio_search
from .errors import CakeworkError, InvalidParameterError
from .resources import (
    AsyncCachedVMs,
    AsyncImages,
    AsyncVMs,
    CachedVMs,
    Images,
    VMs,
)

T = TypeVar("T")
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
SleepT = TypeVar("SleepT", SyncSleep, AsyncSleep)


def _check_http_client(http_client: object, expected: type, client: str) -> None:
    """Refuse the wrong kind of httpx client now, not with a baffling error per request."""
    if http_client is not None and not isinstance(http_client, expected):
        raise InvalidParameterError(
            "http_client",
            f"<{type(http_client).__name__}>",
            f"an {expected.__module__.split('.')[0]}.{expected.__name__} for {client}",
        )


class _BaseClient(Generic[HttpT, SleepT]):
    """What both clients share: config, the pool, the injected clock and sleep."""

    _config: ClientConfig
    _http: HttpT
    _owns_http: bool
    _clock: Clock
    _sleep: SleepT
    _api: Api

    def _setup(
        self,
        config: ClientConfig,
        api: Api,
        http: HttpT,
        owns_http: bool,
        clock: Clock,
        sleep: SleepT,
    ) -> None:
        self._config = config
        self._api = api
        self._http = http
        self._owns_http = owns_http
        self._clock = clock
        self._sleep = sleep
        self._make_resources()

    def _make_resources(self) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The per-request timeout."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be retried."""
        return self._config.max_retries

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A client with other options that shares this client's connection pool.

        The new client does not own the pool: closing it does nothing, closing this one
        closes the pool for both.

        Args:
            timeout: New timeout (seconds or ``httpx.Timeout``); unchanged if not given.
            max_retries: New retry budget; unchanged if not given.
        """
        config = self._config.with_options(timeout=timeout, max_retries=max_retries)
        api = self._api.with_config(config)
        clone = object.__new__(type(self))
        clone._setup(config, api, self._http, False, self._clock, self._sleep)
        return clone

    def __repr__(self) -> str:
        c = self._config
        return (
            f"{type(self).__name__}(base_url={c.base_url!r}, api_key={c.api_key!r}, "
            f"timeout={c.timeout!r}, max_retries={c.max_retries})"
        )

    def _check_open(self, flow: Flow[object]) -> None:
        if self._http.is_closed:
            flow.close()
            raise CakeworkError(f"{type(self).__name__} is closed; create a new client")


class Cakework(_BaseClient[httpx.Client, SyncSleep]):
    """The Cakework client (blocking).

    Args:
        api_key: The API key; defaults to the ``CAKEWORK_API_KEY`` environment variable.
        base_url: The API root; defaults to ``CAKEWORK_BASE_URL``, else
            ``https://api.cakework.com/v1``.
        timeout: Seconds or an ``httpx.Timeout``; default 60 s with a 5 s connect timeout.
            Never unlimited.
        max_retries: Retries of a failed request (0 disables); see ``_retry`` for which.
        http_client: Your own ``httpx.Client`` (proxies, certificates, transports). It is
            not closed by :meth:`close`; the client sets URL, headers and timeout per request.
        clock: Monotonic clock in seconds (for tests); default ``time.monotonic``.
        sleep: Sleep function (for tests); default ``time.sleep``.

    Raises:
        CakeworkError: No API key was passed and ``CAKEWORK_API_KEY`` is not set.
        InvalidParameterError: ``timeout``, ``max_retries``, ``base_url`` or
            ``http_client`` (e.g. an ``httpx.AsyncClient``) is not usable.
    """

    images: Images
    vms: VMs
    cached_vms: CachedVMs

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        *,
        clock: Clock | None = None,
        sleep: SyncSleep | None = None,
    ) -> None:
        api_key = mask(api_key)  # tracebacks with locals show '***'
        _check_http_client(http_client, httpx.Client, "Cakework")
        configure_logging_from_env()
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        generated = build_generated_client(config, http_client=http_client)
        self._setup(
            config,
            Api(config, generated),
            generated.get_httpx_client(),
            http_client is None,
            clock or time.monotonic,
            sleep or time.sleep,
        )

    def _make_resources(self) -> None:
        self.images = Images(self)
        self.vms = VMs(self)
        self.cached_vms = CachedVMs(self)

    def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` with this client's pool, clock and sleep."""
        self._check_open(flow)
        return run_sync(flow, self._http, self._clock, self._sleep)

    def close(self) -> None:
        """Close the connection pool (unless it was passed in or shared from another client)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncCakework(_BaseClient[httpx.AsyncClient, AsyncSleep]):
    """The Cakework client for asyncio; same names as :class:`Cakework`, awaited.

    Arguments are those of :class:`Cakework`, except that ``http_client`` is an
    ``httpx.AsyncClient`` and ``sleep`` an async function (default ``asyncio.sleep``).
    Close with ``await client.aclose()`` (or ``async with``).
    """

    images: AsyncImages
    vms: AsyncVMs
    cached_vms: AsyncCachedVMs

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        *,
        clock: Clock | None = None,
        sleep: AsyncSleep | None = None,
    ) -> None:
        api_key = mask(api_key)  # tracebacks with locals show '***'
        _check_http_client(http_client, httpx.AsyncClient, "AsyncCakework")
        skip_missing_sniffio_search()
        configure_logging_from_env()
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        generated = build_generated_client(config, async_http_client=http_client)
        self._setup(
            config,
            Api(config, generated),
            generated.get_async_httpx_client(),
            http_client is None,
            clock or time.monotonic,
            sleep or asyncio.sleep,
        )

    def _make_resources(self) -> None:
        self.images = AsyncImages(self)
        self.vms = AsyncVMs(self)
        self.cached_vms = AsyncCachedVMs(self)

    async def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` with this client's pool, clock and sleep."""
        self._check_open(flow)
        return await run_async(flow, self._http, self._clock, self._sleep)

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in or shared from another client)."""
        if self._owns_http:
            await self._http.aclose()

    async def close(self) -> None:
        """Alias of :meth:`aclose`."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
