"""Every fact about VM states and build statuses, in one home.

Rule of this module: the state and status values the client acts on are written here and
nowhere else. Two kinds of fact live here:

* What openapi.yaml lists: :data:`VM_STATES` is the enum of ``KnownVMState`` (the
  ``listVMs`` filter, and the targets of ``wait_for_state``), in the spec's order, which
  is the lifecycle order. It is restated rather than imported because ``import cakework``
  never imports the generated package; ``tests/foundation/test_states.py`` fails when it
  and the spec part, and a generated spec layer can take its place.
* What the spec says in prose only (the descriptions of ``getBuild``, ``stopVM``,
  ``startCachedVM``, ``VM.state``) and the client's behaviour rests on: which statuses
  end a build, which states end a wait or a followed log, what a start leads to. Each
  names only values the spec lists (the same test checks that).

Values stay plain strings: the service may send a state this version does not know, and
that must never crash a reader (``api-ground-truth.md``); every test below is a set
lookup that simply says no to an unknown value.

It imports nothing from the package, so any layer (the generated models too) can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

VM_STATES: Final = ("created", "started", "stopped", "destroyed")
"""The VM states the API documents (``KnownVMState``), in lifecycle order."""

BUILD_TERMINAL_STATUSES: Final = frozenset({"succeeded", "failed"})
"""Build statuses after which nothing changes. Any other value means "still running"."""

VM_FINISHED_STATES: Final = frozenset({"stopped", "destroyed"})
"""A followed log of a VM or a cached VM ends once the VM is in one of these states."""

VM_REACHED: Final[Mapping[str, frozenset[str]]] = {
    "created": frozenset({"created"}),
    "started": frozenset({"started"}),
    # A one-time VM goes stopped -> destroyed right after stopVM; a poll can miss the
    # short `stopped` phase, and `destroyed` is stopped for good.
    "stopped": frozenset({"stopped", "destroyed"}),
    "destroyed": frozenset({"destroyed"}),
}
"""Target state of a wait -> the observed states that satisfy it."""

VM_DEAD_STATES: Final[Mapping[str, frozenset[str]]] = {
    "created": frozenset({"started", "stopped", "destroyed"}),
    "started": frozenset({"stopped", "destroyed"}),
    "stopped": frozenset(),
    "destroyed": frozenset(),
}
"""Target state -> observed states from which a one-time VM can no longer reach it.

States only move forward for one-time VMs (created -> started -> stopped -> destroyed).
Cached VMs go back from ``stopped`` to ``started``: use :data:`CACHED_VM_DEAD_STATES`."""

CACHED_VM_DEAD_STATES: Final = frozenset({"destroyed"})
"""A cached VM goes stopped -> created -> started and back: only ``destroyed`` is final."""

STARTED_BY_A_START: Final = frozenset({"created", "started"})
"""States of a cached VM that a successful startCachedVM leads to (booting, then up)."""

LIVE_STATES: Final = frozenset({"created", "started", "stopped"})
"""States a just-created VM (one-time or cached) can be in."""
