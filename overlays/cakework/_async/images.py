"""``client.images``: importing and building images, their build status and logs.

Every method checks its arguments first (``InvalidParameterError``, also a
``ValueError``, before anything is sent) and raises an ``APIError`` subclass when a
request fails for good: an ``APIStatusError`` subclass for an error status,
``APIConnectionError``/``APITimeoutError`` without a response, ``ResponseValidationError``
for a body the spec does not allow.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Unpack

from cakework_spec.resources import AsyncImagesBase

from .. import _polling
from .. import _validate as check
from .._concurrency import blocking_async
from .._flow import Flow
from .._log_stream import open_log_stream
from .._models import BuildFile, LogLine, LogPage
from .._pages import LogBatch, LogPosition, LogRequest
from .._params import log_request, split_log_filters
from .._waits import wait_for_build
from .iterators import AsyncLogIterator
from .resource import AsyncResource

if TYPE_CHECKING:
    from cakework_spec.params import BuildFileParam, GetBuildLogsFilters, GetBuildLogsParams

    from .._models import Build


class AsyncImages(AsyncResource, AsyncImagesBase):
    """Image operations (``client.images``).

    The plain calls (``import_image``, ``build_from_github``, ``get_build``, and any
    operation the spec adds) are generated in ``AsyncImagesBase``; this class adds the
    behaviour.

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    async def build_from_files(
        self, *, dockerfile: str, files: Sequence[BuildFile | BuildFileParam]
    ) -> Build:
        """Start building an image from a Dockerfile and the files it needs.

        Args:
            dockerfile: The Dockerfile, as text.
            files: The build context: ``BuildFile(dir, name, content)`` objects, or dicts
                in the API's JSON shape ``{"dir": ..., "name": ..., "content": ...}``
                (:class:`cakework.BuildFileParam`), with text content
                (``build_from_directory`` makes them from a folder).

        Returns:
            The build, usually in status ``created``; see ``wait_for_build``.
        """
        checked = check.build_files(files)
        dockerfile = check.argument("buildImageFromFiles", "dockerfile", dockerfile)
        return await self._pump(self._api.build_from_files(dockerfile, checked))

    async def build_from_directory(
        self, path: str | os.PathLike[str], dockerfile: str | None = None
    ) -> Build:
        """Start building an image from a local folder, as ``docker build <path>`` would.

        Every file under ``path`` is sent, except what ``.dockerignore`` excludes
        (Docker's rules) and ``.git``; symlinks leading outside ``path`` are not followed.
        The folder is checked completely before anything is sent.

        Args:
            path: The build context folder.
            dockerfile: The Dockerfile text; by default ``path/Dockerfile`` is read.

        Returns:
            The build, usually in status ``created``.

        Raises:
            BuildContextError: (a ``ValueError``) no Dockerfile, a malformed
                ``.dockerignore``, or files that cannot be sent as text (all named).
        """
        path = check.local_path("path", path)
        if dockerfile is not None:  # checked now: before the folder is walked
            dockerfile = check.argument("buildImageFromFiles", "dockerfile", dockerfile)
        # Loaded here: walking a folder is the one thing that needs it, and the client's
        # import should not pay for it.
        from .._directory import collect_build_context

        context = await blocking_async(collect_build_context, path, dockerfile)
        return await self.build_from_files(dockerfile=context.dockerfile, files=context.files)

    async def get_build_logs(self, build_id: str, **params: Unpack[GetBuildLogsParams]) -> LogPage:
        """Get one page of a build's logs (``getBuildLogs``).

        To get the next page, pass the page's ``pagination``, ``from_`` and ``to`` back
        unchanged with the same ``query``, ``batch`` and ``order``.

        Args:
            build_id: The build.
            **params: The operation's query arguments: ``query`` (case-insensitive
                substring filter), ``batch`` (lines per page), ``order``
                (``"oldest_first"`` or ``"newest_first"``), and ``pagination``,
                ``from_``, ``to`` from the previous page.

        Returns:
            The page: ``lines`` and the ``pagination``/``from_``/``to`` to continue
            with (``build_logs`` does all of this for you).
        """
        build_id = check.ident("build_id", build_id)
        request = log_request("getBuildLogs", params)
        answer = await self._pump(self._api.get_build_logs(build_id, request))
        return answer.page()

    async def wait_for_build(
        self,
        build_id: str,
        timeout: float | None = _polling.BUILD_TIMEOUT,  # noqa: ASYNC109 - a deadline
        on_status: Callable[[Build], object] | None = None,
        on_log: Callable[[LogLine], object] | None = None,
    ) -> Build:
        """Wait until a build has finished and return it if it succeeded.

        Polls getBuild after 1 s, then every 1.5x longer up to 15 s (±20 % jitter);
        connection errors, timeouts, 429 and 5xx during the wait are retried, not raised.
        With the async client, cancelling the awaiting task stops the wait at once.

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
        build_id = check.ident("build_id", build_id)
        check.check_timeout(timeout)
        check.callback("on_status", on_status)
        check.callback("on_log", on_log)
        flow = wait_for_build(
            self._api,
            build_id,
            timeout=timeout,
            on_status=on_status,
            on_log=on_log,
            rng=self._pump.new_rng(),
        )
        return await self._pump(flow)

    def build_logs(
        self,
        build_id: str,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
        **params: Unpack[GetBuildLogsFilters],
    ) -> AsyncLogIterator:
        """Iterate over a build's log lines, fetching pages lazily.

        Pages are followed by the API's continuation rule and reading stops on a missing
        cursor, an empty page or a repeated cursor. Memory holds one page.

        Args:
            build_id: The build.
            since: Start of the time window (datetime, or an ISO 8601 string).
            until: End of the time window.
            max_items: Stop after this many lines.
            follow: Like ``tail -f``: keep polling for new lines until the build has
                finished and its last lines are read (``oldest_first`` only).
            cursor: Continue where an earlier iterator stopped (its ``.cursor``); the
                query, batch, order and window come from the cursor.
            **params: getBuildLogs' filters, repeated on every page: ``query``
                (case-insensitive substring), ``order`` (``"oldest_first"``, the
                default, or ``"newest_first"``), ``batch`` (lines per request).

        Returns:
            An iterator of LogLine with ``.cursor`` and ``.close()``.
        """
        build_id = check.ident("build_id", build_id)
        api = self._api
        query, order, batch, extra = split_log_filters(params)

        def fetch(request: LogRequest) -> Flow[LogBatch]:
            return api.get_build_logs(build_id, request)

        def is_finished() -> Flow[bool]:
            build = yield from api.get_build(build_id)
            return build.is_terminal

        stream = open_log_stream(
            fetch,
            is_finished,
            query=query,
            order=order,
            batch=batch,
            extra=extra,
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
            rng=self._pump.new_rng(),
        )
        return AsyncLogIterator(stream, self._pump)
