"""Typed Python client for the Cakework REST API.

>>> from cakework import Cakework
>>> client = Cakework()  # API key from CAKEWORK_API_KEY            # doctest: +SKIP
>>> vm = client.vms.start(image_id="...")                           # doctest: +SKIP
"""

from ._client import AsyncCakework, Cakework
from ._models import VM, Build, BuildFile, CachedVM, Image, LogLine, LogPage, VMPage
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BuildFailedError,
    CakeworkError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    PaginationError,
    RateLimitError,
    ResponseValidationError,
    WaitTimeoutError,
)

__all__ = [
    # clients
    "AsyncCakework",
    "Cakework",
    # models
    "VM",
    "Build",
    "BuildFile",
    "CachedVM",
    "Image",
    "LogLine",
    "LogPage",
    "VMPage",
    # errors
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BuildFailedError",
    "CakeworkError",
    "ConflictError",
    "InternalServerError",
    "InvalidParameterError",
    "NotFoundError",
    "PaginationError",
    "RateLimitError",
    "ResponseValidationError",
    "WaitTimeoutError",
    "__version__",
]
