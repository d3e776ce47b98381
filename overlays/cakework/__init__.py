"""Typed Python client for the Cakework REST API.

>>> from cakework import Cakework
>>> client = Cakework()  # API key from CAKEWORK_API_KEY            # doctest: +SKIP
>>> vm = client.vms.start(image_id="...")                           # doctest: +SKIP
"""

import logging
from typing import TYPE_CHECKING, Any

from ._models import VM, Build, BuildFile, CachedVM, Image, LogLine, LogPage, VMPage
from ._pages import LogPosition
from ._param_types import BuildFileParam
from ._sync.client import Cakework
from ._sync.iterators import LogIterator, VMIterator
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BuildContextError,
    BuildFailedError,
    CakeworkError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    PaginationError,
    PoolClosedError,
    PoolTimeoutError,
    RateLimitError,
    ResponseValidationError,
    UnreachableStateError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from ._async.client import AsyncCakework
    from ._async.iterators import AsyncLogIterator, AsyncVMIterator
    from ._async.pool import AsyncCachedVMPool
    from ._pool_state import PoolStats
    from ._sync.pool import CachedVMPool

# Loaded on first use (PEP 562): ``import cakework`` for the blocking client then loads
# no asyncio and no pool machinery; ``from cakework import AsyncCakework`` works as ever.
_LAZY = {
    "AsyncCakework": "._async.client",
    "AsyncLogIterator": "._async.iterators",
    "AsyncVMIterator": "._async.iterators",
    "AsyncCachedVMPool": "._async.pool",
    "CachedVMPool": "._sync.pool",
    "PoolStats": "._pool_state",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# A library logs, the application decides where records go (logging HOWTO, "Configuring
# Logging for a Library"); CAKEWORK_LOG=debug adds a stderr handler on request.
logging.getLogger("cakework").addHandler(logging.NullHandler())

__all__ = [
    # clients
    "AsyncCakework",
    "Cakework",
    # models
    "VM",
    "Build",
    "BuildFile",
    "BuildFileParam",
    "CachedVM",
    "Image",
    "LogLine",
    "LogPage",
    "VMPage",
    # iterators and the cached-VM pool
    "AsyncLogIterator",
    "AsyncVMIterator",
    "LogIterator",
    "LogPosition",
    "VMIterator",
    "AsyncCachedVMPool",
    "CachedVMPool",
    "PoolStats",
    # errors
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BuildContextError",
    "BuildFailedError",
    "CakeworkError",
    "ConflictError",
    "InternalServerError",
    "InvalidParameterError",
    "NotFoundError",
    "PaginationError",
    "PoolClosedError",
    "PoolTimeoutError",
    "RateLimitError",
    "ResponseValidationError",
    "UnreachableStateError",
    "WaitTimeoutError",
    "__version__",
]
