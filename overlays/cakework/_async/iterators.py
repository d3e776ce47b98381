"""The public iterators: pop what a source buffered, refill it through the client's pump.

All paging, stop rules and follow logic live in the sources (``_log_stream``,
``_vm_list``); an iterator only drives one ``fill()`` flow when its buffer is empty
(``_drivers``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Generic, TypeVar

from .._drivers import Source, items_async, pages_async
from .._flow import AsyncRunner
from .._log_stream import LogStream
from .._models import LogLine
from .._pages import LogPosition

if TYPE_CHECKING:
    from .._models import VM

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """Iterator over a :class:`~cakework._drivers.Source`, refilled through the pump."""

    def __init__(self, source: Source[T], pump: AsyncRunner) -> None:
        self._source = source
        self._pump = pump

    def __aiter__(self) -> AsyncIterator[T]:
        # Items that need no check go out one C-level step each (see items_async).
        return items_async(self._source, self._pump)

    async def __anext__(self) -> T:
        while True:
            item = self._source.pop()
            if item is not None:
                return item
            if not await self._pump(self._source.fill()):
                raise StopAsyncIteration

    def pages(self) -> AsyncIterator[tuple[T, ...]]:
        """The same items a page at a time: one tuple per response, in order.

        For loops that work on whole pages: the items of a page are handed over at
        once, with no step per item. Each tuple holds what one response brought that
        this iterator had not handed out yet (a page, less what ``max_items``, a
        resumed ``cursor`` or a follow poll's repeats leave out); none is empty. It
        shares the position with the iterator itself, so items and pages may be
        mixed, and breaking off continues where it stopped.

        Returns:
            An iterator of tuples of items. Getting the next tuple raises the errors of
            the page request it makes, as iterating item by item does.
        """
        return pages_async(self._source, self._pump)

    def close(self) -> None:
        """Stop iterating (e.g. end a follow); later calls for the next item end at once."""
        self._source.close()

    # unasync: async-only
    async def aclose(self) -> None:
        """Same as :meth:`close`, for ``contextlib.aclosing`` and symmetry with generators."""
        self.close()

    # unasync: end
    async def __aenter__(self) -> AsyncPager[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class AsyncLogIterator(AsyncPager[LogLine]):
    """Iterator of :class:`cakework.LogLine` over pages fetched lazily.

    Returned by ``images.build_logs`` and ``vms.logs``. Memory stays at one page however
    many lines flow through. ``close()`` ends it at any time (also a ``follow``);
    :attr:`cursor` tells where to continue later.

    Getting the next line raises the errors of the page request it makes (``APIError``
    subclasses); iterating again re-sends that same request, so no line is skipped or
    repeated.
    """

    def __init__(self, stream: LogStream, pump: AsyncRunner) -> None:
        super().__init__(stream, pump)
        self._stream = stream

    # The base is private: defined here too, so the reference documents them.
    def close(self) -> None:
        """Stop iterating (e.g. end a follow); later calls for the next item end at once."""
        super().close()

    # unasync: async-only
    async def aclose(self) -> None:
        """Same as :meth:`close`, for ``contextlib.aclosing`` and symmetry with generators."""
        await super().aclose()

    # unasync: end

    def pages(self) -> AsyncIterator[tuple[LogLine, ...]]:
        """The same lines a page at a time: one non-empty tuple per response, in order.

        Shares the position with the iterator itself, so lines and pages may be mixed.

        Returns:
            An iterator of tuples of lines; getting the next tuple raises the errors of
            the page request it makes.
        """
        return super().pages()

    @property
    def cursor(self) -> LogPosition | None:
        """Resume point: pass it as ``cursor=`` to continue from the next undelivered line."""
        return self._stream.position

    async def __aenter__(self) -> AsyncLogIterator:
        return self


class AsyncVMIterator(AsyncPager["VM"]):
    """Iterator of VMs across all listVMs pages (``vms.list``).

    Getting the next VM raises the errors of the page request it makes (``APIError``
    subclasses); iterating again re-sends that same request.
    """

    def pages(self) -> AsyncIterator[tuple[VM, ...]]:
        """The same VMs a page at a time: one non-empty tuple per listVMs response.

        Shares the position with the iterator itself, so VMs and pages may be mixed.

        Returns:
            An iterator of tuples of VMs; getting the next tuple raises the errors of
            the page request it makes.
        """
        return super().pages()

    # The base is private: defined here too, so the reference documents them.
    def close(self) -> None:
        """Stop iterating (e.g. end a follow); later calls for the next item end at once."""
        super().close()

    # unasync: async-only
    async def aclose(self) -> None:
        """Same as :meth:`close`, for ``contextlib.aclosing`` and symmetry with generators."""
        await super().aclose()

    # unasync: end
