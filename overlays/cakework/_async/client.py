"""``AsyncCakework``: configuration, the connection pool, and the pump every call runs on.

All request logic (building, retries, parsing, errors) lives in the flows of
``_request.Api``; the client owns what those flows must not touch -- the connection pool,
the clock, sleep and randomness -- bundles them in a pump and hands ``(api, pump)`` to
each resource. Close it with ``aclose()`` or by leaving its ``async with`` block.
"""

from __future__ import annotations

import random
from types import TracebackType
from typing import Self

import attrs
import httpx

from .. import _polling
from .._config import DEFAULT_MAX_RETRIES, NOT_GIVEN, ClientConfig, NotGiven, mask
from .._flow import AsyncSleep, Clock
from .._operations import build_generated_client
from .._request import Api, configure_logging_from_env
from ..errors import InvalidParameterError
from .cached_vms import AsyncCachedVMs
from .images import AsyncImages
from .pump import AsyncPump
from .vms import AsyncVMs


class AsyncCakework:
    """The Cakework client.

    Args:
        api_key: The API key; defaults to the ``CAKEWORK_API_KEY`` environment variable.
        base_url: The API root; defaults to ``CAKEWORK_BASE_URL``, else
            ``https://api.cakework.com/v1``.
        timeout: Seconds or an ``httpx.Timeout``; default 60 s with a 5 s connect timeout.
            Never unlimited.
        max_retries: Retries of a failed request (0 disables); which requests are retried,
            and when, is in the README's "Retries".
        http_client: Your own ``httpx.AsyncClient`` (proxies, certificates, transports).
            It is not closed by the client; URL, headers and timeout are set per request.
        clock: Monotonic clock in seconds (for tests); default ``time.monotonic``.
        sleep: Sleep function in seconds (for tests); default: ``time.sleep`` in the
            blocking client, ``asyncio.sleep`` in the asyncio one.

    Raises:
        CakeworkError: No API key was passed and ``CAKEWORK_API_KEY`` is not set.
        InvalidParameterError: ``timeout``, ``max_retries``, ``base_url`` or
            ``http_client`` (e.g. the other kind of httpx client) is not usable.
    """

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
        given: object = http_client  # checked at run time: callers may not use a type checker
        if given is not None and not isinstance(given, httpx.AsyncClient):
            shown = f"<{type(given).__name__}>"
            raise InvalidParameterError(
                "http_client", shown, "an httpx.AsyncClient for AsyncCakework"
            )
        configure_logging_from_env()
        # unasync: async-only
        # httpcore would search sys.path for a missing sniffio on every request.
        from .._sniffio import skip_missing_sniffio_search

        skip_missing_sniffio_search()
        # unasync: end
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        generated = build_generated_client(config, async_http_client=http_client)
        pump = AsyncPump(generated.get_async_httpx_client(), new_rng=_new_rng)
        if clock is not None:
            pump = attrs.evolve(pump, clock=clock)
        if sleep is not None:
            pump = attrs.evolve(pump, sleep=sleep)
        # A client made here from config carries key and User-Agent itself: requests then
        # need not (and with_options clones share it, with the same key).
        self._setup(config, pump, owns_http=http_client is None, own=http_client is None)

    def _setup(self, config: ClientConfig, pump: AsyncPump, *, owns_http: bool, own: bool) -> None:
        self._config = config
        self._pump = pump
        self._owns_http = owns_http
        self._own_http_client = own
        self._api = Api(config, rng=pump.new_rng().random, client_headers=own)
        self._images = AsyncImages(self._api, pump)
        self._vms = AsyncVMs(self._api, pump)
        self._cached_vms = AsyncCachedVMs(self._api, pump)

    # Properties rather than plain attributes, so help(), dir() and IDEs list the three
    # resources with a docstring each.
    @property
    def images(self) -> AsyncImages:
        """Images: import from ECR, build (from files, a folder or GitHub), build logs."""
        return self._images

    @property
    def vms(self) -> AsyncVMs:
        """One-time VMs: start, get, list, stop, logs, waits and ``run``."""
        return self._vms

    @property
    def cached_vms(self) -> AsyncCachedVMs:
        """Cached VMs, which start fast: create, start, stop, destroy, logs and ``pool``."""
        return self._cached_vms

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
        clone = object.__new__(type(self))
        clone._setup(config, self._pump, owns_http=False, own=self._own_http_client)
        return clone

    def __repr__(self) -> str:
        c = self._config
        return (
            f"{type(self).__name__}(base_url={c.base_url!r}, api_key={c.api_key!r}, "
            f"timeout={c.timeout!r}, max_retries={c.max_retries})"
        )

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in or shared from another client)."""
        if self._owns_http:
            await self._pump.http.aclose()

    # unasync: async-only
    async def close(self) -> None:
        """Alias of :meth:`aclose`."""
        await self.aclose()

    # unasync: end
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _new_rng() -> random.Random:
    # Looked up at call time, so a test that pins _polling.new_rng pins every wait.
    return _polling.new_rng()
