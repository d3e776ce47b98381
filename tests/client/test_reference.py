"""The Python reference (pdoc, as `make dist` builds it) documents every public name.

The public API is walked by introspection: every name in ``cakework.__all__`` and
``cakework.testing.__all__`` and every public method, property and attribute of those
classes (inherited ones too, unless they come from Python itself) must have an entry in
the generated pages; every link between entries must lead somewhere; and an annotation
naming a public class links to it. Nothing here is a hand-written list of names.
"""

from __future__ import annotations

import html
import inspect
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import cakework
import cakework.testing
from scripts import dist

pytestmark = [pytest.mark.slow]

PAGES = {"cakework": "cakework.html", "cakework.testing": "cakework/testing.html"}
# Private modules a docstring must not send readers to (they are not in the reference).
PRIVATE_MODULE = re.compile(r"``_[a-z][a-z_]*(?:\.[\w.]+)?``")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("python-api")
    dist.python_reference(out)
    return out


def public_modules() -> list[ModuleType]:
    return [cakework, cakework.testing]


def own_members(cls: type) -> Iterator[str]:
    """Public members of ``cls`` and its bases, except those Python itself defines."""
    seen: set[str] = set()
    for base in cls.__mro__:
        if base.__module__ in ("builtins", "typing", "abc") or base is object:
            continue
        for name in vars(base):
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            yield name
    # Dataclass-like models declare their fields as annotations only.
    for name in getattr(cls, "__annotations__", {}):
        if not name.startswith("_") and name not in seen:
            seen.add(name)
            yield name


def generated_home(cls: type, member: str) -> tuple[str, str] | None:
    """(page, entry id) of a member ``cls`` inherits from the generated layer, if it does.

    The resources' plain calls are generated (``cakework_spec.resources``) and documented
    on that module's page, which the resource's own entry links to; the models' properties
    come from their behaviour mixins, documented on theirs.
    """
    for base in cls.__mro__:
        if member in vars(base):
            if base.__module__.startswith(("cakework_spec.", "cakework._behaviour")):
                return base.__module__.replace(".", "/") + ".html", f"{base.__qualname__}.{member}"
            return None
    return None


def entries() -> Iterator[tuple[str, str]]:
    """(page, entry id) for every public name, walked by introspection."""
    for module in public_modules():
        page = PAGES[module.__name__]
        for name in module.__all__:
            if name.startswith("__"):
                continue
            yield page, name
            value = getattr(module, name)
            if inspect.isclass(value) and not issubclass(value, BaseException | dict):
                for member in own_members(value):
                    yield generated_home(value, member) or (page, f"{name}.{member}")


def ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text()))


def test_every_public_name_and_member_has_an_entry(reference: Path) -> None:
    found = {
        path.relative_to(reference).as_posix(): ids(path) for path in reference.rglob("*.html")
    }
    wanted = list(entries())
    assert len(wanted) > 100  # the walk found the API, not an empty list
    missing = [f"{page}#{entry}" for page, entry in wanted if entry not in found[page]]
    assert not missing, missing


def test_the_calls_people_make_are_documented(reference: Path) -> None:
    text = (reference / "cakework.html").read_text()
    client = cakework.Cakework(api_key="k" * 16, base_url="http://127.0.0.1:9/v1")
    try:
        for attribute in ("images", "vms", "cached_vms"):
            resource = type(getattr(client, attribute))
            for name, _ in inspect.getmembers(resource, inspect.isfunction):
                if name.startswith("_"):
                    continue
                generated = generated_home(resource, name)
                if generated is None:
                    assert f'id="{resource.__name__}.{name}"' in text, (attribute, name)
                else:  # the resource's entry links to the generated plain call
                    page, entry = generated
                    assert f'href="{page}#{entry}"' in text, (attribute, name)
    finally:
        client.close()


def test_every_link_leads_to_an_entry(reference: Path) -> None:
    pages = {path.relative_to(reference).as_posix(): path for path in reference.rglob("*.html")}
    anchors = {name: ids(path) for name, path in pages.items()}
    for name, path in pages.items():
        for target in re.findall(r'href="([^"]+)"', path.read_text()):
            target = html.unescape(target)
            if target.startswith(("http://", "https://", "${")) or target == "":
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path.resolve()
            key = resolved.relative_to(reference.resolve()).as_posix()
            assert key in pages, (name, target)
            assert not anchor or anchor in anchors[key], (name, target)


def test_annotations_naming_a_public_class_link_to_it(reference: Path) -> None:
    text = (reference / "cakework.html").read_text()
    public = {getattr(cakework, name): name for name in cakework.__all__ if name[0].isupper()}
    checked = 0
    for owner in (cakework.Cakework, cakework.AsyncCakework):
        for name, member in vars(owner).items():
            if name.startswith("_") or not isinstance(member, property):
                continue
            returned = typing.get_type_hints(member.fget).get("return")
            if returned in public:
                section = text.split(f'id="{owner.__name__}.{name}"', 1)[1].split("</div>", 2)
                assert f'href="#{public[returned]}"' in "".join(section), (owner, name)
                checked += 1
    assert checked >= 6  # images, vms, cached_vms on both clients


def test_no_literal_rst_and_no_pointer_to_a_private_module(reference: Path) -> None:
    for page in PAGES.values():
        text = (reference / page).read_text()
        prose = re.sub(r'<div class="pdoc-code codehilite">.*?</div>', "", text, flags=re.S)
        assert "Example::" not in prose, page
        assert "<code>~" not in prose, page  # a reST role's "~" shown as is
    for module in public_modules():
        for page, entry in entries():
            if page != PAGES[module.__name__]:
                continue
            obj: object = module
            for part in entry.split("."):
                obj = (
                    inspect.getattr_static(obj, part)
                    if inspect.isclass(obj)
                    else getattr(obj, part)
                )
            doc = inspect.getdoc(obj) or ""
            assert not PRIVATE_MODULE.search(doc), (entry, PRIVATE_MODULE.search(doc))
            assert "for ``Cakework``, an ``httpx" not in doc, entry
