from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="BuildFromGithubRequest")


@_attrs_define
class BuildFromGithubRequest:
    """A Dockerfile and the GitHub branch it builds from.

    Attributes:
        dockerfile (str): The Dockerfile, as text; it is not read from the repository.
        token (str): Token your GitHub App obtained to read the user's repository.
        repository (str): The repository as `owner/name`.
        branch (str): Branch to build, e.g. `main`.
        dockerignore (str | Unset): Optional .dockerignore, as text.
    """

    dockerfile: str
    token: str
    repository: str
    branch: str
    dockerignore: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        dockerfile = self.dockerfile

        token = self.token

        repository = self.repository

        branch = self.branch

        dockerignore = self.dockerignore

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "dockerfile": dockerfile,
                "token": token,
                "repository": repository,
                "branch": branch,
            }
        )
        if dockerignore is not UNSET:
            field_dict["dockerignore"] = dockerignore

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dockerfile = d.pop("dockerfile")

        token = d.pop("token")

        repository = d.pop("repository")

        branch = d.pop("branch")

        dockerignore = d.pop("dockerignore", UNSET)

        build_from_github_request = cls(
            dockerfile=dockerfile,
            token=token,
            repository=repository,
            branch=branch,
            dockerignore=dockerignore,
        )

        return build_from_github_request
