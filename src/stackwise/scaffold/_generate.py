"""Render the template groups of a plan and write them into the project directory safely.

Everything is rendered in memory first; nothing is written until the target has been checked,
so a refused or conflicting run leaves the disk untouched.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

import jinja2

from stackwise.scaffold._options import (
    ConflictError,
    ScaffoldError,
    ScaffoldOptions,
    resolve,
)
from stackwise.scaffold._plan import Plan, make_plan

_TEMPLATE_SUFFIX = ".j2"


def _templates_root() -> Traversable:
    return resources.files("stackwise.scaffold").joinpath("templates")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("stackwise.scaffold", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # generates source code, not HTML
    )


def _walk(node: Traversable, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__" or child.name.endswith(".pyc"):
            continue
        path = prefix / child.name
        if child.is_dir():
            yield from _walk(child, path)
        else:
            yield path, child


def _output_path(rel: PurePosixPath, context: dict[str, object]) -> PurePosixPath:
    parts: list[str] = []
    for part in rel.parts:
        part = part.replace("__pkgdir__", str(context["pkgdir"])).replace(
            "__name__", str(context["name"])
        )
        if part.startswith("dot-"):
            part = "." + part[len("dot-") :]
        parts.append(part)
    out = PurePosixPath(*parts)
    if out.name.endswith(_TEMPLATE_SUFFIX):
        out = out.with_name(out.name[: -len(_TEMPLATE_SUFFIX)])
    return out


def render(options: ScaffoldOptions, plan: Plan | None = None) -> dict[PurePosixPath, str]:
    """Render a project in memory: relative POSIX path -> file text.

    Files ending in `.j2` are Jinja2 templates (the suffix is dropped); other files are copied
    as they are. A template that renders to whitespace only is left out, which is how a template
    makes itself conditional.
    """
    plan = plan or make_plan(options)
    env = _environment()
    root = _templates_root()
    files: dict[PurePosixPath, str] = {}
    origin: dict[PurePosixPath, str] = {}
    for group in plan.groups:
        base = root.joinpath(*group.split("/"))
        if not base.is_dir():
            raise RuntimeError(f"scaffold template group {group!r} is missing")
        for rel, node in _walk(base, PurePosixPath()):
            out = _output_path(rel, plan.context)
            if rel.name.endswith(_TEMPLATE_SUFFIX):
                text = env.get_template(f"{group}/{rel}").render(plan.context)
                if not text.strip():
                    continue
            else:
                text = node.read_text(encoding="utf-8")
            if out in files:
                raise RuntimeError(f"{out} is produced by both {origin[out]!r} and {group!r}")
            files[out] = text
            origin[out] = group
    return files


def _is_empty_dir(path: Path) -> bool:
    return not any(path.iterdir())


def generate(
    options: ScaffoldOptions,
    target: Path | str | None = None,
    *,
    force: bool = False,
) -> list[Path]:
    """Generate the project described by `options` and return the files written.

    `target` is the project directory (default: `./<name>`). It must not exist or be empty;
    with `force=True` an existing directory is accepted, files identical to the generated ones
    are left alone, and if any existing file would change `ConflictError` lists them all and
    nothing is written. Raises `ScaffoldError` for invalid options or targets.
    """
    resolved = resolve(dataclasses.asdict(options)).options
    directory = Path(target) if target is not None else Path.cwd() / resolved.name
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a directory")
    if directory.is_dir() and not _is_empty_dir(directory) and not force:
        raise ScaffoldError(
            f"{directory} already exists and is not empty; pass --force to add the project "
            "to it (existing files are never overwritten: conflicts are listed and nothing "
            "is written)"
        )
    files = render(resolved)

    root = directory.resolve()
    to_write: list[tuple[Path, str]] = []
    conflicts: list[Path] = []
    for rel, text in sorted(files.items()):
        path = directory.joinpath(*rel.parts)
        real = path.resolve()
        if not real.is_relative_to(root):
            conflicts.append(path)  # a symlink inside the target points elsewhere
            continue
        if path.is_symlink() or path.is_dir():
            conflicts.append(path)
            continue
        if path.exists():
            try:
                same = path.read_text(encoding="utf-8") == text
            except (OSError, UnicodeDecodeError):
                same = False
            if not same:
                conflicts.append(path)
            continue
        blocked = next(
            (p for p in path.parents if p.is_file() and p.is_relative_to(directory)), None
        )
        if blocked is not None:
            conflicts.append(blocked)
            continue
        to_write.append((path, text))
    if conflicts:
        raise ConflictError(directory, sorted(set(conflicts)))

    written: list[Path] = []
    for path, text in to_write:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if text.startswith("#!"):
            path.chmod(0o755)
        written.append(path)
    return written
