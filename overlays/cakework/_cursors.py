"""The continuation state of paged reads: what to ask for next, and when to stop.

Rule of this module: the continuation logic lives once, in :class:`LogCursor` /
:class:`VMListCursor` (a pure ``update(page)`` that decides the next request or stop),
with the stop rules both share in :class:`StopRules`.

Continuation rule (``api-ground-truth.md``, openapi.yaml ``getBuildLogs``): the next page
is requested with the same ``query``/``batch``/``order`` and the returned ``pagination``,
``from`` and ``to`` sent back verbatim. Reading stops on a missing cursor, an empty page,
or a cursor already sent — the real service returned a cursor on its last, even empty,
page and clients that simply followed it did not terminate.
"""

from __future__ import annotations

import logging

import attrs

from ._models import LogPage, VMPage
from ._pages import LogBatch, LogRequest, VMListRequest
from .errors import PaginationError

logger = logging.getLogger("cakework")


class StopRules:
    """The stop rules every paged read shares (``api-ground-truth.md``, "Logs").

    Reading stops on a missing cursor, an empty page, or a cursor already sent; the
    last catches a cycle of any length, not only A -> A. One short string per page is
    kept, tiny next to what was read.
    """

    def __init__(self, first: str | None) -> None:
        self._sent: set[str] = {first} if first else set()

    def check(self, token: str | None, *, empty: bool) -> str | None:
        """Why reading must stop after a page, or ``None`` (``token`` is then recorded).

        Args:
            token: The page's continuation token. ``""`` counts as none: the spec's
                ``pagination`` parameter has minLength 1, so sending it back would be
                refused (400) in the middle of the read.
            empty: The page had no items.

        Returns:
            ``"no cursor"``, ``"empty page"``, ``"repeated cursor"`` or ``None``.
        """
        if not token:
            return "no cursor"
        if empty:
            return "empty page"
        if token in self._sent:
            return "repeated cursor"
        self._sent.add(token)
        return None


class LogCursor:
    """Continuation state of one paged log query.

    ``request`` is the next request to send, or ``None`` once the query is finished;
    :meth:`update` is pure (no I/O) and is the only place the continuation rule lives.

    Attributes:
        request: The next request, or ``None`` when reading must stop.
        stop_reason: Why reading stopped: ``"no cursor"``, ``"empty page"`` or
            ``"repeated cursor"`` (``None`` while running).
    """

    def __init__(self, first: LogRequest) -> None:
        self.request: LogRequest | None = first
        self.stop_reason: str | None = None
        self._rules = StopRules(first.pagination)

    def update(self, page: LogBatch | LogPage) -> LogRequest | None:
        """Record the page answering :attr:`request`; return the next request or ``None``."""
        current = self.request
        if current is None:
            raise PaginationError(f"the cursor stopped ({self.stop_reason}); it cannot advance")
        reason = self._rules.check(page.pagination, empty=len(LogBatch.of_page(page)) == 0)
        if reason is not None or not page.pagination:
            logger.debug("log pagination stops: %s", reason)
            self.request = None
            self.stop_reason = reason
            return None
        # from/to go back exactly as received; the docs always send the three together,
        # and if a server leaves one out the window we asked for is kept.
        self.request = LogRequest(
            query=current.query,
            batch=current.batch,
            order=current.order,
            pagination=page.pagination,
            from_=page.from_ if page.from_ is not None else current.from_,
            to=page.to if page.to is not None else current.to,
        )
        return self.request


class VMListCursor:
    """Continuation state of listVMs: same filters, the returned token, same stop rules."""

    def __init__(self, first: VMListRequest) -> None:
        self.request: VMListRequest | None = first
        self.stop_reason: str | None = None
        self._rules = StopRules(first.pagination)

    def update(self, page: VMPage) -> VMListRequest | None:
        """Record the page answering :attr:`request`; return the next request or ``None``."""
        current = self.request
        if current is None:
            raise PaginationError(f"the cursor stopped ({self.stop_reason}); it cannot advance")
        reason = self._rules.check(page.pagination, empty=not page.vms)
        if reason is not None or not page.pagination:
            self.request = None
            self.stop_reason = reason
            return None
        self.request = attrs.evolve(current, pagination=page.pagination)
        return self.request
