"""Opt-in recovery of a create whose answer was lost (``adopt_lost=True``).

The API has no idempotency keys: when startVM or cacheVM reached the server but its
answer did not reach us, a VM exists that nobody knows the id of. The only safe way to
find it is by elimination, so :func:`create_or_adopt` lists the image's VMs *before*
sending the create; after a lost answer (``maybe_created``) it lists them again, and
adopts the VM that appeared meanwhile and that this client does not already know, if
there is exactly one. Two or more candidates (another process creating VMs of the same
image at the same moment) cannot be told apart: nothing is adopted and the original
error is raised, still naming how to look.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

from ._flow import Flow, Sleep
from ._models import VM, CachedVM, VMPage
from ._states import LIVE_STATES
from .errors import APIError

logger = logging.getLogger("cakework")

ListPage = Callable[[str | None], Flow[VMPage]]
"""listVMs for one image: the flow fetching the page after a pagination token."""


def list_all(list_page: ListPage) -> Flow[tuple[VM, ...]]:
    """Every VM of every page (stops on a missing, repeated token or an empty page)."""
    vms: list[VM] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = yield from list_page(token)
        vms.extend(page.vms)
        token = page.pagination
        if not token or token in seen or not page.vms:
            return tuple(vms)
        seen.add(token)


def orphans(after: tuple[VM, ...], before: Collection[str], known: Collection[str]) -> list[VM]:
    """VMs listed after a lost create that were not there before and are not ours."""
    return [
        vm for vm in after if vm.id not in before and vm.id not in known and vm.state in LIVE_STATES
    ]


def create_or_adopt(
    create: Flow[VM],
    list_page: ListPage,
    *,
    known: Callable[[], Collection[str]] = frozenset,
    operation: str,
) -> Flow[VM]:
    """Run ``create``; if its answer was lost, adopt the one VM it must have made.

    Args:
        create: The create flow (startVM or cacheVM, converted to a ``VM``); not started
            before the first listing.
        list_page: listVMs filtered by the create's image.
        known: Ids this client already holds (a pool's other VMs), read after the loss.
        operation: The create's operationId, for the log.

    Returns:
        The created VM, or the adopted one (as listVMs shows it).

    Raises:
        APIError: The create failed, and no single orphan could be identified.
    """
    before = {vm.id for vm in (yield from list_all(list_page))}
    try:
        return (yield from create)
    except APIError as error:
        if not error.maybe_created:
            raise
        try:
            after = yield from list_all(list_page)
        except APIError:
            raise error from None
        fresh = orphans(after, before, set(known()))
        if len(fresh) != 1:
            logger.warning(
                "%s answer lost; %d candidate VMs appeared, none adopted", operation, len(fresh)
            )
            raise
        logger.warning("%s answer lost; adopted VM %s, which it made", operation, fresh[0].id)
        return fresh[0]


class PoolAdopter:
    """``adopt_lost`` for a pool: its creates run side by side, so orphans are shared.

    The pool's cached VMs are interchangeable (same image and spec), so a lost create may
    adopt any orphan, provided it is not one another create of this pool is about to hear
    of: a lost create waits until no create of the pool is in flight, then takes an
    orphan nobody claimed. When more orphans appeared than this pool lost answers, some
    other client creates VMs of the same image too, and nothing is adopted.

    Methods are called from the pool's flows (threads or tasks); a lock keeps the
    counters consistent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sending = 0
        self.started = 0  # creates ever sent: tells a lost create a listing overlapped one
        self.lost = 0
        self.claimed: set[str] = set()
        self.before: frozenset[str] | None = None

    def create(
        self, create: Flow[CachedVM], list_page: ListPage, wait: float = 0.2
    ) -> Flow[CachedVM]:
        """Run ``create``; after a lost answer adopt an orphan (see the class docstring)."""
        if self.before is None:
            # One listing for the pool's life, taken before its first create is sent:
            # the creates run side by side, so a later one would already show the
            # orphan of an earlier one.
            snapshot = {vm.id for vm in (yield from list_all(list_page))}
            with self._lock:
                if self.before is None:
                    self.before = frozenset(snapshot)
        before = self.before
        with self._lock:
            self.sending += 1
            self.started += 1
        try:
            cached = yield from create
        except APIError as error:
            if not error.maybe_created:
                raise
            with self._lock:
                self.lost += 1
            try:
                return (yield from self._adopt(error, before, list_page, wait))
            finally:
                with self._lock:
                    self.lost -= 1
        finally:
            with self._lock:
                self.sending -= 1
        with self._lock:
            self.claimed.add(cached.id)
        return cached

    def _adopt(
        self, error: APIError, before: frozenset[str], list_page: ListPage, wait: float
    ) -> Flow[CachedVM]:
        with self._lock:
            self.sending -= 1  # this one's answer is lost: nothing more to hear
        try:
            while True:
                with self._lock:
                    settled = self.sending == 0
                    started = self.started
                if settled:
                    after = yield from list_all(list_page)
                    with self._lock:
                        # A create sent while listing may show in it before its sender
                        # hears the answer (or counts it lost): list again after it.
                        if self.started == started:
                            break
                yield Sleep(wait)
        except APIError:
            raise error from None
        finally:
            with self._lock:
                self.sending += 1  # balanced by create()'s finally
        with self._lock:
            fresh = orphans(after, before, self.claimed)
            if not fresh or len(fresh) > self.lost:
                logger.warning(
                    "cacheVM answer lost; %d candidate VMs for %d lost answers, none adopted",
                    len(fresh),
                    self.lost,
                )
                raise error
            vm = fresh[0]
            self.claimed.add(vm.id)
        logger.warning("cacheVM answer lost; the pool adopted cached VM %s", vm.id)
        return CachedVM(
            id=vm.id,
            hostname=vm.hostname,
            cpu=vm.cpu,
            memory=vm.memory,
            image_id=vm.image_id,
            state=vm.state,
            port=vm.port,
            created_at=vm.created_at,
            updated_at=vm.updated_at,
        )
