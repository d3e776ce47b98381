"""Differential test: DockerIgnore agrees with a direct port of Docker's own matcher.

The oracle below is a line-by-line Python port of ``moby/patternmatcher``
(``Pattern.compile``, ``Pattern.match`` and ``PatternMatcher.MatchesOrParentMatches``),
the code ``docker build`` uses to apply .dockerignore. It exists only as a test oracle;
the product matches with pathspec. ``**`` is generated only as a whole path segment, the
form Docker documents (glued to other characters its matcher is inconsistent, see
``cakework._directory``).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cakework._directory import DockerIgnore

_REGEX_ESCAPED = set(".+()|{}$")


def _docker_pattern(pattern: str) -> tuple[str, str]:
    """Port of patternmatcher's Pattern.compile: (match type, regex or cleaned pattern)."""
    reg = "^"
    kind = "exact"
    pos, i, n = 0, 0, len(pattern)
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1
                if pos >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        reg += ".*"
                        kind = "regexp"
                else:
                    reg += "(.*/)?"
                    kind = "regexp"
                if i == 0:
                    kind = "suffix"
            else:
                reg += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            reg += "[^/]"
            kind = "regexp"
        elif ch in _REGEX_ESCAPED:
            reg += "\\" + ch
        elif ch in "[]":
            reg += ch
            kind = "regexp"
        else:
            reg += ch
        i += 1
    return kind, reg + "$"


def _docker_match(pattern: str, path: str) -> bool:
    kind, reg = _docker_pattern(pattern)
    if kind == "exact":
        return path == pattern
    if kind == "prefix":
        return path.startswith(pattern[:-2])
    if kind == "suffix":
        suffix = pattern[2:]
        return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
    return re.match(reg, path) is not None


def docker_excludes(patterns: list[str], path: str) -> bool:
    """Port of PatternMatcher.MatchesOrParentMatches."""
    matched = False
    parent_dirs = path.split("/")[:-1]
    for line in patterns:
        exclusion = line.startswith("!")
        pattern = line[1:] if exclusion else line
        if exclusion != matched:
            continue
        match = _docker_match(pattern, path)
        if not match:
            for i in range(len(parent_dirs)):
                if _docker_match(pattern, "/".join(parent_dirs[: i + 1])):
                    match = True
                    break
        if match:
            matched = not exclusion
    return matched


_pattern_segment = st.sampled_from(["a", "b", "ab", "*", "a*", "*b", "?", "[ab]", "a?", "**"])
_pattern = st.builds(
    lambda neg, segs: ("!" if neg else "") + "/".join(segs),
    st.booleans(),
    st.lists(_pattern_segment, min_size=1, max_size=3),
)
_path = st.lists(st.sampled_from(["a", "b", "ab", "ba", "c", "aa"]), min_size=1, max_size=4).map(
    "/".join
)


def test_oracle_matches_dockers_documented_examples() -> None:
    # Guard the oracle itself with cases from Docker's documentation.
    assert docker_excludes(["*/temp*"], "a/temporary.txt")
    assert not docker_excludes(["*/temp*"], "temp.txt")
    assert docker_excludes(["**/*.go"], "x/y/z.go")
    assert docker_excludes(["**/*.go"], "z.go")
    assert not docker_excludes(["*.md", "!README*.md"], "README.md")
    assert docker_excludes(["*.md", "!README*.md", "README-secret.md"], "README-secret.md")


@settings(max_examples=400, deadline=None)
@given(st.lists(_pattern, min_size=1, max_size=4), st.lists(_path, min_size=1, max_size=6))
def test_same_answers_as_dockers_matcher(patterns: list[str], paths: list[str]) -> None:
    ignore = DockerIgnore("\n".join(patterns) + "\n")
    for path in paths:
        assert ignore.is_excluded(path) == docker_excludes(patterns, path), (patterns, path)
