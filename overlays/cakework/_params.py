"""Parameter objects: arguments that travel together, checked once where they enter.

A resource method turns its keyword arguments into one of these values with a
``checked`` constructor (which raises ``InvalidParameterError`` before anything is sent);
every layer below -- flows, the pool, the operation table -- takes the value and trusts it.
Which arguments there are and what each may be is openapi.yaml's (``cakework_spec``):
an argument the spec gains travels here with no line changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

import attrs

from . import _validate as check
from ._pages import LogRequest, VMListRequest

LOG_OPERATION = "getVMLogs"
"""The log reads (build, VM, cached VM) take the arguments of this operation; getBuildLogs
has the same (both use the spec's shared ``Log*`` parameters)."""


@attrs.frozen
class VMSpec:
    """What a VM (one-time or cached) is made of: the checked arguments of startVM/cacheVM.

    Attributes:
        image_id: The image to run.
        fields: Every other argument given, by its Python name (read-only; left out of
            the repr, as environment variables may hold secrets).
    """

    image_id: str
    fields: Mapping[str, Any] = attrs.field(factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def checked(cls, operation_id: str, params: Mapping[str, Any]) -> VMSpec:
        """Check the arguments of ``operation_id`` (startVM or cacheVM) and return the spec.

        Raises:
            InvalidParameterError: An argument is invalid.
            TypeError: An argument the operation does not have.
        """
        checked = check.params(operation_id, params)
        image_id = checked.pop("image_id")
        return cls(image_id=image_id, fields=MappingProxyType(checked))

    def params(self) -> dict[str, Any]:
        """The arguments, ``image_id`` included, as the operation takes them."""
        return {"image_id": self.image_id, **self.fields}


def log_request(operation_id: str, params: Mapping[str, Any]) -> LogRequest:
    """The checked parameters of one getBuildLogs/getVMLogs page.

    Raises:
        InvalidParameterError: A value is of the wrong type, out of range, longer than
            the documented limit or not of the documented shape.
    """
    checked = check.params(operation_id, params)
    # from/to are checked by their pattern (above); a from_/to that is a datetime is
    # the business of the readers (since/until), not of one page.
    return LogRequest(
        query=checked.pop("query", None),
        batch=checked.pop("batch", None),
        order=checked.pop("order", None),
        pagination=checked.pop("pagination", None),
        from_=checked.pop("from_", None),
        to=checked.pop("to", None),
        extra=tuple(sorted(checked.items())),
    )


def vm_list_request(params: Mapping[str, Any]) -> VMListRequest:
    """The checked parameters of one listVMs page.

    Raises:
        InvalidParameterError: A filter is invalid.
    """
    checked = check.params("listVMs", params)
    return VMListRequest(
        image_id=checked.pop("image_id", None),
        status=checked.pop("status", None),
        pagination=checked.pop("pagination", None),
        extra=tuple(sorted(checked.items())),
    )


def log_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Check the arguments a log reader repeats on every page (``GetVMLogsFilters``)."""
    return check.params(LOG_OPERATION, params)


LOG_FILTERS = ("query", "order", "batch")
"""The log filters a reader names itself; any other one travels as ``extra``."""


def split_log_filters(
    params: Mapping[str, object],
) -> tuple[str | None, str, int | None, tuple[tuple[str, Any], ...]]:
    """``query``, ``order`` (default ``oldest_first``), ``batch`` and the other filters.

    Unchecked: ``open_log_stream`` checks them all, once.
    """
    query, order, batch = (params.get(name) for name in LOG_FILTERS)
    extra = tuple((k, v) for k, v in params.items() if k not in LOG_FILTERS and v is not None)
    return (
        cast("str | None", query),
        cast(str, "oldest_first" if order is None else order),
        cast("int | None", batch),
        extra,
    )
