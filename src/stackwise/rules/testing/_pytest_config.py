"""Finding and reading the pytest configuration that applies to a test file, as text.

pytest takes the first of these it meets walking up from the test's folder: `pytest.ini` (even
empty), `.pytest.ini`, `pyproject.toml` with `[tool.pytest.ini_options]` (or pytest 9's
`[tool.pytest]`), `tox.ini` with `[pytest]`, `setup.cfg` with `[tool:pytest]`. Nothing is
imported or run; an unreadable file counts as "unknown".
"""

from __future__ import annotations

import configparser
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class PytestConfig:
    path: str  # the file the options came from ('' when none was found)
    options: tuple[tuple[str, str], ...]  # option name -> value as text
    readable: bool = True

    def get(self, name: str) -> str | None:
        for key, value in self.options:
            if key == name:
                return value
        return None

    @property
    def runs_coroutines(self) -> bool:
        """An option makes a plugin run every `async def` test: pytest-asyncio's auto mode or
        pytest-trio's trio mode (also when given in `addopts`)."""
        if (self.get("asyncio_mode") or "").strip().lower() == "auto":
            return True
        if (self.get("trio_mode") or "").strip().lower() in ("true", "1", "yes"):
            return True
        addopts = " ".join((self.get("addopts") or "").split())
        return "--asyncio-mode=auto" in addopts or "--asyncio-mode auto" in addopts


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_toml(path: Path) -> dict[str, str] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ValueError(str(path)) from None
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    pytest = tool.get("pytest")
    if not isinstance(pytest, dict):
        return None
    ini = pytest.get("ini_options")
    table = ini if isinstance(ini, dict) else {k: v for k, v in pytest.items()
                                               if k != "ini_options"}
    return {str(k): _text(v) for k, v in table.items()}


def _read_ini(path: Path, section: str, always: bool) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        raise ValueError(str(path)) from None
    if not parser.has_section(section):
        return {} if always else None
    return dict(parser.items(section))


@lru_cache(maxsize=256)
def _config_in(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> PytestConfig | None:
    del stamp  # part of the cache key only: a changed file is read again
    base = Path(folder)
    candidates = (
        ("pytest.ini", lambda p: _read_ini(p, "pytest", True)),
        (".pytest.ini", lambda p: _read_ini(p, "pytest", True)),
        ("pyproject.toml", _read_toml),
        ("tox.ini", lambda p: _read_ini(p, "pytest", False)),
        ("setup.cfg", lambda p: _read_ini(p, "tool:pytest", False)),
    )
    for name, reader in candidates:
        path = base / name
        if not path.is_file():
            continue
        try:
            options = reader(path)
        except ValueError:
            return PytestConfig(str(path), (), readable=False)
        if options is not None:
            return PytestConfig(str(path), tuple(sorted(options.items())))
    return None


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        out.append((name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def pytest_config(test_file: Path) -> PytestConfig:
    """The configuration pytest would use for `test_file` (walking up from its real folder)."""
    try:
        folder = test_file.resolve().parent
    except OSError:
        return PytestConfig("", (), readable=False)
    for current in (folder, *folder.parents):
        found = _config_in(str(current), _stamp(current))
        if found is not None:
            return found
    return PytestConfig("", ())
