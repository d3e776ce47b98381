from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.known_vm_state import KnownVMState
from ..types import UNSET, Unset

T = TypeVar("T", bound="VM")


@_attrs_define
class VM:
    """A virtual machine (one-time or cached).

    Attributes:
        id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        hostname (str): A DNS host name.
        cpu (int): Number of CPUs.
        memory (int): Memory in MB.
        image_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        state (KnownVMState | str): State of a VM: `created`, `started`, `stopped` or `destroyed`. The set is open: a
            value not listed here must be accepted.
        created_at (str): A point in time. The service sends three shapes: `2023-02-24 20:29:40.331` (space
            separator, no zone, meaning UTC), `2023-03-09T02:43:30.243-08:00` and
            `2023-03-03T20:22:39.096Z`. Not every shape is RFC 3339, hence no `date-time`
            format; parse all three. The pattern states exactly these shapes: a real calendar
            date in the years 1000 to 2999, a time of day, up to 6 fraction digits, and a zone
            (`Z` or `+hh:mm`/`-hh:mm`) after a `T` only.
        updated_at (str): A point in time. The service sends three shapes: `2023-02-24 20:29:40.331` (space
            separator, no zone, meaning UTC), `2023-03-09T02:43:30.243-08:00` and
            `2023-03-03T20:22:39.096Z`. Not every shape is RFC 3339, hence no `date-time`
            format; parse all three. The pattern states exactly these shapes: a real calendar
            date in the years 1000 to 2999, a time of day, up to 6 fraction digits, and a zone
            (`Z` or `+hh:mm`/`-hh:mm`) after a `T` only.
        port (int | Unset): The internal port to open.
        volume_gb (int | Unset): Attached storage in GB; 0 or absent when none.
    """

    id: str
    hostname: str
    cpu: int
    memory: int
    image_id: str
    state: KnownVMState | str
    created_at: str
    updated_at: str
    port: int | Unset = UNSET
    volume_gb: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        hostname = self.hostname

        cpu = self.cpu

        memory = self.memory

        image_id = self.image_id

        state: str
        if isinstance(self.state, KnownVMState):
            state = self.state.value
        else:
            state = self.state

        created_at = self.created_at

        updated_at = self.updated_at

        port = self.port

        volume_gb = self.volume_gb

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "hostname": hostname,
                "cpu": cpu,
                "memory": memory,
                "imageId": image_id,
                "state": state,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )
        if port is not UNSET:
            field_dict["port"] = port
        if volume_gb is not UNSET:
            field_dict["volumeGB"] = volume_gb

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        hostname = d.pop("hostname")

        cpu = d.pop("cpu")

        memory = d.pop("memory")

        image_id = d.pop("imageId")

        def _parse_state(data: object) -> KnownVMState | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_vm_state_type_0 = KnownVMState(data)

                return componentsschemas_vm_state_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KnownVMState | str, data)

        state = _parse_state(d.pop("state"))

        created_at = d.pop("createdAt")

        updated_at = d.pop("updatedAt")

        port = d.pop("port", UNSET)

        volume_gb = d.pop("volumeGB", UNSET)

        vm = cls(
            id=id,
            hostname=hostname,
            cpu=cpu,
            memory=memory,
            image_id=image_id,
            state=state,
            created_at=created_at,
            updated_at=updated_at,
            port=port,
            volume_gb=volume_gb,
        )

        vm.additional_properties = d
        return vm

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
