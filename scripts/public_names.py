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

import hashlib
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
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


def typescript_names(specs: Sequence[Mapping[str, Any]]) -> list[frozenset[str]]:
    """What openapi-typescript names for each spec; one Node process for the whole batch."""
    keys = [_key(spec) for spec in specs]
    missing = {
        key: spec for key, spec in zip(keys, specs, strict=True) if key not in _typescript_cache
    }
    if missing:
        node = shutil.which("node")
        if node is None or not (TS_PACKAGE / "node_modules" / "openapi-typescript").is_dir():
            raise RuntimeError(
                "the TypeScript names need node and clients/typescript/node_modules: "
                "run make ts-node"
            )
        result = subprocess.run(
            [node, str(TS_SCRIPT)],
            input=json.dumps(list(missing.values()), default=str),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ValueError(f"openapi-typescript cannot read the spec:\n{result.stderr.strip()}")
        for key, found in zip(missing, json.loads(result.stdout), strict=True):
            _typescript_cache[key] = frozenset(found)
    return [_typescript_cache[key] for key in keys]


def public_names(specs: Sequence[Mapping[str, Any]]) -> list[PublicNames]:
    """The public names of both clients for each spec (cached by content)."""
    typescript = typescript_names(specs)
    return [PublicNames(python_names(spec), ts) for spec, ts in zip(specs, typescript, strict=True)]
