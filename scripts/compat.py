"""Compare openapi.yaml with a baseline spec and classify every change for typed callers.

    python scripts/compat.py                     # baseline: the latest published release
    python scripts/compat.py --base 0.1.0        # a release, a file, or a git ref
    python scripts/compat.py --changelog         # write the changes into CHANGELOG.md [Unreleased]

The output ends with the bump the changes require and the next version ("breaking: next
version 0.2.0"). Exit status: 1 when any change is breaking, 0 otherwise (and always 0 with
--changelog, which was asked to write, not to judge), 2 on bad input.

Our users call the API through generated code: the Python package `cakework_api` and the
TypeScript types of `@cakework/client`. So a change is judged twice, and the worse verdict
counts: on the wire (the table below) and by the public names each generator makes
(`scripts/public_names.py` runs the pinned openapi-python-client and openapi-typescript on
both specs: a class, module, member or type name that disappears breaks whoever imports it,
whatever the wire does). `Report`/`classify` is the one classification that compat, the
changelog and release-check all use, so they count alike.

Why our own rules rather than a diff tool: no maintained diff tool does the job offline
from the registries this project uses. oasdiff is not published on PyPI or npm;
`@pb33f/openapi-changes` downloads a binary at install time; `@useoptic/optic` 1.0.9
classifies 48 of 80 such edits right, misses a renamed query parameter, a lowered
`maximum`, a changed `format` and every typed-caller break below, and skips its rules on a
major `info.version` bump. The rules are a short table, tested edit by edit on a frozen
fixture spec in tests/release/test_compat.py.

The wire rule, for every schema position: a change is breaking when it lets the *sender*
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
| type widened (integer → number, a type added)  | non-breaking   | breaking            |
| value made nullable (`[T, null]`, `nullable`,  | non-breaking   | breaking            |
|   `oneOf: [$ref, {type: null}]` alike)         |                |                     |
| string format changed, added or removed        | breaking       | breaking            |
| number size format (int32, ...) removed        | non-breaking   | breaking            |
| number size format added                       | breaking       | non-breaking        |
| range/length/item-count narrowed               | breaking       | non-breaking        |
| range/length/item-count widened                | non-breaking   | breaking            |
| pattern added                                  | breaking       | non-breaking        |
| pattern removed                                | non-breaking   | breaking            |
| pattern changed                                | breaking       | breaking            |
| enum value removed                             | breaking       | non-breaking (wire) |
| enum value added to a closed enum              | non-breaking   | breaking            |
| enum value added to an open enum               | non-breaking   | non-breaking        |
| default changed                                | breaking       | non-breaking        |
| readOnly added                                 | breaking       | non-breaking        |
| writeOnly added                                | non-breaking   | breaking            |
| readOnly/writeOnly removed                     | non-breaking   | non-breaking        |
| status code, media type or header removed      | breaking       | breaking            |
| response header made optional                  |                | breaking            |
| response header made required                  |                | non-breaking        |
| new status code or header                      |                | non-breaking        |
| security requirements changed                  | breaking       |                     |
| operationId changed (generated names change)   | breaking       |                     |
| descriptions, summaries, examples, `$comment`  | docs           | docs                |
| `x-` extension a generator reads               | docs (+ names) | docs (+ names)      |
| `x-` extension nothing reads                   | no change      | no change           |
| any schema keyword no rule above covers        | breaking       | breaking            |

And by name, for both generated clients:

| what changed                                   | verdict                                   |
|------------------------------------------------|-------------------------------------------|
| a public name disappears (schema renamed,      | breaking                                  |
|   `title` added, first tag renamed, enum       |                                           |
|   dropped, enum member renamed or removed,     |                                           |
|   component or path parameter renamed)         |                                           |
| a public name appears                          | non-breaking                              |

An enum is *open* when it sits in an `anyOf`/`oneOf` beside an unconstrained alternative
of the same type (this spec's `VMState` and `BuildStatus`): clients must already accept
values outside it. `$ref`s are resolved with their siblings laid over the target
(`description`, `readOnly`, `default` beside a `$ref` count), so a change inside a shared
component is found in every operation that uses it, and printed once, naming those
operations.
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

# Run as `python scripts/compat.py`: the repository root makes `scripts.*` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import public_names

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
    | {"deprecated", "readOnly", "writeOnly", "$comment"}
)
# `x-` extensions one of the pinned generators reads (found in the sources of
# openapi-python-client 0.29.1 and openapi-typescript 7.13.0): they shape generated names
# or doc comments, so a change is reported (the name diff judges what it renames). Any
# other `x-` extension is read by nothing we ship and is not a change at all.
READ_EXTENSIONS = frozenset(
    {"x-enum-varnames", "x-enum-descriptions", "x-enumDescriptions", "x-enumNames"}
)
# Keys that may sit beside a single non-null alternative without changing what it means.
ANNOTATION_KEYS = DOC_KEYS | {"default", "deprecated", "readOnly", "writeOnly", "$comment"}
# Formats that only say how big a number is: the generated types are the same (int, float,
# number), so removing one widens the values and adding one narrows them.
NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double"})

Spec = Mapping[str, Any]


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


Version = tuple[int, int, int]
# A release is published once its CHANGELOG.md section carries a date: `## [0.1.0] - 2026-12-02`.
PUBLISHED_SECTION = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)


def release_versions(releases: Path = RELEASES) -> list[Version]:
    """Versions that have a committed snapshot under releases/, oldest first."""
    found = []
    for spec in releases.glob("*/openapi.yaml"):
        version = parse_version(spec.parent.name)
        if version is not None:
            found.append(version)
    return sorted(found)


def published_versions(changelog: Path) -> dict[Version, str]:
    """Versions whose CHANGELOG.md section is dated (published), with their dates."""
    if not changelog.is_file():
        return {}
    found: dict[Version, str] = {}
    for match in PUBLISHED_SECTION.finditer(changelog.read_text()):
        version = parse_version(match[1])
        if version is not None:
            found[version] = match[2]
    return found


def published_snapshots(root: Path = ROOT) -> list[Version]:
    """Published versions that have a snapshot, oldest first: the baselines of the gate."""
    published = published_versions(root / "CHANGELOG.md")
    return [v for v in release_versions(root / "releases") if v in published]


def parse_version(text: str) -> Version | None:
    """`1.2.3` as a tuple; None for anything that is not a plain semantic version."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def format_version(version: Version) -> str:
    """A version tuple as text."""
    return ".".join(str(part) for part in version)


def required_version(previous: Version, level: Level | None, code_changed: bool = False) -> Version:
    """The lowest version allowed after `previous` for changes of this severity.

    From 1.0 on, semantic versioning: breaking → next major, additive → next minor,
    documentation (or code alone) → next patch. Below 1.0, the reading npm's caret and Cargo
    apply to 0.x, so the version still tells a compatible update from an incompatible one:
    breaking → 0.(x+1).0, anything else → 0.x.(y+1).
    """
    major, minor, patch = previous
    if level is Level.BREAKING:
        return (0, minor + 1, 0) if major == 0 else (major + 1, 0, 0)
    if level is Level.NON_BREAKING and major > 0:
        return (major, minor + 1, 0)
    if level is not None or code_changed:
        return (major, minor, patch + 1)
    return previous


def read_base(base: str, root: Path = ROOT) -> tuple[str, str, Version | None]:
    """The baseline spec text, a name for it and its version, from a release, a file or a ref.

    The default baseline is the latest *published* release: a snapshot whose CHANGELOG.md
    section is not dated yet is a release in preparation, not something callers have.
    """
    releases = root / "releases"
    if base == "":
        versions = published_snapshots(root)
        if not versions:
            raise LookupError(
                "no published release (a snapshot under releases/ whose CHANGELOG.md "
                "section is dated) to compare with"
            )
        base = format_version(versions[-1])
    snapshot = releases / base / "openapi.yaml"
    if snapshot.is_file():
        name = f"release {base} ({snapshot.relative_to(root)})"
        return snapshot.read_text(), name, parse_version(base)
    path = Path(base)
    if not path.is_absolute():
        path = root / path
    if path.is_file():
        text, name = path.read_text(), str(base)
    else:
        result = subprocess.run(
            ["git", "show", f"{base}:openapi.yaml"], cwd=root, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise LookupError(
                f"{base!r} is neither a release, a file nor a git ref with openapi.yaml"
            )
        text, name = result.stdout, f"git {base}"
    version = str((load_spec(text).get("info") or {}).get("version", ""))
    return text, name, parse_version(version)


class Resolver:
    """Follows local `$ref`s (`#/components/...`) of one document."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> Any:
        """The node a (chain of) `$ref` points to, with the `$ref`'s siblings laid over it.

        OpenAPI 3.1 allows keywords beside a `$ref` (`description`, `readOnly`, `default`,
        ...); they apply to this use of the target only, so they take precedence over the
        target's own (the nearest `$ref` wins) and are compared like any other keyword.
        """
        seen: set[str] = set()
        siblings: dict[str, Any] = {}
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"cannot resolve $ref {ref!r}")
            seen.add(ref)
            for key, value in node.items():
                if key != "$ref":
                    siblings.setdefault(key, value)
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        if siblings and isinstance(node, Mapping):
            return {**node, **siblings}
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
    if not isinstance(schema, Mapping) or _types(schema) != {"null"}:
        return False
    return not (set(schema) - ANNOTATION_KEYS - {"type", "nullable"})


def _covers(types: frozenset[str], name: str) -> bool:
    """Whether a value of JSON type `name` is one of `types` (every integer is a number)."""
    return name in types or (name == "integer" and "number" in types)


def unwrap_nullable(
    schema: Mapping[str, Any], resolver: Resolver
) -> tuple[Mapping[str, Any], bool]:
    """The schema without its `null` alternative, and whether it had one.

    `type: [T, "null"]`, `nullable: true` and `oneOf`/`anyOf: [X, {type: "null"}]` all say
    the same thing: X or null. Reducing the three to (X, nullable) lets a change from one
    spelling to another, or nullability added to a `$ref`, be judged as what it is.
    """
    for key in ("oneOf", "anyOf"):
        variants = schema.get(key)
        if not isinstance(variants, list) or set(schema) - ANNOTATION_KEYS - {key}:
            continue
        resolved = [resolver.resolve(v) for v in variants]
        kept = [v for v in resolved if not _null_variant(v)]
        if len(kept) == 1 and len(kept) < len(resolved) and isinstance(kept[0], Mapping):
            outer = {k: v for k, v in schema.items() if k != key}
            inner, _ = unwrap_nullable(kept[0], resolver)
            return {**inner, **outer}, True
    types = _types(schema)
    if "null" in types and len(types) > 1:
        rest = sorted(types - {"null"})
        stripped = {k: v for k, v in schema.items() if k != "nullable"}
        stripped["type"] = rest[0] if len(rest) == 1 else rest
        return stripped, True
    return schema, False


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
        old, old_null = unwrap_nullable(old, self.old)
        new, new_null = unwrap_nullable(new, self.new)
        if new_null and not old_null:
            self.emit(where, "is now nullable", Level.NON_BREAKING if request else Level.BREAKING)
        elif old_null and not new_null:
            self.emit(
                where, "is no longer nullable", Level.BREAKING if request else Level.NON_BREAKING
            )
        self._compare_types(old, new, where, request)
        self._compare_variants(old, new, where, direction, depth)
        self._compare_format(old, new, where, request)
        self._compare_access(old, new, where, request)
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
        for key in sorted((DOC_KEYS - {"tags"}) | {"$comment"}):
            if old.get(key) != new.get(key):
                self.emit(where, f"{key} changed", Level.DOCS)
        if old.get("deprecated") != new.get("deprecated"):
            self.emit(where, "deprecation changed", Level.NON_BREAKING)
        for key in sorted((set(old) | set(new)) - HANDLED_KEYS):
            if old.get(key) == new.get(key):
                continue
            if key.startswith("x-"):
                if key in READ_EXTENSIONS:
                    self.emit(where, f"extension `{key}` changed", Level.DOCS)
                continue
            # A keyword no rule covers (const, not, discriminator, ...) is taken as
            # breaking until a rule says otherwise: nothing changes silently.
            self.emit(where, f"`{key}` changed", Level.BREAKING)

    def _compare_format(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, request: bool
    ) -> None:
        a, b = old.get("format"), new.get("format")
        if a == b:
            return
        message = f"format changed from {a!r} to {b!r}"
        # A string format changes the generated type (date-time is a datetime, binary a
        # File): breaking either way. A number's size format only widens or narrows.
        if {a, b} - {None} <= NUMBER_FORMATS and (a is None or b is None):
            narrowed = a is None
            breaking = narrowed if request else not narrowed
            self.emit(where, message, Level.BREAKING if breaking else Level.NON_BREAKING)
        else:
            self.emit(where, message, Level.BREAKING)

    def _compare_access(
        self, old: Mapping[str, Any], new: Mapping[str, Any], where: str, request: bool
    ) -> None:
        """readOnly: clients must not send it; writeOnly: the server does not return it."""
        for key, side in (("readOnly", True), ("writeOnly", False)):
            was, now = bool(old.get(key)), bool(new.get(key))
            if was == now:
                continue
            # Gaining the flag takes the value away from the side it names (requests for
            # readOnly, responses for writeOnly); the other side loses nothing.
            breaking = now and request == side
            self.emit(
                where,
                f"is now {key}" if now else f"is no longer {key}",
                Level.BREAKING if breaking else Level.NON_BREAKING,
            )

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
        # No `type` at all accepts any value: gaining one narrows, losing it widens.
        widened = not new_types or (
            bool(old_types) and all(_covers(new_types, t) for t in old_types)
        )
        narrowed = not old_types or (
            bool(new_types) and all(_covers(old_types, t) for t in new_types)
        )
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
                was, now = bool(old_h.get("required")), bool(new_h.get("required"))
                if was != now:
                    diff.emit(
                        f"{where} header `{header}`",
                        "is now required" if now else "is now optional",
                        Level.NON_BREAKING if now else Level.BREAKING,
                    )
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
# What a typed caller imports: the generated clients' public names


CLIENTS = (("Python client", "python"), ("TypeScript client", "typescript"))


def _outermost(names: set[str]) -> list[str]:
    """The names not below another name of the set (a class, not each of its members)."""

    def parents(name: str) -> Iterator[str]:
        for index, char in enumerate(name):
            if char in ".([" and index:
                yield name[:index]

    return sorted(n for n in names if not any(p in names for p in parents(n)))


def name_changes(old_spec: Spec, new_spec: Spec) -> list[Change]:
    """Names of either generated client that one spec has and the other has not.

    A name that disappears breaks every caller that imports or writes it, whatever the wire
    does (a schema renamed, a `title` added, an operation's first tag renamed, an enum
    dropped); a name that appears is an addition.
    """
    old_names, new_names = public_names.public_names([old_spec, new_spec])
    changes: list[Change] = []
    for client, attr in CLIENTS:
        before: frozenset[str] = getattr(old_names, attr)
        after: frozenset[str] = getattr(new_names, attr)
        for name in _outermost(set(before - after)):
            changes.append(Change(client, f"`{name}` removed", Level.BREAKING, "Removed"))
        for name in _outermost(set(after - before)):
            changes.append(Change(client, f"`{name}` added", Level.NON_BREAKING, "Added"))
    return changes


# ---------------------------------------------------------------------------------------
# One classification for compat, the changelog and release-check


@dataclass(frozen=True)
class Report:
    """Every change between two specs, grouped, and what they require of the version."""

    changes: list[Change]

    @property
    def level(self) -> Level | None:
        """The most severe level among the changes, None when there are none."""
        return worst(self.changes)

    def count(self, level: Level) -> int:
        """How many (grouped) changes have this level."""
        return sum(c.level is level for c in self.changes)

    def summary(self) -> str:
        """`2 breaking, 1 non-breaking, 0 documentation change(s)`."""
        return (
            f"{self.count(Level.BREAKING)} breaking, {self.count(Level.NON_BREAKING)} "
            f"non-breaking, {self.count(Level.DOCS)} documentation change(s)"
        )

    def breaking(self) -> list[str]:
        """The breaking changes as lines."""
        return [c.line() for c in self.changes if c.level is Level.BREAKING]


def classify(old_spec: Spec, new_spec: Spec) -> Report:
    """The wire rules and the generated names, compared and grouped: the only verdict."""
    return Report(grouped(diff_specs(old_spec, new_spec) + name_changes(old_spec, new_spec)))


def verdict_line(report: Report, base: Version | None) -> str:
    """The last line of `make compat`: the bump the changes require and the next version."""
    level = report.level
    word = level.label if level is not None else "no API change"
    if base is None:
        return f"{word}: the baseline has no MAJOR.MINOR.PATCH info.version to bump"
    if level is None:
        patch = format_version(required_version(base, None, code_changed=True))
        return f"{word}: next version {patch} if the code changed, else none"
    return f"{word}: next version {format_version(required_version(base, level))}"


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


# Keep a Changelog's section order.
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
# A bullet written by --changelog ends with its level; hand-written bullets never do.
GENERATED_BULLET = re.compile(r"^- .*\((breaking|non-breaking|docs)\)$")


def changelog_sections(changes: list[Change]) -> dict[str, list[str]]:
    """Keep-a-Changelog bullets per section; documentation edits summed up in one bullet."""
    api = [c for c in changes if c.level is not Level.DOCS]
    docs = [c for c in changes if c.level is Level.DOCS]
    sections: dict[str, list[str]] = {}
    for section in ("Added", "Changed", "Removed"):
        bullets = sorted(c for c in api if c.section == section)
        if section == "Changed" and docs:
            names = sorted({c.operation for c in docs})
            text = f"descriptions or examples edited in {', '.join(names)}"
            bullets.append(Change("Documentation", text, Level.DOCS))
        if bullets:
            sections[section] = [f"- {change.line()}" for change in bullets]
    return sections


def changelog_bullets(changes: list[Change]) -> Iterator[str]:
    """The sections of changelog_sections as Markdown lines."""
    for section, bullets in changelog_sections(changes).items():
        yield f"### {section}"
        yield from bullets
        yield ""


def update_unreleased(text: str, generated: dict[str, list[str]]) -> str:
    """CHANGELOG.md text whose [Unreleased] section lists `generated` as its API bullets.

    Bullets an earlier run wrote (they end with their level) are replaced; hand-written
    bullets and any text before the first subsection stay where they are.
    """
    lines = text.split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("## [Unreleased]"))
    except StopIteration:
        first = next((i for i, line in enumerate(lines) if line.startswith("## [")), len(lines))
        lines[first:first] = ["## [Unreleased]", ""]
        start = first
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    body = lines[start + 1 : end]
    preamble: list[str] = []
    kept: dict[str, list[str]] = {}
    current: str | None = None
    for line in body:
        if line.startswith("### "):
            current = line[4:].strip()
            kept.setdefault(current, [])
        elif current is None:
            preamble.append(line)
        elif GENERATED_BULLET.match(line):
            continue
        elif line.strip():
            kept[current].append(line)
    order = [s for s in SECTIONS if s in kept or s in generated]
    order += [s for s in kept if s not in order]
    kept_preamble = [line for line in preamble if line.strip()]
    out = ["", *kept_preamble] if kept_preamble else []
    for section in order:
        bullets = generated.get(section, []) + kept.get(section, [])
        if bullets:
            out += ["", f"### {section}", *bullets]
    return "\n".join([*lines[:start], "## [Unreleased]", *out, "", *lines[end:]])


def unreleased_entries(changelog: Path) -> list[str]:
    """The bullets of CHANGELOG.md's [Unreleased] section (hand-written and generated)."""
    return unreleased_entries_text(changelog.read_text()) if changelog.is_file() else []


def unreleased_entries_text(text: str) -> list[str]:
    """The bullets of the [Unreleased] section of a changelog's text."""
    match = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        return []
    return [line for line in match[1].split("\n") if line.startswith("- ")]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base",
        default="",
        help="release version, file or git ref to compare with (default: latest published)",
    )
    parser.add_argument("--spec", default=str(SPEC), help="the new spec (default openapi.yaml)")
    parser.add_argument(
        "--changelog",
        action="store_true",
        help="write the changes into the [Unreleased] section of CHANGELOG.md",
    )
    parser.add_argument(
        "--changelog-file", default=str(ROOT / "CHANGELOG.md"), help="the file --changelog writes"
    )
    args = parser.parse_args(argv)
    try:
        base_text, base_name, base_version = read_base(args.base)
        old = load_spec(base_text)
        new = load_spec(Path(args.spec).read_text())
        report = classify(old, new)
    except (LookupError, ValueError, OSError, RuntimeError, yaml.YAMLError) as exc:
        print(f"compat: {exc}", file=sys.stderr)
        return 2
    shown = Path(args.spec).resolve()
    shown_name = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    print(f"Comparing {shown_name} with {base_name}")
    if args.changelog:
        changelog = Path(args.changelog_file)
        sections = changelog_sections(report.changes)
        changelog.write_text(update_unreleased(changelog.read_text(), sections))
        for line in changelog_bullets(report.changes):
            print(line)
        print(f"wrote the [Unreleased] section of {changelog.name}")
    else:
        for change in report.changes:
            print(f"  {change.level.label:>12}  {change.operation}: {change.message}")
    print(report.summary())
    print(verdict_line(report, base_version))
    # The draft was asked for and written: that is a success whatever the changes are.
    if args.changelog:
        return 0
    return 1 if report.level is Level.BREAKING else 0


if __name__ == "__main__":
    sys.exit(main())
