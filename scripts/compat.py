"""Compare openapi.yaml with a baseline spec and classify every change for existing clients.

    python scripts/compat.py                     # baseline: the latest snapshot in releases/
    python scripts/compat.py --base 0.1.0        # a release, a file, or a git ref
    python scripts/compat.py --base main --changelog   # draft Keep-a-Changelog bullets

Exit status: 1 when any change is breaking, 0 otherwise, 2 on bad input.

Why our own rules rather than a diff tool: no maintained diff tool does the job offline
from the registries this project uses. oasdiff is not published on PyPI or npm;
`@pb33f/openapi-changes` downloads a binary at install time; `@useoptic/optic` 1.0.9
crashes on a fresh install unless ajv is overridden, and then misses a renamed query
parameter, a lowered `maximum` and a changed `format`, and skips its rules on a major
`info.version` bump. The PyPI packages that advertise the same job are recent, little-used
projects. The rules below are a short table, tested edit by edit in
tests/release/test_compat.py.

The rule, for every schema position: a change is breaking when it lets the *sender*
send something the *receiver* did not have to handle before. On the request side the
client sends, so narrowing what the server accepts breaks callers; on the response side
the server sends, so widening what it may answer breaks callers. Concretely:

| what changed                                   | request side   | response side       |
|------------------------------------------------|----------------|---------------------|
| operation/path/method removed or moved         | breaking       | breaking            |
| new operation                                  | non-breaking   | non-breaking        |
| parameter/field removed or renamed             | breaking       | breaking            |
| new required parameter/field                   | breaking       | non-breaking        |
| new optional parameter/field                   | non-breaking   | non-breaking        |
| field made required                            | breaking       | non-breaking        |
| field made optional                            | non-breaking   | breaking            |
| type changed (not a pure widening)             | breaking       | breaking            |
| value made nullable                            | non-breaking   | breaking            |
| format changed, added or removed               | breaking       | breaking            |
| format `password` added or removed             | docs           | docs                |
| range/length/item-count narrowed               | breaking       | non-breaking        |
| range/length/item-count widened                | non-breaking   | breaking            |
| pattern added                                  | breaking       | non-breaking        |
| pattern removed                                | non-breaking   | breaking            |
| pattern changed                                | breaking       | breaking            |
| enum value removed                             | breaking       | non-breaking        |
| enum value added to a closed enum              | non-breaking   | breaking            |
| enum value added to an open enum               | non-breaking   | non-breaking        |
| default changed                                | breaking       | non-breaking        |
| status code or response header removed         |                | breaking            |
| new status code or header                      |                | non-breaking        |
| security requirements changed                  | breaking       |                     |
| operationId changed (generated names change)   | breaking       |                     |
| descriptions, summaries, examples, tags        | docs           | docs                |
| any schema keyword no rule above covers        | breaking       | breaking            |

An enum is *open* when it sits in an `anyOf`/`oneOf` beside an unconstrained alternative
of the same type (this spec's `VMState` and `BuildStatus`): clients must already accept
values outside it. `$ref`s are resolved, so a change inside a shared component is
found in every operation that uses it, and printed once, naming those operations.
"""

from __future__ import annotations

import argparse
import enum
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
RELEASES = ROOT / "releases"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOC_KEYS = frozenset(
    {"description", "summary", "example", "examples", "title", "externalDocs", "tags"}
)
# Range keywords: (keyword, which direction widens the allowed values).
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")

# Schema keywords the rules below look at; a change to any other keyword is breaking.
HANDLED_KEYS = (
    DOC_KEYS
    | set(LOWER_BOUNDS)
    | set(UPPER_BOUNDS)
    | {"$ref", "type", "nullable", "format", "multipleOf", "pattern", "enum", "default"}
    | {"properties", "required", "additionalProperties", "items", "anyOf", "oneOf", "allOf"}
    | {"deprecated"}
)

Spec = Mapping[str, Any]


ANNOTATION_FORMATS = frozenset({"password"})
"""Formats that only annotate a string (OpenAPI's marker of a secret), not its values."""


class Level(enum.IntEnum):
    """How much a change matters to existing clients, ordered by severity."""

    DOCS = 1
    NON_BREAKING = 2
    BREAKING = 3

    @property
    def label(self) -> str:
        """The word printed after each change."""
        return {Level.DOCS: "docs", Level.NON_BREAKING: "non-breaking", Level.BREAKING: "breaking"}[
            self
        ]


@dataclass(frozen=True, order=True)
class Change:
    """One classified difference, at operation and field level."""

    operation: str
    message: str
    level: Level
    # Keep a Changelog section the change belongs to: Added, Changed or Removed.
    section: str = "Changed"

    def line(self) -> str:
        """The change as a one-line bullet, e.g. for CHANGELOG.md."""
        return f"{self.operation}: {self.message} ({self.level.label})"


class Direction(enum.Enum):
    """Who sends the value a schema describes."""

    REQUEST = "request"
    RESPONSE = "response"


# ---------------------------------------------------------------------------------------
# Loading and $ref resolution


def load_spec(text: str) -> dict[str, Any]:
    """Parse a spec from YAML (or JSON) text."""
    # The C loader when PyYAML has it: the pure-Python one takes a second per spec.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)
    if not isinstance(data, dict) or "paths" not in data:
        raise ValueError("not an OpenAPI document (no `paths`)")
    return data


def release_versions(releases: Path = RELEASES) -> list[tuple[int, int, int]]:
    """Versions that have a committed snapshot under releases/, oldest first."""
    found = []
    for spec in releases.glob("*/openapi.yaml"):
        version = parse_version(spec.parent.name)
        if version is not None:
            found.append(version)
    return sorted(found)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`1.2.3` as a tuple; None for anything that is not a plain semantic version."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def format_version(version: tuple[int, int, int]) -> str:
    """A version tuple as text."""
    return ".".join(str(part) for part in version)


def read_base(base: str, root: Path = ROOT) -> tuple[str, str]:
    """The baseline spec text and a name for it, from a release, a file or a git ref."""
    releases = root / "releases"
    if base == "":
        versions = release_versions(releases)
        if not versions:
            raise LookupError("no release snapshot under releases/ to compare with")
        base = format_version(versions[-1])
    snapshot = releases / base / "openapi.yaml"
    if snapshot.is_file():
        return snapshot.read_text(), f"release {base} ({snapshot.relative_to(root)})"
    path = Path(base)
    if not path.is_absolute():
        path = root / path
    if path.is_file():
        return path.read_text(), str(base)
    result = subprocess.run(
        ["git", "show", f"{base}:openapi.yaml"], cwd=root, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise LookupError(f"{base!r} is neither a release, a file nor a git ref with openapi.yaml")
    return result.stdout, f"git {base}"


class Resolver:
    """Follows local `$ref`s (`#/components/...`) of one document."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> Any:
        """The node a (chain of) `$ref` points to; other nodes unchanged."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"cannot resolve $ref {ref!r}")
            seen.add(ref)
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


# ---------------------------------------------------------------------------------------
# Schema comparison


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types a schema names (3.1 type lists and 3.0 `nullable` alike)."""
    declared = schema.get("type")
    if declared is None:
        types: set[str] = set()
    elif isinstance(declared, list):
        types = set(declared)
    else:
        types = {declared}
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _null_variant(schema: Any) -> bool:
    return isinstance(schema, Mapping) and _types(schema) == {"null"} and len(schema) == 1


def _variants(schema: Mapping[str, Any], resolver: Resolver) -> tuple[str, list[Any]] | None:
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return key, [resolver.resolve(v) for v in schema[key]]
    return None


def is_open_alternative(variant: Any) -> bool:
    """A variant that accepts any value of its type: `{type: string}` with no constraint."""
    if not isinstance(variant, Mapping):
        return False
    constraining = set(variant) - DOC_KEYS - {"type"}
    return not constraining and len(_types(variant)) == 1


def _child(where: str, name: str) -> str:
    """Name of a property below `where`: "response field `vms[].hostname`"."""
    return f"{where[:-1]}.{name}`" if where.endswith("`") else f"{where} field `{name}`"


def _items(where: str) -> str:
    """Name of the items of the array at `where`."""
    return f"{where[:-1]}[]`" if where.endswith("`") else f"{where} items"


@dataclass
class SchemaDiff:
    """Compares two schemas at one position of one operation."""

    old: Resolver
    new: Resolver
    operation: str
    changes: list[Change]

    def emit(self, where: str, message: str, level: Level, section: str = "Changed") -> None:
        """Record one change; `where` names the field or parameter."""
        text = f"{where} {message}" if where else message
        self.changes.append(Change(self.operation, text, level, section))

    def compare(
        self,
        old_node: Any,
        new_node: Any,
        where: str,
        direction: Direction,
        open_enum: bool = False,
        depth: int = 0,
    ) -> None:
        """Compare two schemas; `where` reads like "response field `hostname`"."""
        old = self.old.resolve(old_node)
        new = self.new.resolve(new_node)
        if not isinstance(old, Mapping) or not isinstance(new, Mapping) or depth > 32:
            if old != new:
                self.emit(where, "schema changed", Level.BREAKING)
            return
        request = direction is Direction.REQUEST
        self._compare_types(old, new, where, request)
        self._compare_variants(old, new, where, direction, depth)
        if old.get("format") != new.get("format"):
            # `password` marks a secret and changes no value (OpenAPI defines no check or
            # type for it): adding or removing it is documentation.
            marker = {old.get("format"), new.get("format")} <= ANNOTATION_FORMATS | {None}
            self.emit(
                where,
                f"format changed from {old.get('format')!r} to {new.get('format')!r}",
                Level.DOCS if marker else Level.BREAKING,
            )
        self._compare_bounds(old, new, where, request)
        self._compare_pattern(old, new, where, request)
        self._compare_enum(old, new, where, request, open_enum)
        if old.get("default") != new.get("default"):
            self.emit(
                where,
                f"default changed from {old.get('default')!r} to {new.get('default')!r}",
                Level.BREAKING if request else Level.NON_BREAKING,
            )
        self._compare_properties(old, new, where, direction, depth)
        if "items" in old or "items" in new:
            if "items" in old and "items" in new:
                self.compare(old["items"], new["items"], _items(where), direction, False, depth + 1)
            else:
                self.emit(where, "array items schema added or removed", Level.BREAKING)
        self._compare_all_of(old, new, where, direction, depth)
        for key in sorted(DOC_KEYS - {"tags"}):
            if old.get(key) != new.get(key):
                self.emit(where, f"{key} changed", Level.DOCS)
        if old.get("deprecated") != new.get("deprecated"):
            self.emit(where, "deprecation changed", Level.NON_BREAKING)
        # A keyword no rule covers (const, not, readOnly, discriminator, ...) is taken as
        # breaking until a rule says otherwise: nothing changes silently.
        for key in sorted((set(old) | set(new)) - HANDLED_KEYS):
            if old.get(key) != new.get(key):
                self.emit(where, f"`{key}` changed", Level.BREAKING)

    def _compare_all_of(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        where: str,
        direction: Direction,
        depth: int,
    ) -> None:
        old_parts, new_parts = old.get("allOf"), new.get("allOf")
        if old_parts == new_parts:
            return
        if not isinstance(old_parts, list) or not isinstance(new_parts, list):
            self.emit(where, "allOf added or removed", Level.BREAKING)
        elif len(old_parts) != len(new_parts):
            self.emit(
                where,
                f"allOf parts changed from {len(old_parts)} to {len(new_parts)}",
                Level.BREAKING,
            )
        else:
            for old_part, new_part in zip(old_parts, new_parts, strict=True):
                self.compare(old_part, new_part, where, direction, False, depth + 1)

    def _compare_types(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, request: bool
    ) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types == new_types or not (old_types or new_types):
            return
        if new_types - old_types == {"null"} and old_types <= new_types:
            self.emit(where, "is now nullable", Level.NON_BREAKING if request else Level.BREAKING)
            return
        # No `type` at all accepts any value: gaining one narrows, losing it widens.
        widened = not new_types or (bool(old_types) and old_types < new_types)
        narrowed = not old_types or (bool(new_types) and new_types < old_types)
        if (request and widened) or (not request and narrowed):
            level = Level.NON_BREAKING
        else:
            level = Level.BREAKING
        self.emit(
            where,
            f"type changed from {'/'.join(sorted(old_types)) or 'any'} "
            f"to {'/'.join(sorted(new_types)) or 'any'}",
            level,
        )

    def _compare_variants(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        where: str,
        direction: Direction,
        depth: int,
    ) -> None:
        old_v, new_v = _variants(old, self.old), _variants(new, self.new)
        if old_v is None and new_v is None:
            return
        if old_v is None or new_v is None or old_v[0] != new_v[0]:
            self.emit(where, "schema composition (anyOf/oneOf) changed", Level.BREAKING)
            return
        old_list = [v for v in old_v[1] if not _null_variant(v)]
        new_list = [v for v in new_v[1] if not _null_variant(v)]
        old_null = len(old_list) != len(old_v[1])
        new_null = len(new_list) != len(new_v[1])
        if new_null and not old_null:
            request = direction is Direction.REQUEST
            self.emit(where, "is now nullable", Level.NON_BREAKING if request else Level.BREAKING)
        elif old_null and not new_null:
            request = direction is Direction.REQUEST
            self.emit(
                where, "is no longer nullable", Level.BREAKING if request else Level.NON_BREAKING
            )
        if len(old_list) != len(new_list):
            self.emit(
                where,
                f"{old_v[0]} alternatives changed from {len(old_list)} to {len(new_list)}",
                Level.BREAKING,
            )
            return
        open_enum = any(is_open_alternative(v) for v in new_list)
        for old_item, new_item in zip(old_list, new_list, strict=True):
            self.compare(old_item, new_item, where, direction, open_enum, depth + 1)

    def _compare_bounds(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, request: bool
    ) -> None:
        for keys, sign in ((LOWER_BOUNDS, 1), (UPPER_BOUNDS, -1)):
            for key in keys:
                a, b = old.get(key), new.get(key)
                if a == b or isinstance(a, bool) or isinstance(b, bool):
                    continue
                # A bound appearing narrows; one disappearing widens.
                if a is None:
                    narrowed = True
                elif b is None:
                    narrowed = False
                else:
                    narrowed = (b - a) * sign > 0
                breaking = narrowed if request else not narrowed
                verb = "narrowed" if narrowed else "widened"
                self.emit(
                    where,
                    f"{key} {verb} from {a} to {b}",
                    Level.BREAKING if breaking else Level.NON_BREAKING,
                )
        if old.get("multipleOf") != new.get("multipleOf"):
            self.emit(where, "multipleOf changed", Level.BREAKING)

    def _compare_pattern(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, request: bool
    ) -> None:
        a, b = old.get("pattern"), new.get("pattern")
        if a == b:
            return
        if a is None:
            self.emit(
                where, f"pattern {b!r} added", Level.BREAKING if request else Level.NON_BREAKING
            )
        elif b is None:
            self.emit(
                where, f"pattern {a!r} removed", Level.NON_BREAKING if request else Level.BREAKING
            )
        else:
            self.emit(where, f"pattern changed from {a!r} to {b!r}", Level.BREAKING)

    def _compare_enum(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        where: str,
        request: bool,
        open_enum: bool,
    ) -> None:
        a, b = old.get("enum"), new.get("enum")
        if a == b:
            return
        if a is None or b is None:
            # An enum appearing narrows the values; one disappearing widens them.
            narrowed = a is None
            breaking = narrowed if request else not (narrowed or open_enum)
            self.emit(
                where,
                "enum added" if narrowed else "enum removed",
                Level.BREAKING if breaking else Level.NON_BREAKING,
            )
            return
        removed = [v for v in a if v not in b]
        added = [v for v in b if v not in a]
        if removed:
            self.emit(
                where,
                f"enum value(s) {', '.join(map(str, removed))} removed",
                Level.BREAKING if request else Level.NON_BREAKING,
            )
        if added:
            breaking = not request and not open_enum
            self.emit(
                where,
                f"enum value(s) {', '.join(map(str, added))} added"
                + ("" if request or not open_enum else " (open enum)"),
                Level.BREAKING if breaking else Level.NON_BREAKING,
                "Added",
            )

    def _compare_properties(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        where: str,
        direction: Direction,
        depth: int,
    ) -> None:
        old_props: Mapping[str, Any] = old.get("properties") or {}
        new_props: Mapping[str, Any] = new.get("properties") or {}
        old_req = set(old.get("required") or ())
        new_req = set(new.get("required") or ())
        request = direction is Direction.REQUEST
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]

        renamed: dict[str, str] = {}
        for gone in removed:
            for candidate in added:
                if candidate in renamed.values():
                    continue
                same = self.old.resolve(old_props[gone]) == self.new.resolve(new_props[candidate])
                if same and (gone in old_req) == (candidate in new_req):
                    renamed[gone] = candidate
                    break
        for gone in removed:
            if gone in renamed:
                self.emit(
                    _child(where, gone), f"renamed to `{renamed[gone]}`", Level.BREAKING, "Removed"
                )
            else:
                self.emit(_child(where, gone), "removed", Level.BREAKING, "Removed")
        for name in added:
            if name in renamed.values():
                continue
            if request and name in new_req:
                self.emit(_child(where, name), "added, required", Level.BREAKING, "Added")
            else:
                self.emit(_child(where, name), "added", Level.NON_BREAKING, "Added")
        for name in old_props:
            if name not in new_props:
                continue
            was, now = name in old_req, name in new_req
            if was and not now:
                self.emit(
                    _child(where, name),
                    "is now optional",
                    Level.NON_BREAKING if request else Level.BREAKING,
                )
            elif now and not was:
                self.emit(
                    _child(where, name),
                    "is now required",
                    Level.BREAKING if request else Level.NON_BREAKING,
                )
            self.compare(
                old_props[name], new_props[name], _child(where, name), direction, False, depth + 1
            )
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if old_extra != new_extra:
            closes = new_extra is False
            if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
                self.compare(old_extra, new_extra, _child(where, "*"), direction, False, depth + 1)
            elif request:
                self.emit(
                    where,
                    "no longer accepts other fields" if closes else "accepts other fields",
                    Level.BREAKING if closes else Level.NON_BREAKING,
                )


# ---------------------------------------------------------------------------------------
# Operations


def _normalise_path(path: str) -> str:
    """Path template with parameter names blanked, so a renamed path parameter still matches."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def operations(spec: Spec) -> dict[tuple[str, str], tuple[str, Mapping[str, Any], str]]:
    """(method, normalised path) → (operation name, operation, path as written)."""
    found: dict[tuple[str, str], tuple[str, Mapping[str, Any], str]] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, Mapping):
                name = op.get("operationId") or f"{method.upper()} {path}"
                found[(method, _normalise_path(path))] = (name, op, path)
    return found


def _parameters(
    resolver: Resolver, path_item: Mapping[str, Any], op: Mapping[str, Any]
) -> dict[tuple[str, str], Mapping[str, Any]]:
    params: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in list(path_item.get("parameters") or ()) + list(op.get("parameters") or ()):
        param = resolver.resolve(raw)
        params[(param["in"], param["name"])] = param
    return params


def _security(spec: Spec, op: Mapping[str, Any]) -> Any:
    return op["security"] if "security" in op else spec.get("security")


def _security_schemes(spec: Spec, requirement: Any) -> Any:
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    names = {name for req in (requirement or ()) for name in req}
    return {name: schemes.get(name) for name in sorted(names)}


def diff_specs(old_spec: Spec, new_spec: Spec) -> list[Change]:
    """Every change between two specs, classified, sorted by operation."""
    old_r, new_r = Resolver(old_spec), Resolver(new_spec)
    old_ops, new_ops = operations(old_spec), operations(new_spec)
    changes: list[Change] = []
    new_by_id = {name: key for key, (name, _, _) in new_ops.items()}
    for key, (name, op, path) in old_ops.items():
        if key not in new_ops:
            if name in new_by_id:
                moved = new_by_id[name]
                changes.append(
                    Change(
                        name,
                        f"moved from {key[0].upper()} {path} to "
                        f"{moved[0].upper()} {new_ops[moved][2]}",
                        Level.BREAKING,
                    )
                )
            else:
                changes.append(
                    Change(
                        name,
                        f"operation {key[0].upper()} {path} removed",
                        Level.BREAKING,
                        "Removed",
                    )
                )
            continue
        new_name, new_op, new_path = new_ops[key]
        if name in new_by_id and new_by_id[name] != key:
            continue  # reported once, as the operation it moved to
        old_item = old_spec["paths"][path]
        new_item = new_spec["paths"][new_path]
        diff = SchemaDiff(old_r, new_r, name, changes)
        if new_name != name:
            diff.emit("", f"operationId renamed to `{new_name}`", Level.BREAKING)
        _compare_operation(diff, old_spec, new_spec, old_item, new_item, op, new_op)
    old_names = {name for name, _, _ in old_ops.values()}
    for key, (name, _op, path) in new_ops.items():
        if key not in old_ops and name not in old_names:
            changes.append(
                Change(name, f"new operation {key[0].upper()} {path}", Level.NON_BREAKING, "Added")
            )
    # Document-wide text: the API's own description, its tags, its servers.
    for attr in ("title", "summary", "description", "contact", "license"):
        if (old_spec.get("info") or {}).get(attr) != (new_spec.get("info") or {}).get(attr):
            changes.append(Change("API", f"info {attr} changed", Level.DOCS))
    for attr in ("tags", "servers", "externalDocs"):
        if old_spec.get(attr) != new_spec.get(attr):
            changes.append(Change("API", f"{attr} changed", Level.DOCS))
    unique = list(dict.fromkeys(changes))
    return sorted(unique, key=lambda c: (-c.level, c.operation, c.message))


def _compare_operation(
    diff: SchemaDiff,
    old_spec: Spec,
    new_spec: Spec,
    old_item: Mapping[str, Any],
    new_item: Mapping[str, Any],
    op: Mapping[str, Any],
    new_op: Mapping[str, Any],
) -> None:
    for key in ("summary", "description", "tags", "externalDocs"):
        if op.get(key) != new_op.get(key):
            diff.emit("", f"{key} changed", Level.DOCS)
    if op.get("deprecated") != new_op.get("deprecated"):
        diff.emit("", "deprecation changed", Level.NON_BREAKING)
    old_sec, new_sec = _security(old_spec, op), _security(new_spec, new_op)
    if old_sec != new_sec or _security_schemes(old_spec, old_sec) != _security_schemes(
        new_spec, new_sec
    ):
        diff.emit("", "security requirements changed", Level.BREAKING)
    _compare_parameters(diff, old_item, new_item, op, new_op)
    _compare_body(diff, op.get("requestBody"), new_op.get("requestBody"))
    _compare_responses(diff, op.get("responses") or {}, new_op.get("responses") or {})


def _compare_parameters(
    diff: SchemaDiff,
    old_item: Mapping[str, Any],
    new_item: Mapping[str, Any],
    op: Mapping[str, Any],
    new_op: Mapping[str, Any],
) -> None:
    old_params = _parameters(diff.old, old_item, op)
    new_params = _parameters(diff.new, new_item, new_op)
    removed = [k for k in old_params if k not in new_params]
    added = [k for k in new_params if k not in old_params]
    renamed: dict[tuple[str, str], tuple[str, str]] = {}
    for gone in removed:
        for candidate in added:
            if candidate[0] != gone[0] or candidate in renamed.values():
                continue
            if diff.old.resolve(old_params[gone].get("schema")) == diff.new.resolve(
                new_params[candidate].get("schema")
            ):
                renamed[gone] = candidate
                break
    for where, name in removed:
        if (where, name) in renamed:
            new_name = renamed[(where, name)][1]
            diff.emit(
                f"{where} parameter `{name}`", f"renamed to `{new_name}`", Level.BREAKING, "Removed"
            )
        else:
            diff.emit(f"{where} parameter `{name}`", "removed", Level.BREAKING, "Removed")
    for where, name in added:
        if (where, name) in renamed.values():
            continue
        if new_params[(where, name)].get("required"):
            diff.emit(f"{where} parameter `{name}`", "added, required", Level.BREAKING, "Added")
        else:
            diff.emit(f"{where} parameter `{name}`", "added", Level.NON_BREAKING, "Added")
    for key, old_param in old_params.items():
        if key not in new_params:
            continue
        new_param = new_params[key]
        label = f"{key[0]} parameter `{key[1]}`"
        was, now = bool(old_param.get("required")), bool(new_param.get("required"))
        if now and not was:
            diff.emit(label, "is now required", Level.BREAKING)
        elif was and not now:
            diff.emit(label, "is now optional", Level.NON_BREAKING)
        for attr in ("style", "explode", "allowEmptyValue", "allowReserved"):
            if old_param.get(attr) != new_param.get(attr):
                diff.emit(label, f"{attr} changed", Level.BREAKING)
        for attr in ("description", "example", "examples"):
            if old_param.get(attr) != new_param.get(attr):
                diff.emit(label, f"{attr} changed", Level.DOCS)
        diff.compare(old_param.get("schema"), new_param.get("schema"), label, Direction.REQUEST)


def _compare_body(diff: SchemaDiff, old_raw: Any, new_raw: Any) -> None:
    old_body, new_body = diff.old.resolve(old_raw), diff.new.resolve(new_raw)
    if old_body is None and new_body is None:
        return
    if old_body is None:
        required = bool(new_body.get("required"))
        diff.emit(
            "request body",
            "added, required" if required else "added",
            Level.BREAKING if required else Level.NON_BREAKING,
            "Added",
        )
        return
    if new_body is None:
        diff.emit("request body", "removed", Level.BREAKING, "Removed")
        return
    if new_body.get("required") and not old_body.get("required"):
        diff.emit("request body", "is now required", Level.BREAKING)
    if old_body.get("description") != new_body.get("description"):
        diff.emit("request body", "description changed", Level.DOCS)
    old_content = old_body.get("content") or {}
    new_content = new_body.get("content") or {}
    for media in old_content:
        if media not in new_content:
            diff.emit("request body", f"media type {media} removed", Level.BREAKING, "Removed")
            continue
        _compare_media(diff, old_content[media], new_content[media], "request", Direction.REQUEST)
    for media in new_content:
        if media not in old_content:
            diff.emit("request body", f"media type {media} added", Level.NON_BREAKING, "Added")


def _compare_media(
    diff: SchemaDiff, old: Mapping[str, Any], new: Mapping[str, Any], where: str, d: Direction
) -> None:
    for attr in ("example", "examples"):
        if old.get(attr) != new.get(attr):
            diff.emit(f"{where} body", f"{attr} changed", Level.DOCS)
    diff.compare(old.get("schema"), new.get("schema"), where, d)


def _compare_responses(
    diff: SchemaDiff, old_responses: Mapping[str, Any], new_responses: Mapping[str, Any]
) -> None:
    for status in old_responses:
        if status not in new_responses:
            diff.emit("", f"response status {status} removed", Level.BREAKING, "Removed")
    for status in new_responses:
        if status not in old_responses:
            diff.emit("", f"response status {status} added", Level.NON_BREAKING, "Added")
    success = sorted(s for s in old_responses if str(s).startswith("2"))
    for status in old_responses:
        if status not in new_responses:
            continue
        old = diff.old.resolve(old_responses[status])
        new = diff.new.resolve(new_responses[status])
        where = "response" if success == [status] else f"response {status}"
        for attr in ("description", "links"):
            if old.get(attr) != new.get(attr):
                diff.emit(where, f"{attr} changed", Level.DOCS)
        old_headers = {k.lower(): v for k, v in (old.get("headers") or {}).items()}
        new_headers = {k.lower(): v for k, v in (new.get("headers") or {}).items()}
        for header in old_headers:
            if header not in new_headers:
                diff.emit(f"{where} header `{header}`", "removed", Level.BREAKING, "Removed")
            else:
                old_h = diff.old.resolve(old_headers[header])
                new_h = diff.new.resolve(new_headers[header])
                diff.compare(
                    old_h.get("schema"),
                    new_h.get("schema"),
                    f"{where} header `{header}`",
                    Direction.RESPONSE,
                )
        for header in new_headers:
            if header not in old_headers:
                diff.emit(f"{where} header `{header}`", "added", Level.NON_BREAKING, "Added")
        old_content = old.get("content") or {}
        new_content = new.get("content") or {}
        for media in old_content:
            if media not in new_content:
                diff.emit(where, f"media type {media} removed", Level.BREAKING, "Removed")
                continue
            _compare_media(diff, old_content[media], new_content[media], where, Direction.RESPONSE)
        for media in new_content:
            if media not in old_content:
                diff.emit(where, f"media type {media} added", Level.NON_BREAKING, "Added")


# ---------------------------------------------------------------------------------------
# Output


def worst(changes: list[Change]) -> Level | None:
    """The most severe level among the changes, None when there are none."""
    return max((c.level for c in changes), default=None)


def grouped(changes: list[Change]) -> list[Change]:
    """Identical changes of several operations (a shared component) as one, naming them all."""
    operations_of: dict[tuple[str, Level, str], list[str]] = {}
    for change in changes:
        key = (change.message, change.level, change.section)
        operations_of.setdefault(key, []).append(change.operation)
    merged = [
        Change(", ".join(sorted(set(names))), message, level, section)
        for (message, level, section), names in operations_of.items()
    ]
    return sorted(merged, key=lambda c: (-c.level, c.operation, c.message))


def changelog_bullets(changes: list[Change]) -> Iterator[str]:
    """Draft Keep-a-Changelog sections; documentation edits are summed up in one bullet."""
    api = grouped([c for c in changes if c.level is not Level.DOCS])
    docs = [c for c in changes if c.level is Level.DOCS]
    for section in ("Added", "Changed", "Removed"):
        bullets = sorted(c for c in api if c.section == section)
        if section == "Changed" and docs:
            names = sorted({c.operation for c in docs})
            bullets.append(
                Change(
                    "Documentation",
                    f"descriptions or examples edited in {', '.join(names)}",
                    Level.DOCS,
                )
            )
        if bullets:
            yield f"### {section}"
            for change in bullets:
                yield f"- {change.line()}"
            yield ""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base",
        default="",
        help="release version, file or git ref to compare with (default: latest release)",
    )
    parser.add_argument("--spec", default=str(SPEC), help="the new spec (default openapi.yaml)")
    parser.add_argument(
        "--changelog", action="store_true", help="print draft Keep-a-Changelog bullets"
    )
    args = parser.parse_args(argv)
    try:
        base_text, base_name = read_base(args.base)
        old = load_spec(base_text)
        new = load_spec(Path(args.spec).read_text())
    except (LookupError, ValueError, OSError, yaml.YAMLError) as exc:
        print(f"compat: {exc}", file=sys.stderr)
        return 2
    changes = grouped(diff_specs(old, new))
    shown = Path(args.spec).resolve()
    shown_name = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    print(f"Comparing {shown_name} with {base_name}")
    if args.changelog:
        for line in changelog_bullets(changes):
            print(line)
    else:
        for change in changes:
            print(f"  {change.level.label:>12}  {change.operation}: {change.message}")
    counts = {level: sum(c.level is level for c in changes) for level in Level}
    print(
        f"{counts[Level.BREAKING]} breaking, {counts[Level.NON_BREAKING]} non-breaking, "
        f"{counts[Level.DOCS]} documentation change(s)"
    )
    return 1 if counts[Level.BREAKING] else 0


if __name__ == "__main__":
    sys.exit(main())
