"""Which files a check looks at: default and configured excludes, by name, path and folder."""

from __future__ import annotations

from pathlib import Path

from stackwise.config import Settings
from stackwise.engine.discover import Discovery


def _found(root: Path, *exclude: str) -> list[str]:
    discovery = Discovery(root, Settings(exclude=exclude))
    return [sf.display for sf in discovery.files([root])]


def _tree(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")


def test_default_excludes_skip_virtualenvs_and_build_folders(tmp_path: Path) -> None:
    _tree(tmp_path, "app/main.py", ".venv/lib/x.py", "build/y.py", "app/__pycache__/z.py",
          "node_modules/n.py", "venv/v.py")
    assert _found(tmp_path) == ["app/main.py"]


def test_configured_patterns_match_names_paths_and_folders(tmp_path: Path) -> None:
    _tree(tmp_path, "app/main.py", "app/gen/models_pb2.py", "app/legacy/old.py",
          "app/legacy_api.py", "scripts/tool.py", "docs/conf.py")
    assert _found(tmp_path, "*_pb2.py", "app/legacy", "scripts/", "doc?") == [
        "app/legacy_api.py", "app/main.py"]  # `app/legacy` is a folder, not a name prefix


def test_a_subfolder_given_keeps_paths_relative_to_the_root(tmp_path: Path) -> None:
    _tree(tmp_path, "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/mod.py", "pkg/sub/gen/g.py")
    discovery = Discovery(tmp_path, Settings(exclude=("pkg/sub/gen",)))
    found = discovery.files([tmp_path / "pkg" / "sub"])
    assert [(sf.display, sf.module) for sf in found] == [
        ("pkg/sub/__init__.py", "pkg.sub"), ("pkg/sub/mod.py", "pkg.sub.mod")]
