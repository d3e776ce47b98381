"""Version policy: check that a release is ready, and snapshot the spec of a release.

    python scripts/release.py check      # make release-check
    python scripts/release.py snapshot   # make release-snapshot

The package has one version, `overlays/cakework/_version.py`; `info.version` of
openapi.yaml is the same. A release is a committed snapshot `releases/<version>/openapi.yaml`
(the baseline `make compat` compares with), a `## [<version>]` section in CHANGELOG.md and
a version at least as high as the spec diff since the previous release requires:

- a breaking change: the next major version (the next minor while the major is 0);
- any other change to the API: the next minor version;
- only descriptions, examples, summaries or tags: the next patch version;
- no spec change: any later version (the Python package may change on its own).

The first release has no earlier snapshot and so no required bump. A version that is
already snapshotted must still have exactly that spec: editing the spec after the
snapshot means either a new version or, while that version is not yet published,
`make release-snapshot` again.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

# Run as `python scripts/release.py`: the repository root makes `scripts.compat` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import compat

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = Path("overlays/cakework/_version.py")
DEFAULT_DRIFT = f"{shlex.quote(sys.executable)} scripts/generate.py --check"

Version = tuple[int, int, int]


def package_version(root: Path) -> str:
    """The version written in overlays/cakework/_version.py."""
    text = (root / VERSION_FILE).read_text()
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError(f'{VERSION_FILE}: no __version__ = "..." line')
    return match[1]


def required_version(previous: Version, level: compat.Level | None) -> Version:
    """The lowest version allowed after `previous` for changes of this severity."""
    major, minor, patch = previous
    if level is None:
        return previous
    if level is compat.Level.BREAKING:
        return (0, minor + 1, 0) if major == 0 else (major + 1, 0, 0)
    if level is compat.Level.NON_BREAKING:
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


def changelog_has(root: Path, version: str) -> bool:
    """Whether CHANGELOG.md has a `## [version]` section."""
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        return False
    pattern = rf"^## \[{re.escape(version)}\]"
    return re.search(pattern, changelog.read_text(), re.MULTILINE) is not None


def check(root: Path, drift_command: str) -> list[str]:
    """Every reason the current tree is not releasable; empty when it is."""
    problems: list[str] = []
    version_text = package_version(root)
    version = compat.parse_version(version_text)
    if version is None:
        return [f"{VERSION_FILE}: {version_text!r} is not a MAJOR.MINOR.PATCH version"]
    spec_text = (root / "openapi.yaml").read_text()
    spec = compat.load_spec(spec_text)
    spec_version = str(spec.get("info", {}).get("version"))
    if spec_version != version_text:
        problems.append(
            f"openapi.yaml info.version is {spec_version} but the package version is "
            f"{version_text}: set both to the same version"
        )
    if not changelog_has(root, version_text):
        problems.append(f"CHANGELOG.md has no '## [{version_text}]' section")

    released = compat.release_versions(root / "releases")
    later = [v for v in released if v > version]
    if later:
        problems.append(
            f"version {version_text} is older than the latest release "
            f"{compat.format_version(later[-1])}"
        )
    snapshot = root / "releases" / version_text / "openapi.yaml"
    if version in released:
        if snapshot.read_text() != spec_text:
            problems.append(
                f"openapi.yaml differs from releases/{version_text}/openapi.yaml: the spec "
                f"changed after {version_text} was snapshotted. Bump the version (see "
                f"make compat), or, if {version_text} is not published yet, run "
                f"make release-snapshot"
            )
    else:
        problems.append(
            f"no snapshot releases/{version_text}/openapi.yaml: run make release-snapshot"
        )
    earlier = [v for v in released if v < version]
    if earlier:
        previous = earlier[-1]
        previous_spec = compat.load_spec(
            (root / "releases" / compat.format_version(previous) / "openapi.yaml").read_text()
        )
        changes = compat.diff_specs(previous_spec, spec)
        level = compat.worst(changes)
        needed = required_version(previous, level)
        if version < needed:
            breaking = [c.line() for c in changes if c.level is compat.Level.BREAKING]
            reason = (
                f"{len(breaking)} breaking change(s), e.g. {breaking[0]}"
                if breaking
                else f"{level.label if level else 'no'} changes"
            )
            problems.append(
                f"version {version_text} is too small: since {compat.format_version(previous)} "
                f"the spec has {reason}; the version must be at least "
                f"{compat.format_version(needed)}"
            )
    drift = subprocess.run(shlex.split(drift_command), cwd=root, capture_output=True, text=True)
    if drift.returncode != 0:
        tail = (drift.stdout + drift.stderr).strip().splitlines()[-5:]
        problems.append(
            "drift check failed: generated/ is not what make generate writes from openapi.yaml"
            + "".join(f"\n    {line}" for line in tail)
        )
    return problems


def snapshot(root: Path) -> Path:
    """Copy openapi.yaml to releases/<version>/openapi.yaml; return the snapshot path."""
    version = package_version(root)
    spec_text = (root / "openapi.yaml").read_text()
    spec_version = str(compat.load_spec(spec_text).get("info", {}).get("version"))
    if spec_version != version:
        raise ValueError(
            f"openapi.yaml info.version is {spec_version}, the package version {version}: "
            f"make them equal first"
        )
    target = root / "releases" / version / "openapi.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "openapi.yaml", target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "snapshot"])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument(
        "--drift-command", default=DEFAULT_DRIFT, help="command of the drift check (check only)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "snapshot":
        try:
            target = snapshot(root)
        except ValueError as exc:
            print(f"release-snapshot: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {target.relative_to(root)}")
        return 0
    problems = check(root, args.drift_command)
    version = package_version(root)
    if problems:
        print(f"release-check: {version} is NOT ready to release:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"release-check: {version} is ready (version, changelog, snapshot, drift)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
