from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.known_build_status import KnownBuildStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Build")


@_attrs_define
class Build:
    """An image build.

    Attributes:
        build_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        status (KnownBuildStatus | str): Status of a build: `created` while it runs, then `succeeded` or `failed`. The
            set
            is open: a value not listed here must be accepted and treated as "still running".
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
        image_id (str | Unset): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
    """

    build_id: str
    status: KnownBuildStatus | str
    created_at: str
    updated_at: str
    image_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        build_id = self.build_id

        status: str
        if isinstance(self.status, KnownBuildStatus):
            status = self.status.value
        else:
            status = self.status

        created_at = self.created_at

        updated_at = self.updated_at

        image_id = self.image_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "buildId": build_id,
                "status": status,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )
        if image_id is not UNSET:
            field_dict["imageId"] = image_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        build_id = d.pop("buildId")

        def _parse_status(data: object) -> KnownBuildStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_build_status_type_0 = KnownBuildStatus(data)

                return componentsschemas_build_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KnownBuildStatus | str, data)

        status = _parse_status(d.pop("status"))

        created_at = d.pop("createdAt")

        updated_at = d.pop("updatedAt")

        image_id = d.pop("imageId", UNSET)

        build = cls(
            build_id=build_id,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
            image_id=image_id,
        )

        build.additional_properties = d
        return build

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
