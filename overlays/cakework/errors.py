"""Every exception the client raises, in one tree.

::

    CakeworkError
    ├── InvalidParameterError (also a ValueError)   checked before anything is sent
    ├── APIError(operation, method, url, maybe_created)   a request failed
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
    ├── BuildFailedError(build, log_tail, failed_step)
    ├── WaitTimeoutError(resource_id, last_state, elapsed)
    │   └── PoolTimeoutError                        no cached VM free in time, pool at max_size
    ├── UnreachableStateError(vm, wanted)           the VM can no longer reach the wanted state
    ├── PoolClosedError                             acquire on a pool that is not open
    └── PaginationError

Any other non-2xx status is a plain :class:`APIStatusError`. The status-to-class table is
:data:`STATUS_ERRORS`. Attributes always carry the facts; the message repeats them and
says what to do: every ``APIError`` message names the operation, HTTP method and URL; a
404 that names no missing resource says the base URL may be wrong; a create whose answer
was lost says that it may have happened anyway and how to find what it made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

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
        method: The HTTP method (``GET``, ``POST``), when known.
        url: The URL without query string or credentials, when known.
        maybe_created: True when a request that creates something (a VM, a cached VM, a
            build, an image) failed after it may have reached the server: the resource
            may exist although its id never arrived. The message says how to find it.
        image_id: For such a create, the image it was for (else ``None``).
        attempts: How many times the request was sent (retries included).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.operation = operation
        self.method = method
        self.url = url
        self.maybe_created: bool = False
        self.image_id: str | None = None
        self.attempts: int = 1
        super().__init__(message)

    def _mark_maybe_created(self, image_id: str | None) -> None:
        """Flag a lost create answer and add how to find the orphan to the message."""
        self.maybe_created = True
        self.image_id = image_id
        note = MAYBE_CREATED_NOTES.get(self.operation, MAYBE_CREATED_NOTES[""])
        shown = repr(image_id) if image_id is not None else "..."
        note = note.format(operation=self.operation, image_id=shown)
        self.args: tuple[Any, ...] = (f"{self.args[0]}. {note}", *self.args[1:])


MAYBE_CREATED_NOTES: Final[Mapping[str, str]] = {
    "startVM": (
        "startVM may have created a VM from image {image_id} although its answer was lost"
        " or unreadable; find it with client.vms.list(image_id={image_id}, status='started')"
    ),
    "cacheVM": (
        "cacheVM may have created a cached VM from image {image_id} although its answer"
        " was lost or unreadable; find it with client.vms.list(image_id={image_id})"
    ),
    "": (
        "{operation} may have been carried out although its answer was lost or unreadable;"
        " the API cannot list what it made, so repeat it if you need the id"
    ),
}
"""What a lost create answer may have left behind, and how to find it, per operation."""


def mark_maybe_created(error: APIError, image_id: str | None = None) -> APIError:
    """Mark ``error`` (from a create whose answer may have been lost) as ``maybe_created``.

    Args:
        error: The final error of a create request.
        image_id: The image the VM or cached VM was for, to name in the message.

    Returns:
        ``error`` itself, flagged and with the finding hint appended to its message.
    """
    error._mark_maybe_created(image_id)
    return error


def _where(method: str | None, url: str | None) -> str:
    return f" ({method} {url})" if method and url else ""


def is_api_error_body(body: str) -> bool:
    """Whether ``body`` has the API's error shape: ``{"error"}``, ``{"message"}`` or a string.

    A 404 from anything else (a proxy, a web server, a path without ``/v1``) does not,
    which is how a wrong base URL shows.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if isinstance(data, dict):
        return any(isinstance(data.get(key), str) for key in ("error", "message"))
    return isinstance(data, str)


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        body: The raw response body as text (may be empty or HTML).
        message: The error message: the body's ``error``, else ``message``, else a bare
            string body, else the status phrase.
        headers: The response headers.

    The message names the operation, the status, the message, and the method and URL.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int,
        body: str,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(
            f"{operation}: {status_code} {message}{_where(method, url)}{self._hint()}",
            operation=operation,
            method=method,
            url=url,
        )

    def _hint(self) -> str:
        """Advice appended to the message (none by default)."""
        return ""


class BadRequestError(APIStatusError):
    """400: the request was invalid."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not accepted."""


_GENERIC_NOT_FOUND: Final = frozenset({"", "not found", "404 not found", "404", "no route"})


class NotFoundError(APIStatusError):
    """404: the resource does not exist (or belongs to another API key).

    When the body is not the API's error shape, or only says "Not Found" without naming
    a resource, the path itself was not found (a base URL without ``/v1``, a proxy);
    the message then says the base URL may be wrong.
    """

    def _hint(self) -> str:
        # The API's own 404 names what is missing ("VM ... does not exist"); a bare
        # "Not Found", or a body in another shape (HTML, a proxy's JSON), is what a
        # server answers for a path it has no route for.
        generic = self.message.strip().lower() in _GENERIC_NOT_FOUND
        if is_api_error_body(self.body) and not generic:
            return ""
        return (
            "; nothing answers this path, so the base URL may be wrong"
            " (it should end in /v1, e.g. https://api.cakework.com/v1)"
        )


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
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message,
            operation=operation,
            status_code=status_code,
            body=body,
            headers=headers,
            method=method,
            url=url,
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

    def __init__(
        self,
        *,
        operation: str,
        body: str,
        reason: str,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.body = body
        self.reason = reason
        super().__init__(
            f"{operation}: the response body does not match the API spec ({reason})"
            f"{_where(method, url)}",
            operation=operation,
            method=method,
            url=url,
        )


_STEP: Final = re.compile(r"(Step \d+/\d+ :|#\d+ \[[^\]]*\d+/\d+\])")
"""A Dockerfile step header in a build log: classic ``Step 2/5 : RUN ...`` or BuildKit
``#7 [2/5] RUN ...``."""

BUILD_FAILED_SHOWN_LINES: Final = 5
"""How many of the last log lines a ``BuildFailedError`` message repeats."""


class BuildFailedError(CakeworkError):
    """A build ended in ``failed``.

    The message names the failing step (the last step header in the log) and repeats
    the last log lines, so an uncaught failure explains itself.

    Attributes:
        build: The failed build.
        log_tail: The last log lines of the build, oldest first.
        failed_step: The last Dockerfile step the log shows (e.g. ``Step 2/3 : RUN
            make``), or ``None`` when the tail holds none.
    """

    def __init__(self, build: Build, log_tail: tuple[LogLine, ...] = ()) -> None:
        self.build = build
        self.log_tail = log_tail
        self.failed_step: str | None = next(
            (
                line.message.strip()
                for line in reversed(log_tail)
                if _STEP.match(line.message.strip())
            ),
            None,
        )
        text = f"build {build.build_id} failed"
        if self.failed_step is not None:
            text += f" at {self.failed_step}"
        shown = log_tail[-BUILD_FAILED_SHOWN_LINES:]
        if shown:
            text += "; last log lines:\n" + "\n".join(
                f"  {line.level}: {line.message}" for line in shown
            )
        else:
            text += " (no build log lines could be read)"
        super().__init__(text)


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
        self.paths: tuple[str, ...] = tuple(paths)
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
        self.resource_id: str = vm.id
        self.state: str = vm.state
        self.wanted = wanted
        super().__init__(f"VM {vm.id} is {vm.state} and can no longer become {wanted}")


class PoolClosedError(CakeworkError):
    """The pool is not open: ``acquire`` before ``open``, or after (or during) ``close``."""


class PoolTimeoutError(WaitTimeoutError):
    """``acquire`` found no free VM within its timeout and the pool could not grow.

    A ``WaitTimeoutError`` whose ``WaitTimeoutError.resource_id`` names the pool and whose
    ``WaitTimeoutError.last_state`` says how busy it was.

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
