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

from .. import _polling
from .. import _validate as check
from .._concurrency import blocking_async
from .._config import mask
from .._flow import Flow
from .._log_stream import open_log_stream
from .._models import Build, BuildFile, Image, LogLine, LogPage
from .._pages import LogBatch, LogPosition, LogRequest
from .._param_types import BuildFileParam
from .._params import log_request
from .._request import Api
from .._waits import wait_for_build
from .iterators import AsyncLogIterator
from .pump import AsyncPump


class AsyncImages:
    """Image operations (``client.images``).

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    def __init__(self, api: Api, pump: AsyncPump) -> None:
        self._api = api
        self._pump = pump

    async def import_image(self, *, image_uri: str, password: str) -> Image:
        """Import an image from an AWS ECR repository.

        Args:
            image_uri: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]``.
            password: The registry password (never logged or shown).

        Returns:
            The imported image.
        """
        password = mask(password)
        image_uri = check.image_uri(image_uri)
        password = check.secret_text("password", password)
        return await self._pump(self._api.import_image(image_uri, password))

    async def build_from_files(
        self, *, dockerfile: str, files: Sequence[BuildFile | BuildFileParam]
    ) -> Build:
        """Start building an image from a Dockerfile and the files it needs.

        Args:
            dockerfile: The Dockerfile, as text.
            files: The build context: ``BuildFile(dir, name, content)`` objects, or dicts
                in the API's JSON shape ``{"dir": ..., "name": ..., "content": ...}``
                (:class:`~cakework.BuildFileParam`), with text content
                (``build_from_directory`` makes them from a folder).

        Returns:
            The build, usually in status ``created``; see ``wait_for_build``.
        """
        checked = check.build_files(files)
        dockerfile = check.non_empty("dockerfile", dockerfile)
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
        dockerfile = check.optional_non_empty("dockerfile", dockerfile)
        # Loaded here: walking a folder is the one thing that needs it, and the client's
        # import should not pay for it.
        from .._directory import collect_build_context

        context = await blocking_async(collect_build_context, path, dockerfile)
        return await self.build_from_files(dockerfile=context.dockerfile, files=context.files)

    async def build_from_github(
        self,
        *,
        dockerfile: str,
        repository: str,
        branch: str,
        token: str,
        dockerignore: str | None = None,
    ) -> Build:
        """Start building an image from a GitHub repository (``org/repo``) and branch.

        Args:
            dockerfile: The Dockerfile, as text.
            repository: ``org/repo``.
            branch: The branch to build.
            token: A GitHub token with read access (never logged or shown).
            dockerignore: Optional ``.dockerignore`` text.

        Returns:
            The build, usually in status ``created``.
        """
        token = mask(token)
        flow = self._api.build_from_github(
            check.non_empty("dockerfile", dockerfile),
            check.repository(repository),
            check.non_empty("branch", branch),
            check.secret_text("token", token),
            check.optional_text("dockerignore", dockerignore),
        )
        return await self._pump(flow)

    async def get_build(self, build_id: str) -> Build:
        """Get a build's current status.

        Args:
            build_id: The build.

        Returns:
            The build; ``status`` is ``created`` while it runs (any value other than
            ``succeeded`` or ``failed`` means it is still running).

        Raises:
            NotFoundError: No such build (or it belongs to another API key).
        """
        return await self._pump(self._api.get_build(check.ident("build_id", build_id)))

    async def get_build_logs(
        self,
        build_id: str,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> LogPage:
        """Get one page of a build's logs.

        To get the next page, pass the page's ``pagination``, ``from_`` and ``to`` back
        unchanged with the same ``query``, ``batch`` and ``order``.

        Args:
            build_id: The build.
            query: Case-insensitive substring filter.
            batch: Lines per page, 50-1000 (server default 100).
            order: ``"oldest_first"`` (default) or ``"newest_first"``.
            pagination: Continuation token from the previous page.
            from_: Continuation ``from`` value from the previous page.
            to: Continuation ``to`` value from the previous page.

        Returns:
            The page: ``lines`` and the ``pagination``/``from_``/``to`` to continue
            with (``build_logs`` does all of this for you).
        """
        build_id = check.ident("build_id", build_id)
        request = log_request(
            query=query, batch=batch, order=order, pagination=pagination, from_=from_, to=to
        )
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
        query: str | None = None,
        order: str = "oldest_first",
        batch: int | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        max_items: int | None = None,
        follow: bool = False,
        cursor: LogPosition | None = None,
    ) -> AsyncLogIterator:
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
        build_id = check.ident("build_id", build_id)
        api = self._api

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
            since=since,
            until=until,
            max_items=max_items,
            follow=follow,
            cursor=cursor,
            rng=self._pump.new_rng(),
        )
        return AsyncLogIterator(stream, self._pump)
