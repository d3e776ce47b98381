"""Every exception the client raises, in one tree.

::

    CakeworkError
    ├── InvalidParameterError (also a ValueError)   checked before anything is sent
    ├── APIError                                    something went wrong talking to the API
    │   ├── APIStatusError(status_code, body, message)
    │   │   ├── BadRequestError          400
    │   │   ├── AuthenticationError      401
    │   │   ├── NotFoundError            404
    │   │   ├── ConflictError            409
    │   │   ├── RateLimitError           429  (retry_after)
    │   │   └── InternalServerError      >= 500, including non-standard 520, 599
    │   ├── APIConnectionError           no usable response (``__cause__`` is the httpx error)
    │   │   └── APITimeoutError
    │   └── ResponseValidationError      a 2xx body the spec does not allow (body kept raw)
    ├── BuildContextError (also a ValueError)       a folder that cannot be sent as a build
    ├── BuildFailedError(build, log_tail)
    ├── WaitTimeoutError(resource_id, last_state, elapsed)
    │   └── PoolTimeoutError                        no cached VM free in time, pool at max_size
    ├── UnreachableStateError(vm, wanted)           the VM can no longer reach the wanted state
    ├── PoolClosedError                             acquire on a pool that is not open
    └── PaginationError

Any other non-2xx status is a plain :class:`APIStatusError`. The status-to-class table is
:data:`STATUS_ERRORS`. Attributes always carry the facts; the message only repeats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import VM, Build, LogLine


class CakeworkError(Exception):
    """Root of every error this package raises.

    Every error pickles and unpickles with its attributes (so it can cross a process
    boundary, e.g. from a ``ProcessPoolExecutor`` worker), although most constructors
    take keyword-only arguments that ``Exception``'s default pickling does not pass.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[CakeworkError], args: tuple[object, ...], state: dict[str, object]
) -> CakeworkError:
    """Unpickle an error without calling its ``__init__`` (see ``CakeworkError``)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InvalidParameterError(CakeworkError, ValueError):
    """An argument is out of range or of the wrong kind; nothing was sent.

    Attributes:
        parameter: The parameter name as the method spells it.
        value: The value that was passed.
        allowed: What is allowed, e.g. ``"1-8"`` or ``"'newest_first' or 'oldest_first'"``.
    """

    def __init__(self, parameter: str, value: object, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"{parameter}={value!r} is not allowed; expected {allowed}")


class APIError(CakeworkError):
    """A request failed.

    Attributes:
        operation: The operationId of the request (e.g. ``startVM``).
    """

    def __init__(self, message: str, *, operation: str) -> None:
        self.operation = operation
        super().__init__(message)


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        body: The raw response body as text (may be empty or HTML).
        message: The error message: the body's ``error``, else ``message``, else a bare
            string body, else the status phrase.
        headers: The response headers.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int,
        body: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{operation}: {status_code} {message}", operation=operation)


class BadRequestError(APIStatusError):
    """400: the request was invalid."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not accepted."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist (or belongs to another API key)."""


class ConflictError(APIStatusError):
    """409: the resource is not in a state that allows this, e.g. stopping a stopped VM.

    Also a ``pagination`` cursor sent without its ``from``/``to`` or with other parameters
    than it was issued for (the high-level iterators never do that).
    """


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int,
        body: str,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message, operation=operation, status_code=status_code, body=body, headers=headers
        )


class InternalServerError(APIStatusError):
    """A 5xx status (also non-standard ones such as 520 or 599)."""


class APIConnectionError(APIError):
    """No usable response arrived: connect failure, dropped connection, protocol error.

    The underlying ``httpx`` exception is ``__cause__``.
    """


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class ResponseValidationError(APIError):
    """A 2xx response whose body the spec does not allow.

    Attributes:
        body: The raw response body as text.
        reason: What was wrong with it.
    """

    def __init__(self, *, operation: str, body: str, reason: str) -> None:
        self.body = body
        self.reason = reason
        super().__init__(
            f"{operation}: the response body does not match the API spec ({reason})",
            operation=operation,
        )


class BuildFailedError(CakeworkError):
    """A build ended in ``failed``.

    Attributes:
        build: The failed build.
        log_tail: The last log lines of the build, oldest first.
    """

    def __init__(self, build: Build, log_tail: tuple[LogLine, ...] = ()) -> None:
        self.build = build
        self.log_tail = log_tail
        last = f": {log_tail[-1].message}" if log_tail else ""
        super().__init__(f"build {build.build_id} failed{last}")


class WaitTimeoutError(CakeworkError):
    """A wait hit its deadline before the resource reached the wanted state.

    Attributes:
        resource_id: The build or VM id.
        last_state: The last status or state seen (``None`` if none was seen).
        elapsed: Seconds waited.
    """

    def __init__(self, resource_id: str, last_state: str | None, elapsed: float) -> None:
        self.resource_id = resource_id
        self.last_state = last_state
        self.elapsed = elapsed
        super().__init__(
            f"gave up waiting for {resource_id} after {elapsed:.1f}s (last state: {last_state})"
        )


class BuildContextError(CakeworkError, ValueError):
    """The folder cannot be turned into a build; nothing was sent.

    Attributes:
        paths: The offending paths relative to the folder (POSIX separators), when the
            problem is with particular files; empty otherwise.
    """

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        self.paths = tuple(paths)
        super().__init__(message)


class UnreachableStateError(CakeworkError):
    """A VM reached a state from which the state waited for can no longer be reached.

    Attributes:
        resource_id: The VM id.
        state: The state observed.
        wanted: The state waited for.
        vm: The VM as last seen.
    """

    def __init__(self, vm: VM, wanted: str) -> None:
        self.vm = vm
        self.resource_id = vm.id
        self.state = vm.state
        self.wanted = wanted
        super().__init__(f"VM {vm.id} is {vm.state} and can no longer become {wanted}")


class PoolClosedError(CakeworkError):
    """The pool is not open: ``acquire`` before ``open``, or after (or during) ``close``."""


class PoolTimeoutError(WaitTimeoutError):
    """``acquire`` found no free VM within its timeout and the pool could not grow.

    A :class:`~cakework.errors.WaitTimeoutError` whose ``resource_id`` names the pool and
    whose ``last_state`` says how busy it was.

    Attributes:
        in_use: VMs handed out when the acquire gave up.
        max_size: The pool's limit.
    """

    def __init__(self, image_id: str, *, in_use: int, max_size: int, elapsed: float) -> None:
        self.in_use = in_use
        self.max_size = max_size
        super().__init__(
            f"cached-VM pool for image {image_id}", f"{in_use} of {max_size} VMs in use", elapsed
        )


class PaginationError(CakeworkError):
    """The server's pagination did not advance (e.g. a cursor repeated)."""


STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}
"""Status code -> error class; anything >= 500 is :class:`InternalServerError`."""


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The error class for a non-2xx status."""
    if status_code >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status_code, APIStatusError)


__all__ = [
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
]
