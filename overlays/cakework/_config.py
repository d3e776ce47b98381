"""Client configuration: one immutable object, resolved once from arguments and environment.

``NOT_GIVEN`` marks "the caller did not pass this" where ``None`` has a meaning of its
own (``with_options(timeout=...)`` keeps the current value unless one is given). Secrets
are wrapped in :class:`Secret` as soon as they enter the package, so no repr, log record
or message can show them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, TypeVar

import attrs
import httpx

from .errors import CakeworkError, InvalidParameterError

API_KEY_ENV: Final = "CAKEWORK_API_KEY"
BASE_URL_ENV: Final = "CAKEWORK_BASE_URL"
DEFAULT_BASE_URL: Final = "https://api.cakework.com/v1"
DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=5.0)
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_MAX_RETRIES: Final = 2

T = TypeVar("T")


class NotGiven:
    """Type of :data:`NOT_GIVEN`, the "argument not passed" marker (falsy)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class Secret(str):
    """A string whose ``repr`` and ``str`` are masked.

    It is still a ``str`` for everything that encodes it (HTTP headers, JSON bodies), so
    the generated layer sends the real value while every repr, ``%s``, f-string or
    exception message of ours shows ``***``. :meth:`reveal` returns the plain value.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Secret:
        # str(a_secret) is '***', so wrapping a Secret again must not go through str().
        if isinstance(value, Secret):
            return value
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def reveal(self) -> str:
        """The secret as a plain ``str`` (only for sending it)."""
        return str.__str__(self)


def mask(value: T) -> T:
    """``value`` as a :class:`Secret` if it is a string, else unchanged.

    Public methods rebind their secret parameters with this first thing, so even a
    traceback rendered with its frames' locals shows ``***``.
    """
    return Secret(value) if isinstance(value, str) else value  # type: ignore[return-value]


def resolve_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    """Turn the ``timeout`` argument into an ``httpx.Timeout`` with no unlimited phase.

    A number sets the read, write and pool timeouts; connect stays at most 5 s, because a
    server that does not accept a connection in 5 s is not going to.

    Raises:
        InvalidParameterError: ``None``, a non-positive, infinite or NaN number, or a phase
            set to ``None`` (a request without a timeout can hang forever). Infinity and
            NaN are refused here because the socket layer would fail every request with
            ``OverflowError`` / ``ValueError``.
    """
    if isinstance(timeout, httpx.Timeout):
        phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if not all(_usable_seconds(p) for p in phases):
            raise InvalidParameterError(
                "timeout", timeout, "an httpx.Timeout with every phase set, finite and > 0"
            )
        return timeout
    if isinstance(timeout, bool) or not _usable_seconds(timeout):
        raise InvalidParameterError(
            "timeout", timeout, "a finite number of seconds > 0 or httpx.Timeout"
        )
    seconds = float(timeout)
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


def _usable_seconds(value: object) -> bool:
    """A socket timeout Python can apply: a number > 0 and at most ``TIMEOUT_MAX``."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value <= threading.TIMEOUT_MAX  # False for NaN and infinity
    )


def _without_userinfo(url: object) -> object:
    """``url`` for an error message: any ``user:password@`` replaced by ``***@``."""
    if not isinstance(url, str) or "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***"
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}://{authority}{slash}{path}"


def _check_max_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidParameterError("max_retries", max_retries, "an integer >= 0")
    return max_retries


@attrs.frozen
class ClientConfig:
    """Everything a client needs to send requests; immutable.

    Attributes:
        api_key: The API key (masked in every repr).
        base_url: The API root, ending in ``/v1`` (no trailing slash).
        timeout: The per-request timeout; never unlimited.
        max_retries: How many times a failed request may be retried (0 disables).
        userinfo: ``user:password`` of a base URL that had them (sent as
            ``Authorization: Basic``); ``base_url`` is then the URL without them, so
            no repr, log line (ours or httpx's) or error shows them.
    """

    api_key: Secret
    base_url: str
    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    userinfo: Secret | None = None
    timeouts: Mapping[str, float | None] = attrs.field(init=False, repr=False, eq=False)
    """``timeout`` as httpx's ``timeout`` request extension, made once (read-only: every
    request of the client carries this one mapping)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "timeouts", MappingProxyType(self.timeout.as_dict()))

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        environ: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Build a config from constructor arguments, falling back to the environment.

        Raises:
            CakeworkError: No API key was passed and ``CAKEWORK_API_KEY`` is not set.
            InvalidParameterError: A timeout, retry count or base URL is not usable.
        """
        env = os.environ if environ is None else environ
        key = api_key if api_key is not None else env.get(API_KEY_ENV)
        if not key:
            raise CakeworkError(
                f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
            )
        if (
            not isinstance(key, str)
            or not key.isascii()
            or not key.isprintable()
            or key != key.strip()
        ):
            # An HTTP header cannot carry it (nor leading or trailing spaces, which a
            # header value loses); say so now rather than fail inside httpx.
            shown = "<hidden>" if isinstance(key, str) else f"<{type(key).__name__}>"
            raise InvalidParameterError(
                "api_key", shown, "a printable ASCII string without surrounding spaces"
            )
        url = base_url or env.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidParameterError("base_url", _without_userinfo(url), "an http(s) URL")
        userinfo = None
        if parsed.userinfo:
            userinfo = Secret(f"{parsed.username}:{parsed.password}")
            url = str(parsed.copy_with(userinfo=None))
        return cls(
            api_key=Secret(key),
            base_url=url.rstrip("/"),
            timeout=resolve_timeout(timeout),
            max_retries=_check_max_retries(max_retries),
            userinfo=userinfo,
        )

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> ClientConfig:
        """A copy with the given options changed; options not passed stay as they are."""
        return attrs.evolve(
            self,
            timeout=self.timeout if isinstance(timeout, NotGiven) else resolve_timeout(timeout),
            max_retries=(
                self.max_retries
                if isinstance(max_retries, NotGiven)
                else _check_max_retries(max_retries)
            ),
        )
