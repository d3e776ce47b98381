from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="BuildFile")


@_attrs_define
class BuildFile:
    """One file of the build context, its content as a string.

    Attributes:
        dir_ (str): Directory of the file inside the build context; `.` for the root.
        name (str): File name, without directory.
        content (str): The file's content.
    """

    dir_: str
    name: str
    content: str

    def to_dict(self) -> dict[str, Any]:
        dir_ = self.dir_

        name = self.name

        content = self.content

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "dir": dir_,
                "name": name,
                "content": content,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dir_ = d.pop("dir")

        name = d.pop("name")

        content = d.pop("content")

        build_file = cls(
            dir_=dir_,
            name=name,
            content=content,
        )

        return build_file
