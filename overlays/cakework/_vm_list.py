"""The listVMs reader: one page of VMs in memory, pages fetched lazily.

Rule of this module: the reader's only I/O is the flow ``fill()`` returns; when to stop
is the cursor's decision (``_cursors.VMListCursor``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ._cursors import VMListCursor
from ._flow import Flow
from ._models import VM, VMPage
from ._pages import VMListRequest


class VMListStream:
    """Buffered listVMs reader: one page in memory, pages fetched lazily."""

    def __init__(
        self, fetch: Callable[[VMListRequest], Flow[VMPage]], first: VMListRequest
    ) -> None:
        self._fetch = fetch
        self._cursor = VMListCursor(first)
        self._vms: tuple[VM, ...] = ()
        self._index = 0

    def close(self) -> None:
        """Stop listing."""
        self._cursor.request = None
        self._vms = ()

    def run(self) -> Iterator[VM]:
        """Nothing: VMs come out through :meth:`pop`, a page holds a few."""
        return iter(())

    def pop(self) -> VM | None:
        """Return the next VM of the buffered page, or ``None``."""
        if self._index >= len(self._vms):
            return None
        vm = self._vms[self._index]
        self._index += 1
        return vm

    def fill(self) -> Flow[bool]:
        """Fetch pages until a VM is buffered (``True``) or the list is done (``False``)."""
        while self._index >= len(self._vms):
            request = self._cursor.request
            if request is None:
                return False
            page = yield from self._fetch(request)
            self._cursor.update(page)
            self._vms = page.vms
            self._index = 0
        return True
