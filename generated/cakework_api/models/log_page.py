from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.log_line import LogLine


T = TypeVar("T", bound="LogPage")


@_attrs_define
class LogPage:
    """One page of log lines. `pagination`, `from` and `to` come together when more lines
    may follow; they are opaque and must be sent back verbatim (`from`/`to` look like
    `2023-03-07 06:12:56 UTC` and are not RFC 3339).

        Attributes:
            lines (list[LogLine]): The lines of this page.
            pagination (str | Unset): Opaque continuation token of a paged read; send it back unchanged, never build or
                edit one.
            from_ (str | Unset): A bound of a log time window as the service echoes it with a continuation, in UTC
                to the second. Not RFC 3339: send it back verbatim, never re-format it.
            to (str | Unset): A bound of a log time window as the service echoes it with a continuation, in UTC
                to the second. Not RFC 3339: send it back verbatim, never re-format it.
    """

    lines: list[LogLine]
    pagination: str | Unset = UNSET
    from_: str | Unset = UNSET
    to: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        pagination = self.pagination

        from_ = self.from_

        to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "lines": lines,
            }
        )
        if pagination is not UNSET:
            field_dict["pagination"] = pagination
        if from_ is not UNSET:
            field_dict["from"] = from_
        if to is not UNSET:
            field_dict["to"] = to

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.log_line import LogLine  # noqa: PLC0415

        d = dict(src_dict)
        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = LogLine.from_dict(lines_item_data)

            lines.append(lines_item)

        pagination = d.pop("pagination", UNSET)

        from_ = d.pop("from", UNSET)

        to = d.pop("to", UNSET)

        log_page = cls(
            lines=lines,
            pagination=pagination,
            from_=from_,
            to=to,
        )

        log_page.additional_properties = d
        return log_page

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
