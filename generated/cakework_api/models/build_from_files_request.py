from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.build_file import BuildFile


T = TypeVar("T", bound="BuildFromFilesRequest")


@_attrs_define
class BuildFromFilesRequest:
    """A Dockerfile and the files it builds from.

    Attributes:
        dockerfile (str): The Dockerfile, as text.
        files (list[BuildFile]): Every file of the build context.
    """

    dockerfile: str
    files: list[BuildFile]

    def to_dict(self) -> dict[str, Any]:
        dockerfile = self.dockerfile

        files = []
        for files_item_data in self.files:
            files_item = files_item_data.to_dict()
            files.append(files_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "dockerfile": dockerfile,
                "files": files,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.build_file import BuildFile  # noqa: PLC0415

        d = dict(src_dict)
        dockerfile = d.pop("dockerfile")

        files = []
        _files = d.pop("files")
        for files_item_data in _files:
            files_item = BuildFile.from_dict(files_item_data)

            files.append(files_item)

        build_from_files_request = cls(
            dockerfile=dockerfile,
            files=files,
        )

        return build_from_files_request
