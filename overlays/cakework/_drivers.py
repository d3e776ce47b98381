"""The iterator drivers: how a ``for`` / ``async for`` loop runs a paged source.

Rule of this module: the public iterators (``_async/iterators.py`` and its generated
twin) are thin drivers over a :class:`Source`: they take buffered items and, when the
buffer is empty, run one ``fill()`` flow through the client's pump. Every paging, stop
and follow decision lives in the source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import chain
from typing import Generic, Protocol, TypeVar

from ._flow import AsyncRunner, Flow, Runner

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Source(Protocol[T_co]):
    """What the iterator drivers need: a buffer to pop from and a flow that refills it."""

    def pop(self) -> T_co | None:
        """Return the next buffered item, or ``None`` if the buffer is empty."""
        ...

    def run(self) -> Iterator[T_co]:
        """Buffered items that can go out as they are (each counted as popped by then)."""
        ...

    def fill(self) -> Flow[bool]:
        """Fetch until an item is buffered (``True``) or the source is finished (``False``)."""
        ...

    def close(self) -> None:
        """Finish the source; ``pop`` and ``fill`` return nothing from now on."""
        ...


def items_sync(source: Source[T], pump: Runner) -> Iterator[T]:
    """What a ``for`` loop over a pager runs: every item of ``source``, refilled by ``pump``.

    A chain of the source's runs: an item that needs no check goes out in one C-level
    step (``itertools.chain`` over the iterator :meth:`Source.run` gives), and Python
    runs once per run, to pop an item that needs a check or to refill. The position lives
    in the source, so breaking off and iterating again (or mixing with ``next``)
    continues exactly after the last item handed out.
    """
    return chain.from_iterable(_runs_sync(source, pump))


def _runs_sync(source: Source[T], pump: Runner) -> Iterator[Iterable[T]]:
    while True:
        yield source.run()
        item = source.pop()
        if item is not None:
            yield (item,)
        elif not pump(source.fill()):
            return


def _buffered(source: Source[T]) -> tuple[T, ...]:
    """Everything ``source`` holds now, each item counted as handed out.

    The run goes into the tuple in C; Python runs again only for an item that needs a
    check (a follow poll's), as in :func:`items_sync`.
    """
    items = tuple(source.run())
    item = source.pop()
    if item is None:
        return items
    rest = [*items]
    while item is not None:
        rest.append(item)
        rest.extend(source.run())
        item = source.pop()
    return tuple(rest)


def pages_sync(source: Source[T], pump: Runner) -> Iterator[tuple[T, ...]]:
    """What ``pages()`` of a reader runs: the items of ``source`` a buffer at a time.

    Each tuple is what one fill brought in (one page, less what ``max_items``, a resumed
    position or a follow poll's repeats leave out); never an empty one. Breaking off and
    iterating again continues after the last page handed out, like :func:`items_sync`.
    """
    while True:
        items = _buffered(source)
        if items:
            yield items
        elif not pump(source.fill()):
            return


def pages_async(source: Source[T], pump: AsyncRunner) -> AsyncIterator[tuple[T, ...]]:
    """:func:`pages_sync` for asyncio: one ``await`` per page, none per item."""
    return _AsyncPages(source, pump)


class _AsyncPages(Generic[T]):
    # A class, not an async generator: one dropped half-way needs no finalizing by the
    # event loop, and anext(it, default) works on it (on CPython 3.11 it fails with a
    # SystemError for an async generator that is finished).

    __slots__ = ("_pump", "_source")

    def __init__(self, source: Source[T], pump: AsyncRunner) -> None:
        self._source = source
        self._pump = pump

    def __aiter__(self) -> _AsyncPages[T]:
        return self

    async def __anext__(self) -> tuple[T, ...]:
        source = self._source
        while True:
            items = _buffered(source)
            if items:
                return items
            if not await self._pump(source.fill()):
                raise StopAsyncIteration


def items_async(source: Source[T], pump: AsyncRunner) -> AsyncIterator[T]:
    """What an ``async for`` loop over a pager runs: :func:`items_sync` for asyncio."""
    return _AsyncItems(source, pump)


class _AsyncItems(Generic[T]):
    # A class, not an async generator: an async generator hands each item over inside a
    # StopIteration, and for a tuple (a LogLine is one) CPython makes that exception
    # object per item, which costs more than the coroutine __anext__ makes.

    __slots__ = ("_pump", "_run", "_source")

    def __init__(self, source: Source[T], pump: AsyncRunner) -> None:
        self._source = source
        self._pump = pump
        self._run: Iterator[T] = iter(())

    def __aiter__(self) -> _AsyncItems[T]:
        return self

    async def __anext__(self) -> T:
        for item in self._run:
            return item
        source = self._source
        while True:
            popped = source.pop()
            if popped is not None:
                self._run = source.run()
                return popped
            if not await self._pump(source.fill()):
                raise StopAsyncIteration
