from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.vm import VM


T = TypeVar("T", bound="VMList")


@_attrs_define
class VMList:
    """One page of VMs.

    Attributes:
        vms (list[VM]): The VMs on this page.
        pagination (str | Unset): Opaque continuation token of a paged read; send it back unchanged, never build or
            edit one.
    """

    vms: list[VM]
    pagination: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        vms = []
        for vms_item_data in self.vms:
            vms_item = vms_item_data.to_dict()
            vms.append(vms_item)

        pagination = self.pagination

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "vms": vms,
            }
        )
        if pagination is not UNSET:
            field_dict["pagination"] = pagination

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.vm import VM  # noqa: PLC0415

        d = dict(src_dict)
        vms = []
        _vms = d.pop("vms")
        for vms_item_data in _vms:
            vms_item = VM.from_dict(vms_item_data)

            vms.append(vms_item)

        pagination = d.pop("pagination", UNSET)

        vm_list = cls(
            vms=vms,
            pagination=pagination,
        )

        vm_list.additional_properties = d
        return vm_list

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
