from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.known_vm_state import KnownVMState
from ..types import UNSET, Unset

T = TypeVar("T", bound="CachedVM")


@_attrs_define
class CachedVM:
    """A cached VM as returned by `cacheVM`: `id` and `hostname` always, the other VM
    fields when the service sends the whole VM.

        Attributes:
            id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
                and `_` (so it travels in a URL path unescaped), at most 128 characters.
            hostname (str): A DNS host name.
            cpu (int | Unset): Number of CPUs.
            memory (int | Unset): Memory in MB.
            image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
                and `_` (so it travels in a URL path unescaped), at most 128 characters.
            state (KnownVMState | str | Unset): State of a VM: `created`, `started`, `stopped` or `destroyed`. The set is
                open: a
                value not listed here must be accepted.
            port (int | Unset): The internal port to open.
            disk_size (int | Unset): Attached storage in GB.
            created_at (str | Unset): A point in time. The service sends three shapes: `2023-02-24 20:29:40.331` (space
                separator, no zone, meaning UTC), `2023-03-09T02:43:30.243-08:00` and
                `2023-03-03T20:22:39.096Z`. Not every shape is RFC 3339, hence no `date-time`
                format; parse all three. The pattern states exactly these shapes: a real calendar
                date in the years 1000 to 2999, a time of day, up to 6 fraction digits, and a zone
                (`Z` or `+hh:mm`/`-hh:mm`) after a `T` only.
            updated_at (str | Unset): A point in time. The service sends three shapes: `2023-02-24 20:29:40.331` (space
                separator, no zone, meaning UTC), `2023-03-09T02:43:30.243-08:00` and
                `2023-03-03T20:22:39.096Z`. Not every shape is RFC 3339, hence no `date-time`
                format; parse all three. The pattern states exactly these shapes: a real calendar
                date in the years 1000 to 2999, a time of day, up to 6 fraction digits, and a zone
                (`Z` or `+hh:mm`/`-hh:mm`) after a `T` only.
    """

    id: str
    hostname: str
    cpu: int | Unset = UNSET
    memory: int | Unset = UNSET
    image_id: str | Unset = UNSET
    state: KnownVMState | str | Unset = UNSET
    port: int | Unset = UNSET
    disk_size: int | Unset = UNSET
    created_at: str | Unset = UNSET
    updated_at: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        hostname = self.hostname

        cpu = self.cpu

        memory = self.memory

        image_id = self.image_id

        state: str | Unset
        if isinstance(self.state, Unset):
            state = UNSET
        elif isinstance(self.state, KnownVMState):
            state = self.state.value
        else:
            state = self.state

        port = self.port

        disk_size = self.disk_size

        created_at = self.created_at

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "hostname": hostname,
            }
        )
        if cpu is not UNSET:
            field_dict["cpu"] = cpu
        if memory is not UNSET:
            field_dict["memory"] = memory
        if image_id is not UNSET:
            field_dict["imageId"] = image_id
        if state is not UNSET:
            field_dict["state"] = state
        if port is not UNSET:
            field_dict["port"] = port
        if disk_size is not UNSET:
            field_dict["diskSize"] = disk_size
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        hostname = d.pop("hostname")

        cpu = d.pop("cpu", UNSET)

        memory = d.pop("memory", UNSET)

        image_id = d.pop("imageId", UNSET)

        def _parse_state(data: object) -> KnownVMState | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_vm_state_type_0 = KnownVMState(data)

                return componentsschemas_vm_state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KnownVMState | str | Unset, data)

        state = _parse_state(d.pop("state", UNSET))

        port = d.pop("port", UNSET)

        disk_size = d.pop("diskSize", UNSET)

        created_at = d.pop("createdAt", UNSET)

        updated_at = d.pop("updatedAt", UNSET)

        cached_vm = cls(
            id=id,
            hostname=hostname,
            cpu=cpu,
            memory=memory,
            image_id=image_id,
            state=state,
            port=port,
            disk_size=disk_size,
            created_at=created_at,
            updated_at=updated_at,
        )

        cached_vm.additional_properties = d
        return cached_vm

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
