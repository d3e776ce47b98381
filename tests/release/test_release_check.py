"""The version policy: make release-check's verdicts, on temporary copies of the repository."""

from __future__ import annotations

import copy
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import compat, release
from scripts.compat import Level

ROOT = Path(__file__).resolve().parents[2]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DRIFT_OK = f"{shlex.quote(sys.executable)} -c pass"
DRIFT_FAILS = f"{shlex.quote(sys.executable)} -c \"import sys; sys.exit('run make generate')\""


def test_spec_info_version_is_the_package_version() -> None:
    spec = compat.load_spec((ROOT / "openapi.yaml").read_text())
    assert spec["info"]["version"] == release.package_version(ROOT)
    import cakework

    assert cakework.__version__ == release.package_version(ROOT)


def test_the_current_version_has_a_changelog_section_and_a_snapshot() -> None:
    version = release.package_version(ROOT)
    assert release.changelog_has(ROOT, version)
    assert (ROOT / "releases" / version / "openapi.yaml").is_file()


def test_no_breaking_spec_change_without_its_version_bump() -> None:
    # The gate in make test: an edit of openapi.yaml that breaks callers of the latest
    # release fails here until the version says so (make compat lists the changes).
    version = compat.parse_version(release.package_version(ROOT))
    assert version is not None
    released = [v for v in compat.release_versions(ROOT / "releases") if v <= version]
    assert released, "no release snapshot at or below the package version"
    base = released[-1]
    base_spec = compat.load_spec(
        (ROOT / "releases" / compat.format_version(base) / "openapi.yaml").read_text()
    )
    changes = compat.diff_specs(base_spec, compat.load_spec((ROOT / "openapi.yaml").read_text()))
    breaking = [c.line() for c in changes if c.level is Level.BREAKING]
    needed = release.required_version(base, Level.BREAKING) if breaking else base
    assert version >= needed, (
        f"openapi.yaml breaks callers of {compat.format_version(base)}: {breaking}; bump "
        f"the version to {compat.format_version(needed)} and add its CHANGELOG section"
    )


@pytest.mark.parametrize(
    ("previous", "level", "needed"),
    [
        ((0, 1, 0), Level.BREAKING, (0, 2, 0)),
        ((1, 4, 2), Level.BREAKING, (2, 0, 0)),
        ((0, 1, 0), Level.NON_BREAKING, (0, 2, 0)),
        ((1, 4, 2), Level.NON_BREAKING, (1, 5, 0)),
        ((1, 4, 2), Level.DOCS, (1, 4, 3)),
        ((1, 4, 2), None, (1, 4, 2)),
    ],
)
def test_required_version(
    previous: tuple[int, int, int], level: Level | None, needed: tuple[int, int, int]
) -> None:
    assert release.required_version(previous, level) == needed


class Repo:
    """A throwaway copy of the files release-check reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spec: dict[str, Any] = compat.load_spec((ROOT / "openapi.yaml").read_text())
        (root / "overlays" / "cakework").mkdir(parents=True)
        (root / "releases").mkdir()
        self.changelog_versions: list[str] = []

    def set_version(self, version: str, changelog: bool = True) -> None:
        (self.root / "overlays" / "cakework" / "_version.py").write_text(
            f'"""Version."""\n\n__version__ = "{version}"\n'
        )
        self.spec["info"]["version"] = version
        self.write_spec()
        if changelog:
            self.changelog_versions.insert(0, version)
        sections = "".join(
            f"## [{v}] - 2026-12-02\n\n- Things.\n\n" for v in self.changelog_versions
        )
        (self.root / "CHANGELOG.md").write_text(f"# Changelog\n\n## [Unreleased]\n\n{sections}")

    def write_spec(self) -> None:
        (self.root / "openapi.yaml").write_text(
            yaml.dump(self.spec, Dumper=DUMPER, sort_keys=False)
        )

    def edit(self, mutate: Callable[[dict[str, Any]], None]) -> None:
        mutate(self.spec)
        self.write_spec()

    def snapshot(self) -> None:
        assert release.main(["snapshot", "--root", str(self.root)]) == 0

    def check(self, drift: str = DRIFT_OK) -> list[str]:
        return release.check(self.root, drift)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def _hostname_optional(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["VM"]["required"].remove("hostname")


def _new_response_field(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["VM"]["properties"]["region"] = {"type": "string"}


def _description(spec: dict[str, Any]) -> None:
    spec["info"]["description"] += "\nMore.\n"
    spec["paths"]["/vms"]["get"]["summary"] = "List the VMs"


def _single(problems: list[str], pattern: str) -> None:
    assert len(problems) == 1, problems
    assert re.search(pattern, problems[0]), problems[0]


def test_first_release_needs_only_its_snapshot(repo: Repo) -> None:
    repo.set_version("0.1.0")
    _single(repo.check(), r"no snapshot releases/0\.1\.0/openapi\.yaml: run make release-snapshot")
    repo.snapshot()
    assert repo.check() == []


def test_released_version_with_unchanged_spec_is_green(repo: Repo) -> None:
    repo.set_version("0.1.0")
    repo.snapshot()
    assert repo.check() == []
    # A later version without spec changes (a Python-only release) is fine too.
    repo.set_version("0.1.1")
    repo.snapshot()
    assert repo.check() == []


def test_spec_edited_after_the_snapshot_of_the_same_version_fails(repo: Repo) -> None:
    repo.set_version("0.1.0")
    repo.snapshot()
    repo.edit(_new_response_field)
    _single(repo.check(), r"openapi\.yaml differs from releases/0\.1\.0/openapi\.yaml")


def test_breaking_change_needs_the_next_minor_while_0x(repo: Repo) -> None:
    repo.set_version("0.1.0")
    repo.snapshot()
    repo.edit(_hostname_optional)
    repo.set_version("0.1.1")
    repo.snapshot()
    _single(
        repo.check(),
        r"version 0\.1\.1 is too small: since 0\.1\.0 the spec has \d+ breaking change\(s\), "
        r"e\.g\. .*hostname.*; the version must be at least 0\.2\.0",
    )
    repo.set_version("0.2.0")
    repo.snapshot()
    assert repo.check() == []


def test_breaking_change_needs_the_next_major_from_1x(repo: Repo) -> None:
    repo.set_version("1.0.0")
    repo.snapshot()
    repo.edit(_hostname_optional)
    repo.set_version("1.1.0")
    repo.snapshot()
    _single(repo.check(), r"at least 2\.0\.0")
    repo.set_version("2.0.0")
    repo.snapshot()
    assert repo.check() == []


def test_addition_needs_a_minor_and_docs_a_patch(repo: Repo) -> None:
    repo.set_version("1.0.0")
    repo.snapshot()
    repo.edit(_description)
    repo.set_version("1.0.1")
    repo.snapshot()
    assert repo.check() == []
    repo.edit(_new_response_field)
    repo.set_version("1.0.2")
    repo.snapshot()
    _single(repo.check(), r"non-breaking changes; the version must be at least 1\.1\.0")
    repo.set_version("1.1.0")
    repo.snapshot()
    assert repo.check() == []


def test_missing_changelog_section_fails(repo: Repo) -> None:
    repo.set_version("0.1.0", changelog=False)
    repo.snapshot()
    _single(repo.check(), r"CHANGELOG\.md has no '## \[0\.1\.0\]' section")


def test_drift_failure_fails(repo: Repo) -> None:
    repo.set_version("0.1.0")
    repo.snapshot()
    _single(repo.check(DRIFT_FAILS), r"drift check failed(.|\n)*run make generate")


def test_spec_version_must_match_the_package(repo: Repo) -> None:
    repo.set_version("0.1.0")
    repo.snapshot()
    repo.spec = copy.deepcopy(repo.spec)
    repo.spec["info"]["version"] = "1.0.0"
    repo.write_spec()
    problems = repo.check()
    assert any("info.version is 1.0.0 but the package version is 0.1.0" in p for p in problems)


def test_version_below_the_latest_release_fails(repo: Repo) -> None:
    repo.set_version("0.2.0")
    repo.snapshot()
    repo.set_version("0.1.5")
    repo.snapshot()
    problems = repo.check()
    assert any("older than the latest release 0.2.0" in p for p in problems), problems


def test_command_line_exit_status_and_message(repo: Repo) -> None:
    repo.set_version("0.1.0", changelog=False)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "release.py"),
            "check",
            "--root",
            str(repo.root),
            "--drift-command",
            DRIFT_OK,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "0.1.0 is NOT ready to release" in result.stderr
    assert "CHANGELOG.md has no '## [0.1.0]' section" in result.stderr
