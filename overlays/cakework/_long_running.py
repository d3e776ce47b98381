"""The long-running resource methods: waits, log iterators, VM listing and ``vms.run``.

Mixed into the resource classes (``Images``/``AsyncImages``, ``VMs``/``AsyncVMs``,
``CachedVMs``/``AsyncCachedVMs``). Everything that decides anything is built once by the
``_*_stream``/``_*_flow`` helpers below from the flows and state objects of ``_waiting``,
``_pagination`` and ``_run``; the sync and async methods only hand the result to their
client's pump (``client._run``), so they differ in ``await`` alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import _polling
from . import _validate as check
from ._flow import Flow
from ._models import VM, Build, LogLine, LogPage, VMPage
from ._pagination import (
    AsyncLogIterator,
    AsyncPager,
    AsyncVMIterator,
    LogIterator,
    LogPosition,
    LogRequest,
    LogStream,
    SyncPager,
    VMIterator,
    VMListRequest,
    VMListStream,
    format_log_time,
)
from ._run import arun_vm, run_vm
from ._waiting import CACHED_VM_DEAD_STATES, check_timeout, wait_for_build, wait_for_vm_state
from .errors import InvalidParameterError

if TYPE_CHECKING:
    from ._api import Api
    from ._client import AsyncCakework, Cakework

VM_FINISHED_STATES = frozenset({"stopped", "destroyed"})
"""A followed VM log ends once the VM is in one of these states."""


def _log_stream(
    fetch: Callable[[LogRequest], Flow[LogPage]],
    is_finished: Callable[[], Flow[bool]],
    *,
    query: str | None,
    order: str,
    batch: int | None,
    since: datetime | str | None,
    until: datetime | str | None,
    max_items: int | None,
    follow: bool,
    cursor: LogPosition | None,
) -> LogStream:
    """Check the arguments of ``build_logs``/``logs`` and build the one log core."""
    check.one_of("order", order, check.LOG_ORDERS)
    check.int_in_range("batch", batch, check.BATCH_RANGE)
    check.optional_non_empty("query", query)
    if cursor is not None and not isinstance(cursor, LogPosition):
        raise InvalidParameterError("cursor", cursor, "a LogPosition (an iterator's .cursor)")
    if max_items is not None and (
        isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
    ):
        raise InvalidParameterError("max_items", max_items, "an integer >= 0, or None")
    for name, value in (("since", since), ("until", until)):
        if value is not None and not isinstance(value, datetime | str):
            raise InvalidParameterError(name, value, "a datetime or an ISO 8601 string")
    if follow and order != "oldest_first":
        raise InvalidParameterError("order", order, "'oldest_first' when follow=True")
    if cursor is not None:
        if cursor.request.order != "oldest_first" and follow:
            raise InvalidParameterError("cursor", cursor, "an oldest_first cursor to follow")
        first, offset = cursor.request, cursor.offset
    else:
        first = LogRequest(
            query=query,
            batch=batch,
            order=order,
            from_=format_log_time(since),
            to=format_log_time(until),
        )
        offset = 0
    return LogStream(
        fetch,
        first,
        max_items=max_items,
        follow=is_finished if follow else None,
        rng=_polling.new_rng(),
        offset=offset,
    )


def _build_log_stream(api: Api, build_id: str, **kwargs: Any) -> LogStream:
    check.non_empty("build_id", build_id)

    def fetch(request: LogRequest) -> Flow[LogPage]:
        return api.get_build_logs(build_id, **request.kwargs())

    def is_finished() -> Flow[bool]:
        build = yield from api.get_build(build_id)
        return build.is_terminal

    return _log_stream(fetch, is_finished, **kwargs)


def _vm_log_stream(api: Api, vm_id: str, **kwargs: Any) -> LogStream:
    check.non_empty("vm_id", vm_id)

    def fetch(request: LogRequest) -> Flow[LogPage]:
        return api.get_vm_logs(vm_id, **request.kwargs())

    def is_finished() -> Flow[bool]:
        vm = yield from api.get_vm(vm_id)
        return vm.state in VM_FINISHED_STATES

    return _log_stream(fetch, is_finished, **kwargs)


def _vm_list_stream(api: Api, image_id: str | None, status: str | None) -> VMListStream:
    check.optional_non_empty("image_id", image_id)
    check.vm_status(status)

    def fetch(request: VMListRequest) -> Flow[VMPage]:
        return api.list_vms(**request.kwargs())

    return VMListStream(fetch, VMListRequest(image_id=image_id, status=status))


class _CachedLogSource:
    """getCachedVMLogs has no paging: one request, then its lines one by one."""

    def __init__(self, api: Api, id: str) -> None:
        check.non_empty("id", id)
        self._api = api
        self._id = id
        self._lines: tuple[LogLine, ...] | None = None
        self._index = 0

    def pop(self) -> LogLine | None:
        if self._lines is None or self._index >= len(self._lines):
            return None
        line = self._lines[self._index]
        self._index += 1
        return line

    def fill(self) -> Flow[bool]:
        if self._lines is None:
            self._lines = yield from self._api.get_cached_vm_logs(self._id)
        return self._index < len(self._lines)

    def close(self) -> None:
        self._lines = ()


def _build_wait(
    api: Api,
    build_id: str,
    timeout: float | None,
    on_status: Callable[[Build], object] | None,
    on_log: Callable[[LogLine], object] | None,
) -> Flow[Build]:
    check.non_empty("build_id", build_id)
    check_timeout(timeout)
    for name, callback in (("on_status", on_status), ("on_log", on_log)):
        if callback is not None and not callable(callback):
            # Found now, not as "object is not callable" in the middle of the wait.
            raise InvalidParameterError(name, callback, "a callable or None")
    return wait_for_build(
        api,
        build_id,
        timeout=timeout,
        on_status=on_status,
        on_log=on_log,
        rng=_polling.new_rng(),
    )


def _vm_wait(
    api: Api, vm_id: str, state: str, timeout: float | None, *, cached: bool = False
) -> Flow[VM]:
    check.non_empty("vm_id", vm_id)
    check_timeout(timeout)
    return wait_for_vm_state(
        api,
        vm_id,
        state,
        timeout=timeout,
        rng=_polling.new_rng(),
        dead_states=CACHED_VM_DEAD_STATES if cached else None,
    )


# -- images -------------------------------------------------------------------------------


class ImagesLongRunning:
    """``images.wait_for_build`` and ``images.build_logs`` of :class:`~cakework.Cakework`."""

    _client: Cakework

    def wait_for_build(
        self,
        build_id: str,
        timeout: float | None = _polling.BUILD_TIMEOUT,
        on_status: Callable[[Build], object] | None = None,
        on_log: Callable[[LogLine], object] | None = None,
    ) -> Build:
        """Wait until a build has finished and return it if it succeeded.

        Polls getBuild after 1 s, then every 1.5x longer up to 15 s (±20 % jitter);
        connection errors, timeouts, 429 and 5xx during the wait are retried, not raised.

        Args:
            build_id: The build.
            timeout: Seconds to wait (default 30 min); ``None`` waits forever.
            on_status: Called with the Build each time its status is seen to change.
            on_log: Called with every build log line, exactly once and in order, while
                waiting (costs a log request per poll).

        Returns:
            The succeeded Build, with ``image_id``.

        Raises:
            BuildFailedError: The build failed; ``log_tail`` holds its last 50 lines.
            WaitTimeoutError: ``timeout`` passed first.
            APIError: A request failed for good (e.g. ``NotFoundError``); transient
                failures are retried within ``timeout`` instead.
            Exception: Whatever ``on_status`` or ``on_log`` raise ends the wait and is
                re-raised unchanged.
        """
        flow = _build_wait(self._client._api, build_id, timeout, on_status, on_log)
        return self._client._run(flow)

    def build_logs(
        self,
        build_id: str,
        *,
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> LogIterator:
        """Iterate over a build's log lines, fetching pages lazily.

        Pages are followed by the API's continuation rule and reading stops on a missing
        cursor, an empty page or a repeated cursor. Memory holds one page.

        Args:
            build_id: The build.
            query: Case-insensitive substring filter.
            order: ``"oldest_first"`` or ``"newest_first"``.
            batch: Lines per request, 50-1000 (server default 100).
            since: Start of the time window (datetime, or an ISO 8601 string).
            until: End of the time window.
            max_items: Stop after this many lines.
            follow: Like ``tail -f``: keep polling for new lines until the build has
                finished and its last lines are read (``oldest_first`` only).
            cursor: Continue where an earlier iterator stopped (its ``.cursor``); the
                query, batch, order and window come from the cursor.

        Returns:
            An iterator of LogLine with ``.cursor`` and ``.close()``.
        """
        stream = _build_log_stream(
            self._client._api,
            build_id,
            query=query,
            order=order,
            batch=batch,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
        )
        return LogIterator(stream, self._client._run)


class AsyncImagesLongRunning:
    """``images.wait_for_build`` and ``images.build_logs`` of :class:`~cakework.AsyncCakework`."""

    _client: AsyncCakework

    async def wait_for_build(
        self,
        build_id: str,
        timeout: float | None = _polling.BUILD_TIMEOUT,  # noqa: ASYNC109 - a deadline, not an I/O timeout
        on_status: Callable[[Build], object] | None = None,
        on_log: Callable[[LogLine], object] | None = None,
    ) -> Build:
        """Wait until a build has finished (see ``Images.wait_for_build``).

        Cancelling the awaiting task stops the wait at once; nothing keeps running.
        """
        flow = _build_wait(self._client._api, build_id, timeout, on_status, on_log)
        return await self._client._run(flow)

    def build_logs(
        self,
        build_id: str,
        *,
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> AsyncLogIterator:
        """``async for`` over a build's log lines (see ``Images.build_logs``)."""
        stream = _build_log_stream(
            self._client._api,
            build_id,
            query=query,
            order=order,
            batch=batch,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
        )
        return AsyncLogIterator(stream, self._client._run)


# -- VMs ----------------------------------------------------------------------------------


class VMsLongRunning:
    """``vms.wait_for_state``, ``vms.logs``, ``vms.list`` and ``vms.run`` (sync)."""

    _client: Cakework

    def wait_for_state(
        self, vm_id: str, state: str = "started", timeout: float | None = _polling.VM_STATE_TIMEOUT
    ) -> VM:
        """Wait until a VM is in ``state`` and return it.

        Args:
            vm_id: The VM.
            state: ``created``, ``started`` (default), ``stopped`` (``destroyed`` also
                counts) or ``destroyed``.
            timeout: Seconds to wait (default 5 min); ``None`` waits forever.

        Raises:
            UnreachableStateError: The VM reached a state from which ``state`` can no
                longer be reached (e.g. ``stopped`` while waiting for ``started``).
            WaitTimeoutError: ``timeout`` passed first.
        """
        return self._client._run(_vm_wait(self._client._api, vm_id, state, timeout))

    def logs(
        self,
        vm_id: str,
        *,
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> LogIterator:
        """Iterate over a VM's log lines (arguments as ``images.build_logs``).

        With ``follow=True`` it ends once the VM is stopped or destroyed and its last
        lines are read.
        """
        stream = _vm_log_stream(
            self._client._api,
            vm_id,
            query=query,
            order=order,
            batch=batch,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
        )
        return LogIterator(stream, self._client._run)

    def list(self, image_id: str | None = None, status: str | None = None) -> VMIterator:
        """Iterate over your VMs across all listVMs pages, optionally filtered."""
        return VMIterator(_vm_list_stream(self._client._api, image_id, status), self._client._run)

    def run(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
        timeout: float | None = _polling.VM_STATE_TIMEOUT,
    ) -> contextlib.AbstractContextManager[VM]:
        """Start a VM, wait until it is started, and stop it when the block ends.

        ``with client.vms.run(image_id=...) as vm:`` — the VM is stopped on every way out
        of the block, also after an exception or Ctrl-C (even one that arrives while
        startVM is in flight: its answer is awaited so the new VM can be stopped); a
        failed stop is logged on the ``cakework`` logger and never hides the block's own
        exception.

        Args:
            image_id: The image to run.
            cpu: CPUs, 1-8.
            memory: Memory in MB, 256-16384.
            port: The internal port to open.
            env_vars: Environment variables.
            volume_gb: Persistent storage in GB, 1-500.
            timeout: Seconds to wait for ``started``; ``None`` waits forever.
        """
        check_timeout(timeout)
        return run_vm(
            self._client._run,
            self._client._api,
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            volume_gb=volume_gb,
            timeout=timeout,
            rng=_polling.new_rng(),
        )


class AsyncVMsLongRunning:
    """``vms.wait_for_state``, ``vms.logs``, ``vms.list`` and ``vms.run`` (async)."""

    _client: AsyncCakework

    async def wait_for_state(
        self,
        vm_id: str,
        state: str = "started",
        timeout: float | None = _polling.VM_STATE_TIMEOUT,  # noqa: ASYNC109 - a deadline
    ) -> VM:
        """Wait until a VM is in ``state`` (see ``VMs.wait_for_state``); cancellable."""
        return await self._client._run(_vm_wait(self._client._api, vm_id, state, timeout))

    def logs(
        self,
        vm_id: str,
        *,
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> AsyncLogIterator:
        """``async for`` over a VM's log lines (see ``VMs.logs``)."""
        stream = _vm_log_stream(
            self._client._api,
            vm_id,
            query=query,
            order=order,
            batch=batch,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
        )
        return AsyncLogIterator(stream, self._client._run)

    def list(self, image_id: str | None = None, status: str | None = None) -> AsyncVMIterator:
        """``async for`` over your VMs across all listVMs pages."""
        return AsyncVMIterator(
            _vm_list_stream(self._client._api, image_id, status), self._client._run
        )

    def run(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
        timeout: float | None = _polling.VM_STATE_TIMEOUT,
    ) -> contextlib.AbstractAsyncContextManager[VM]:
        """``async with client.vms.run(image_id=...) as vm:`` (see ``VMs.run``).

        Also stops the VM when the task is cancelled, including while startVM is in
        flight (the answer is awaited so the new VM can be stopped).
        """
        check_timeout(timeout)
        return arun_vm(
            self._client._run,
            self._client._api,
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            volume_gb=volume_gb,
            start_timeout=timeout,
            rng=_polling.new_rng(),
        )


# -- cached VMs ---------------------------------------------------------------------------


class CachedVMsLongRunning:
    """``cached_vms.wait_for_state`` and ``cached_vms.logs`` (sync)."""

    _client: Cakework

    def wait_for_state(
        self, id: str, state: str = "started", timeout: float | None = _polling.VM_STATE_TIMEOUT
    ) -> VM:
        """Wait until a cached VM is in ``state`` (e.g. after ``start``) and return it.

        Unlike ``vms.wait_for_state``, seeing ``stopped`` while waiting for ``started`` is
        not final: a cached VM may still read ``stopped`` just after startCachedVM. Only
        ``destroyed`` ends the wait early.

        Args:
            id: The cached VM.
            state: ``started`` (default), ``stopped`` or ``destroyed``.
            timeout: Seconds to wait (default 5 min); ``None`` waits forever.

        Returns:
            The VM (getVM's view of the cached VM) in the wanted state.

        Raises:
            UnreachableStateError: The cached VM was destroyed.
            WaitTimeoutError: ``timeout`` passed first.
        """
        return self._client._run(_vm_wait(self._client._api, id, state, timeout, cached=True))

    def logs(self, id: str) -> Iterator[LogLine]:
        """Iterate over all log lines of a cached VM (one request; the API has no paging).

        Args:
            id: The cached VM.

        Returns:
            An iterator of LogLine (typed as a plain ``Iterator``: the pager behind it is
            private). The request is sent on the first ``next()``.
        """
        return SyncPager(_CachedLogSource(self._client._api, id), self._client._run)


class AsyncCachedVMsLongRunning:
    """``cached_vms.wait_for_state`` and ``cached_vms.logs`` (async)."""

    _client: AsyncCakework

    async def wait_for_state(
        self,
        id: str,
        state: str = "started",
        timeout: float | None = _polling.VM_STATE_TIMEOUT,  # noqa: ASYNC109 - a deadline
    ) -> VM:
        """Wait until a cached VM is in ``state`` (see ``CachedVMs.wait_for_state``)."""
        flow = _vm_wait(self._client._api, id, state, timeout, cached=True)
        return await self._client._run(flow)

    def logs(self, id: str) -> AsyncIterator[LogLine]:
        """``async for`` over all log lines of a cached VM (see ``CachedVMs.logs``)."""
        return AsyncPager(_CachedLogSource(self._client._api, id), self._client._run)
