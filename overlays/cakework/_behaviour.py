"""Behaviour of the generated response models that openapi.yaml cannot state.

``scripts/generate_overlay.py`` makes a model inherit the mixin ``overlay-config.yml``
names for its schema (``behaviour:``). A mixin holds properties only (no state, empty
``__slots__``) and imports nothing from the rest of the package: the generated models
import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

BUILD_TERMINAL_STATUSES = frozenset({"succeeded", "failed"})
"""Build statuses after which nothing changes (getBuild's description): any other value
means "still running"."""


class BuildBehaviour:
    """What a ``Build`` can tell besides its fields."""

    __slots__ = ()

    if TYPE_CHECKING:
        status: str

    @property
    def is_terminal(self) -> bool:
        """True once the build has succeeded or failed."""
        return self.status in BUILD_TERMINAL_STATUSES
