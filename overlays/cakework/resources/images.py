"""``client.images``: importing and building images, and their build status and logs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._config import mask
from .._directory import collect_build_context
from .._long_running import AsyncImagesLongRunning, ImagesLongRunning
from .._models import Build, BuildFile, Image, LogPage

if TYPE_CHECKING:
    import os

    from .._client import AsyncCakework, Cakework


class Images(ImagesLongRunning):
    """Image operations of :class:`~cakework.Cakework`.

    Every method raises ``InvalidParameterError`` (also a ``ValueError``) for an invalid
    argument before anything is sent, and an ``APIError`` subclass when a request fails
    for good (after the retries the operation allows).
    """

    def __init__(self, client: Cakework) -> None:
        self._client = client

    def import_image(self, *, image_uri: str, password: str) -> Image:
        """Import an image from an AWS ECR repository.

        Args:
            image_uri: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]``.
            password: The registry password (never logged or shown).

        Returns:
            The imported image.

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        password = mask(password)
        return self._client._run(
            self._client._api.import_image(image_uri=image_uri, password=password)
        )

    def build_from_files(self, *, dockerfile: str, files: Sequence[BuildFile]) -> Build:
        """Start building an image from a Dockerfile and the files it needs.

        Args:
            dockerfile: The Dockerfile, as text.
            files: The build context: ``BuildFile(dir, name, content)`` with text content
                (``build_from_directory`` makes them from a folder).

        Returns:
            The build, usually in status ``created``; see ``wait_for_build``.

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(
            self._client._api.build_from_files(dockerfile=dockerfile, files=files)
        )

    def build_from_directory(
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
        context = collect_build_context(path, dockerfile)
        return self.build_from_files(dockerfile=context.dockerfile, files=context.files)

    def build_from_github(
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

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        token = mask(token)
        return self._client._run(
            self._client._api.build_from_github(
                dockerfile=dockerfile,
                repository=repository,
                branch=branch,
                token=token,
                dockerignore=dockerignore,
            )
        )

    def get_build(self, build_id: str) -> Build:
        """Get a build's current status.

        Args:
            build_id: The build.

        Returns:
            The build; ``status`` is ``created`` while it runs (any value other than
            ``succeeded`` or ``failed`` means it is still running).

        Raises:
            NotFoundError: No such build (or it belongs to another API key).
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(self._client._api.get_build(build_id))

    def get_build_logs(
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

        Raises:
            InvalidParameterError: An argument is invalid; nothing was sent.
            APIError: The request failed: an ``APIStatusError`` subclass for an error
                status, ``APIConnectionError``/``APITimeoutError`` without a response,
                ``ResponseValidationError`` for a body the spec does not allow.
        """
        return self._client._run(
            self._client._api.get_build_logs(
                build_id,
                query=query,
                batch=batch,
                order=order,
                pagination=pagination,
                from_=from_,
                to=to,
            )
        )


class AsyncImages(AsyncImagesLongRunning):
    """Image operations of :class:`~cakework.AsyncCakework` (see :class:`Images`)."""

    def __init__(self, client: AsyncCakework) -> None:
        self._client = client

    async def import_image(self, *, image_uri: str, password: str) -> Image:
        """Import an image from an AWS ECR repository (see :meth:`Images.import_image`)."""
        password = mask(password)
        return await self._client._run(
            self._client._api.import_image(image_uri=image_uri, password=password)
        )

    async def build_from_files(self, *, dockerfile: str, files: Sequence[BuildFile]) -> Build:
        """Start building an image from files (see :meth:`Images.build_from_files`)."""
        return await self._client._run(
            self._client._api.build_from_files(dockerfile=dockerfile, files=files)
        )

    async def build_from_directory(
        self, path: str | os.PathLike[str], dockerfile: str | None = None
    ) -> Build:
        """Start building from a local folder (see :meth:`Images.build_from_directory`)."""
        # Reading a large folder blocks; keep it off the event loop.
        context = await asyncio.to_thread(collect_build_context, path, dockerfile)
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
        """Start building from GitHub (see :meth:`Images.build_from_github`)."""
        token = mask(token)
        return await self._client._run(
            self._client._api.build_from_github(
                dockerfile=dockerfile,
                repository=repository,
                branch=branch,
                token=token,
                dockerignore=dockerignore,
            )
        )

    async def get_build(self, build_id: str) -> Build:
        """Get a build's current status."""
        return await self._client._run(self._client._api.get_build(build_id))

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
        """Get one page of a build's logs (see :meth:`Images.get_build_logs`)."""
        return await self._client._run(
            self._client._api.get_build_logs(
                build_id,
                query=query,
                batch=batch,
                order=order,
                pagination=pagination,
                from_=from_,
                to=to,
            )
        )
