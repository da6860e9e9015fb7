"""Root confinement: every path the MCP server is given resolves inside a root, or is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackwise.mcp_server.paths import PathRefused, Roots

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                    reason="symbolic links need a POSIX file system here")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/root/{pkg/mod.py, data.txt} and tmp/outside/{secret.py, dir/}, with links."""
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    (root / "data.txt").write_text("data\n")
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.py").write_text("TOKEN = 'x'\n")
    if hasattr(os, "symlink") and os.name != "nt":
        (root / "link_out_dir").symlink_to(outside / "dir", target_is_directory=True)
        (root / "link_out_file.py").symlink_to(outside / "secret.py")
        (root / "link_in").symlink_to(root / "pkg", target_is_directory=True)
        (root / "dangling_out").symlink_to(outside / "missing")
        (root / "dangling_in").symlink_to(root / "missing")
        (root / "hop").symlink_to(root / "link_out_dir", target_is_directory=True)
    return root


def refused(roots: Roots, path: str, match: str) -> None:
    with pytest.raises(PathRefused, match=match):
        roots.resolve(path)


# -- roots ----------------------------------------------------------------------------------------


def test_roots_are_real_absolute_and_deduplicated(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    roots = Roots.from_paths([".", str(tree), "pkg"])
    assert roots.paths == (os.path.realpath(tree), os.path.realpath(tree / "pkg"))


@pytest.mark.parametrize("bad", ["", "missing", "data.txt", "a\x00b"])
def test_bad_roots_are_refused(tree: Path, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.chdir(tree)
    with pytest.raises(PathRefused):
        Roots.from_paths([bad])


def test_no_root_is_refused() -> None:
    with pytest.raises(PathRefused, match="no root"):
        Roots.from_paths([])


@needs_symlinks
def test_a_root_given_through_a_link_is_its_real_folder(tree: Path) -> None:
    roots = Roots.from_paths([tree / "link_in"])
    assert roots.paths == (os.path.realpath(tree / "pkg"),)
    # the link's own spelling of a path inside it is accepted (it resolves inside)
    assert roots.resolve(str(tree / "link_in" / "mod.py")) == (tree / "pkg" / "mod.py").resolve()


def test_root_of_picks_the_deepest_root(tree: Path) -> None:
    roots = Roots.from_paths([tree, tree / "pkg"])
    assert roots.root_of(os.path.realpath(tree / "pkg" / "mod.py")) == os.path.realpath(tree / "pkg")
    assert roots.root_of(os.path.realpath(tree / "data.txt")) == os.path.realpath(tree)
    assert roots.root_of(os.path.realpath(tree.parent)) is None


# -- resolve --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (".", "."),
        ("pkg", "pkg"),
        ("pkg/mod.py", "pkg/mod.py"),
        ("./pkg/../data.txt", "data.txt"),  # `..` that stays inside is fine
        ("pkg/", "pkg"),
    ],
)
def test_relative_paths_inside_are_resolved_from_the_first_root(
    tree: Path, given: str, expected: str
) -> None:
    roots = Roots.from_paths([tree])
    assert roots.resolve(given) == (tree / expected).resolve()


def test_relative_paths_do_not_depend_on_the_working_directory(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = Roots.from_paths([tree])
    monkeypatch.chdir(tmp_path / "outside")
    assert roots.resolve("pkg/mod.py") == (tree / "pkg" / "mod.py").resolve()


def test_absolute_path_inside_is_accepted(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    assert roots.resolve(str(tree / "pkg" / "mod.py")) == (tree / "pkg" / "mod.py").resolve()


@pytest.mark.parametrize("given", ["..", "../outside", "../outside/secret.py", "pkg/../../outside",
                                   "../root/../outside/secret.py"])
def test_going_up_out_of_the_root_is_refused(tree: Path, given: str) -> None:
    refused(Roots.from_paths([tree]), given, r"goes up \(`\.\.`\) out of the server's roots")


def test_absolute_path_elsewhere_is_refused(tree: Path, tmp_path: Path) -> None:
    roots = Roots.from_paths([tree])
    refused(roots, str(tmp_path / "outside" / "secret.py"), "absolute path outside")
    refused(roots, "/", "absolute path outside")


def test_sibling_with_a_common_name_prefix_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app2").mkdir()
    (tmp_path / "app2" / "x.py").write_text("")
    roots = Roots.from_paths([tmp_path / "app"])
    refused(roots, str(tmp_path / "app2" / "x.py"), "outside")
    refused(roots, "../app2/x.py", "goes up")


@needs_symlinks
@pytest.mark.parametrize("given", ["link_out_dir", "link_out_file.py", "link_out_dir/../secret.py",
                                   "hop", "link_in/../link_out_file.py"])
def test_symlinks_out_of_the_root_are_refused(tree: Path, given: str) -> None:
    refused(Roots.from_paths([tree]), given, "through a symbolic link")


@needs_symlinks
def test_dangling_link_out_is_refused_and_inside_does_not_exist(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    refused(roots, "dangling_out", "through a symbolic link")
    refused(roots, "dangling_in", "does not exist")


@needs_symlinks
def test_symlinks_that_stay_inside_are_followed(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    assert roots.resolve("link_in/mod.py") == (tree / "pkg" / "mod.py").resolve()


@needs_symlinks
def test_a_second_root_makes_its_links_targets_reachable(tree: Path, tmp_path: Path) -> None:
    roots = Roots.from_paths([tree, tmp_path / "outside"])
    assert roots.resolve("link_out_file.py") == (tmp_path / "outside" / "secret.py").resolve()
    assert roots.resolve(str(tmp_path / "outside" / "dir")) == (tmp_path / "outside" / "dir").resolve()


def test_missing_empty_and_nul_paths(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    refused(roots, "nope.py", "does not exist")
    refused(roots, "", "empty")
    refused(roots, "pkg\x00/mod.py", "NUL")


def test_non_string_paths_are_refused(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    with pytest.raises(PathRefused, match="path string"):
        roots.resolve(b"pkg")  # type: ignore[arg-type]


def test_resolve_dir_wants_a_folder(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    assert roots.resolve_dir("pkg") == (tree / "pkg").resolve()
    with pytest.raises(PathRefused, match="not a folder"):
        roots.resolve_dir("data.txt")


def test_the_message_names_the_argument_and_the_roots(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    with pytest.raises(PathRefused) as info:
        roots.resolve("../outside", what="paths[2]")
    text = str(info.value)
    assert "paths[2] '../outside'" in text and os.path.realpath(tree) in text
    assert "--root" in text


# -- resolve_new ----------------------------------------------------------------------------------


def test_new_folder_inside_is_accepted(tree: Path) -> None:
    roots = Roots.from_paths([tree])
    assert roots.resolve_new("fresh") == tree.resolve() / "fresh"
    assert roots.resolve_new("pkg/fresh") == tree.resolve() / "pkg" / "fresh"


@pytest.mark.parametrize(("given", "match"), [
    ("pkg", "already exists"),
    (".", "already exists"),
    ("data.txt", "already exists"),
    ("../fresh", "goes up"),
    ("missing/fresh", "does not exist"),
])
def test_new_folder_refusals(tree: Path, given: str, match: str) -> None:
    with pytest.raises(PathRefused, match=match):
        Roots.from_paths([tree]).resolve_new(given)


@needs_symlinks
@pytest.mark.parametrize(("given", "match"), [
    ("link_out_dir/fresh", "through a symbolic link"),
    ("dangling_in", "already exists"),  # the link itself is in the way
    ("dangling_out", "already exists"),
])
def test_new_folder_through_links(tree: Path, given: str, match: str) -> None:
    with pytest.raises(PathRefused, match=match):
        Roots.from_paths([tree]).resolve_new(given)


# -- property: whatever the spelling, an accepted path is inside the root -------------------------

_SEGMENTS = st.sampled_from(["..", ".", "pkg", "mod.py", "data.txt", "link_out_dir", "link_in",
                             "hop", "dangling_out", "outside", "root", "secret.py", "dir"])


@needs_symlinks
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_SEGMENTS, min_size=1, max_size=6), absolute=st.booleans())
def test_accepted_paths_are_always_inside(tree: Path, parts: list[str], absolute: bool) -> None:
    roots = Roots.from_paths([tree])
    text = os.path.join(str(tree) if absolute else "", *parts)
    try:
        found = roots.resolve(text)
    except PathRefused:
        return
    real_root = os.path.realpath(tree)
    assert str(found) == real_root or str(found).startswith(real_root + os.sep)
    assert os.path.realpath(found) == str(found)
