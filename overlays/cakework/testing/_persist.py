"""The emulator's world on disk and over HTTP: export, restore, and a SQLite state file.

Rules of this module:

* One document shape, :data:`STATE_FORMAT` version :data:`STATE_VERSION`, for
  ``GET``/``PUT /_emulator/state`` (JSON) and for the ``--state`` file (the same data in
  SQLite tables, one row per image, build and VM, so ``sqlite3 FILE 'select * from vms'``
  reads it). It holds every tenant's images, builds (with their log lines), VMs and cached
  VMs (their transitions, from which their log lines follow), the id counters, the
  registered GitHub repositories and the clock. Cursors hold positions and fingerprints
  only, so every cursor issued before a save is still valid after a restore.
* Tenants are named by the SHA-256 of their API key, never the key itself: a state file
  can be shared without sharing keys, and it loads into an emulator started with the same
  keys.
* A file is never overwritten unless it was read successfully (or did not exist): a
  corrupt file, or one written by a newer version, is refused with :class:`StateFileError`
  and left as it is. A save writes a new file next to it and renames it over the old one,
  so a kill -9 at any moment leaves the previous save or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._state import Backend, BuildRecord, GithubBranch, ImageRecord, Tenant, VMRecord

STATE_FORMAT = "cakework-emulator-state"
"""The ``format`` member of every state document."""
STATE_VERSION = 1
"""The document version this emulator writes; it reads this one and older ones."""
DEFAULT_SAVE_INTERVAL = 5.0
"""Seconds between two saves of a ``--state`` file (and so the most a kill -9 loses)."""

JSON = dict[str, Any]
_VM_STATES = frozenset({"created", "started", "stopped", "destroyed"})


class StateFileError(Exception):
    """A state file or document that cannot be loaded; the file is left untouched."""


def tenant_name(api_key: str) -> str:
    """How a state document names the tenant of ``api_key`` (its SHA-256)."""
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()


# ---- the document ----------------------------------------------------------------------


def export_state(backend: Backend) -> JSON:
    """The whole world of ``backend`` as a JSON-ready document (one consistent instant)."""
    # The backend's own lock: the export sees no operation half done.
    with backend._lock:
        tenants = []
        for key, tenant in backend._tenants.items():
            tenants.append(
                {
                    "tenant": tenant_name(key),
                    "forgottenVms": tenant.forgotten_vms,
                    "forgottenCachedVms": tenant.forgotten_cached_vms,
                    "images": [
                        {"id": i.image_id, "readyAt": i.ready_at, "source": i.source}
                        for i in tenant.images.values()
                    ],
                    "builds": [_build_json(b) for b in tenant.builds.values()],
                    "vms": [_vm_json(vm) for vm in tenant.vms.values()],
                }
            )
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "clock": backend.clock.now(),
            "counters": dict(backend._counters),
            "github": [
                {"repository": repo, "branch": branch, "files": dict(b.files), "token": b.token}
                for (repo, branch), b in backend._github.items()
            ],
            "tenants": tenants,
        }


def _build_json(build: BuildRecord) -> JSON:
    return {
        "id": build.build_id,
        "createdAt": build.created_at,
        "doneAt": build.done_at,
        "outcome": build.outcome,
        "imageId": build.image_id,
        "dockerfile": build.dockerfile,
        "source": build.source,
        "lines": [list(line) for line in build.lines],
    }


def _vm_json(vm: VMRecord) -> JSON:
    return {
        "id": vm.vm_id,
        "seq": vm.seq,
        "imageId": vm.image_id,
        "hostname": vm.hostname,
        "cpu": vm.cpu,
        "memory": vm.memory,
        "port": vm.port,
        "diskGb": vm.disk_gb,
        "envVars": vm.env_vars,
        "cached": vm.cached,
        "createdAt": vm.created_at,
        "transitions": [list(t) for t in vm.transitions],
    }


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(what)


def _number(value: Any, what: str) -> float:
    _check(
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
        f"{what} must be a number",
    )
    return float(value)


def _int(value: Any, what: str, *, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    _check(isinstance(value, int) and not isinstance(value, bool), f"{what} must be an integer")
    return value


def _str(value: Any, what: str, *, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    _check(isinstance(value, str), f"{what} must be a string")
    return value


def _strings(value: Any, what: str) -> dict[str, str]:
    _check(
        isinstance(value, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
        f"{what} must map strings to strings",
    )
    return dict(value)


def _list(value: Any, what: str) -> list[Any]:
    _check(isinstance(value, list), f"{what} must be a list")
    return list(value)


def check_version(document: Any) -> None:
    """Refuse a document that is not a state document, or is of a newer version.

    Raises:
        StateFileError: what is wrong, in a sentence.
    """
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise StateFileError(f"not a Cakework emulator state (no format {STATE_FORMAT!r})")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateFileError(f"not a Cakework emulator state (version {version!r})")
    if version > STATE_VERSION:
        raise StateFileError(
            f"written by a newer version of cakework.testing (state version {version}; "
            f"this one reads up to {STATE_VERSION}): upgrade cakework-client to load it"
        )


def _tenant(item: Any, where: str) -> Tenant:
    _check(isinstance(item, dict), f"{where} must be an object")
    tenant = Tenant(
        forgotten_vms=_int(item.get("forgottenVms", 0), f"{where}.forgottenVms"),
        forgotten_cached_vms=_int(item.get("forgottenCachedVms", 0), f"{where}.forgottenCachedVms"),
    )
    for n, image in enumerate(_list(item.get("images", []), f"{where}.images")):
        at = f"{where}.images[{n}]"
        _check(isinstance(image, dict), f"{at} must be an object")
        record = ImageRecord(
            _str(image.get("id"), f"{at}.id"),
            _number(image.get("readyAt"), f"{at}.readyAt"),
            _str(image.get("source"), f"{at}.source"),
        )
        tenant.images[record.image_id] = record
    for n, build in enumerate(_list(item.get("builds", []), f"{where}.builds")):
        at = f"{where}.builds[{n}]"
        _check(isinstance(build, dict), f"{at} must be an object")
        _check(build.get("outcome") in ("succeeded", "failed"), f"{at}.outcome is unknown")
        _check(build.get("source", "files") in ("files", "github"), f"{at}.source is unknown")
        lines = []
        for line in _list(build.get("lines"), f"{at}.lines"):
            _check(isinstance(line, list) and len(line) == 3, f"{at}.lines: [time, level, text]")
            lines.append(
                (
                    _number(line[0], f"{at}.lines"),
                    _str(line[1], f"{at}.lines"),
                    _str(line[2], f"{at}.lines"),
                )
            )
        record_b = BuildRecord(
            _str(build.get("id"), f"{at}.id"),
            _number(build.get("createdAt"), f"{at}.createdAt"),
            _number(build.get("doneAt"), f"{at}.doneAt"),
            build["outcome"],
            _str(build.get("imageId"), f"{at}.imageId", optional=True),
            tuple(lines),
            _str(build.get("dockerfile", ""), f"{at}.dockerfile"),
            build.get("source", "files"),
        )
        tenant.builds[record_b.build_id] = record_b
    for n, vm in enumerate(_list(item.get("vms", []), f"{where}.vms")):
        at = f"{where}.vms[{n}]"
        _check(isinstance(vm, dict), f"{at} must be an object")
        transitions = []
        for step in _list(vm.get("transitions"), f"{at}.transitions"):
            _check(
                isinstance(step, list) and len(step) == 2 and step[1] in _VM_STATES,
                f"{at}.transitions: [time, state]",
            )
            transitions.append((_number(step[0], f"{at}.transitions"), str(step[1])))
        _check(bool(transitions), f"{at}.transitions is empty")
        cached = vm.get("cached")
        _check(isinstance(cached, bool), f"{at}.cached must be true or false")
        record_v = VMRecord(
            vm_id=_str(vm.get("id"), f"{at}.id"),
            seq=_int(vm.get("seq"), f"{at}.seq"),
            image_id=_str(vm.get("imageId"), f"{at}.imageId"),
            hostname=_str(vm.get("hostname"), f"{at}.hostname"),
            cpu=_int(vm.get("cpu"), f"{at}.cpu"),
            memory=_int(vm.get("memory"), f"{at}.memory"),
            port=_int(vm.get("port"), f"{at}.port", optional=True),
            disk_gb=_int(vm.get("diskGb"), f"{at}.diskGb", optional=True),
            env_vars=_strings(vm.get("envVars", {}), f"{at}.envVars"),
            cached=cached,
            created_at=_number(vm.get("createdAt"), f"{at}.createdAt"),
            transitions=transitions,
        )
        tenant.vms[record_v.vm_id] = record_v
    return tenant


def import_state(backend: Backend, document: Any) -> None:
    """Replace the world of ``backend`` by a state document, or change nothing.

    Tenants of the document are matched to the backend's API keys by hash; a key the
    document does not name starts empty.

    Raises:
        StateFileError: not a state document, a newer version, a malformed member, or a
            tenant whose API key this emulator was not started with.
    """
    check_version(document)
    names = {tenant_name(key): key for key in backend.api_keys}
    try:
        tenants: dict[str, Tenant] = {key: Tenant() for key in backend.api_keys}
        for n, item in enumerate(_list(document.get("tenants", []), "tenants")):
            name = item.get("tenant") if isinstance(item, dict) else None
            if name not in names:
                raise StateFileError(
                    f"tenants[{n}] belongs to an API key this emulator was not started with; "
                    "start it with the same --api-key values as the emulator that saved it"
                )
            tenants[names[name]] = _tenant(item, f"tenants[{n}]")
        counters = {
            _str(k, "counters"): _int(v, f"counters.{k}")
            for k, v in _dict(document.get("counters", {}), "counters").items()
        }
        github = {}
        for n, repo in enumerate(_list(document.get("github", []), "github")):
            at = f"github[{n}]"
            _check(isinstance(repo, dict), f"{at} must be an object")
            key = (_str(repo.get("repository"), f"{at}.repository"), _str(repo.get("branch"), at))
            github[key] = GithubBranch(
                _strings(repo.get("files", {}), f"{at}.files"),
                _str(repo.get("token"), f"{at}.token", optional=True),
            )
        clock = _number(document.get("clock"), "clock")
    except (ValueError, AttributeError) as exc:
        raise StateFileError(f"not a valid Cakework emulator state: {exc}") from exc
    with backend._lock:
        backend._tenants = tenants
        backend._counters = counters
        backend._github = github
        restore: Callable[[float], None] | None = getattr(backend.clock, "restore", None)
        if restore is not None:
            restore(clock)


def _dict(value: Any, what: str) -> dict[str, Any]:
    _check(isinstance(value, dict), f"{what} must be an object")
    return dict(value)


# ---- the SQLite file -------------------------------------------------------------------

_SCHEMA = """
create table meta (key text primary key, value text not null);
create table tenants (
    tenant text primary key, forgotten_vms integer not null, forgotten_cached_vms integer not null
);
create table images (tenant text not null, id text not null, ready_at real not null,
    source text not null);
create table builds (tenant text not null, id text not null, created_at real not null,
    done_at real not null, outcome text not null, image_id text, dockerfile text not null,
    source text not null, lines text not null);
create table vms (tenant text not null, id text not null, seq integer not null,
    image_id text not null, hostname text not null, cpu integer not null,
    memory integer not null, port integer, disk_gb integer, env_vars text not null,
    cached integer not null, created_at real not null, transitions text not null);
create table github (repository text not null, branch text not null, token text,
    files text not null);
create table counters (kind text primary key, value integer not null);
"""


def save_file(path: Path, document: JSON) -> None:
    """Write ``document`` to the SQLite file ``path``, replacing it in one rename.

    Raises:
        OSError: the folder cannot be made or written.
        sqlite3.Error: SQLite could not write the file (a full disk, say).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".saving")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    connection = sqlite3.connect(temporary)
    try:
        with connection:
            connection.executescript(_SCHEMA)
            connection.executemany(
                "insert into meta values (?, ?)",
                [
                    ("format", STATE_FORMAT),
                    ("version", str(document["version"])),
                    ("clock", repr(document["clock"])),
                    ("saved_at", repr(time.time())),
                ],
            )
            connection.executemany(
                "insert into counters values (?, ?)", list(document["counters"].items())
            )
            connection.executemany(
                "insert into github values (?, ?, ?, ?)",
                [
                    (g["repository"], g["branch"], g["token"], json.dumps(g["files"]))
                    for g in document["github"]
                ],
            )
            for tenant in document["tenants"]:
                name = tenant["tenant"]
                connection.execute(
                    "insert into tenants values (?, ?, ?)",
                    (name, tenant["forgottenVms"], tenant["forgottenCachedVms"]),
                )
                connection.executemany(
                    "insert into images values (?, ?, ?, ?)",
                    [(name, i["id"], i["readyAt"], i["source"]) for i in tenant["images"]],
                )
                connection.executemany(
                    "insert into builds values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            name,
                            b["id"],
                            b["createdAt"],
                            b["doneAt"],
                            b["outcome"],
                            b["imageId"],
                            b["dockerfile"],
                            b["source"],
                            json.dumps(b["lines"]),
                        )
                        for b in tenant["builds"]
                    ],
                )
                connection.executemany(
                    "insert into vms values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            name,
                            v["id"],
                            v["seq"],
                            v["imageId"],
                            v["hostname"],
                            v["cpu"],
                            v["memory"],
                            v["port"],
                            v["diskGb"],
                            json.dumps(v["envVars"]),
                            int(v["cached"]),
                            v["createdAt"],
                            json.dumps(v["transitions"]),
                        )
                        for v in tenant["vms"]
                    ],
                )
    finally:
        connection.close()
    with open(temporary, "rb+") as written:
        os.fsync(written.fileno())
    os.replace(temporary, path)
    with contextlib.suppress(OSError):  # not every platform can fsync a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    # Read-only through a URI: opening never creates, repairs or rewrites the file.
    connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def load_file(path: Path) -> JSON | None:
    """Read a state file; None when it does not exist.

    Raises:
        StateFileError: the file is not a state file, is damaged, or was written by a
            newer version; the message names the file and says it was left unchanged.
    """
    if not path.exists():
        return None
    try:
        with _read_only(path) as db:
            meta = dict(db.execute("select key, value from meta").fetchall())
            version = int(meta["version"]) if meta.get("version", "").isdigit() else None
            check_version({"format": meta.get("format"), "version": version})
            if version != STATE_VERSION:  # no older version exists yet
                raise StateFileError(f"unknown state version {version}")
            tenants: dict[str, JSON] = {}
            for name, forgotten, forgotten_cached in db.execute("select * from tenants"):
                tenants[name] = {
                    "tenant": name,
                    "forgottenVms": forgotten,
                    "forgottenCachedVms": forgotten_cached,
                    "images": [],
                    "builds": [],
                    "vms": [],
                }
            for name, *row in db.execute("select * from images order by rowid"):
                tenants[name]["images"].append(
                    dict(zip(("id", "readyAt", "source"), row, strict=True))
                )
            for name, *row in db.execute("select * from builds order by rowid"):
                build = dict(
                    zip(
                        ("id", "createdAt", "doneAt", "outcome", "imageId", "dockerfile", "source"),
                        row[:7],
                        strict=True,
                    )
                )
                build["lines"] = json.loads(row[7])
                tenants[name]["builds"].append(build)
            vm_columns = ("id", "seq", "imageId", "hostname", "cpu", "memory", "port", "diskGb")
            for name, *row in db.execute("select * from vms order by rowid"):
                vm = dict(zip(vm_columns, row[:8], strict=True))
                vm["envVars"] = json.loads(row[8])
                vm["cached"] = bool(row[9])
                vm["createdAt"] = row[10]
                vm["transitions"] = json.loads(row[11])
                tenants[name]["vms"].append(vm)
            github = [
                {"repository": r, "branch": b, "token": t, "files": json.loads(f)}
                for r, b, t, f in db.execute("select * from github order by rowid")
            ]
            counters = dict(db.execute("select kind, value from counters").fetchall())
            clock = float(meta["clock"])
    except StateFileError as exc:
        raise StateFileError(f"{path}: {exc}; the file was left unchanged") from exc
    except (sqlite3.Error, KeyError, ValueError, TypeError) as exc:
        raise StateFileError(
            f"{path}: not a readable Cakework emulator state file ({exc}); the file was "
            "left unchanged: give another --state path, or remove the file to start empty"
        ) from exc
    return {
        "format": STATE_FORMAT,
        "version": version,
        "clock": clock,
        "counters": counters,
        "github": github,
        "tenants": list(tenants.values()),
    }


def load_into(backend: Backend, path: Path) -> bool:
    """Load the state file ``path`` into ``backend``; False when there is no file yet.

    Raises:
        StateFileError: see :func:`load_file` and :func:`import_state`.
    """
    document = load_file(path)
    if document is None:
        return False
    try:
        import_state(backend, document)
    except StateFileError as exc:
        raise StateFileError(f"{path}: {exc}; the file was left unchanged") from exc
    return True


class Saver:
    """Saves a backend's world to a file every ``interval`` seconds, on a daemon thread."""

    def __init__(self, backend: Backend, path: Path, interval: float) -> None:
        if not (isinstance(interval, int | float) and interval > 0 and math.isfinite(interval)):
            raise ValueError(f"save_interval must be a number of seconds > 0, not {interval!r}")
        self.backend = backend
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def save(self) -> None:
        """Save now (one save at a time)."""
        with self._lock:
            save_file(self.path, export_state(self.backend))

    def start(self) -> None:
        """Start saving periodically."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="cakework-emulator-state", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(OSError, sqlite3.Error):
                # A full disk must not kill the thread: the next interval tries again,
                # and the save on exit reports the error.
                self.save()

    def stop(self) -> None:
        """Stop the periodic saves and save a last time.

        Raises:
            OSError: the last save failed.
            sqlite3.Error: likewise.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.save()
