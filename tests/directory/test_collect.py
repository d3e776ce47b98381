"""collect_build_context: walking, dir/name values, Dockerfile, .git, text-only, symlinks."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cakework._directory import collect_build_context
from cakework._models import BuildFile
from cakework.errors import BuildContextError, CakeworkError

from ._helpers import DOCKERFILE, MakeTree, paths


def test_nested_dirs_give_dot_for_root_and_relative_posix_dirs(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            "main.py": "print('hi')\n",
            "app/__init__.py": "",
            "app/core/util.py": "X = 1\n",
            "app/core/deep/er/data.json": "{}",
        }
    )
    context = collect_build_context(root)
    assert [(f.dir, f.name) for f in context.files] == [
        (".", "Dockerfile"),
        ("app", "__init__.py"),
        ("app/core/deep/er", "data.json"),
        ("app/core", "util.py"),
        (".", "main.py"),
    ]
    assert context.dockerfile == DOCKERFILE


def test_order_is_by_path_components_not_walk_order(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, "b.txt": "", "a/z.txt": "", "a.txt": "", "A": ""})
    assert paths(collect_build_context(root)) == ["A", "Dockerfile", "a/z.txt", "a.txt", "b.txt"]
    # The same folder gives the same result twice.
    assert collect_build_context(root) == collect_build_context(root)


def test_content_is_sent_byte_for_byte(make_tree: MakeTree) -> None:
    text = "\ufeffline one\r\nzwei: \u00fc\u00e9\u4e2d\n\tno newline at end"
    root = make_tree({"Dockerfile": DOCKERFILE, "f.txt": text, "empty": ""})
    files = {f.name: f for f in collect_build_context(root).files}
    assert files["f.txt"] == BuildFile(dir=".", name="f.txt", content=text)
    assert files["empty"].content == ""


def test_accepts_str_and_pathlike(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE})
    assert collect_build_context(str(root)) == collect_build_context(root)


def test_given_dockerfile_text_wins_and_folder_needs_none(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": "pass\n"})
    context = collect_build_context(root, dockerfile="FROM scratch\n")
    assert context.dockerfile == "FROM scratch\n"
    assert paths(context) == ["app.py"]

    root = make_tree({"Dockerfile": DOCKERFILE})
    assert collect_build_context(root, dockerfile="FROM alpine\n").dockerfile == "FROM alpine\n"


def test_missing_dockerfile_is_a_clear_error(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": "pass\n"})
    with pytest.raises(BuildContextError, match=r"no Dockerfile in .*pass dockerfile="):
        collect_build_context(root)


def test_lowercase_dockerfile_is_the_fallback_like_docker(make_tree: MakeTree) -> None:
    root = make_tree({"dockerfile": "FROM lower\n"})
    assert collect_build_context(root).dockerfile == "FROM lower\n"


def test_path_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BuildContextError, match="is not a folder"):
        collect_build_context(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BuildContextError, match="is not a folder"):
        collect_build_context(tmp_path / "file")


def test_error_is_a_cakework_error_and_a_value_error() -> None:
    assert issubclass(BuildContextError, CakeworkError)
    assert issubclass(BuildContextError, ValueError)


def test_git_is_always_excluded_at_any_depth(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            ".git/config": "[core]\n",
            ".git/objects/ab/cdef": b"x\x00\x9c binary",
            "vendor/lib/.git/HEAD": "ref: refs/heads/main\n",
            "sub/.git": "gitdir: ../.git/modules/sub\n",
            "sub/code.py": "",
            ".gitignore": "*.pyc\n",
            # Even an explicit exception cannot bring it back.
            ".dockerignore": "!.git\n!.git/config\n",
        }
    )
    assert paths(collect_build_context(root)) == [
        ".dockerignore",
        ".gitignore",
        "Dockerfile",
        "sub/code.py",
    ]


def test_binary_files_are_refused_naming_every_one(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            "ok.py": "pass\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "app/__pycache__/m.cpython-311.pyc": b"\xa7\r\r\n\x00\x00\x00\x00",
            # Valid UTF-8 but a NUL byte: still binary.
            "nul.txt": "abc\x00def",
        }
    )
    with pytest.raises(BuildContextError) as info:
        collect_build_context(root)
    err = info.value
    assert err.paths == ("app/__pycache__/m.cpython-311.pyc", "logo.png", "nul.txt")
    message = str(err)
    assert "3 file(s)" in message
    assert ".dockerignore" in message
    for path in err.paths:
        assert f"{path}: binary (contains NUL bytes)" in message
    assert "ok.py" not in message


def test_non_utf8_text_is_refused(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            "latin1.txt": "caf\u00e9".encode("latin-1"),
            "cp1252.csv": b"price;\x80 5\n",
        }
    )
    with pytest.raises(BuildContextError) as info:
        collect_build_context(root)
    assert info.value.paths == ("cp1252.csv", "latin1.txt")
    assert "latin1.txt: not UTF-8 text (invalid byte at offset 3)" in str(info.value)


def test_binary_file_excluded_by_dockerignore_is_fine(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": "logo.png\n**/__pycache__\n",
            "logo.png": b"\x89PNG\x00",
            "app/__pycache__/m.pyc": b"\x00",
            "app/m.py": "",
        }
    )
    assert paths(collect_build_context(root)) == [".dockerignore", "Dockerfile", "app/m.py"]


def test_non_utf8_dockerfile_is_refused(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": b"FROM x\nLABEL a=\xff\n"})
    with pytest.raises(BuildContextError, match="Dockerfile is not UTF-8 text"):
        collect_build_context(root)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_without_being_opened(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE})
    os.mkfifo(root / "pipe")  # opening it for reading would block forever
    with pytest.raises(BuildContextError) as info:
        collect_build_context(root)
    assert info.value.paths == ("pipe",)
    assert "pipe: not a regular file" in str(info.value)


@pytest.mark.skipif(sys.platform != "linux", reason="needs byte file names")
def test_file_name_that_is_not_utf8_is_refused(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE})
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"text")
    with pytest.raises(BuildContextError, match=r"caf\\xe9\.txt: its name is not valid UTF-8"):
        collect_build_context(root)


# --- symlinks ---------------------------------------------------------------------------


def test_symlinks_pointing_outside_are_not_followed(
    make_tree: MakeTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    (outside / "bin.dat").write_bytes(b"\x00")
    root = make_tree({"Dockerfile": DOCKERFILE, "app.py": ""})
    (root / "linked_file").symlink_to(outside / "secret.txt")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "relative_escape").symlink_to("../outside/secret.txt")
    (root / "etc_passwd").symlink_to("/etc/passwd")

    with caplog.at_level(logging.WARNING, logger="cakework"):
        context = collect_build_context(root)

    assert paths(context) == ["Dockerfile", "app.py"]
    assert all("TOP SECRET" not in f.content for f in context.files)
    assert context.skipped_symlinks == (
        "etc_passwd",
        "linked_dir",
        "linked_file",
        "relative_escape",
    )
    assert "not following symlink linked_file (it points outside the folder)" in caplog.text


def test_symlinks_inside_are_followed(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, "src/real.py": "REAL = 1\n"})
    (root / "alias.py").symlink_to("src/real.py")
    (root / "src_alias").symlink_to("src", target_is_directory=True)
    context = collect_build_context(root)
    assert paths(context) == ["Dockerfile", "alias.py", "src/real.py", "src_alias/real.py"]
    assert {f.content for f in context.files if f.name.endswith(".py")} == {"REAL = 1\n"}
    assert context.skipped_symlinks == ()


def test_context_folder_given_through_a_symlink(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, "a.py": ""})
    (root / "b.py").symlink_to(root / "a.py")  # absolute target inside the real folder
    via = tmp_path / "via"
    via.symlink_to(root, target_is_directory=True)
    assert paths(collect_build_context(via)) == ["Dockerfile", "a.py", "b.py"]


def test_symlink_to_an_ignored_file_does_not_leak_it(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Dockerfile": DOCKERFILE,
            ".dockerignore": ".env\nprivate\n",
            ".env": "PASSWORD=hunter2\n",
            "private/key.pem": "-----BEGIN-----\n",
            "public/readme.md": "",
        }
    )
    (root / "env_link").symlink_to(".env")
    (root / "public/key_link").symlink_to("../private/key.pem")
    (root / "private_alias").symlink_to("private", target_is_directory=True)
    (root / "git_link").symlink_to(".git/config")
    (root / ".git").mkdir()
    (root / ".git/config").write_text("[remote]\n")
    context = collect_build_context(root)
    assert paths(context) == [".dockerignore", "Dockerfile", "public/readme.md"]
    assert context.skipped_symlinks == ("env_link", "git_link", "private_alias", "public/key_link")


def test_symlink_cycles_are_cut(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, "a/x.txt": "", "b/y.txt": ""})
    (root / "a/to_b").symlink_to("../b", target_is_directory=True)
    (root / "b/to_a").symlink_to("../a", target_is_directory=True)
    (root / "a/to_root").symlink_to("..", target_is_directory=True)
    context = collect_build_context(root)
    assert paths(context) == [
        "Dockerfile",
        "a/to_b/y.txt",
        "a/x.txt",
        "b/to_a/x.txt",
        "b/y.txt",
    ]
    # Each link is followed until it would enter a folder already being walked.
    assert context.skipped_symlinks == (
        "a/to_b/to_a",
        "a/to_root",
        "b/to_a/to_b",
        "b/to_a/to_root",
    )


def test_dangling_symlink_is_skipped(make_tree: MakeTree) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE})
    (root / "gone").symlink_to("does-not-exist")
    context = collect_build_context(root)
    assert paths(context) == ["Dockerfile"]
    assert context.skipped_symlinks == ("gone",)


def test_unreadable_directory_is_named(
    make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree({"Dockerfile": DOCKERFILE, "locked/a.txt": "", "ignored/b.txt": ""})
    (root / ".dockerignore").write_text("ignored\n!ignored/b.txt\n")
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        # Running as root, chmod cannot make a folder unreadable; refuse like the OS would.
        if os.path.basename(path) in ("locked", "ignored"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(BuildContextError) as info:
        collect_build_context(root)
    # "ignored" is excluded, but a "!" line could bring files back from it, so it counts.
    assert info.value.paths == ("ignored", "locked")
    assert "locked: cannot be read (Permission denied)" in str(info.value)
