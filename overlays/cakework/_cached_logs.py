"""A cached VM's whole log, served page by page as ``getVMLogs`` would serve it.

``getCachedVMLogs`` has no paging, filter or order: it returns every line. To give
``cached_vms.logs`` the keywords of the other two log readers (``query``, ``order``,
``since``/``until``, ``max_items``, ``follow``, ``cursor``), the whole log is fetched and
:func:`cached_log_page` applies the request to it the way the API applies it to a VM's
log; the one log core (``LogStream``) then does the rest, exactly as for ``vms.logs``.
The answer is a single page without a cursor, so ``batch`` changes nothing.
"""

from __future__ import annotations

from typing import Protocol

from ._flow import Flow
from ._models import LogLine, LogPage, parse_timestamp


class _Request(Protocol):
    """The fields of a ``LogRequest`` that select lines."""

    @property
    def query(self) -> str | None: ...
    @property
    def order(self) -> str | None: ...
    @property
    def from_(self) -> str | None: ...
    @property
    def to(self) -> str | None: ...


def time_bound_ms(value: str | None) -> int | None:
    """A ``from``/``to`` value in epoch ms.

    Any shape ``LogWindowBound`` allows: ISO 8601 (as ``since``/``until`` become), or the
    API's own ``2023-03-07 06:12:56 UTC``.

    Raises:
        ValueError: ``value`` is not such a timestamp.
    """
    if value is None:
        return None
    return int(parse_timestamp(value.removesuffix(" UTC")).timestamp() * 1000)


def cached_log_page(
    lines: tuple[LogLine, ...],
    *,
    query: str | None,
    order: str | None,
    from_: str | None,
    to: str | None,
) -> LogPage:
    """The lines of ``lines`` that the request selects, in its order, as one last page.

    Args:
        lines: The cached VM's whole log, as ``getCachedVMLogs`` returned it.
        query: Case-insensitive substring of the message.
        order: ``oldest_first`` (also ``None``) or ``newest_first``.
        from_: Earliest time (inclusive), ISO 8601.
        to: Latest time (inclusive), ISO 8601.

    Raises:
        ValueError: ``from_`` or ``to`` is not ISO 8601.
    """
    start, end = time_bound_ms(from_), time_bound_ms(to)
    needle = query.casefold() if query else None
    chosen = [
        line
        for line in lines
        if (needle is None or needle in line.message.casefold())
        and (start is None or line.timestamp_ms >= start)
        and (end is None or line.timestamp_ms <= end)
    ]
    chosen.sort(key=lambda line: line.timestamp_ms, reverse=order == "newest_first")
    return LogPage(lines=tuple(chosen))


def cached_page_flow(fetch: Flow[tuple[LogLine, ...]], request: _Request) -> Flow[LogPage]:
    """Fetch the whole log (``fetch``: a getCachedVMLogs flow) and answer ``request``."""
    lines = yield from fetch
    return cached_log_page(
        lines, query=request.query, order=request.order, from_=request.from_, to=request.to
    )
