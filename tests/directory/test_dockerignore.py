""".dockerignore follows Docker's rules; where gitignore differs, the test shows both.

Each case builds a real folder and checks what collect_build_context sends. Where Docker
and gitignore disagree, the test also asks pathspec's GitIgnoreSpec, to show the case
really separates the two semantics.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from pathspec import GitIgnoreSpec

from cakework._directory import DockerIgnore, collect_build_context
from cakework.errors import BuildContextError

from ._helpers import DOCKERFILE, MakeTree, paths


def sent(make_tree: MakeTree, dockerignore: str, names: list[str]) -> list[str]:
    """Paths sent for a folder holding ``names`` (empty text files) and the .dockerignore."""
    tree: dict[str, str | bytes] = {"Dockerfile": DOCKERFILE, ".dockerignore": dockerignore}
    tree.update({name: "" for name in names})
    context = collect_build_context(make_tree(tree))
    return [p for p in paths(context) if p not in ("Dockerfile", ".dockerignore")]


def git_ignores(dockerignore: str, path: str) -> bool:
    return GitIgnoreSpec.from_lines(dockerignore.splitlines()).match_file(path)


def test_exceptions_with_bang_and_last_match_wins(make_tree: MakeTree) -> None:
    # The example from Docker's documentation.
    rules = "*.md\n!README*.md\nREADME-secret.md\n"
    names = ["README.md", "README-dev.md", "README-secret.md", "CHANGES.md", "main.py"]
    assert sent(make_tree, rules, names) == ["README-dev.md", "README.md", "main.py"]


def test_exception_before_the_exclusion_loses(make_tree: MakeTree) -> None:
    assert sent(make_tree, "!keep.txt\n*.txt\n", ["keep.txt", "other.txt"]) == []


def test_exception_reincludes_a_file_below_an_excluded_directory(make_tree: MakeTree) -> None:
    rules = "build\n!build/keep.txt\n"
    names = ["build/keep.txt", "build/junk.txt", "build/sub/more.txt"]
    assert sent(make_tree, rules, names) == ["build/keep.txt"]
    # (gitignore's documentation says the opposite: "It is not possible to re-include a
    # file if a parent directory of that file is excluded.")


def test_exception_for_a_directory_brings_back_everything_below(make_tree: MakeTree) -> None:
    rules = "**/*.md\n!docs\n"
    names = ["a.md", "src/b.md", "docs/c.md", "docs/deep/d.md"]
    assert sent(make_tree, rules, names) == ["docs/c.md", "docs/deep/d.md"]


def test_bare_name_is_anchored_at_the_root_unlike_gitignore(make_tree: MakeTree) -> None:
    names = ["foo", "sub/foo", "node_modules/x.js", "web/node_modules/y.js"]
    assert sent(make_tree, "foo\nnode_modules\n", names) == ["sub/foo", "web/node_modules/y.js"]
    assert git_ignores("foo\n", "sub/foo")
    assert git_ignores("node_modules\n", "web/node_modules/y.js")


def test_star_glob_is_anchored_too(make_tree: MakeTree) -> None:
    # The common surprise: "*.pyc" in .dockerignore only covers the root.
    names = ["a.pyc", "pkg/b.pyc", "pkg/c.py"]
    assert sent(make_tree, "*.pyc\n", names) == ["pkg/b.pyc", "pkg/c.py"]
    assert git_ignores("*.pyc\n", "pkg/b.pyc")


def test_leading_slash_means_the_same_as_none(make_tree: MakeTree) -> None:
    names = ["foo/a", "bar/b", "sub/foo/c", "sub/bar/d"]
    assert sent(make_tree, "/foo\nbar\n", names) == ["sub/bar/d", "sub/foo/c"]


def test_star_and_question_mark_stay_in_one_segment(make_tree: MakeTree) -> None:
    # Docker's documented examples: */temp*, */*/temp*, temp?
    names = ["temp1", "temp12", "a/temporary", "a/b/tempest", "a/b/c/temp"]
    assert sent(make_tree, "*/temp*\n", names) == ["a/b/c/temp", "a/b/tempest", "temp1", "temp12"]
    assert sent(make_tree, "*/*/temp*\n", names) == [
        "a/b/c/temp",
        "a/temporary",
        "temp1",
        "temp12",
    ]
    assert sent(make_tree, "temp?\n", names) == [
        "a/b/c/temp",
        "a/b/tempest",
        "a/temporary",
        "temp12",
    ]


def test_pattern_matching_a_directory_excludes_all_below_it(make_tree: MakeTree) -> None:
    # "*/cache" matches the directory a/cache, so every file under it goes.
    names = ["a/cache/x", "a/cache/deep/y", "a/cached", "cache/z"]
    assert sent(make_tree, "*/cache\n", names) == ["a/cached", "cache/z"]


def test_double_star_matches_any_number_of_directories(make_tree: MakeTree) -> None:
    names = ["x.log", "a/y.log", "a/b/c/z.log", "a/keep.txt"]
    assert sent(make_tree, "**/*.log\n", names) == ["a/keep.txt"]

    names = ["a/b", "a/x/b", "a/x/y/b", "a/bb", "c/a/b"]
    assert sent(make_tree, "a/**/b\n", names) == ["a/bb", "c/a/b"]

    names = ["docsfile", "docs/a", "docs/b/c", "other/docs/d"]
    assert sent(make_tree, "docs/**\n", names) == ["docsfile", "other/docs/d"]

    assert sent(make_tree, "**\n!keep\n", ["a", "b/c", "keep"]) == ["keep"]


def test_comments_blank_lines_and_surrounding_whitespace(make_tree: MakeTree) -> None:
    rules = (
        "\ufeff# a comment line (after a BOM)\r\n"
        "\r\n"
        "   \t  \n"
        "#secret.txt\n"  # a comment, so secret.txt stays
        "  #hash.txt\n"  # not a comment in Docker: "#" is only tested before stripping
        "trailing.txt   \n"  # trailing spaces are stripped
        "   leading.txt\n"  # and so are leading ones (gitignore keeps them)
        "! spaced.txt\n"  # spaces after "!" too
        "*.txt\n"
        "!keep*.txt\n"
        "! spaced.txt\n"
    )
    names = ["secret.txt", "#hash.txt", "trailing.txt", "leading.txt", "spaced.txt", "keep1.txt"]
    assert sent(make_tree, rules, names) == ["keep1.txt", "spaced.txt"]

    rules = "#secret.txt\n  #hash.txt\ntrailing.txt   \n   leading.txt\n"
    assert sent(make_tree, rules, names) == ["keep1.txt", "secret.txt", "spaced.txt"]
    assert not git_ignores("   leading.txt\n", "leading.txt")


def test_patterns_are_cleaned_like_go_filepath_clean(make_tree: MakeTree) -> None:
    # "./a", "b/", "c/../d", "//e//f" clean to a, b, d, e/f. Docker drops the trailing
    # slash, so "b/" also excludes a *file* named b (gitignore's "b/" is directories only).
    names = ["a", "b", "c/x", "d", "e/f", "e/g", "keep"]
    assert sent(make_tree, "./a\nb/\nc/../d\n//e//f\n", names) == ["c/x", "e/g", "keep"]
    assert not git_ignores("b/\n", "b")


def test_patterns_that_clean_to_the_root_or_above_match_nothing(make_tree: MakeTree) -> None:
    assert sent(make_tree, ".\n/\n./\n../x\n..\n", ["a", "x"]) == ["a", "x"]


def test_character_classes(make_tree: MakeTree) -> None:
    names = ["a1", "a2", "a3", "ab"]
    assert sent(make_tree, "a[12]\n", names) == ["a3", "ab"]
    assert sent(make_tree, "a[^0-9]\n", names) == ["a1", "a2", "a3"]


def test_escaped_wildcard_is_literal(make_tree: MakeTree) -> None:
    names = ["star*", "starry"]
    assert sent(make_tree, "star\\*\n", names) == ["starry"]


def test_dockerfile_and_dockerignore_are_sent_unless_ignored(make_tree: MakeTree) -> None:
    tree: dict[str, str | bytes] = {"Dockerfile": DOCKERFILE, "app.py": ""}
    tree[".dockerignore"] = "*.md\n"
    assert paths(collect_build_context(make_tree(tree))) == [
        ".dockerignore",
        "Dockerfile",
        "app.py",
    ]

    tree[".dockerignore"] = "Dockerfile\n.dockerignore\n"
    context = collect_build_context(make_tree(tree))
    assert paths(context) == ["app.py"]
    # The Dockerfile text is still read: it travels in its own field.
    assert context.dockerfile == DOCKERFILE


def test_everything_ignored_gives_an_empty_file_list(make_tree: MakeTree) -> None:
    context = collect_build_context(make_tree({"Dockerfile": DOCKERFILE, ".dockerignore": "*\n"}))
    assert context.files == ()
    assert context.dockerfile == DOCKERFILE


@pytest.mark.parametrize("line", ["[abc", "a\\", "!"])
def test_malformed_lines_are_refused_like_docker(make_tree: MakeTree, line: str) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, ".dockerignore": f"ok\n{line}\n"})
    with pytest.raises(BuildContextError, match=r"\.dockerignore: (syntax error|illegal)"):
        collect_build_context(root)


def test_non_utf8_dockerignore_is_refused(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, ".dockerignore": b"caf\xe9\n"})
    with pytest.raises(BuildContextError, match=r"\.dockerignore is not UTF-8"):
        collect_build_context(root)


def test_missing_pathspec_names_the_extra(
    make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes the import fail as if the package were absent.
    for name in list(sys.modules):
        if name == "pathspec" or name.startswith("pathspec."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "pathspec", None)
    root = make_tree({"Dockerfile": DOCKERFILE, ".dockerignore": "*.log\n", "a.py": ""})
    with pytest.raises(BuildContextError, match=r"cakework-client\[dockerignore\]"):
        collect_build_context(root)

    # A folder without patterns does not need the extra.
    (root / ".dockerignore").write_text("# only a comment\n\n")
    assert paths(collect_build_context(root)) == [".dockerignore", "Dockerfile", "a.py"]
    (root / ".dockerignore").unlink()
    assert paths(collect_build_context(root)) == ["Dockerfile", "a.py"]


def test_docker_ignore_object_matches_paths_directly() -> None:
    ignore = DockerIgnore("node_modules\n*.log\n!important.log\n")
    assert ignore.is_excluded("node_modules")
    assert ignore.is_excluded("node_modules/x/y.js")
    assert not ignore.is_excluded("web/node_modules/y.js")
    assert ignore.is_excluded("debug.log")
    assert not ignore.is_excluded("important.log")
    assert not ignore.is_excluded("logs/debug.log")


def test_excluded_directory_is_walked_only_when_a_bang_line_could_reach_into_it() -> None:
    ignore = DockerIgnore("node_modules\nbuild\n!README*.md\n!build/keep.txt\n")
    assert not ignore.may_reinclude_below("node_modules")
    assert ignore.may_reinclude_below("build")
    assert DockerIgnore("a\n!a\n").may_reinclude_below("a")
    assert DockerIgnore("a/b\n!a\n").may_reinclude_below("a/b")
    # A "!" line starting with a wildcard can match anywhere.
    assert DockerIgnore("node_modules\n!**/keep\n").may_reinclude_below("node_modules")
    assert not DockerIgnore("node_modules\n").may_reinclude_below("node_modules")


def test_excluded_directory_is_not_walked(
    make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": "node_modules\n*.md\n!README.md\n",
            "README.md": "",
            "node_modules/pkg/index.js": "",
        }
    )
    scanned: list[str] = []
    real_scandir = os.scandir

    def spy(path: str) -> Iterator[os.DirEntry[str]]:
        scanned.append(os.path.relpath(path, root))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    assert paths(collect_build_context(root)) == [".dockerignore", "Dockerfile", "README.md"]
    assert scanned == ["."]
