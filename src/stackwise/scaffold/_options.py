"""What to scaffold: the typed options, their validation, and `stackwise advise` JSON parsing."""

from __future__ import annotations

import json
import keyword
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, cast, get_args

Framework = Literal["fastapi", "django", "flask", "none"]
Kind = Literal["api", "site", "script", "worker", "ml"]
Layout = Literal["layer", "feature", "single"]
Size = Literal["small", "medium", "large"]
Database = Literal["postgres", "sqlite", "mysql", "none"]
Worker = Literal["celery", "arq", "rq", "dramatiq", "background", "none"]

FRAMEWORKS: tuple[str, ...] = get_args(Framework)
KINDS: tuple[str, ...] = get_args(Kind)
LAYOUTS: tuple[str, ...] = get_args(Layout)
SIZES: tuple[str, ...] = get_args(Size)
DATABASES: tuple[str, ...] = get_args(Database)
WORKERS: tuple[str, ...] = get_args(Worker)

_CHOICES: dict[str, tuple[str, ...]] = {
    "framework": FRAMEWORKS,
    "kind": KINDS,
    "layout": LAYOUTS,
    "size": SIZES,
    "db": DATABASES,
    "worker": WORKERS,
}
_FLAGS = ("admin", "drf", "channels")

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Names that would shadow a library the generated project imports, or its test package.
_RESERVED = frozenset(
    {
        "arq", "asyncpg", "celery", "django", "dramatiq", "fakeredis", "fastapi", "flask",
        "httpx", "mypy", "pydantic", "pydantic_settings", "pytest", "redis", "rest_framework",
        "rq", "ruff", "sqlalchemy", "stackwise", "starlette", "test", "tests", "uvicorn",
        "aiosqlite", "manage", "conftest",
    }
)  # fmt: skip


class ScaffoldError(ValueError):
    """Bad input to the scaffolder: an invalid name, an unknown option value, a refused target."""


class ConflictError(ScaffoldError):
    """`--force` was given but generating would replace files that already exist."""

    def __init__(self, target: Path, conflicts: list[Path]) -> None:
        self.target = target
        self.conflicts = conflicts
        listing = "\n".join(f"  {p}" for p in conflicts)
        super().__init__(
            f"{target}: {len(conflicts)} existing file(s) differ from what would be generated; "
            f"nothing was written. Move them away and run again:\n{listing}"
        )


def validate_name(name: str) -> str:
    """Return `name` if it can be the project directory and its Python package, else raise.

    A name is a lower-case ASCII identifier that is not a keyword and does not shadow a standard
    library module or a library the generated project depends on. That also rules out path tricks
    (`../x`, `a/b`, `~`, absolute paths), since none of them is an identifier.
    """
    if not name:
        raise ScaffoldError("the project name is empty")
    if not _NAME.fullmatch(name):
        hint = ""
        candidate = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
        if candidate and _NAME.fullmatch(candidate):
            hint = f" (try {candidate!r})"
        raise ScaffoldError(
            f"invalid project name {name!r}: use a lower-case Python identifier "
            f"(letters, digits and '_', not starting with a digit){hint}"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"invalid project name {name!r}: it is a Python keyword")
    if name in sys.stdlib_module_names or name in _RESERVED:
        raise ScaffoldError(
            f"invalid project name {name!r}: it would shadow the module {name!r} "
            "that the project imports; pick another name"
        )
    return name


@dataclass(frozen=True)
class ScaffoldOptions:
    """What `stackwise new` generates. Unset choices are filled in by `resolve()`."""

    name: str
    framework: Framework = "fastapi"
    kind: Kind = "api"
    layout: Layout = "layer"
    size: Size = "medium"
    db: Database = "sqlite"
    worker: Worker = "none"
    admin: bool = False
    drf: bool = False
    channels: bool = False

    def __post_init__(self) -> None:
        validate_name(self.name)
        for key, allowed in _CHOICES.items():
            value = getattr(self, key)
            if value not in allowed:
                raise ScaffoldError(_unknown(key, value, allowed))

    @property
    def src_layout(self) -> bool:
        """Large projects put their package under `src/` (Django keeps the manage.py layout)."""
        return self.size == "large" and self.framework != "django"


@dataclass(frozen=True)
class Resolved:
    """Options after defaults and compatibility rules, and the notes explaining adjustments."""

    options: ScaffoldOptions
    notes: tuple[str, ...] = field(default=())


def _unknown(key: str, value: object, allowed: tuple[str, ...]) -> str:
    return f"unknown {key} {value!r}: expected one of {', '.join(allowed)}"


def resolve(choices: dict[str, Any]) -> Resolved:
    """Build options from partial choices (CLI flags, advice), filling defaults coherently.

    Raises `ScaffoldError` for unknown values and for combinations that cannot be honoured
    (e.g. `--kind script --framework fastapi`, `--worker background` without FastAPI).
    Adjustments that lose nothing important are reported as notes instead.
    """
    notes: list[str] = []
    for key, allowed in _CHOICES.items():
        value = choices.get(key)
        if value is not None and value not in allowed:
            raise ScaffoldError(_unknown(key, value, allowed))
    for key in _FLAGS:
        value = choices.get(key)
        if value is not None and not isinstance(value, bool):
            raise ScaffoldError(f"{key} must be true or false, not {value!r}")
    name = choices.get("name")
    if not isinstance(name, str) or not name:
        raise ScaffoldError("a project name is required (stackwise new NAME)")

    kind: str | None = choices.get("kind")
    framework: str | None = choices.get("framework")
    if framework is None:
        framework = {"site": "django", "script": "none", "worker": "none"}.get(
            kind or "", "fastapi"
        )
    if kind is None:
        kind = {"django": "site", "none": "script"}.get(framework, "api")
    if framework == "none" and kind in ("api", "site"):
        raise ScaffoldError(
            f"kind {kind!r} needs a web framework: pass --framework fastapi|django|flask"
        )
    if framework != "none" and kind == "script":
        raise ScaffoldError(
            f"kind 'script' is a plain package without a web framework, but framework is "
            f"{framework!r}: drop one of them"
        )

    layout: str | None = choices.get("layout")
    if framework == "fastapi":
        if layout in (None, "single"):
            if layout == "single":
                notes.append("FastAPI projects are organised by layer or by feature; using 'layer'")
            layout = "layer"
    else:
        if layout not in (None, "single"):
            notes.append(
                f"layout {layout!r} applies to FastAPI projects only; "
                f"the {_label(framework)} template has its own structure"
            )
        layout = "single"

    size: str = choices.get("size") or "medium"
    if size == "small" and framework == "fastapi":
        notes.append("size 'small' is generated like 'medium' for FastAPI (a flat package)")
    if size == "large" and framework == "django":
        notes.append("Django projects keep the manage.py layout; size 'large' adds no src/ folder")

    db: str | None = choices.get("db")
    if framework in ("fastapi", "django"):
        if db in (None, "none"):
            if db == "none":
                notes.append(
                    f"the {_label(framework)} template keeps its data in a database; "
                    "using the embedded SQLite default"
                )
            db = "sqlite"
    else:
        if db not in (None, "none"):
            notes.append(
                f"the {_label(framework)} template has no database layer; db {db!r} is not used"
            )
        db = "none"

    worker: str = choices.get("worker") or "none"
    if worker == "background" and framework != "fastapi":
        raise ScaffoldError(
            "worker 'background' means FastAPI BackgroundTasks and needs --framework fastapi; "
            "pick celery, arq, rq or dramatiq for other frameworks"
        )
    if kind == "worker" and worker == "none":
        notes.append("kind 'worker' without a worker library; using celery")
        worker = "celery"

    admin = bool(choices.get("admin"))
    drf = bool(choices.get("drf"))
    channels = bool(choices.get("channels"))
    if framework != "django":
        for flag, value in (("admin", admin), ("drf", drf), ("channels", channels)):
            if value:
                notes.append(f"{flag} applies to Django projects only; ignored")
        admin = drf = channels = False
    elif channels:
        notes.append(
            "channels (Django websockets) is not scaffolded yet; the project is generated "
            "without it (see docs/scaffold.md)"
        )
        channels = False

    options = ScaffoldOptions(
        name=name,
        framework=cast(Framework, framework),
        kind=cast(Kind, kind),
        layout=cast(Layout, layout),
        size=cast(Size, size),
        db=cast(Database, db),
        worker=cast(Worker, worker),
        admin=admin,
        drf=drf,
        channels=channels,
    )
    return Resolved(options, tuple(notes))


def _label(framework: str) -> str:
    return {"fastapi": "FastAPI", "django": "Django", "flask": "Flask"}.get(framework, "script")


def read_advice(path: Path | str) -> dict[str, Any]:
    """The `"new"` choices from a `stackwise advise --format json` file.

    Only the documented keys are returned (`name` is dropped when null); values are checked
    against the allowed choices so a typo in the file gives a clear error, not a strange project.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScaffoldError(f"{path}: no such advice file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScaffoldError(f"{path}: cannot read advice file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ScaffoldError(f"{path}: not valid JSON ({exc})") from None
    return parse_advice(data, source=str(path))


def parse_advice(data: object, *, source: str = "advice") -> dict[str, Any]:
    """Validate the `"new"` object of advice JSON (already decoded) and return its choices."""
    if not isinstance(data, dict) or "new" not in data:
        raise ScaffoldError(
            f'{source}: expected a JSON object with a "new" key '
            "(the output of `stackwise advise --format json`)"
        )
    new = data["new"]
    if not isinstance(new, dict):
        raise ScaffoldError(f'{source}: "new" must be an object, not {type(new).__name__}')
    choices: dict[str, Any] = {}
    name = new.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise ScaffoldError(f"{source}: new.name must be a string or null, not {name!r}")
        choices["name"] = name
    for key, allowed in _CHOICES.items():
        if key not in new or new[key] is None:
            continue
        value = new[key]
        if not isinstance(value, str) or value not in allowed:
            raise ScaffoldError(f"{source}: new.{_unknown(key, value, allowed)}")
        choices[key] = value
    for key in _FLAGS:
        if key not in new or new[key] is None:
            continue
        if not isinstance(new[key], bool):
            raise ScaffoldError(f"{source}: new.{key} must be true or false, not {new[key]!r}")
        choices[key] = new[key]
    return choices


def option_names() -> tuple[str, ...]:
    """Field names of `ScaffoldOptions`, in order (used by the CLI and docs)."""
    return tuple(f.name for f in fields(ScaffoldOptions))


__all__ = [
    "ConflictError",
    "Resolved",
    "ScaffoldError",
    "ScaffoldOptions",
    "option_names",
    "parse_advice",
    "read_advice",
    "resolve",
    "validate_name",
]
