"""What may be left behind on the server, and the registry that remembers it.

Rule of this module: whenever the client gives up on something that may have left a
resource on the server -- an interrupt (Ctrl-C, or a cancellation for asyncio) while a
create was in flight and its answer, the only place the new id appears, could not be
awaited; a second interrupt while a VM was being stopped or destroyed; a lost create
whose error could not be raised (one of a pool's side-by-side creates) -- the code
that gives up calls :func:`name_left`: it records a :class:`PendingResource` here and
adds the same text as a note to the exception on its way out.

Notes alone are not enough: ``asyncio.run`` answers a second Ctrl-C with its own
``KeyboardInterrupt`` and drops the task's ``CancelledError`` with its notes. So
:func:`pending` lists what is recorded, and whatever is still recorded when the
interpreter exits is written to stderr.

Only the standard library and attrs are imported: the pumps use this module.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import contextvars
import logging
import sys
import threading
from collections.abc import Collection, Mapping
from typing import Any, Final, Literal

import attrs

logger = logging.getLogger("cakework")

Kind = Literal["vm", "cached_vm", "build", "image"]

CREATED_KIND: Final[dict[str, Kind]] = {
    "startVM": "vm",
    "cacheVM": "cached_vm",
    "buildImageFromFiles": "build",
    "buildImageFromGithub": "build",
    "importImage": "image",
}
"""What each create makes (the operations ``Retry.CREATING`` marks in ``_operations``)."""

_NAMES: Final[dict[Kind, str]] = {
    "vm": "VM",
    "cached_vm": "cached VM",
    "build": "build",
    "image": "image",
}


@attrs.frozen
class PendingResource:
    """Something the client gave up on that may still exist on the server.

    ``str()`` says what it is, why it may be left and how to find or remove it.

    Attributes:
        kind: ``"vm"``, ``"cached_vm"``, ``"build"`` or ``"image"``.
        id: Its id, when the client knew it; ``None`` when a create's answer never
            arrived (then look among the image's VMs, ``hint`` says how).
        image_id: The image it is (or was to be) made from, when known.
        operation: The request that was given up on (e.g. ``startVM``, ``stopVM``).
        cause: Why it may be left, e.g. ``"a second Ctrl-C or cancellation cut startVM
            short"``.
        hint: How to find it or clean it up, as a line of Python.
    """

    kind: Kind
    id: str | None
    image_id: str | None
    operation: str
    cause: str
    hint: str

    def __str__(self) -> str:
        name = _NAMES[self.kind]
        image = f" of image {self.image_id}" if self.image_id else ""
        if self.id:
            state = "may still be running" if self.kind in ("vm", "cached_vm") else "may exist"
            return f"{name} {self.id}{image} {state} ({self.cause}); {self.hint}"
        return f"a {name}{image} may have been created ({self.cause}); {self.hint}"


def may_be_created(operation: str, image_id: str | None, cause: str) -> PendingResource:
    """A create (``operation``) whose answer never arrived: the id is unknown."""
    kind = CREATED_KIND.get(operation, "vm")
    shown = repr(image_id) if image_id else "..."
    if kind == "vm":
        hint = (
            f"find it with client.vms.list(image_id={shown}) and stop it with client.vms.stop(id)"
        )
    elif kind == "cached_vm":
        hint = (
            f"find it with client.vms.list(image_id={shown}) and destroy it with"
            " client.cached_vms.destroy(id)"
        )
    else:
        hint = "the API cannot list what it made; repeat the call if you need the id"
    return PendingResource(kind, None, image_id, operation, cause, hint)


def may_be_running(
    kind: Kind, vm_id: str, operation: str, cause: str, image_id: str | None = None
) -> PendingResource:
    """A VM (or cached VM) with a known id whose stop or destroy did not happen."""
    if kind == "cached_vm":
        hint = f"destroy it with client.cached_vms.destroy({vm_id!r})"
    else:
        hint = f"stop it with client.vms.stop({vm_id!r})"
    return PendingResource(kind, vm_id, image_id, operation, cause, hint)


REGISTRY_LIMIT: Final = 1000
"""The registry keeps the most recent records; a long-running process cannot grow it."""


class _Registry:
    """Thread-safe, bounded list of :class:`PendingResource` records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: collections.deque[PendingResource] = collections.deque(maxlen=REGISTRY_LIMIT)
        self._hooked = False

    def add(self, item: PendingResource) -> PendingResource:
        with self._lock:
            if item.id is not None and item in self._items:
                return item  # named twice on the way out (a flow and its driver)
            self._items.append(item)
            if not self._hooked:
                self._hooked = True
                atexit.register(report_at_exit)
        logger.warning("cakework: %s", item)
        return item

    def snapshot(self, *, clear: bool) -> tuple[PendingResource, ...]:
        with self._lock:
            items = tuple(self._items)
            if clear:
                self._items.clear()
        return items


_REGISTRY: Final = _Registry()


def pending(*, clear: bool = False) -> tuple[PendingResource, ...]:
    """What this process gave up on that may still exist on the server, oldest first.

    The client records an entry whenever it stops caring for something that may have
    been left behind: a second Ctrl-C (or cancellation) while startVM, cacheVM, a build
    or an import was in flight, or while a VM or cached VM was being stopped or
    destroyed; and a pool create whose answer was lost while another error was raised.
    The same text is added as a note to the exception that was on its way out, and, if
    entries are still here when the interpreter exits, written to stderr (``asyncio.run``
    replaces the task's exception, and its notes, with its own ``KeyboardInterrupt``).

    Args:
        clear: Forget the entries returned (say, once they are dealt with or shown);
            nothing is then reported at exit for them.

    Returns:
        The entries, oldest first (at most the 1,000 most recent).
    """
    return _REGISTRY.snapshot(clear=clear)


def name_left(exc: BaseException, items: Collection[PendingResource]) -> None:
    """Record ``items`` (see :func:`pending`) and add one note per item to ``exc``."""
    for item in items:
        _REGISTRY.add(item)
        exc.add_note(f"cakework: {item}")


def record(items: Collection[PendingResource]) -> None:
    """Record ``items`` (see :func:`pending`) where no exception can carry them."""
    for item in items:
        _REGISTRY.add(item)


def report_at_exit() -> None:
    """Write what may still be left behind to stderr (registered with ``atexit``)."""
    items = pending(clear=True)
    if not items:
        return
    lines = [f"cakework: {len(items)} resource(s) may be left behind on the server:"]
    lines += [f"  - {item}" for item in items]
    with contextlib.suppress(Exception):  # stderr may be closed already
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()


SHIELDED: Final = contextvars.ContextVar("cakework_shielded", default=False)
"""True inside a request that ``_concurrency`` carries through an interrupt: whoever
shields it names what it may leave when it gives up, not the pump."""


def name_interrupted_send(operation: str, request: Mapping[str, Any], exc: BaseException) -> None:
    """A pump was interrupted while ``operation`` was in flight: name what it may make.

    Called by the pumps for every interrupt (a ``BaseException`` that is not an
    ``Exception``) while a request was in flight or its answer being read; only creates
    (``CREATED_KIND``) that no one shields are named.
    """
    if operation not in CREATED_KIND or SHIELDED.get() or isinstance(exc, Exception):
        return
    if isinstance(exc, GeneratorExit | SystemExit):
        return
    body = request.get("json")
    image_id = body.get("imageId") if isinstance(body, Mapping) else None
    cause = f"an interrupt cut {operation} short before its answer arrived"
    name_left(
        exc, [may_be_created(operation, image_id if isinstance(image_id, str) else None, cause)]
    )
