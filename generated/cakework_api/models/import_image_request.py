from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ImportImageRequest")


@_attrs_define
class ImportImageRequest:
    """An ECR image to import.

    Attributes:
        image_uri (str): URI of the image in AWS ECR:
            `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag | @sha256:<digest>]`,
            with a 12-digit account, a region such as `us-west-2`, a lowercase repository
            name (path parts separated by `/`) and a Docker tag or a sha256 digest.
        password (str): Password of the ECR registry.
    """

    image_uri: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        image_uri = self.image_uri

        password = self.password

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "imageUri": image_uri,
                "password": password,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        image_uri = d.pop("imageUri")

        password = d.pop("password")

        import_image_request = cls(
            image_uri=image_uri,
            password=password,
        )

        return import_image_request
