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
from collections.abc import Callable, Collection

from ._flow import Flow
from ._models import VM, VMPage
from .errors import APIError

logger = logging.getLogger("cakework")

ListPage = Callable[[str | None], Flow[VMPage]]
"""listVMs for one image: the flow fetching the page after a pagination token."""

LIVE_STATES = frozenset({"created", "started", "stopped"})
"""States a just-created VM (one-time or cached) can be in."""


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
        holding = set(known())
        fresh = [
            vm
            for vm in after
            if vm.id not in before and vm.id not in holding and vm.state in LIVE_STATES
        ]
        if len(fresh) != 1:
            logger.warning(
                "%s answer lost; %d candidate VMs appeared, none adopted", operation, len(fresh)
            )
            raise
        logger.warning("%s answer lost; adopted VM %s, which it made", operation, fresh[0].id)
        return fresh[0]
