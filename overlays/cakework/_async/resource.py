"""What every resource (``client.images``, ``client.vms``, ``client.cached_vms``) shares.

The plain-call methods are generated (``cakework_spec.resources``): each hands its
operationId and arguments to :meth:`AsyncResource._call`, which checks them by the spec's
rules (``_validate.arguments``, before anything is sent), runs the operation's flow
through the pump and returns the decoded model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import _validate as check
from .._config import mask
from .._request import Api
from .pump import AsyncPump


class AsyncResource:
    """The base of a resource: the operations as flows, and the pump that runs them.

    Args:
        api: The operations as flows.
        pump: Runs a flow with the client's connection pool, clock and sleep.
    """

    def __init__(self, api: Api, pump: AsyncPump) -> None:
        self._api = api
        self._pump = pump

    @staticmethod
    def _mask(value: str) -> str:
        """A secret argument, wrapped so that no repr or log shows it (``_config.mask``)."""
        return mask(value)

    async def _call(self, operation_id: str, path: Sequence[str], params: Mapping[str, Any]) -> Any:
        """Check the arguments of ``operation_id``, send it, return what it answers."""
        checked_path, checked = check.arguments(operation_id, path, params)
        call = self._api.request(operation_id, checked_path, checked)
        return await self._pump.call(self._api, call)
