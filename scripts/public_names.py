"""The names a typed caller of each shipped client writes, as the pinned generators make them.

Our users import generated names: `from cakework_api.models import VM`,
`cakework_api.api.v_ms.get_vm`, the TypeScript `components["schemas"]["VM"]`. Which edit of
openapi.yaml renames or removes one of them is a question of each generator's naming rules
(titles, tags, operationIds, enum member names, identifier mangling), so it is answered by
the generators themselves, never by a copy of their rules:

- Python: openapi-python-client (the version `make generate` pins, with
  generator-config.yml) parses the spec in-process, exactly as `generate` does before it
  writes files; its models, enums and endpoint collections carry every name it would write.
- TypeScript: clients/typescript/scripts/public-names.mjs runs the pinned openapi-typescript
  and lists the members of the `paths`, `components` and `operations` types it emits.

Both cost about half a second per spec, so results are cached by the spec's content, the
Python side parses a batch on every core, and the TypeScript side is one Node process that
stays up for every batch of the run (it ends when Python exits).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "generator-config.yml"
TS_PACKAGE = ROOT / "clients" / "typescript"
TS_SCRIPT = TS_PACKAGE / "scripts" / "public-names.mjs"
PACKAGE = "cakework_api"


@dataclass(frozen=True)
class PublicNames:
    """The public names of both generated clients for one spec."""

    python: frozenset[str]
    typescript: frozenset[str]


_python_cache: dict[str, frozenset[str]] = {}
_typescript_cache: dict[str, frozenset[str]] = {}


def _named(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as the generators get it: info.version blanked.

    The version names nothing either generator emits, and a release rewrites it; blanking
    it lets a spec before and after its version bump share one cached answer.
    """
    named = dict(spec)
    if isinstance(named.get("info"), Mapping):
        named["info"] = {**named["info"], "version": ""}
    return named


def _key(spec: Mapping[str, Any]) -> str:
    text = json.dumps(_named(spec), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def python_names(spec: Mapping[str, Any]) -> frozenset[str]:
    """What openapi-python-client would name for this spec: modules, classes, members."""
    key = _key(spec)
    cached = _python_cache.get(key)
    if cached is not None:
        return cached
    # Imported here: the generator takes seconds to import and only this needs it.
    from openapi_python_client.config import Config, ConfigFile, MetaType
    from openapi_python_client.parser import GeneratorData
    from openapi_python_client.parser.errors import GeneratorError
    from openapi_python_client.parser.properties import EnumProperty, ModelProperty

    config = Config.from_sources(
        ConfigFile.load_from_path(CONFIG), MetaType.NONE, ROOT / "openapi.yaml", "utf-8", True, None
    )
    # The parser may fill in defaults in place: give it its own copy.
    data = json.loads(json.dumps(_named(spec), default=str))
    parsed = GeneratorData.from_dict(data, config=config)
    if isinstance(parsed, GeneratorError):
        raise ValueError(f"openapi-python-client cannot parse the spec: {parsed.header}")
    names: set[str] = set()
    models = f"{PACKAGE}.models"
    for model in parsed.models:
        assert isinstance(model, ModelProperty)
        cls = f"{models}.{model.class_info.name}"
        names.add(cls)
        for prop in (model.required_properties or []) + (model.optional_properties or []):
            names.add(f"{cls}.{prop.python_name}")
    for enum in parsed.enums:
        cls = f"{models}.{enum.class_info.name}"
        names.add(cls)
        if isinstance(enum, EnumProperty):
            names.update(f"{cls}.{member}" for member in enum.values)
    for tag, collection in parsed.endpoint_collections_by_tag.items():
        for endpoint in collection.endpoints:
            module = f"{PACKAGE}.api.{tag}.{endpoint.name}"
            names.add(module)
            # The keyword arguments of sync()/asyncio() and their _detailed twins.
            names.update(f"{module}({p.python_name}=)" for p in endpoint.list_all_parameters())
    result = frozenset(names)
    _python_cache[key] = result
    return result


def _python_names_uncached(specs: Sequence[Mapping[str, Any]]) -> None:
    """Fill the Python cache for these specs, in parallel when there are several."""
    todo = {_key(spec): spec for spec in specs if _key(spec) not in _python_cache}
    workers = min(len(todo), os.cpu_count() or 1, 4)
    # Forking a process that runs other threads can deadlock (and warns from Python 3.12).
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or not forkable or threading.active_count() > 1:
        for spec in todo.values():
            python_names(spec)
        return
    # Forked workers share the generator already imported here (importing it takes
    # seconds); each parse is independent and CPU-bound.
    python_names({"openapi": "3.1.0", "info": {"title": "", "version": ""}, "paths": {}})
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = pool.map(python_names, todo.values(), chunksize=4)
        for key, names in zip(todo, results, strict=True):
            _python_cache[key] = names


class _TypeScriptWorker:
    """One Node process running public-names.mjs, fed a line per batch, kept for reuse."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (TS_PACKAGE / "node_modules" / "openapi-typescript").is_dir():
            raise RuntimeError(
                "the TypeScript names need node and clients/typescript/node_modules: "
                "run make ts-node"
            )
        self.process = subprocess.Popen(
            [node, str(TS_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self.close)

    def send(self, specs: list[Mapping[str, Any]]) -> Callable[[], list[list[str]]]:
        """Send one batch; return what reads its answer (Python works in between)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(specs, default=str) + "\n")
        self.process.stdin.flush()
        stdout = self.process.stdout

        def receive() -> list[list[str]]:
            line = stdout.readline()
            if not line:
                self.close()
                raise ValueError("openapi-typescript stopped without an answer")
            answer = json.loads(line)
            if isinstance(answer, dict):
                raise ValueError(f"openapi-typescript cannot read the spec:\n{answer['error']}")
            return list(answer)

        return receive

    def close(self) -> None:
        """End the Node process: it stops when its stdin closes."""
        global _worker
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if _worker is self:
            _worker = None


_worker: _TypeScriptWorker | None = None


def _start_typescript(specs: Sequence[Mapping[str, Any]]) -> Callable[[], None] | None:
    """Send the uncached specs to openapi-typescript; return what waits for its answer."""
    global _worker
    missing = {_key(spec): spec for spec in specs if _key(spec) not in _typescript_cache}
    if not missing:
        return None
    if _worker is None:
        _worker = _TypeScriptWorker()
    receive = _worker.send([_named(spec) for spec in missing.values()])

    def finish() -> None:
        for key, found in zip(missing, receive(), strict=True):
            _typescript_cache[key] = frozenset(found)

    return finish


def typescript_names(specs: Sequence[Mapping[str, Any]]) -> list[frozenset[str]]:
    """What openapi-typescript names for each spec; one Node process for the whole batch."""
    finish = _start_typescript(specs)
    if finish is not None:
        finish()
    return [_typescript_cache[_key(spec)] for spec in specs]


def public_names(specs: Sequence[Mapping[str, Any]]) -> list[PublicNames]:
    """The public names of both clients for each spec (cached by content).

    Node works through the TypeScript side while Python parses: the two overlap.
    """
    finish = _start_typescript(specs)
    _python_names_uncached(specs)
    if finish is not None:
        finish()
    return [PublicNames(_python_cache[_key(spec)], _typescript_cache[_key(spec)]) for spec in specs]
