"""``Api``: one method per API operation, each returning a flow with retries and error mapping.

Arguments are checked when the method is called, before any flow exists, so an invalid
value raises ``InvalidParameterError`` and nothing is sent. Requests are built by the
generated endpoint modules' ``_get_kwargs`` and answers parsed by their
``_build_response``; ``_adapter`` completes the one and converts the other.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

import httpx

from cakework_api import models as wire
from cakework_api.api.cached_v_ms import (
    cache_vm,
    destroy_cached_vm,
    get_cached_vm_logs,
    start_cached_vm,
    stop_cached_vm,
)
from cakework_api.api.images import (
    build_image_from_files,
    build_image_from_github,
    get_build,
    get_build_logs,
    import_image,
)
from cakework_api.api.v_ms import get_vm, get_vm_logs, list_v_ms, start_vm, stop_vm
from cakework_api.client import AuthenticatedClient
from cakework_api.types import UNSET

from . import _adapter as adapter
from . import _validate as check
from ._config import ClientConfig, Secret
from ._flow import Flow
from ._models import VM, Build, BuildFile, CachedVM, Image, LogLine, LogPage, VMPage
from ._request import Call, request_flow
from .errors import InvalidParameterError

T = TypeVar("T")
W = TypeVar("W")


def _or_unset(value: Any) -> Any:
    return UNSET if value is None else value


def _nothing(_: object) -> None:
    return None


def _parse(
    module: ModuleType,
    generated: AuthenticatedClient,
    expected: type[W],
    convert: Callable[[W], T],
    response: httpx.Response,
) -> T:
    parsed = module._build_response(client=generated, response=response).parsed
    if not isinstance(parsed, expected):
        # e.g. an undocumented 2xx status, which the generated parser returns as None
        raise TypeError(f"expected a {expected.__name__} body, got {type(parsed).__name__}")
    return convert(parsed)


class Api:
    """The 15 operations as flows. Drive them with ``client._run(flow)``.

    Args:
        config: Where and how to send requests.
        generated: The generated client (from ``_adapter.build_generated_client``).
        rng: Jitter source for retries.
        wall_clock: Unix time, for an HTTP-date ``Retry-After`` without a ``Date`` header.
    """

    def __init__(
        self,
        config: ClientConfig,
        generated: AuthenticatedClient,
        *,
        rng: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._generated = generated
        self._rng = rng
        self._wall_clock = wall_clock

    def __repr__(self) -> str:
        return f"Api({self.config!r})"

    def with_config(self, config: ClientConfig) -> Api:
        """The same API over the same generated client, with another config."""
        return Api(config, self._generated, rng=self._rng, wall_clock=self._wall_clock)

    def _call(
        self,
        operation: str,
        module: ModuleType,
        expected: type[W],
        convert: Callable[[W], T],
        *args: Any,
        **kwargs: Any,
    ) -> Flow[T]:
        for value in args:  # path ids; the body is checked by prepare_request
            adapter.check_encodable(value, "id")
        for name, value in kwargs.items():
            if name != "body":
                adapter.check_encodable(value, name)
        request = adapter.prepare_request(self.config, module._get_kwargs(*args, **kwargs))
        parse = partial(_parse, module, self._generated, expected, convert)
        return request_flow(
            Call(operation, request, parse),
            max_retries=self.config.max_retries,
            rng=self._rng,
            wall_clock=self._wall_clock,
        )

    # --- images ---------------------------------------------------------------------

    def import_image(self, *, image_uri: str, password: str) -> Flow[Image]:
        """``importImage``: import an image from AWS ECR."""
        body = wire.ImportImageRequest(
            image_uri=check.non_empty("image_uri", image_uri),
            password=Secret(check.secret_text("password", password)),
        )
        return self._call("importImage", import_image, wire.Image, adapter.to_image, body=body)

    def build_from_files(self, *, dockerfile: str, files: Sequence[BuildFile]) -> Flow[Build]:
        """``buildImageFromFiles``: start a build from a Dockerfile and file contents."""
        items: object = files  # checked at run time: callers may not use a type checker
        if isinstance(items, str | bytes) or not all(isinstance(f, BuildFile) for f in files):
            raise InvalidParameterError("files", "<files>", "a sequence of BuildFile")
        for f in files:
            # BuildFile does not check its fields; bytes content would otherwise fail as a
            # TypeError deep inside JSON encoding, after the request was "sent".
            if not all(isinstance(v, str) for v in (f.dir, f.name, f.content)):
                shown = f"<BuildFile {f.name!r}>" if isinstance(f.name, str) else "<BuildFile>"
                allowed = "BuildFile dir, name and content as str"
                raise InvalidParameterError("files", shown, allowed)
        body = wire.BuildFromFilesRequest(
            dockerfile=check.non_empty("dockerfile", dockerfile),
            files=[adapter.to_build_file(f) for f in files],
        )
        return self._call(
            "buildImageFromFiles", build_image_from_files, wire.Build, adapter.to_build, body=body
        )

    def build_from_github(
        self,
        *,
        dockerfile: str,
        repository: str,
        branch: str,
        token: str,
        dockerignore: str | None = None,
    ) -> Flow[Build]:
        """``buildImageFromGithub``: start a build from a GitHub repository."""
        body = wire.BuildFromGithubRequest(
            dockerfile=check.non_empty("dockerfile", dockerfile),
            repository=check.non_empty("repository", repository),
            branch=check.non_empty("branch", branch),
            token=Secret(check.secret_text("token", token)),
            dockerignore=_or_unset(dockerignore),
        )
        return self._call(
            "buildImageFromGithub", build_image_from_github, wire.Build, adapter.to_build, body=body
        )

    def get_build(self, build_id: str) -> Flow[Build]:
        """``getBuild``: one build's status."""
        build_id = check.non_empty("build_id", build_id)
        return self._call("getBuild", get_build, wire.Build, adapter.to_build, build_id)

    def get_build_logs(
        self,
        build_id: str,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> Flow[LogPage]:
        """``getBuildLogs``: one page of a build's logs."""
        build_id = check.non_empty("build_id", build_id)
        params = _log_params(query, batch, order, pagination, from_, to)
        return self._call(
            "getBuildLogs", get_build_logs, wire.LogPage, adapter.to_log_page, build_id, **params
        )

    # --- VMs ------------------------------------------------------------------------

    def start_vm(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
    ) -> Flow[VM]:
        """``startVM``: create and boot a one-time VM."""
        body = wire.StartVMRequest(
            image_id=check.non_empty("image_id", image_id),
            cpu=_or_unset(check.int_in_range("cpu", cpu, check.CPU_RANGE)),
            memory=_or_unset(check.int_in_range("memory", memory, check.MEMORY_RANGE)),
            port=_or_unset(check.int_in_range("port", port, check.PORT_RANGE)),
            env_vars=_env(env_vars),
            volume_gb=_or_unset(check.int_in_range("volume_gb", volume_gb, check.DISK_RANGE)),
        )
        return self._call("startVM", start_vm, wire.VM, adapter.to_vm, body=body)

    def stop_vm(self, vm_id: str) -> Flow[None]:
        """``stopVM``: stop (and destroy) a one-time VM."""
        vm_id = check.non_empty("vm_id", vm_id)
        return self._call("stopVM", stop_vm, object, _nothing, vm_id)

    def get_vm(self, vm_id: str) -> Flow[VM]:
        """``getVM``: one VM."""
        vm_id = check.non_empty("vm_id", vm_id)
        return self._call("getVM", get_vm, wire.VM, adapter.to_vm, vm_id)

    def list_vms(
        self,
        *,
        image_id: str | None = None,
        status: str | None = None,
        pagination: str | None = None,
    ) -> Flow[VMPage]:
        """``listVMs``: one page of the caller's VMs, optionally filtered."""
        image_id = check.optional_non_empty("image_id", image_id)
        status = check.vm_status(status)
        pagination = check.optional_non_empty("pagination", pagination)
        return self._call(
            "listVMs",
            list_v_ms,
            wire.VMList,
            adapter.to_vm_page,
            image_id=_or_unset(image_id),
            status=UNSET if status is None else wire.KnownVMState(status),
            pagination=_or_unset(pagination),
        )

    def get_vm_logs(
        self,
        vm_id: str,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> Flow[LogPage]:
        """``getVMLogs``: one page of a VM's logs."""
        vm_id = check.non_empty("vm_id", vm_id)
        params = _log_params(query, batch, order, pagination, from_, to)
        return self._call(
            "getVMLogs", get_vm_logs, wire.LogPage, adapter.to_log_page, vm_id, **params
        )

    # --- cached VMs -----------------------------------------------------------------

    def cache_vm(
        self,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_size: int | None = None,
    ) -> Flow[CachedVM]:
        """``cacheVM``: create a cached VM (stopped until started)."""
        body = wire.CacheVMRequest(
            image_id=check.non_empty("image_id", image_id),
            cpu=_or_unset(check.int_in_range("cpu", cpu, check.CPU_RANGE)),
            memory=_or_unset(check.int_in_range("memory", memory, check.MEMORY_RANGE)),
            port=_or_unset(check.int_in_range("port", port, check.PORT_RANGE)),
            env_vars=_env(env_vars),
            disk_size=_or_unset(check.int_in_range("disk_size", disk_size, check.DISK_RANGE)),
        )
        return self._call("cacheVM", cache_vm, wire.CachedVM, adapter.to_cached_vm, body=body)

    def start_cached_vm(self, id: str) -> Flow[None]:
        """``startCachedVM``: start a cached VM."""
        id = check.non_empty("id", id)
        return self._call("startCachedVM", start_cached_vm, object, _nothing, id)

    def stop_cached_vm(self, id: str) -> Flow[None]:
        """``stopCachedVM``: stop a cached VM (it can be started again)."""
        id = check.non_empty("id", id)
        return self._call("stopCachedVM", stop_cached_vm, object, _nothing, id)

    def destroy_cached_vm(self, id: str) -> Flow[None]:
        """``destroyCachedVM``: destroy a cached VM for good."""
        id = check.non_empty("id", id)
        return self._call("destroyCachedVM", destroy_cached_vm, object, _nothing, id)

    def get_cached_vm_logs(self, id: str) -> Flow[tuple[LogLine, ...]]:
        """``getCachedVMLogs``: all log lines of a cached VM."""
        id = check.non_empty("id", id)
        return self._call(
            "getCachedVMLogs", get_cached_vm_logs, wire.CachedVMLogs, adapter.to_log_lines, id
        )


def _env(env_vars: Mapping[str, str] | None) -> Any:
    checked = check.env_vars(env_vars)
    return UNSET if checked is None else adapter.to_env_vars(checked)


def _log_params(
    query: str | None,
    batch: int | None,
    order: str | None,
    pagination: str | None,
    from_: str | None,
    to: str | None,
) -> dict[str, Any]:
    """Checked log query parameters as the generated ``_get_kwargs`` takes them."""
    check.int_in_range("batch", batch, check.BATCH_RANGE)
    check.optional_non_empty("query", query)  # an empty query value is a 400
    checked_order = check.one_of("order", order, check.LOG_ORDERS)
    return {
        "query": _or_unset(query),
        "batch": _or_unset(batch),
        "order": UNSET if checked_order is None else wire.LogOrder(checked_order),
        "pagination": _or_unset(pagination),
        "from_": _or_unset(from_),
        "to": _or_unset(to),
    }
