from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.env_vars import EnvVars


T = TypeVar("T", bound="CacheVMRequest")


@_attrs_define
class CacheVMRequest:
    """What to cache. CPU and memory default to 1 and 256 on the service.

    Attributes:
        image_id (str): Id of a build, image, VM or cached VM: opaque, made of ASCII letters, digits, `-`
            and `_` (so it travels in a URL path unescaped), at most 128 characters.
        cpu (int | Unset): Number of CPUs.
        memory (int | Unset): Memory in MB.
        port (int | Unset): The internal port to open.
        env_vars (EnvVars | Unset): Environment variables of the VM.
        disk_size (int | Unset): Persistent storage in GB.
    """

    image_id: str
    cpu: int | Unset = UNSET
    memory: int | Unset = UNSET
    port: int | Unset = UNSET
    env_vars: EnvVars | Unset = UNSET
    disk_size: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        image_id = self.image_id

        cpu = self.cpu

        memory = self.memory

        port = self.port

        env_vars: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env_vars, Unset):
            env_vars = self.env_vars.to_dict()

        disk_size = self.disk_size

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "imageId": image_id,
            }
        )
        if cpu is not UNSET:
            field_dict["cpu"] = cpu
        if memory is not UNSET:
            field_dict["memory"] = memory
        if port is not UNSET:
            field_dict["port"] = port
        if env_vars is not UNSET:
            field_dict["envVars"] = env_vars
        if disk_size is not UNSET:
            field_dict["diskSize"] = disk_size

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.env_vars import EnvVars  # noqa: PLC0415

        d = dict(src_dict)
        image_id = d.pop("imageId")

        cpu = d.pop("cpu", UNSET)

        memory = d.pop("memory", UNSET)

        port = d.pop("port", UNSET)

        _env_vars = d.pop("envVars", UNSET)
        env_vars: EnvVars | Unset
        if isinstance(_env_vars, Unset):
            env_vars = UNSET
        else:
            env_vars = EnvVars.from_dict(_env_vars)

        disk_size = d.pop("diskSize", UNSET)

        cache_vm_request = cls(
            image_id=image_id,
            cpu=cpu,
            memory=memory,
            port=port,
            env_vars=env_vars,
            disk_size=disk_size,
        )

        return cache_vm_request
