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

Both cost about half a second per spec, so results are cached by the spec's content and
the TypeScript side takes a whole batch of specs in one Node process.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
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


def _key(spec: Mapping[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, default=str)
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
    data = json.loads(json.dumps(spec, default=str))
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
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
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


def _start_typescript(specs: Sequence[Mapping[str, Any]]) -> Callable[[], None] | None:
    """Start openapi-typescript on the uncached specs; return what waits for its answer."""
    missing = {_key(spec): spec for spec in specs if _key(spec) not in _typescript_cache}
    if not missing:
        return None
    node = shutil.which("node")
    if node is None or not (TS_PACKAGE / "node_modules" / "openapi-typescript").is_dir():
        raise RuntimeError(
            "the TypeScript names need node and clients/typescript/node_modules: run make ts-node"
        )
    with tempfile.TemporaryFile("w+") as request:
        json.dump(list(missing.values()), request, default=str)
        request.seek(0)
        process = subprocess.Popen(
            [node, str(TS_SCRIPT)],
            stdin=request,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish() -> None:
        out, err = process.communicate()
        if process.returncode != 0:
            raise ValueError(f"openapi-typescript cannot read the spec:\n{err.strip()}")
        for key, found in zip(missing, json.loads(out), strict=True):
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
