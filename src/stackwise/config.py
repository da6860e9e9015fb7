"""`[tool.stackwise]` in pyproject.toml -> typed, validated `Settings`.

Validation is strict and specific: an unknown key, a value of the wrong type or a rule code that
does not exist is a `ConfigError` that names the key (exit code 2). Nothing in the configuration is
ever evaluated as code.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_EXCLUDE = (
    ".venv", "venv", ".env", "env", "build", "dist", "node_modules", "__pycache__", ".git",
    ".hg", ".svn", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".stackwise_cache", "site-packages", "*.egg-info",
)


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""



def _close_matches(word: str, choices: list[str]) -> list[str]:
    """The nearest known spelling, for a "did you mean" (difflib is imported only on error)."""
    import difflib

    return difflib.get_close_matches(word, choices, n=1)

@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    blocking_functions: dict[str, str] = field(default_factory=dict)
    offload_wrappers: tuple[str, ...] = ()
    max_file_size: int = 8 * 1024 * 1024
    follow_symlinks: bool = False
    layers: tuple[dict[str, Any], ...] = ()
    features: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the file the settings came from ('' for defaults)

    def analysis_fingerprint(self) -> str:
        """A hash of the settings that can change per-file results (part of every cache key).

        Every setting counts unless it is listed in `_NOT_PER_FILE` (applied after analysis, or
        part of the project fingerprint instead), so a setting added later cannot be forgotten
        here and serve stale results from the cache."""
        relevant = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_PER_FILE
        }
        text = json.dumps(relevant, sort_keys=True, default=_stable)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# Settings that do not change what the per-file pass computes: filters applied to the findings
# afterwards, discovery, where they came from, and the project contracts (which are part of the
# project fingerprint in engine/runner.py instead).
_NOT_PER_FILE = frozenset({
    "select", "ignore", "per_file_ignores", "exclude", "follow_symlinks", "source", "layers",
    "features",
})


def _stable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(map(repr, value))
    return repr(value)


# key in TOML -> (attribute, expected kind, description)
_KEYS: dict[str, tuple[str, str]] = {
    "select": ("select", "codes"),
    "ignore": ("ignore", "codes"),
    "exclude": ("exclude", "strings"),
    "per-file-ignores": ("per_file_ignores", "table-of-codes"),
    "blocking-functions": ("blocking_functions", "table-of-strings"),
    "offload-wrappers": ("offload_wrappers", "strings"),
    "max-file-size": ("max_file_size", "int"),
    "follow-symlinks": ("follow_symlinks", "bool"),
    "layers": ("layers", "layers"),
    "features": ("features", "features"),
}

assert {a for a, _ in _KEYS.values()} <= {f.name for f in fields(Settings)}


def load_pyproject(path: Path) -> dict[str, Any] | None:
    """The `[tool.stackwise]` table of a pyproject.toml (None if it has none)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return None
    table = tool.get("stackwise")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.stackwise] must be a table")
    return table


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.stackwise] table."""
    current = start if start.is_dir() else start.parent
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and load_pyproject(candidate) is not None:
            return candidate
    return None


def find_root(start: Path) -> Path:
    """The project root: where the config is, else the nearest folder with pyproject/.git."""
    config = find_config(start)
    if config is not None:
        return config.parent
    current = start if start.is_dir() else start.parent
    for folder in (current, *current.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return current


def settings_from_table(
    table: dict[str, Any], source: str, known_codes: set[str] | None = None
) -> Settings:
    """Validate a `[tool.stackwise]` table. Raises ConfigError naming the bad key."""
    values: dict[str, Any] = {"source": source}
    where = f"{source}: [tool.stackwise]" if source else "[tool.stackwise]"
    for key, value in table.items():
        if key not in _KEYS:
            close = _close_matches(key, list(_KEYS))
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        attr, kind = _KEYS[key]
        values[attr] = _convert(where, key, kind, value, known_codes)
    return Settings(**values)


def _convert(where: str, key: str, kind: str, value: Any, codes: set[str] | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(
            f"{where}: '{key}' must be {expected}, got {type(value).__name__} {value!r}"
        )

    if kind in ("codes", "strings"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        if kind == "codes":
            check_codes(value, codes, f"{where}: '{key}'")
        return tuple(value)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise fail("a positive integer")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if kind == "table-of-strings":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail('a table of "name" = "advice" strings')
        return dict(value)
    if kind == "table-of-codes":
        if not isinstance(value, dict):
            raise fail('a table of "glob" = ["CODE", ...]')
        out: dict[str, tuple[str, ...]] = {}
        for glob, lst in value.items():
            if not isinstance(lst, list) or not all(isinstance(v, str) for v in lst):
                raise ConfigError(f"{where}: '{key}'.'{glob}' must be a list of rule codes")
            check_codes(lst, codes, f"{where}: '{key}'.'{glob}'")
            out[glob] = tuple(lst)
        return out
    if kind == "layers":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise fail("a list of tables ([[tool.stackwise.layers]] with name and modules)")
        return _layers(where, value)
    if kind == "features":
        if not isinstance(value, dict):
            raise fail("a table ([tool.stackwise.features] with packages)")
        return _features(where, value)
    raise AssertionError(kind)


def _unknown(where: str, key: str, known: tuple[str, ...]) -> ConfigError:
    close = _close_matches(key, list(known))
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ConfigError(f"{where}: unknown key '{key}'{hint}; expected {', '.join(known)}")


def _module_patterns(where: str, value: Any) -> list[str]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v.strip() for v in value)):
        raise ConfigError(f"{where} must be a non-empty list of module names or globs, "
                          f"got {value!r}")
    return [v.strip() for v in value]


def _layers(where: str, value: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """An ordered layers contract, top layer first: each `{name = "...", modules = [...]}`."""
    if len(value) < 2:
        raise ConfigError(f"{where}: 'layers' needs at least two layers, top first")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, table in enumerate(value):
        here = f"{where}: layers[{i}]"
        for key in table:
            if key not in ("name", "modules"):
                raise _unknown(here, key, ("name", "modules"))
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{here}: 'name' must be a non-empty string")
        if name in seen:
            raise ConfigError(f"{here}: layer '{name}' is declared twice")
        seen.add(name)
        if "modules" not in table:
            raise ConfigError(f"{here}: 'modules' is missing (the modules of layer '{name}')")
        out.append({"name": name, "modules": _module_patterns(f"{here}.modules",
                                                              table["modules"])})
    return tuple(out)


def _features(where: str, value: dict[str, Any]) -> dict[str, Any]:
    """Feature packages: `packages = [...]` (names or globs) and `independent = false`."""
    here = f"{where}: features"
    for key in value:
        if key not in ("packages", "independent"):
            raise _unknown(here, key, ("packages", "independent"))
    if "packages" not in value:
        raise ConfigError(f"{here}: 'packages' is missing (the feature packages)")
    independent = value.get("independent", False)
    if not isinstance(independent, bool):
        raise ConfigError(f"{here}.independent must be true or false, got {independent!r}")
    return {"packages": _module_patterns(f"{here}.packages", value["packages"]),
            "independent": independent}


def check_codes(values: list[str] | tuple[str, ...], codes: set[str] | None, where: str) -> None:
    """Every entry must be a rule code or a prefix of one (`ASY`, `ASY1`, `ASY100`, `ALL`)."""
    if codes is None:
        return
    for v in values:
        if v == "ALL":
            continue
        if not any(c.startswith(v) for c in codes):
            close = _close_matches(v, sorted(codes))
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: '{v}' matches no rule code{hint}")


def load_settings(
    root: Path, config: Path | None = None, known_codes: set[str] | None = None
) -> Settings:
    """Settings for a project: from `config` if given, else the nearest pyproject.toml."""
    path = config if config is not None else find_config(root)
    if path is None:
        return Settings()
    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such file")
    table = load_pyproject(path)
    if table is None:
        return Settings(source=str(path))
    return settings_from_table(table, str(path), known_codes)
