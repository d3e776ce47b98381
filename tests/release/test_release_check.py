"""The version policy: release, snapshot, release-check and the gate, on temporary repositories.

Every scenario runs in a throwaway copy holding the files the policy reads, built from the
frozen fixture spec (tests/release/fixtures/openapi-0.1.0.yaml), never from the live
openapi.yaml. Only the first tests look at this repository itself: they are the gate
`make test` runs on it.
"""

from __future__ import annotations

import json
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
from scripts.release import ReleaseError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "openapi-0.1.0.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DRIFT_OK = f"{shlex.quote(sys.executable)} -c pass"
DRIFT_FAILS = f"{shlex.quote(sys.executable)} -c \"import sys; sys.exit('run make generate')\""
DATE = "2026-12-24"


# ---- this repository: the gate in make test ---------------------------------------------


def test_every_place_holds_the_same_version() -> None:
    import cakework

    version = release.package_version(ROOT)
    assert release.spec_version(ROOT) == version
    assert release.typescript_version(ROOT) == version
    assert cakework.__version__ == version


def test_the_gate_passes_on_this_repository() -> None:
    # Snapshots follow each other by the rule, nothing is older than the latest published
    # release, and an openapi.yaml that breaks callers of it carries the version that says
    # so (the message names it; make compat lists the changes).
    assert release.gate(ROOT) == []


def test_the_current_version_is_published_or_in_preparation() -> None:
    version = compat.parse_version(release.package_version(ROOT))
    assert version is not None
    published = compat.published_versions(ROOT / "CHANGELOG.md")
    if version in published:
        assert (ROOT / "releases" / release.package_version(ROOT) / "openapi.yaml").is_file()
    else:
        assert all(version > v for v in published)


# ---- scenarios in a temporary repository -------------------------------------------------


class Repo:
    """A throwaway copy of the files the release policy reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spec: dict[str, Any] = compat.load_spec(FIXTURE.read_text())
        (root / "overlays" / "cakework").mkdir(parents=True)
        (root / "clients" / "typescript").mkdir(parents=True)
        (root / "releases").mkdir()
        (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n")
        self.write_version("0.0.0")

    def write_version(self, version: str) -> None:
        (self.root / "overlays" / "cakework" / "_version.py").write_text(
            f'"""Version."""\n\n__version__ = "{version}"\n'
        )
        package = {"name": "@cakework/client", "version": version, "private": True}
        (self.root / "clients" / "typescript" / "package.json").write_text(json.dumps(package))
        self.spec["info"]["version"] = version
        self.write_spec()

    def write_spec(self) -> None:
        (self.root / "openapi.yaml").write_text(
            yaml.dump(self.spec, Dumper=DUMPER, sort_keys=False)
        )

    def reload(self) -> None:
        self.spec = compat.load_spec((self.root / "openapi.yaml").read_text())

    def edit(self, mutate: Callable[[dict[str, Any]], None]) -> None:
        self.reload()
        mutate(self.spec)
        self.write_spec()

    def note(self, text: str) -> None:
        """A hand-written [Unreleased] entry (a code change)."""
        path = self.root / "CHANGELOG.md"
        path.write_text(
            path.read_text().replace(
                "## [Unreleased]\n", f"## [Unreleased]\n\n### Fixed\n- {text}\n", 1
            )
        )

    def release(self, version: str, drift: str = DRIFT_OK) -> list[str]:
        problems = release.release(self.root, version, drift, DATE)
        self.reload()
        return problems

    def check(self, drift: str = DRIFT_OK) -> list[str]:
        return release.check(self.root, drift)

    def changelog(self) -> str:
        return (self.root / "CHANGELOG.md").read_text()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def _hostname_optional(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["VM"]["required"].remove("hostname")


def _new_response_field(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["VM"]["properties"]["region"] = {"type": "string"}


def _description(spec: dict[str, Any]) -> None:
    spec["info"]["description"] += "\nMore.\n"


def _single(problems: list[str], pattern: str) -> None:
    assert len(problems) == 1, problems
    assert re.search(pattern, problems[0]), problems[0]


def test_first_release_bumps_every_place_dates_and_snapshots(repo: Repo) -> None:
    assert repo.release("0.1.0") == []
    assert release.package_version(repo.root) == "0.1.0"
    assert release.spec_version(repo.root) == "0.1.0"
    assert release.typescript_version(repo.root) == "0.1.0"
    assert f"## [0.1.0] - {DATE}" in repo.changelog()
    assert repo.changelog().index("## [Unreleased]") < repo.changelog().index("## [0.1.0]")
    snapshot = repo.root / "releases" / "0.1.0" / "openapi.yaml"
    assert snapshot.read_text() == (repo.root / "openapi.yaml").read_text()
    assert release.gate(repo.root) == []


def test_release_sets_the_version_line_without_rewriting_the_spec(repo: Repo) -> None:
    text = FIXTURE.read_text()
    (repo.root / "openapi.yaml").write_text(text)
    release.bump(repo.root, "0.3.0")
    after = (repo.root / "openapi.yaml").read_text()
    assert after == text.replace("  version: 0.1.0\n", "  version: 0.3.0\n", 1)


def test_a_too_small_version_is_refused_naming_the_one_needed(repo: Repo) -> None:
    repo.release("0.1.0")
    repo.edit(_hostname_optional)
    with pytest.raises(ReleaseError, match=r"0\.1\.1 is too small: .*hostname.*at least 0\.2\.0"):
        repo.release("0.1.1")
    # Nothing was written: the version is still the published one.
    assert release.package_version(repo.root) == "0.1.0"
    assert not (repo.root / "releases" / "0.1.1").exists()
    assert repo.release("0.2.0") == []
    assert "response field `hostname` is now optional (breaking)" in repo.changelog()


def test_snapshot_refuses_a_too_small_version(repo: Repo) -> None:
    repo.release("0.1.0")
    repo.edit(_hostname_optional)
    release.bump(repo.root, "0.1.1")
    with pytest.raises(ReleaseError, match=r"at least 0\.2\.0"):
        release.snapshot(repo.root)
    assert not (repo.root / "releases" / "0.1.1").exists()


def test_a_published_snapshot_is_frozen(repo: Repo) -> None:
    repo.release("0.1.0")
    before = (repo.root / "releases" / "0.1.0" / "openapi.yaml").read_text()
    repo.edit(_hostname_optional)
    with pytest.raises(ReleaseError, match=r"0\.1\.0 is published .* frozen.* as 0\.2\.0"):
        release.snapshot(repo.root)
    with pytest.raises(ReleaseError, match=r"0\.1\.0 is already published"):
        repo.release("0.1.0")
    assert (repo.root / "releases" / "0.1.0" / "openapi.yaml").read_text() == before
    problems = repo.check()
    assert any("frozen: release the change as 0.2.0" in p for p in problems), problems


def test_releasing_again_with_nothing_changed_only_checks(repo: Repo) -> None:
    repo.release("0.1.0")
    assert repo.release("0.1.0") == []
    assert repo.changelog().count("## [0.1.0]") == 1


def test_a_wrong_snapshot_committed_fails_the_gate_naming_the_version(repo: Repo) -> None:
    repo.release("0.1.0")
    repo.edit(_hostname_optional)
    # What the old snapshot command allowed: a breaking spec filed under a patch version.
    release.bump(repo.root, "0.1.1")
    wrong = repo.root / "releases" / "0.1.1" / "openapi.yaml"
    wrong.parent.mkdir()
    wrong.write_text((repo.root / "openapi.yaml").read_text())
    problems = release.gate(repo.root)
    assert any(
        re.search(r"releases/0\.1\.1 is too small .* after 0\.1\.0.*at least 0\.2\.0", p)
        for p in problems
    ), problems
    assert any("the next version must be 0.2.0" in p for p in problems), problems


def test_the_gate_compares_with_the_latest_published_release(repo: Repo) -> None:
    repo.release("0.1.0")
    repo.edit(_hostname_optional)
    _single(release.gate(repo.root), r"breaks callers of 0\.1\.0 .*next version must be 0\.2\.0")
    release.bump(repo.root, "0.2.0")
    assert release.gate(repo.root) == []
    # Bumped but not released: release-check says what is missing.
    problems = repo.check()
    assert any("no '## [0.2.0] - <date>' section" in p for p in problems), problems
    assert any("no snapshot releases/0.2.0" in p for p in problems), problems


def test_additions_need_a_patch_on_0x_and_a_minor_from_1x(repo: Repo) -> None:
    repo.release("0.1.0")
    repo.edit(_new_response_field)
    assert repo.release("0.1.1") == []
    repo.edit(lambda s: s["components"]["schemas"]["VM"]["properties"].pop("region"))
    assert repo.release("1.0.0") == []
    repo.edit(_new_response_field)
    with pytest.raises(ReleaseError, match=r"at least 1\.1\.0"):
        repo.release("1.0.1")
    assert repo.release("1.1.0") == []


def test_documentation_alone_needs_a_patch(repo: Repo) -> None:
    repo.release("1.0.0")
    repo.edit(_description)
    assert repo.release("1.0.1") == []
    assert "Documentation: descriptions or examples edited in API (docs)" in repo.changelog()


def test_unreleased_code_changes_need_a_release(repo: Repo) -> None:
    repo.release("0.1.0")
    assert repo.check() == []
    repo.note("Reading logs costs less per line.")
    _single(
        repo.check(),
        r"\[Unreleased\] lists 1 change\(s\) that no release has: .* at least 0\.1\.1",
    )
    with pytest.raises(ReleaseError, match="already published"):
        repo.release("0.1.0")
    assert repo.release("0.1.1") == []
    section = repo.changelog().split("## [0.1.1]")[1].split("## [0.1.0]")[0]
    assert "- Reading logs costs less per line." in section


def test_nothing_to_release_is_refused(repo: Repo) -> None:
    repo.release("0.1.0")
    with pytest.raises(ReleaseError, match=r"nothing to release since 0\.1\.0"):
        repo.release("0.1.1")


def test_every_version_must_agree(repo: Repo) -> None:
    repo.release("0.1.0")
    package = repo.root / "clients" / "typescript" / "package.json"
    package.write_text(json.dumps({"name": "@cakework/client", "version": "0.0.9"}))
    _single(repo.check(), r"package\.json version is 0\.0\.9 but the package version is 0\.1\.0")
    repo.reload()
    repo.spec["info"]["version"] = "1.0.0"
    repo.write_spec()
    problems = repo.check()
    assert any("info.version is 1.0.0 but the package version is 0.1.0" in p for p in problems)


def test_an_undated_section_is_not_published(repo: Repo) -> None:
    repo.release("0.1.0")
    path = repo.root / "CHANGELOG.md"
    path.write_text(path.read_text().replace(f"## [0.1.0] - {DATE}", "## [0.1.0]"))
    problems = repo.check()
    assert any("'## [0.1.0]' section has no date" in p for p in problems), problems


def test_drift_failure_fails(repo: Repo) -> None:
    repo.release("0.1.0")
    _single(repo.check(DRIFT_FAILS), r"drift check failed(.|\n)*run make generate")


def test_command_line(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    root = ["--root", str(repo.root), "--drift-command", DRIFT_OK]
    # As a script once, the way make release runs it.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "release.py"), "release", "0.1.0", *root],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0.1.0 is ready" in result.stdout

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        status = release.main(list(args))
        return status, capsys.readouterr().err

    repo.edit(_hostname_optional)
    status, err = run("release", "0.1.1", *root)
    assert status == 1
    assert "the version must be at least 0.2.0" in err
    status, err = run("check", *root)
    assert status == 1
    assert "0.1.0 is NOT ready to release" in err
    status, err = run("gate", "--root", str(repo.root))
    assert status == 1
    assert "the next version must be 0.2.0" in err
    status, err = run("release", *root)
    assert status == 1
    assert "release needs a version" in err
