"""Waiting for a build or a VM state, written once as flows for both clients.

Arguments arrive checked (``_validate``, by the resources). Rule of this module: time is
read only through the ``Now`` effect and passes only through ``Sleep`` effects (so a
wait is tested with no clock and no server, and async waits are cancelled at any
``await`` of the pump); delays come from ``_polling``'s schedule and a sleep never ends
past the deadline.

What counts as the end of a wait is data (``_states``): ``VM_REACHED`` and
``VM_DEAD_STATES`` for VMs, ``BUILD_TERMINAL_STATUSES`` for builds. Transient failures
(connection problems, timeouts, 429, 5xx) that the request's own retries could not
absorb are retried on the poll schedule inside the deadline, never raised during a wait;
any other error (404, 401, ...) ends the wait at once.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable, Collection
from typing import Protocol

from ._flow import Flow, Now, Sleep
from ._log_stream import LogStream
from ._models import VM, Build, LogLine, LogPage
from ._pages import LogBatch, LogRequest
from ._polling import (
    DEFAULT_SCHEDULE,
    TRANSIENT_ERRORS,
    Deadline,
    DeadlineReached,
    PollSchedule,
    bounded,
)
from ._states import VM_DEAD_STATES, VM_REACHED
from .errors import BuildFailedError, UnreachableStateError, WaitTimeoutError

logger = logging.getLogger("cakework")

_LOOK_AGAIN: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, DeadlineReached)
"""Failures a wait rides out on its own schedule, inside its deadline."""

LOG_TAIL_LINES = 50
"""How many of the last build log lines a :class:`BuildFailedError` carries."""

LOG_FEED_BATCH = 1000
"""Page size when reading build logs for ``on_log`` (the largest the API allows)."""


class BuildApi(Protocol):
    """What waiting for a build uses (``Api``; tests pass a fake)."""

    def get_build(self, build_id: str) -> Flow[Build]:
        """Flow of getBuild."""
        ...

    def get_build_logs(self, build_id: str, request: LogRequest) -> Flow[LogBatch | LogPage]:
        """Flow of getBuildLogs (a test double may answer with a ``LogPage``)."""
        ...


class VMApi(Protocol):
    """What waiting for a VM state uses (``Api``; tests pass a fake)."""

    def get_vm(self, vm_id: str) -> Flow[VM]:
        """Flow of getVM."""
        ...


def wait_for_vm_state(
    api: VMApi,
    vm_id: str,
    state: str = "started",
    *,
    timeout: float | None,
    rng: random.Random,
    dead_states: Collection[str] | None = None,
    schedule: PollSchedule = DEFAULT_SCHEDULE,
) -> Flow[VM]:
    """Poll getVM until the VM is in ``state``.

    Args:
        api: Provides ``get_vm``.
        vm_id: The VM.
        state: The state to wait for (``created``, ``started``, ``stopped``,
            ``destroyed``); waiting for ``stopped`` is also satisfied by ``destroyed``.
        timeout: Seconds to wait; ``None`` waits forever (it has no default on purpose:
            waiting forever must be asked for).
        rng: Jitter source of the poll schedule.
        dead_states: Observed states that end the wait at once; defaults to those from
            which a one-time VM can no longer reach ``state`` (``_states.VM_DEAD_STATES``).
        schedule: The poll schedule.

    Returns:
        The VM as last seen, in the wanted state.

    Raises:
        UnreachableStateError: The VM reached a state in ``dead_states``.
        WaitTimeoutError: The deadline passed first.
    """
    reached = VM_REACHED[state]
    dead = frozenset(dead_states) if dead_states is not None else VM_DEAD_STATES[state]
    deadline = Deadline((yield Now()), timeout)
    delays = schedule.delays(rng)
    last_state: str | None = None
    last_error: Exception | None = None
    while True:
        now = yield Now()
        delay = deadline.clip(next(delays), now)
        if delay is None:
            raise WaitTimeoutError(vm_id, last_state, deadline.elapsed(now)) from last_error
        yield Sleep(delay)
        try:
            vm = yield from bounded(api.get_vm(vm_id), deadline)
        except _LOOK_AGAIN as exc:
            logger.debug("waiting for VM %s: %s; retrying", vm_id, exc)
            last_error = exc
            continue
        last_error = None
        if vm.state != last_state:
            logger.debug("VM %s is %s (waiting for %s)", vm_id, vm.state, state)
        last_state = vm.state
        if vm.state in reached:
            return vm
        if vm.state in dead:
            raise UnreachableStateError(vm, state)


class BuildLogFeed:
    """Hands every build log line to ``on_log`` exactly once, in order, across polls.

    Built on :class:`LogStream` (same cursor rules, same boundary dedupe as follow mode),
    re-armed after each getBuild so lines arrive while the build runs. Keeps the last
    :data:`LOG_TAIL_LINES` lines for :class:`BuildFailedError`.
    """

    def __init__(
        self, api: BuildApi, build_id: str, on_log: Callable[[LogLine], object] | None
    ) -> None:
        def fetch(request: LogRequest) -> Flow[LogBatch | LogPage]:
            return api.get_build_logs(build_id, request)

        self._on_log = on_log
        self._stream = LogStream(fetch, LogRequest(batch=LOG_FEED_BATCH, order="oldest_first"))
        self._started = False
        self.tail: deque[LogLine] = deque(maxlen=LOG_TAIL_LINES)
        self.callback_failed = False
        """True once ``on_log`` raised: its error is the caller's, never a transient one."""

    def drain(self) -> Flow[None]:
        """Deliver every line written so far that was not delivered yet."""
        if self._started and self._stream.finished:
            self._stream.poll_again()
        self._started = True
        while (yield from self._stream.fill()):
            while (line := self._stream.pop()) is not None:
                self.tail.append(line)
                if self._on_log is not None:
                    try:
                        self._on_log(line)
                    except BaseException:
                        self.callback_failed = True
                        raise


def fetch_log_tail(api: BuildApi, build_id: str) -> Flow[tuple[LogLine, ...]]:
    """The last :data:`LOG_TAIL_LINES` lines of a build, oldest first (one request).

    A transient failure gives an empty tail: the build's failure is the news, and it
    must not be replaced by an error about its logs.
    """
    try:
        request = LogRequest(order="newest_first", batch=LOG_TAIL_LINES)
        page = yield from api.get_build_logs(build_id, request)
    except TRANSIENT_ERRORS as exc:
        logger.warning("could not read the log of failed build %s: %s", build_id, exc)
        return ()
    return tuple(reversed(LogBatch.of_page(page).all_lines()[:LOG_TAIL_LINES]))


def wait_for_build(
    api: BuildApi,
    build_id: str,
    *,
    timeout: float | None,
    on_status: Callable[[Build], object] | None = None,
    on_log: Callable[[LogLine], object] | None = None,
    rng: random.Random,
    schedule: PollSchedule = DEFAULT_SCHEDULE,
) -> Flow[Build]:
    """Poll getBuild until the build succeeds or fails.

    After each getBuild the new log lines are read (only when ``on_log`` is given) and
    handed to ``on_log``; then ``on_status`` is called if the status changed since the
    last poll. So the lines written before a status come before its callback. An
    exception raised by either callback ends the wait and reaches the caller unchanged
    (it is not retried, even if it is one of our transient errors).

    Args:
        api: Provides ``get_build`` and ``get_build_logs``.
        build_id: The build.
        timeout: Seconds to wait; ``None`` waits forever (no default on purpose).
        on_status: Called with the Build once per observed status change.
        on_log: Called with every log line of the build, exactly once, in order.
        rng: Jitter source of the poll schedule.
        schedule: The poll schedule.

    Returns:
        The succeeded Build (with ``image_id``).

    Raises:
        BuildFailedError: The build failed; carries the Build and its last 50 log lines.
        WaitTimeoutError: The deadline passed first.
    """
    deadline = Deadline((yield Now()), timeout)
    delays = schedule.delays(rng)
    feed = BuildLogFeed(api, build_id, on_log) if on_log is not None else None
    last_status: str | None = None
    last_error: Exception | None = None
    finished: Build | None = None  # terminal build whose last log lines are still unread
    while True:
        now = yield Now()
        delay = deadline.clip(next(delays), now)
        if delay is None:
            if finished is not None:
                # The outcome is known; only the log feed kept failing. Report the
                # outcome rather than a timeout.
                logger.warning("build %s: the last log lines could not be read", build_id)
                return (yield from _finish(api, build_id, finished, feed, on_status, last_status))
            raise WaitTimeoutError(build_id, last_status, deadline.elapsed(now)) from last_error
        yield Sleep(delay)
        try:
            build = finished or (yield from bounded(api.get_build(build_id), deadline))
            if build.is_terminal:
                finished = build
            if feed is not None:
                yield from bounded(feed.drain(), deadline)
        except _LOOK_AGAIN as exc:
            if feed is not None and feed.callback_failed:
                raise  # on_log's own error (say, from another client it calls): not ours
            logger.debug("waiting for build %s: %s; retrying", build_id, exc)
            last_error = exc
            continue
        last_error = None
        if build.is_terminal:
            return (yield from _finish(api, build_id, build, feed, on_status, last_status))
        if build.status != last_status:
            last_status = build.status
            if on_status is not None:
                on_status(build)


def _finish(
    api: BuildApi,
    build_id: str,
    build: Build,
    feed: BuildLogFeed | None,
    on_status: Callable[[Build], object] | None,
    last_status: str | None,
) -> Flow[Build]:
    if build.status != last_status and on_status is not None:
        on_status(build)
    if build.status == "succeeded":
        return build
    tail = tuple(feed.tail) if feed is not None else (yield from fetch_log_tail(api, build_id))
    raise BuildFailedError(build, tail)
