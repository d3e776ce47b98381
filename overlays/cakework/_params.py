"""Parameter objects: arguments that travel together, checked once where they enter.

A resource method turns its keyword arguments into one of these values with a
``checked`` constructor (which raises ``InvalidParameterError`` before anything is sent);
every layer below -- flows, the pool, the operation table -- takes the value and trusts it.
The log-read parameters travel as :class:`~cakework._pages.LogRequest`, checked by
:func:`log_request`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from . import _validate as check
from ._pages import LogRequest, VMListRequest


@attrs.frozen
class VMSpec:
    """What a VM (one-time or cached) is made of.

    Attributes:
        image_id: The image to run.
        cpu: CPUs, 1-8 (``None``: server default).
        memory: Memory in MB, 256-16384.
        port: The internal port to open, 1-65535.
        env_vars: Environment variables (read-only copy).
        disk_gb: Persistent storage in GB, 1-500 (``volumeGB`` of startVM, ``diskSize``
            of cacheVM).
    """

    image_id: str
    cpu: int | None = None
    memory: int | None = None
    port: int | None = None
    env_vars: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    disk_gb: int | None = None

    @classmethod
    def checked(
        cls,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_gb: int | None = None,
        disk_name: str = "volume_gb",
    ) -> VMSpec:
        """Check every field and return the spec.

        Args:
            image_id: The image to run.
            cpu: CPUs.
            memory: Memory in MB.
            port: The port to open.
            env_vars: Environment variables.
            disk_gb: Persistent storage in GB.
            disk_name: The caller's name for ``disk_gb`` (``volume_gb`` or
                ``disk_size``), for the error message.

        Raises:
            InvalidParameterError: A field is invalid.
        """
        env = check.env_vars(env_vars)
        return cls(
            image_id=check.ident("image_id", image_id),
            cpu=check.int_in_range("cpu", cpu, check.CPU_RANGE),
            memory=check.int_in_range("memory", memory, check.MEMORY_RANGE),
            port=check.int_in_range("port", port, check.PORT_RANGE),
            env_vars=None if env is None else MappingProxyType(dict(env)),
            disk_gb=check.int_in_range(disk_name, disk_gb, check.DISK_RANGE),
        )


def log_request(
    *,
    query: str | None = None,
    batch: int | None = None,
    order: str | None = None,
    pagination: str | None = None,
    from_: str | None = None,
    to: str | None = None,
) -> LogRequest:
    """The checked parameters of one getBuildLogs/getVMLogs page.

    Raises:
        InvalidParameterError: A value is of the wrong type, out of range or longer than
            the documented limit (``query``, ``pagination``: 1024 characters; ``from_``,
            ``to``: ISO 8601 with a zone, or the value a page returned).
    """
    check.int_in_range("batch", batch, check.BATCH_RANGE)
    return LogRequest(
        query=check.log_query(query),  # an empty query value is a 400
        batch=batch,
        order=check.one_of("order", order, check.LOG_ORDERS),
        pagination=check.cursor("pagination", pagination),
        from_=check.window_bound("from_", from_),
        to=check.window_bound("to", to),
    )


def vm_list_request(
    *, image_id: str | None = None, status: str | None = None, pagination: str | None = None
) -> VMListRequest:
    """The checked parameters of one listVMs page.

    Raises:
        InvalidParameterError: A filter is invalid.
    """
    return VMListRequest(
        image_id=check.optional_resource_id("image_id", image_id),
        status=check.vm_status(status),
        pagination=check.cursor("pagination", pagination),
    )
