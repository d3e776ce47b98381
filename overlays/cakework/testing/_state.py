"""The emulated Cakework service: tenants, images, builds and VMs, with no web framework.

Rules of this module:

* One :class:`Backend` method per API operation; it raises :class:`EmulatorError`
  (status + message) for anything the service refuses, and returns the JSON-ready body.
* Every state change is declared as data (``_PROGRESSIONS``, ``_TRANSITIONS``) and scheduled on
  the emulator clock when the request arrives; a read only evaluates that schedule at
  "now", so reads never change state.
* Nothing is random: ids come from counters run through a hash, so a run with a manual
  clock produces the same ids, timestamps and log lines every time.
* Each API key is a tenant that sees only its own resources; another tenant's id is
  answered exactly like an unknown id (404).
* State stays bounded under load: a tenant keeps its :data:`RETAINED_DESTROYED_VMS` most
  recently destroyed VMs (one-time or cached) and forgets older ones, which are then
  answered like an unknown id (404). Log lines are never stored: a VM's lines are
  computed from its transitions when read, so they go with it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import hashlib
import math
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from cakework_spec.operations import OPERATIONS

from ..errors import BuildContextError
from ._clock import Clock
from ._dockerfile import apply_dockerignore, context_path, plan_build
from ._errors import EmulatorError
from ._logs import Line, LogRequest, page_logs

JSON = dict[str, Any]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _body_pattern(operation_id: str, wire: str) -> re.Pattern[str]:
    """The spec's pattern for a body property (generated into ``cakework_spec``)."""
    field = next(f for f in OPERATIONS[operation_id].body or () if f.wire == wire)
    return re.compile(field.rule.pattern or "")


ECR_URI = _body_pattern("importImage", "imageUri")
"""The ECR image URIs openapi.yaml allows for ``importImage``."""
GITHUB_REPOSITORY = _body_pattern("buildImageFromGithub", "repository")
"""``owner/name``: the pattern openapi.yaml allows for ``buildImageFromGithub``'s repository."""
MAX_APP_LINES_PER_RUN = 20_000
"""Bound on the periodic lines one VM run writes, so a fast clock cannot exhaust memory."""
RETAINED_DESTROYED_VMS = 1000
"""Destroyed VMs a tenant keeps, the most recently destroyed; older ones are forgotten.

Enough for any test to look at the VMs it destroyed (state ``destroyed``, their logs);
without a bound, a long-running emulator would keep every VM it ever ran (about 1 KB each).
"""


def _duration(instance: object, attribute: Any, value: Any) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number of seconds >= 0, not {value!r}")


def _interval(instance: object, attribute: Any, value: Any) -> None:
    # Every log read divides by it; infinity is fine (no application lines at all).
    if not (isinstance(value, int | float) and value > 0):
        raise ValueError(f"{attribute.name} must be a number of seconds > 0, not {value!r}")


@attrs.frozen
class Timings:
    """Emulator-clock durations, in seconds.

    Attributes:
        build_step: How long each Dockerfile instruction (and the GitHub clone) takes.
        boot: From ``created`` to ``started``.
        destroy: From ``stopped`` to ``destroyed`` for a one-time VM.
        log_interval: A started VM writes one application line this often (> 0;
            ``math.inf`` for none).

    Raises:
        ValueError: a duration is negative or not finite, or ``log_interval`` is not > 0.
    """

    build_step: float = attrs.field(default=1.0, validator=_duration)
    boot: float = attrs.field(default=3.0, validator=_duration)
    destroy: float = attrs.field(default=2.0, validator=_duration)
    log_interval: float = attrs.field(default=5.0, validator=_interval)


# State progressions: (state, delay after the triggering request).
_PROGRESSIONS: dict[str, tuple[tuple[str, float | str], ...]] = {
    "boot": (("created", 0.0), ("started", "boot")),
    "cache": (("stopped", 0.0),),
    "stop_one_time": (("stopped", 0.0), ("destroyed", "destroy")),
    "stop_cached": (("stopped", 0.0),),
    "destroy_cached": (("destroyed", 0.0),),
}
# Requested transitions: the verb (for the 409 message), the states it may start from
# (anything else is a 409) and the progression it schedules.
_TRANSITIONS: dict[str, tuple[str, frozenset[str], str]] = {
    "stop_vm": ("stop", frozenset({"created", "started"}), "stop_one_time"),
    "start_cached": ("start", frozenset({"stopped"}), "boot"),
    "stop_cached": ("stop", frozenset({"created", "started"}), "stop_cached"),
    "destroy_cached": ("destroy", frozenset({"created", "started", "stopped"}), "destroy_cached"),
}
_RUNNING = frozenset({"created", "started"})

TimestampShape = Literal["space", "zulu", "offset"]


@functools.lru_cache(maxsize=4096)  # a VM's few instants come back on every getVM
def format_timestamp(t: float, shape: TimestampShape) -> str:
    """Format emulator time in one of the three shapes the real service sent.

    ``space``: ``2023-02-24 20:29:40.331`` (UTC, no zone); ``zulu``:
    ``2023-03-03T20:22:39.096Z``; ``offset``: ``2023-03-09T02:43:30.243-08:00``.
    """
    ms = math.floor(t * 1000)
    if shape == "offset":
        ms -= 8 * 3600 * 1000
    seconds, millis = divmod(ms, 1000)
    base = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}"
    if shape == "space":
        return base
    base = base.replace(" ", "T")
    return base + ("Z" if shape == "zulu" else "-08:00")


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(("cakework-emulator", *parts)).encode()).digest()


def _ulid_like(*parts: str) -> str:
    number = int.from_bytes(_digest(*parts)[:17], "big")
    chars = []
    for _ in range(26):
        number, rest = divmod(number, 32)
        chars.append(_CROCKFORD[rest])
    return "".join(chars)


def _ms(t: float) -> int:
    return math.floor(t * 1000)


@attrs.define
class ImageRecord:
    """An image a tenant can start VMs from, once ``ready_at`` has passed."""

    image_id: str
    ready_at: float
    source: str


@attrs.define
class BuildRecord:
    """A build: everything it will do is decided when it is created."""

    build_id: str
    created_at: float
    done_at: float
    outcome: Literal["succeeded", "failed"]
    image_id: str | None
    lines: tuple[tuple[float, str, str], ...]
    dockerfile: str = ""
    source: Literal["files", "github"] = "files"

    def status(self, now: float) -> str:
        """The build's status at ``now``."""
        return self.outcome if now >= self.done_at else "created"

    def to_json(self, now: float) -> JSON:
        """The Build body at ``now``."""
        done = now >= self.done_at
        body: JSON = {
            "buildId": self.build_id,
            "status": self.status(now),
            "createdAt": format_timestamp(self.created_at, "space"),
            "updatedAt": format_timestamp(self.done_at if done else self.created_at, "space"),
        }
        if done and self.image_id is not None:
            body["imageId"] = self.image_id
        return body

    def log_lines(self, now: float) -> list[Line]:
        """The lines written by ``now``."""
        return [Line(_ms(t), level, message) for t, level, message in self.lines if t <= now]


@attrs.define
class VMRecord:
    """A VM, one-time or cached; its state is the last transition at or before now."""

    vm_id: str
    seq: int
    image_id: str
    hostname: str
    cpu: int
    memory: int
    port: int | None
    disk_gb: int | None
    env_vars: dict[str, str]
    cached: bool
    created_at: float
    transitions: list[tuple[float, str]]
    extra: dict[str, Any] = attrs.Factory(dict)
    """Request properties the answer also declares (``Call.echo``), answered back as sent."""

    def current(self, now: float) -> tuple[float, str]:
        """``(since, state)`` at ``now``."""
        result = self.transitions[0]
        for transition in self.transitions:
            if transition[0] <= now:
                result = transition
        return result

    def state(self, now: float) -> str:
        """The state at ``now``."""
        return self.current(now)[1]

    def schedule(self, now: float, progression: str, timings: Timings) -> None:
        """Start a progression at ``now``, superseding any transition still pending."""
        self.transitions = [t for t in self.transitions if t[0] <= now]
        for state, delay in _PROGRESSIONS[progression]:
            seconds = getattr(timings, delay) if isinstance(delay, str) else delay
            self.transitions.append((now + seconds, state))

    def to_json(self, now: float) -> JSON:
        """The VM body (getVM, listVMs) at ``now``."""
        since, state = self.current(now)
        shape: TimestampShape = "offset" if self.cached else "zulu"
        body: JSON = {
            "id": self.vm_id,
            "hostname": self.hostname,
            "cpu": self.cpu,
            "memory": self.memory,
            "imageId": self.image_id,
            "state": state,
            "createdAt": format_timestamp(self.created_at, shape),
            "updatedAt": format_timestamp(since, shape),
        }
        if self.port is not None:
            body["port"] = self.port
        if self.disk_gb is not None:
            body["volumeGB"] = self.disk_gb
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body

    def to_cached_json(self, now: float) -> JSON:
        """The CachedVM body (cacheVM) at ``now``: the whole VM, disk as ``diskSize``."""
        body = self.to_json(now)
        disk = body.pop("volumeGB", None)
        if disk is not None:
            body["diskSize"] = disk
        return body

    def log_lines(self, now: float, timings: Timings) -> list[Line]:
        """Every line the VM has written by ``now``: per run, boot lines then app lines."""
        lines: list[Line] = []
        events = [t for t in self.transitions if t[0] <= now]
        for index, (t, state) in enumerate(events):
            end = now if index + 1 == len(events) else events[index + 1][0]
            if state == "created":
                lines += [
                    Line(_ms(t), "info", f"Pulling image {self.image_id}"),
                    Line(_ms(t), "info", f"Configuring VM: {self.cpu} CPU, {self.memory} MB"),
                    Line(_ms(t), "info", "Booting VM"),
                ]
            elif state == "started":
                where = f" on port {self.port}" if self.port is not None else ""
                lines.append(Line(_ms(t), "info", f"VM started, application listening{where}"))
                lines += self._app_lines(t, end, timings)
            elif state == "stopped":
                lines.append(Line(_ms(t), "info", "Received stop request, shutting down"))
            elif state == "destroyed":
                lines.append(Line(_ms(t), "info", "VM destroyed"))
        return lines

    def _app_lines(self, start: float, end: float, timings: Timings) -> Iterable[Line]:
        # A line due exactly at ``end`` is written whether ``end`` is now or the stop: a
        # stop at that very instant must not take back a line a reader may already have
        # (a log cursor is a position, so a vanished line would shift the ones after it).
        count = min(math.floor((end - start) / timings.log_interval), MAX_APP_LINES_PER_RUN)
        for k in range(1, count + 1):
            t = start + k * timings.log_interval
            if t > end:
                break
            if k % 5 == 0:
                yield Line(_ms(t), "warn", f"[app] slow request #{k}: GET /work took 1.2s")
            else:
                yield Line(_ms(t), "info", f"[app] handled request #{k}: GET /health 200")


@attrs.define
class Tenant:
    """What one API key owns.

    Attributes:
        images: Images by id.
        builds: Builds by id.
        vms: VMs (one-time and cached) by id, except the destroyed ones forgotten.
        forgotten_vms: How many destroyed one-time VMs were forgotten.
        forgotten_cached_vms: How many destroyed cached VMs were forgotten.
        sweep_at: ``vms`` is swept for destroyed VMs to forget once it holds this many.
    """

    images: dict[str, ImageRecord] = attrs.Factory(dict)
    builds: dict[str, BuildRecord] = attrs.Factory(dict)
    vms: dict[str, VMRecord] = attrs.Factory(dict)
    forgotten_vms: int = 0
    forgotten_cached_vms: int = 0
    sweep_at: int = 0
    vm_order: list[VMRecord] | None = attrs.field(default=None, init=False, eq=False, repr=False)
    """``vms`` oldest first, the index listVMs pages through; ``None`` until built (or
    after a sweep forgot VMs), then built once from ``vms``."""

    def vms_oldest_first(self) -> list[VMRecord]:
        """``vms`` in creation order (``seq``), from the index, built if missing."""
        if self.vm_order is None:
            self.vm_order = sorted(self.vms.values(), key=_seq)
        return self.vm_order


@attrs.frozen
class GithubBranch:
    """The files of one branch of a registered GitHub repository."""

    files: Mapping[str, str]
    token: str | None = attrs.field(repr=False)


class Backend:
    """The whole emulated service; thread-safe (one lock around every operation)."""

    def __init__(
        self,
        api_keys: Sequence[str],
        clock: Clock,
        *,
        page_size: int = 5,
        log_quirk: bool = False,
        timings: Timings | None = None,
        retain_destroyed: int = RETAINED_DESTROYED_VMS,
    ) -> None:
        if not api_keys:
            raise ValueError("at least one API key is needed")
        for key in api_keys:
            # What an HTTP header can carry unchanged (servers strip blanks at its ends),
            # the same rule the client applies; otherwise the tenant is unreachable.
            if not (isinstance(key, str) and key and key.isascii() and key.isprintable()):
                raise ValueError("each API key must be a non-empty printable ASCII string")
            if key != key.strip():
                raise ValueError("an API key cannot start or end with a blank")
        if not (isinstance(page_size, int) and page_size >= 1):
            raise ValueError(f"page_size must be an int >= 1, not {page_size!r}")
        self.api_keys: tuple[str, ...] = tuple(api_keys)
        self.clock: Clock = clock
        self.page_size = page_size
        self.log_quirk = log_quirk
        self.timings: Timings = timings or Timings()
        self.retain_destroyed = retain_destroyed
        self._lock = threading.RLock()
        self._github: dict[tuple[str, str], GithubBranch] = {}
        self._reset_tenants()

    def _reset_tenants(self) -> None:
        self._tenants = {key: Tenant() for key in self.api_keys}
        self._counters: dict[str, int] = {}

    def reset(self) -> None:
        """Forget every resource of every tenant and reset the clock (GitHub repos stay)."""
        with self._lock:
            self._reset_tenants()
            self.clock.reset()

    # ---- helpers -------------------------------------------------------------------------

    def tenant(self, api_key: str | None) -> Tenant:
        """The tenant of an API key.

        Raises:
            EmulatorError: 401, the key is missing or unknown.
        """
        tenant = self._tenants.get(api_key) if api_key is not None else None
        if tenant is None:
            raise EmulatorError(401, "Unauthorized: missing or unknown X-Api-Key")
        return tenant

    def _next(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def _new_image_id(self) -> str:
        return _ulid_like("image", str(self._next("image")))

    def _image(self, tenant: Tenant, image_id: str, now: float) -> ImageRecord:
        image = tenant.images.get(image_id)
        if image is None or image.ready_at > now:
            raise EmulatorError(404, f"image {image_id} does not exist")
        return image

    def _vm(self, tenant: Tenant, vm_id: str) -> VMRecord:
        vm = tenant.vms.get(vm_id)
        if vm is None:
            raise EmulatorError(404, f"VM {vm_id} does not exist")
        return vm

    def _cached_vm(self, tenant: Tenant, vm_id: str) -> VMRecord:
        vm = tenant.vms.get(vm_id)
        if vm is None or not vm.cached:
            raise EmulatorError(404, f"cached VM {vm_id} does not exist")
        return vm

    def _transition(self, vm: VMRecord, request: str) -> None:
        verb, allowed, progression = _TRANSITIONS[request]
        now = self.clock.now()
        state = vm.state(now)
        if state not in allowed:
            kind = "cached VM" if vm.cached else "VM"
            raise EmulatorError(409, f"{kind} {vm.vm_id} is {state}; cannot {verb} it")
        vm.schedule(now, progression, self.timings)

    def _new_build(
        self,
        tenant: Tenant,
        dockerfile: str,
        files: Mapping[str, str],
        preamble: Sequence[tuple[str, str]] = (),
        early_error: str | None = None,
    ) -> JSON:
        now = self.clock.now()
        source: Literal["files", "github"] = "github" if preamble else "files"
        n = self._next("build")
        build_id = str(uuid.UUID(bytes=_digest("build", str(n))[:16], version=4))
        step = self.timings.build_step
        lines: list[tuple[float, str, str]] = [(now, level, msg) for level, msg in preamble]
        t = now + (step if preamble else 0.0)
        if early_error is not None:
            error: str | None = early_error
        else:
            plan = plan_build(dockerfile, files)
            for build_step in plan.steps:
                lines += [(t, level, message) for level, message in build_step.lines]
                t += step
            error = plan.error
        if error is not None:
            # The failure shows up half-way through the failing step.
            failed_at = max(t - step / 2, now + step / 2)
            lines += [(failed_at, "error", error), (failed_at, "error", "Build failed")]
            record = BuildRecord(
                build_id, now, failed_at, "failed", None, tuple(lines), dockerfile, source
            )
        else:
            image_id = self._new_image_id()
            lines += [
                (t, "info", f"Successfully built {image_id}"),
                (t, "info", f"Pushing image {image_id}: done"),
            ]
            record = BuildRecord(
                build_id, now, t, "succeeded", image_id, tuple(lines), dockerfile, source
            )
            tenant.images[image_id] = ImageRecord(image_id, ready_at=t, source="build")
        tenant.builds[build_id] = record
        return record.to_json(now)

    # ---- operations ----------------------------------------------------------------------

    def import_image(self, api_key: str | None, *, image_uri: str, password: str) -> JSON:
        """ImportImage: any ECR-shaped URI gives a new image.

        The password is not checked beyond what openapi.yaml states (a non-empty string).
        """
        with self._lock:
            tenant = self.tenant(api_key)
            if not ECR_URI.search(image_uri):
                raise EmulatorError(
                    400,
                    f"imageUri: {image_uri!r} is not an ECR image URI "
                    "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag])",
                )
            image_id = self._new_image_id()
            tenant.images[image_id] = ImageRecord(image_id, self.clock.now(), "import")
            return {"imageId": image_id}

    def build_from_files(
        self, api_key: str | None, *, dockerfile: str, files: Sequence[Mapping[str, str]]
    ) -> JSON:
        """BuildImageFromFiles: plan the build from the Dockerfile and the uploaded files."""
        with self._lock:
            tenant = self.tenant(api_key)
            context = {context_path(f["dir"], f["name"]): f["content"] for f in files}
            return self._new_build(tenant, dockerfile, context)

    def build_from_github(
        self,
        api_key: str | None,
        *,
        dockerfile: str,
        repository: str,
        branch: str,
        token: str,
        dockerignore: str | None = None,
    ) -> JSON:
        """BuildImageFromGithub: clone a registered repository, then build like files."""
        with self._lock:
            tenant = self.tenant(api_key)
            url = f"https://github.com/{repository}"
            preamble = [("info", f"Cloning {url} (branch {branch})")]
            registered = self._github.get((repository, branch))
            error: str | None = None
            files: Mapping[str, str] = {}
            if not token:
                error = f"fatal: could not read from {url}: no GitHub token was given"
            elif not any(repo == repository for repo, _ in self._github):
                error = f"fatal: repository '{url}' not found (or the token cannot read it)"
            elif registered is None:
                error = f"fatal: Remote branch {branch} not found in {url}"
            elif registered.token is not None and registered.token != token:
                error = f"fatal: authentication failed for '{url}': the token was rejected"
            else:
                try:
                    files = apply_dockerignore(registered.files, dockerignore)
                except BuildContextError as exc:
                    error = f"failed to read .dockerignore: {exc}"
            return self._new_build(tenant, dockerfile, files, preamble, error)

    def get_build(self, api_key: str | None, build_id: str) -> JSON:
        """GetBuild."""
        with self._lock:
            return self._build(api_key, build_id).to_json(self.clock.now())

    def _build(self, api_key: str | None, build_id: str) -> BuildRecord:
        build = self.tenant(api_key).builds.get(build_id)
        if build is None:
            raise EmulatorError(404, f"build {build_id} does not exist")
        return build

    def get_build_logs(self, api_key: str | None, build_id: str, request: LogRequest) -> JSON:
        """GetBuildLogs: one Logtail-style page."""
        with self._lock:
            build = self._build(api_key, build_id)
            now = self.clock.now()
            lines = build.log_lines(now)
            return self._log_page(lines, request, build_id, build.created_at, now)

    def _log_page(
        self, lines: Sequence[Line], request: LogRequest, scope: str, start: float, now: float
    ) -> JSON:
        page = page_logs(lines, request, scope=scope, start=start, now=now, quirk=self.log_quirk)
        body: JSON = {"lines": [_line_json(line) for line in page.lines]}
        if page.pagination is not None:
            body["pagination"] = page.pagination
            body["from"] = page.from_
            body["to"] = page.to
        return body

    def _new_vm(
        self,
        api_key: str | None,
        *,
        image_id: str,
        cpu: int | None,
        memory: int | None,
        port: int | None,
        env_vars: Mapping[str, str] | None,
        disk_gb: int | None,
        cached: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> VMRecord:
        tenant = self.tenant(api_key)
        now = self.clock.now()
        self._image(tenant, image_id, now)
        seq = self._next("vm")
        vm = VMRecord(
            vm_id=_digest("vm", str(seq)).hex()[:14],
            seq=seq,
            image_id=image_id,
            hostname=f"{_ulid_like('host', str(seq)).lower()}.vm.cakework.localhost",
            cpu=1 if cpu is None else cpu,
            memory=256 if memory is None else memory,
            port=port,
            disk_gb=disk_gb,
            env_vars=dict(env_vars or {}),
            cached=cached,
            created_at=now,
            transitions=[],
            extra=dict(extra or {}),
        )
        vm.schedule(now, "cache" if cached else "boot", self.timings)
        self._forget_destroyed(tenant, now)
        tenant.vms[vm.vm_id] = vm
        if tenant.vm_order is not None:
            tenant.vm_order.append(vm)  # the newest: the index stays in order
        return vm

    def _forget_destroyed(self, tenant: Tenant, now: float) -> None:
        """Forget all but the ``retain_destroyed`` most recently destroyed VMs.

        A sweep looks at every VM, so it runs only once ``retain_destroyed`` VMs were
        added since the last one: O(1) per new VM on average, and ``tenant.vms`` never
        holds more than the live VMs plus twice ``retain_destroyed``.
        """
        if len(tenant.vms) < tenant.sweep_at:
            return
        destroyed = []
        for vm in tenant.vms.values():
            since, state = vm.current(now)
            if state == "destroyed":
                destroyed.append((since, vm.seq, vm))
        destroyed.sort(key=lambda entry: entry[:2])
        for _, _, vm in destroyed[: max(len(destroyed) - self.retain_destroyed, 0)]:
            del tenant.vms[vm.vm_id]
            tenant.vm_order = None  # rebuilt by the next listing
            if vm.cached:
                tenant.forgotten_cached_vms += 1
            else:
                tenant.forgotten_vms += 1
        tenant.sweep_at = len(tenant.vms) + self.retain_destroyed

    def start_vm(
        self,
        api_key: str | None,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        volume_gb: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> JSON:
        """StartVM: a new one-time VM, ``created`` and booting."""
        with self._lock:
            vm = self._new_vm(
                api_key,
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                disk_gb=volume_gb,
                cached=False,
                extra=extra,
            )
            return vm.to_json(vm.created_at)  # the instant it was created: one clock reading

    def stop_vm(self, api_key: str | None, vm_id: str) -> None:
        """StopVM: ``stopped`` now, ``destroyed`` shortly after; 409 unless running."""
        with self._lock:
            vm = self._vm(self.tenant(api_key), vm_id)
            if vm.cached:
                raise EmulatorError(409, f"VM {vm_id} is a cached VM; use stopCachedVM")
            self._transition(vm, "stop_vm")

    def get_vm(self, api_key: str | None, vm_id: str) -> JSON:
        """GetVM (one-time or cached)."""
        with self._lock:
            return self._vm(self.tenant(api_key), vm_id).to_json(self.clock.now())

    def list_vms(
        self,
        api_key: str | None,
        *,
        image_id: str | None = None,
        status: str | None = None,
        pagination: str | None = None,
    ) -> JSON:
        """ListVMs: newest first, filtered, ``page_size`` per page with an opaque cursor.

        A page costs what it holds, not what the tenant has: the walk starts at the
        cursor's place in the creation-ordered index (a binary search) and stops one VM
        after the page is full (that one only tells whether a cursor is due).
        """
        with self._lock:
            tenant = self.tenant(api_key)
            now = self.clock.now()
            fingerprint = hashlib.sha256(f"{image_id}\0{status}".encode()).hexdigest()[:12]
            after = _decode_list_cursor(pagination, fingerprint) if pagination else None
            order = tenant.vms_oldest_first()
            end = len(order) if after is None else bisect.bisect_left(order, after, key=_seq)
            page: list[VMRecord] = []
            more = False
            for index in range(end - 1, -1, -1):
                vm = order[index]
                if (image_id is None or vm.image_id == image_id) and (
                    status is None or vm.state(now) == status
                ):
                    if len(page) == self.page_size:
                        more = True
                        break
                    page.append(vm)
            body: JSON = {"vms": [vm.to_json(now) for vm in page]}
            if more:
                raw = f"{page[-1].seq}.{fingerprint}".encode()
                body["pagination"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
            return body

    def get_vm_logs(self, api_key: str | None, vm_id: str, request: LogRequest) -> JSON:
        """GetVMLogs: one Logtail-style page."""
        with self._lock:
            vm = self._vm(self.tenant(api_key), vm_id)
            now = self.clock.now()
            lines = vm.log_lines(now, self.timings)
            return self._log_page(lines, request, vm_id, vm.created_at, now)

    def cache_vm(
        self,
        api_key: str | None,
        *,
        image_id: str,
        cpu: int | None = None,
        memory: int | None = None,
        port: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        disk_size: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> JSON:
        """CacheVM: a new cached VM, ``stopped``."""
        with self._lock:
            vm = self._new_vm(
                api_key,
                image_id=image_id,
                cpu=cpu,
                memory=memory,
                port=port,
                env_vars=env_vars,
                disk_gb=disk_size,
                cached=True,
                extra=extra,
            )
            return vm.to_cached_json(vm.created_at)  # one clock reading

    def start_cached_vm(self, api_key: str | None, vm_id: str) -> None:
        """StartCachedVM: ``stopped`` → ``created`` → ``started``; 409 from any other state."""
        with self._lock:
            vm = self._cached_vm(self.tenant(api_key), vm_id)
            self._transition(vm, "start_cached")

    def stop_cached_vm(self, api_key: str | None, vm_id: str) -> None:
        """StopCachedVM: → ``stopped``; 409 unless running."""
        with self._lock:
            vm = self._cached_vm(self.tenant(api_key), vm_id)
            self._transition(vm, "stop_cached")

    def destroy_cached_vm(self, api_key: str | None, vm_id: str) -> None:
        """DestroyCachedVM: → ``destroyed``; 409 if it already is."""
        with self._lock:
            vm = self._cached_vm(self.tenant(api_key), vm_id)
            self._transition(vm, "destroy_cached")

    def get_cached_vm_logs(self, api_key: str | None, vm_id: str) -> JSON:
        """GetCachedVMLogs: every line, oldest first."""
        with self._lock:
            vm = self._cached_vm(self.tenant(api_key), vm_id)
            lines = vm.log_lines(self.clock.now(), self.timings)
            return {"lines": [_line_json(line) for line in lines]}

    # ---- emulator-only API ---------------------------------------------------------------

    def register_github_repo(
        self,
        repository: str,
        files: Mapping[str, str],
        *,
        branch: str = "main",
        token: str | None = None,
    ) -> None:
        """Make a GitHub repository branch available to ``buildImageFromGithub``.

        Raises:
            ValueError: ``repository`` is not ``owner/name`` (no build could name it), the
                branch is empty, a file's path or content or the token is not a string.
        """
        if not (isinstance(repository, str) and GITHUB_REPOSITORY.search(repository)):
            raise ValueError(
                f"repository must be owner/name (as builds send it), not {repository!r}"
            )
        if not (isinstance(branch, str) and branch):
            raise ValueError("branch must be a non-empty string")
        if token is not None and not isinstance(token, str):
            raise ValueError("token must be a string or None")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in dict(files).items()):
            raise ValueError("files must map paths (strings) to contents (strings)")
        with self._lock:
            self._github[(repository, branch)] = GithubBranch(dict(files), token)

    def resources(self, api_key: str) -> dict[str, int]:
        """Count what a tenant holds now.

        Returns:
            ``images`` (usable images), ``builds``, ``vms`` (one-time, ever started,
            also those forgotten since), ``cached_vms`` (ever created, likewise),
            ``running_vms`` (either kind, ``created`` or ``started``) and
            ``live_cached_vms`` (cached, not destroyed).

        Raises:
            ValueError: unknown API key (the key itself is not repeated).
        """
        with self._lock:
            tenant = self._tenants.get(api_key)
            if tenant is None:
                raise ValueError("that key is not one of this emulator's API keys")
            now = self.clock.now()
            states = [(vm.cached, vm.state(now)) for vm in tenant.vms.values()]
            return {
                "images": sum(1 for image in tenant.images.values() if image.ready_at <= now),
                "builds": len(tenant.builds),
                "vms": tenant.forgotten_vms + sum(1 for cached, _ in states if not cached),
                "cached_vms": tenant.forgotten_cached_vms
                + sum(1 for cached, _ in states if cached),
                "running_vms": sum(1 for _, state in states if state in _RUNNING),
                "live_cached_vms": sum(1 for c, s in states if c and s != "destroyed"),
            }


def _seq(vm: VMRecord) -> int:
    return vm.seq


def _line_json(line: Line) -> JSON:
    return {"timestamp": line.timestamp_ms, "level": line.level, "message": line.message}


def _decode_list_cursor(token: str, fingerprint: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        seq, sent = raw.split(".")
        after = int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise EmulatorError(409, "pagination: not a cursor this service issued") from exc
    if sent != fingerprint:
        raise EmulatorError(409, "pagination: the cursor was issued for different filters")
    return after
