"""Read a repository's declared dependencies from its packaging files, without running anything.

Understands pyproject.toml (PEP 621, dependency groups, Poetry, PDM), requirements*.txt (and
`-r` includes), setup.cfg, setup.py (literal install_requires), Pipfile and the uv, Poetry and
PDM lock files.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackwise.advise._scan import inside

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_MAX_BYTES = 2_000_000


def normalize(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    """The distribution name of a PEP 508 requirement string, or None for options/URLs."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "git+", "http:", "https:", "file:", ".", "/")):
        return None
    match = _NAME.match(line)
    return normalize(match.group(1)) if match else None


@dataclass
class Dependencies:
    """Declared distributions (normalised name -> where each was declared) and read problems."""

    declared: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, names: Iterable[str | None], source: str) -> None:
        for name in names:
            if name and name != "python":
                sources = self.declared.setdefault(name, [])
                if source not in sources:
                    sources.append(source)


def read_dependencies(root: Path) -> Dependencies:
    """Every dependency declared in the packaging files at the top of `root`."""
    deps = Dependencies()
    readers = {
        "pyproject.toml": _pyproject,
        "setup.cfg": _setup_cfg,
        "setup.py": _setup_py,
        "Pipfile": _pipfile,
        "poetry.lock": _lock,
        "uv.lock": _lock,
        "pdm.lock": _lock,
    }
    real_root = os.path.realpath(root)
    for filename, reader in readers.items():
        path = root / filename
        if path.is_file() and inside(path, real_root):
            deps.files.append(filename)
            text = _read(path, deps)
            if text is not None:
                reader(text, filename, deps)
    req_files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    seen: set[Path] = set()
    for path in req_files:
        _requirements(path, root, deps, seen)
    return deps


def _read(path: Path, deps: Dependencies) -> str | None:
    try:
        if path.stat().st_size > _MAX_BYTES:
            deps.problems.append(f"{path.name}: skipped, larger than {_MAX_BYTES} bytes")
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        deps.problems.append(f"{path.name}: unreadable ({exc.strerror})")
        return None


def _toml(text: str, source: str, deps: Dependencies) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        deps.problems.append(f"{source}: not valid TOML ({exc})")
        return None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _pyproject(text: str, source: str, deps: Dependencies) -> None:
    data = _toml(text, source, deps)
    if data is None:
        return
    project = _table(data.get("project"))
    deps.add(map(requirement_name, _strings(project.get("dependencies"))), f"{source} [project]")
    for extra, reqs in _table(project.get("optional-dependencies")).items():
        deps.add(map(requirement_name, _strings(reqs)), f"{source} [optional: {extra}]")
    for group, reqs in _table(data.get("dependency-groups")).items():
        deps.add(map(requirement_name, _strings(reqs)), f"{source} [group: {group}]")
    tool = _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))
    deps.add((normalize(k) for k in _table(poetry.get("dependencies"))), f"{source} [poetry]")
    deps.add(
        (normalize(k) for k in _table(poetry.get("dev-dependencies"))), f"{source} [poetry dev]"
    )
    for group, body in _table(poetry.get("group")).items():
        names = (normalize(k) for k in _table(_table(body).get("dependencies")))
        deps.add(names, f"{source} [poetry group: {group}]")
    for group, reqs in _table(_table(tool.get("pdm")).get("dev-dependencies")).items():
        deps.add(map(requirement_name, _strings(reqs)), f"{source} [pdm dev: {group}]")


def _setup_cfg(text: str, source: str, deps: Dependencies) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source)
    except configparser.Error as exc:
        deps.problems.append(f"{source}: unreadable ({exc.__class__.__name__})")
        return
    if parser.has_option("options", "install_requires"):
        lines = parser.get("options", "install_requires").splitlines()
        deps.add(map(requirement_name, lines), f"{source} [options]")
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            deps.add(map(requirement_name, value.splitlines()), f"{source} [extra: {extra}]")


def _setup_py(text: str, source: str, deps: Dependencies) -> None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        deps.problems.append(f"{source}: not valid Python")
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require"):
            strings = [
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            deps.add(map(requirement_name, strings), f"{source} [{node.arg}]")


def _pipfile(text: str, source: str, deps: Dependencies) -> None:
    data = _toml(text, source, deps)
    if data is None:
        return
    deps.add((normalize(k) for k in _table(data.get("packages"))), f"{source} [packages]")
    deps.add((normalize(k) for k in _table(data.get("dev-packages"))), f"{source} [dev-packages]")


def _lock(text: str, source: str, deps: Dependencies) -> None:
    data = _toml(text, source, deps)
    if data is None:
        return
    packages = data.get("package")
    if isinstance(packages, list):
        names = (normalize(p["name"]) for p in packages if isinstance(p, dict) and "name" in p)
        deps.add(names, source)


def _requirements(path: Path, root: Path, deps: Dependencies, seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved in seen or not path.is_file() or not inside(path, os.path.realpath(root)):
        return  # already read, missing, or (through a link or `-r ../x`) outside the repository
    seen.add(resolved)
    try:
        source = path.relative_to(root).as_posix()
    except ValueError:
        return  # an include pointing outside the repository
    deps.files.append(source)
    text = _read(path, deps)
    if text is None:
        return
    names = []
    for line in text.splitlines():
        stripped = line.strip()
        include = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", stripped)
        if include:
            _requirements(path.parent / include.group(1), root, deps, seen)
            continue
        names.append(requirement_name(stripped))
    deps.add(names, source)
