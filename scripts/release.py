"""Version policy: release, check a release, snapshot a spec, and the gate `make test` runs.

    python scripts/release.py release 0.2.0   # make release VERSION=0.2.0
    python scripts/release.py check           # make release-check
    python scripts/release.py snapshot        # make release-snapshot
    python scripts/release.py bump 0.2.0      # set the version everywhere, nothing else
    python scripts/release.py gate            # what make test asserts (tests/release)

One version, written in three places that must agree: `overlays/cakework/_version.py`,
`info.version` of openapi.yaml and `clients/typescript/package.json` (and its lock file).
A release is a snapshot `releases/<version>/openapi.yaml` (the baseline `make compat`
compares with) plus a `## [<version>] - <date>` section of CHANGELOG.md. The date is what
publishes it: from then on its snapshot is frozen.

The version a release needs follows from `scripts/compat.py`'s one classification of the
spec diff since the latest published release (`compat.required_version`): breaking → next
major (0.(x+1).0 below 1.0), additive → next minor (0.x.(y+1) below 1.0), documentation
or code alone ([Unreleased] lists something) → next patch.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Run as `python scripts/release.py`: the repository root makes `scripts.compat` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import compat
from scripts.compat import Version, format_version

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = Path("overlays/cakework/_version.py")
TS_PACKAGE = Path("clients/typescript/package.json")
TS_LOCK = Path("clients/typescript/package-lock.json")
DEFAULT_DRIFT = f"{shlex.quote(sys.executable)} scripts/generate.py --check"


class ReleaseError(Exception):
    """A release step refused, with the reason and what to do instead."""


def package_version(root: Path) -> str:
    """The version written in overlays/cakework/_version.py."""
    text = (root / VERSION_FILE).read_text()
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError(f'{VERSION_FILE}: no __version__ = "..." line')
    return match[1]


def spec_version(root: Path) -> str:
    """`info.version` of openapi.yaml."""
    spec = compat.load_spec((root / "openapi.yaml").read_text())
    return str((spec.get("info") or {}).get("version"))


def typescript_version(root: Path) -> str | None:
    """The version of the TypeScript package; None when the repository has none."""
    path = root / TS_PACKAGE
    if not path.is_file():
        return None
    return str(json.loads(path.read_text()).get("version"))


def required_version(previous: Version, level: compat.Level | None) -> Version:
    """The lowest version allowed after `previous` for changes of this severity."""
    return compat.required_version(previous, level)


def changelog_has(root: Path, version: str) -> bool:
    """Whether CHANGELOG.md has a `## [version]` section (dated or not)."""
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        return False
    pattern = rf"^## \[{re.escape(version)}\]"
    return re.search(pattern, changelog.read_text(), re.MULTILINE) is not None


def is_published(root: Path, version: Version) -> bool:
    """Whether CHANGELOG.md dates this version's section."""
    return version in compat.published_versions(root / "CHANGELOG.md")


def _snapshot_spec(root: Path, version: Version) -> dict[str, object]:
    path = root / "releases" / format_version(version) / "openapi.yaml"
    return compat.load_spec(path.read_text())


@dataclass(frozen=True)
class Need:
    """What the next version must be at least, and why."""

    base: Version | None
    version: Version | None
    reason: str


def needed_after_published(root: Path, spec_text: str, below: Version | None = None) -> Need:
    """The version the current spec and [Unreleased] need after the latest published release.

    `below`: only releases older than this version count as the baseline (the version being
    checked may itself be published already).
    """
    published = [v for v in compat.published_snapshots(root) if below is None or v < below]
    if not published:
        return Need(None, None, "no earlier published release")
    base = published[-1]
    report = compat.classify(_snapshot_spec(root, base), compat.load_spec(spec_text))
    entries = compat.unreleased_entries(root / "CHANGELOG.md")
    needed = compat.required_version(base, report.level, code_changed=bool(entries))
    if report.level is compat.Level.BREAKING:
        breaking = report.breaking()
        reason = f"{report.summary()}, e.g. {breaking[0]}"
    elif report.level is not None:
        reason = report.summary()
    elif entries:
        reason = f"no API change, {len(entries)} [Unreleased] entr(y/ies) in CHANGELOG.md"
    else:
        reason = "no change"
    return Need(base, needed, f"since {format_version(base)} the spec has {reason}")


def chain_problems(root: Path) -> list[str]:
    """Every snapshot's version must follow its predecessor's by the rule."""
    problems = []
    versions = compat.release_versions(root / "releases")
    for previous, current in itertools.pairwise(versions):
        report = compat.classify(_snapshot_spec(root, previous), _snapshot_spec(root, current))
        needed = compat.required_version(previous, report.level, code_changed=True)
        if current < needed:
            problems.append(
                f"releases/{format_version(current)} is too small a version after "
                f"{format_version(previous)}: the spec has {report.summary()}"
                + (f", e.g. {report.breaking()[0]}" if report.breaking() else "")
                + f"; it must be at least {format_version(needed)}"
            )
    # Every published release is a baseline, so each needs its snapshot.
    for version in compat.published_versions(root / "CHANGELOG.md"):
        if version not in versions:
            problems.append(
                f"{format_version(version)} is dated in CHANGELOG.md but has no snapshot "
                f"releases/{format_version(version)}/openapi.yaml"
            )
    return problems


def version_problems(root: Path) -> tuple[Version | None, list[str]]:
    """The package version, and every place that disagrees with it."""
    text = package_version(root)
    version = compat.parse_version(text)
    if version is None:
        return None, [f"{VERSION_FILE}: {text!r} is not a MAJOR.MINOR.PATCH version"]
    problems = []
    if spec_version(root) != text:
        problems.append(
            f"openapi.yaml info.version is {spec_version(root)} but the package version is "
            f"{text}: set both to the same version (release.py bump {text})"
        )
    ts = typescript_version(root)
    if ts is not None and ts != text:
        problems.append(
            f"{TS_PACKAGE} version is {ts} but the package version is {text} "
            f"(release.py bump {text})"
        )
    return version, problems


def gate(root: Path) -> list[str]:
    """What `make test` asserts about versions, spec and snapshots; empty when all is well.

    Snapshots follow each other by the rule; the package version is not below any published
    release; and a spec that breaks callers of the latest published release carries a
    version that says so (the next release cannot be a compatible one).
    """
    version, problems = version_problems(root)
    problems += chain_problems(root)
    if version is None:
        return problems
    published = compat.published_snapshots(root)
    if published and version < published[-1]:
        problems.append(
            f"version {format_version(version)} is older than the latest published release "
            f"{format_version(published[-1])}"
        )
        return problems
    spec_text = (root / "openapi.yaml").read_text()
    need = needed_after_published(root, spec_text)
    if need.base is None:
        return problems
    report = compat.classify(_snapshot_spec(root, need.base), compat.load_spec(spec_text))
    if report.level is compat.Level.BREAKING:
        needed = compat.required_version(need.base, report.level)
        if version < needed:
            problems.append(
                f"openapi.yaml breaks callers of {format_version(need.base)} "
                f"({report.summary()}, e.g. {report.breaking()[0]}): the next version must be "
                f"{format_version(needed)}; set it with `python scripts/release.py bump "
                f"{format_version(needed)}` or release with "
                f"`make release VERSION={format_version(needed)}` (make compat lists the changes)"
            )
    return problems


def check(root: Path, drift_command: str) -> list[str]:
    """Every reason the current tree is not a releasable (published) version; empty when it is."""
    version, problems = version_problems(root)
    if version is None:
        return problems
    text = format_version(version)
    spec_text = (root / "openapi.yaml").read_text()
    published = compat.published_versions(root / "CHANGELOG.md")
    if version not in published:
        if changelog_has(root, text):
            problems.append(f"CHANGELOG.md's '## [{text}]' section has no date: not published")
        else:
            problems.append(f"CHANGELOG.md has no '## [{text}] - <date>' section")
    entries = compat.unreleased_entries(root / "CHANGELOG.md")
    if entries:
        after = compat.required_version(version, None, code_changed=True)
        problems.append(
            f"CHANGELOG.md [Unreleased] lists {len(entries)} change(s) that no release has: "
            f"{text} cannot contain them; release them as at least {format_version(after)} "
            f"(make release VERSION={format_version(after)})"
        )
    released = compat.release_versions(root / "releases")
    later = [v for v in released if v > version and v in published]
    if later:
        problems.append(
            f"version {text} is older than the latest published release {format_version(later[-1])}"
        )
    snapshot = root / "releases" / text / "openapi.yaml"
    if not snapshot.is_file():
        problems.append(
            f"no snapshot releases/{text}/openapi.yaml: run make release VERSION={text}"
        )
    elif snapshot.read_text() != spec_text:
        following = needed_after_published(root, spec_text)
        next_version = format_version(following.version) if following.version else "a later version"
        problems.append(
            f"openapi.yaml differs from releases/{text}/openapi.yaml: the spec changed after "
            f"{text} was snapshotted"
            + (
                f", and {text} is published, so its snapshot is frozen: release the change as "
                f"{next_version} (make release VERSION={next_version})"
                if version in published
                else f": run make release VERSION={text} again"
            )
        )
    need = needed_after_published(root, spec_text, below=version)
    if need.version is not None and version < need.version:
        problems.append(
            f"version {text} is too small: {need.reason}; the version must be at least "
            f"{format_version(need.version)}"
        )
    problems += chain_problems(root)
    drift = subprocess.run(shlex.split(drift_command), cwd=root, capture_output=True, text=True)
    if drift.returncode != 0:
        tail = (drift.stdout + drift.stderr).strip().splitlines()[-5:]
        problems.append(
            "drift check failed: generated/ is not what make generate writes from openapi.yaml"
            + "".join(f"\n    {line}" for line in tail)
        )
    return problems


def snapshot(root: Path) -> Path:
    """Copy openapi.yaml to releases/<version>/openapi.yaml; return the snapshot path.

    Raises:
        ReleaseError: the version disagrees with the spec, is published with another spec
            (frozen), or is smaller than the diff to the latest published release needs.
    """
    text = package_version(root)
    version = compat.parse_version(text)
    if version is None:
        raise ReleaseError(f"{VERSION_FILE}: {text!r} is not a MAJOR.MINOR.PATCH version")
    spec_text = (root / "openapi.yaml").read_text()
    if spec_version(root) != text:
        raise ReleaseError(
            f"openapi.yaml info.version is {spec_version(root)}, the package version {text}: "
            f"make them equal first (release.py bump {text})"
        )
    target = root / "releases" / text / "openapi.yaml"
    published = compat.published_versions(root / "CHANGELOG.md")
    if target.is_file() and target.read_text() == spec_text:
        return target
    if version in published:
        need = needed_after_published(root, spec_text)
        bump = format_version(need.version) if need.version else "a later version"
        raise ReleaseError(
            f"{text} is published (CHANGELOG.md dates it {published[version]}): "
            f"releases/{text}/openapi.yaml is frozen. Release the changed spec as {bump} "
            f"(make release VERSION={bump})"
        )
    latest = [v for v in compat.published_snapshots(root) if v >= version]
    if latest:
        raise ReleaseError(
            f"{text} is not above the latest published release {format_version(latest[-1])}"
        )
    need = needed_after_published(root, spec_text)
    if need.version is not None and version < need.version:
        raise ReleaseError(
            f"{text} is too small: {need.reason}; the version must be at least "
            f"{format_version(need.version)}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "openapi.yaml", target)
    return target


def bump(root: Path, version: str) -> None:
    """Write `version` into _version.py, openapi.yaml info.version and the TypeScript package."""
    if compat.parse_version(version) is None:
        raise ReleaseError(f"{version!r} is not a MAJOR.MINOR.PATCH version")
    path = root / VERSION_FILE
    path.write_text(
        re.sub(r'^(__version__\s*=\s*)"[^"]*"', rf'\g<1>"{version}"', path.read_text(), flags=re.M)
    )
    # Edit the line in place: a YAML round trip would rewrite the hand-written spec.
    spec = root / "openapi.yaml"
    text, count = re.subn(
        r"^(info:\n(?:[ \t]+.*\n|\n)*?[ \t]+version:[ \t]*).*$",
        rf"\g<1>{version}",
        spec.read_text(),
        count=1,
        flags=re.M,
    )
    if count != 1:
        raise ReleaseError("openapi.yaml: no info.version line to set")
    spec.write_text(text)
    for lock in (TS_PACKAGE, TS_LOCK):
        _bump_json(root / lock, version)
    for name, found in (
        ("openapi.yaml", spec_version(root)),
        ("_version.py", package_version(root)),
    ):
        if found != version:
            raise ReleaseError(f"{name}: the version reads {found} after setting {version}")


def _bump_json(path: Path, version: str) -> None:
    """The package's own version in package.json / package-lock.json (not its dependencies')."""
    if not path.is_file():
        return
    data = json.loads(path.read_text())
    data["version"] = version
    root_package = data.get("packages", {}).get("")
    if isinstance(root_package, dict):
        root_package["version"] = version
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def date_changelog(root: Path, version: str, date: str) -> None:
    """Turn [Unreleased] into `## [version] - date`, above it a new empty [Unreleased]."""
    path = root / "CHANGELOG.md"
    text = path.read_text()
    if re.search(rf"^## \[{re.escape(version)}\]", text, re.M):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    new, count = re.subn(
        r"^## \[Unreleased\][^\n]*\n",
        f"## [Unreleased]\n\n## [{version}] - {date}\n",
        text,
        count=1,
        flags=re.M,
    )
    if count != 1:
        raise ReleaseError("CHANGELOG.md has no '## [Unreleased]' section")
    path.write_text(new)


def release(root: Path, version: str, drift_command: str, date: str | None = None) -> list[str]:
    """Bump, write the changelog, snapshot and date: `make release VERSION=...`.

    Returns release-check's problems afterwards (empty: ready to commit and publish).

    Raises:
        ReleaseError: the version is too small, already published, or a step refused.
    """
    target = compat.parse_version(version)
    if target is None:
        raise ReleaseError(f"{version!r} is not a MAJOR.MINOR.PATCH version")
    spec_text = (root / "openapi.yaml").read_text()
    published = compat.published_versions(root / "CHANGELOG.md")
    if target in published:
        snapshot_path = root / "releases" / version / "openapi.yaml"
        same = snapshot_path.is_file() and snapshot_path.read_text() == spec_text
        if same and not compat.unreleased_entries(root / "CHANGELOG.md"):
            return check(root, drift_command)  # already released: only check it
        need = needed_after_published(root, spec_text)
        bump_to = format_version(need.version) if need.version else "a later version"
        raise ReleaseError(
            f"{version} is already published (CHANGELOG.md dates it {published[target]}); "
            f"release the changes as {bump_to}"
        )
    need = needed_after_published(root, spec_text)
    if need.version is not None and target < need.version:
        raise ReleaseError(
            f"{version} is too small: {need.reason}; the version must be at least "
            f"{format_version(need.version)}"
        )
    if need.version is not None and need.base is not None and need.version == need.base:
        raise ReleaseError(f"nothing to release since {format_version(need.base)}")
    bump(root, version)
    if need.base is not None:
        base_spec = _snapshot_spec(root, need.base)
        report = compat.classify(base_spec, compat.load_spec((root / "openapi.yaml").read_text()))
        changelog = root / "CHANGELOG.md"
        sections = compat.changelog_sections(report.changes)
        changelog.write_text(compat.update_unreleased(changelog.read_text(), sections))
    snapshot(root)
    today = date or datetime.datetime.now(datetime.UTC).date().isoformat()
    date_changelog(root, version, today)
    return check(root, drift_command)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["release", "check", "snapshot", "bump", "gate"])
    parser.add_argument("version", nargs="?", help="the version (release and bump)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--date", help="the release date (release; default today, UTC)")
    parser.add_argument("--drift-command", default=DEFAULT_DRIFT, help="command of the drift check")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    name = {"check": "release-check", "snapshot": "release-snapshot"}.get(args.command)
    name = name or args.command
    try:
        if args.command in ("release", "bump") and not args.version:
            raise ReleaseError(f"{args.command} needs a version, e.g. VERSION=0.2.0")
        if args.command == "snapshot":
            target = snapshot(root)
            print(f"{name}: releases/{target.parent.name}/openapi.yaml is the spec of it")
            return 0
        if args.command == "bump":
            bump(root, args.version)
            print(f"{name}: version {args.version} in {VERSION_FILE}, openapi.yaml, {TS_PACKAGE}")
            return 0
        if args.command == "gate":
            problems = gate(root)
        elif args.command == "release":
            problems = release(root, args.version, args.drift_command, args.date)
        else:
            problems = check(root, args.drift_command)
    except (ReleaseError, ValueError, OSError, RuntimeError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    version = package_version(root)
    if problems:
        print(f"{name}: {version} is NOT ready to release:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    if args.command == "gate":
        print(f"{name}: versions, snapshots and openapi.yaml agree ({version})")
    else:
        print(f"{name}: {version} is ready (versions, changelog, snapshot, drift)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
