"""The public names compat compares are the ones the committed clients really have.

`make generate` wrote generated/cakework_api and clients/typescript/src/generated from
openapi.yaml (the drift check keeps them so); the names scripts/public_names.py computes
from the same spec must be exactly what those files export.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from scripts import compat, public_names

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "openapi-0.1.0.yaml"


@pytest.fixture(scope="module")
def names() -> public_names.PublicNames:
    spec = compat.load_spec((ROOT / "openapi.yaml").read_text())
    return public_names.public_names([spec])[0]


def test_python_classes_are_the_generated_models(names: public_names.PublicNames) -> None:
    models = importlib.import_module("cakework_api.models")
    classes = {n.removeprefix("cakework_api.models.") for n in names.python}
    classes = {n for n in classes if "." not in n and not n.startswith("cakework_api")}
    assert classes == set(models.__all__)
    for name in names.python:
        if name.startswith("cakework_api.models.") and name.count(".") == 3:
            cls_name, member = name.split(".")[2:]
            cls = getattr(models, cls_name)
            # Enum members are class attributes; attrs fields are in __attrs_attrs__.
            assert hasattr(cls, member) or _has_field(cls, member), name


def _has_field(cls: type, member: str) -> bool:
    fields = getattr(cls, "__attrs_attrs__", ())
    return any(field.name == member for field in fields)


def test_python_endpoint_modules_are_the_generated_files(names: public_names.PublicNames) -> None:
    modules = {n for n in names.python if n.startswith("cakework_api.api.") and "(" not in n}
    api = ROOT / "generated" / "cakework_api" / "api"
    files = {
        "cakework_api.api." + ".".join(p.relative_to(api).with_suffix("").parts)
        for p in api.glob("*/*.py")
        if p.name != "__init__.py"
    }
    assert modules == files
    for name in names.python:
        match = re.fullmatch(r"(cakework_api\.api\.[\w.]+)\((\w+)=\)", name)
        if match:
            module = importlib.import_module(match[1])
            assert match[2] in module.sync_detailed.__code__.co_varnames, name


def test_typescript_names_are_members_of_the_generated_types(
    names: public_names.PublicNames,
) -> None:
    text = (ROOT / "clients" / "typescript" / "src" / "generated" / "cakework.ts").read_text()
    for name in names.typescript:
        last = re.findall(r'\["([^"]+)"\]', name)[-1]
        # openapi-typescript quotes a member only when it is not an identifier.
        spelled = last if re.fullmatch(r"[A-Za-z_$][\w$]*", last) else f'"{last}"'
        assert re.search(rf"^\s+{re.escape(spelled)}\??: ", text, re.MULTILINE), name


def test_the_names_of_the_fixture_include_what_callers_import() -> None:
    spec = compat.load_spec(FIXTURE.read_text())
    found = public_names.public_names([spec])[0]
    assert "cakework_api.models.VM" in found.python
    assert "cakework_api.api.v_ms.get_vm" in found.python
    assert 'components["schemas"]["VM"]' in found.typescript
    assert 'operations["getVM"]' in found.typescript
