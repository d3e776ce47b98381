"""Behaviour of the generated response models that openapi.yaml cannot state.

``scripts/generate_overlay.py`` makes a model inherit the mixin ``overlay-config.yml``
names for its schema (``behaviour:``). A mixin holds properties only (no state, empty
``__slots__``) and imports only ``_states`` (which imports nothing): the generated models
import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._states import BUILD_TERMINAL_STATUSES


class BuildBehaviour:
    """What a ``Build`` can tell besides its fields."""

    __slots__ = ()

    if TYPE_CHECKING:
        status: str

    @property
    def is_terminal(self) -> bool:
        """True once the build has succeeded or failed."""
        return self.status in BUILD_TERMINAL_STATUSES
