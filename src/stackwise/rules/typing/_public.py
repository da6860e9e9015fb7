"""What the public API of a project is, and how much of it is typed.

"Public" is decided per project, from the facts `collect.TypingFacts` contributed:

* the module is importable package code: inside a package (a folder with `__init__.py`), not a
  test (`tests/`, `test/`, `test_*.py`, `*_test.py`, `conftest.py`), not a migration
  (`migrations/`, `alembic/`), not a script (`__main__.py`, `setup.py`, `manage.py`, files under
  `scripts/`, `examples/`, `docs/`, `benchmarks/`, or a module outside any package);
* a module-level name is public when the module's literal `__all__` lists it, or, without
  `__all__`, when it has no leading underscore;
* in a private module (`pkg/_impl.py`, `pkg/_internal/x.py`) nothing is public by itself: a name
  is public when a public module re-exports it (in its `__all__`, or imported into a package's
  `__init__.py` under a public name);
* a method is public when its class is public and its name has no leading underscore, plus
  `__init__`, `__new__` and `__call__` (what callers call);
* a class attribute is public when its class is public, its name has no leading underscore and
  every class in its hierarchy is known (project classes and `object`/`Generic`/`Protocol`/
  `ABC`): an attribute of an Enum, a NamedTuple, an ORM model or a pydantic model is typed by the
  base class, which this does not see, so those classes are left out.

Both the TYP rules and `stackwise types` read `api_index(project)`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from stackwise.engine.project import Project
from stackwise.rules.typing.collect import KEY

_TEST_DIRS = frozenset({"tests", "test"})
_MIGRATION_DIRS = frozenset({"migrations", "alembic"})
_SCRIPT_DIRS = frozenset({"scripts", "examples", "docs", "benchmarks"})
_SCRIPT_FILES = frozenset({
    "__main__.py", "setup.py", "manage.py", "noxfile.py", "fabfile.py", "conftest.py",
})
_PUBLIC_DUNDERS = frozenset({"__init__", "__new__", "__call__"})
_PLAIN_BASES = frozenset({
    "builtins.object", "object", "typing.Generic", "typing.Protocol", "typing_extensions.Protocol",
    "abc.ABC", "typing_extensions.Generic",
})


def module_role(path: str, module: str, is_package: bool) -> str:
    """'test', 'migration', 'script' or 'package' (importable package code)."""
    parts = path.split("/")
    dirs, name = parts[:-1], parts[-1]
    if (any(d in _TEST_DIRS for d in dirs) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py"):
        return "test"
    if any(d in _MIGRATION_DIRS for d in dirs):
        return "migration"
    if name in _SCRIPT_FILES or any(d in _SCRIPT_DIRS for d in dirs):
        return "script"
    if not is_package and "." not in module:
        return "script"  # a module outside any package
    return "package"


def is_private_module(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


@dataclass(frozen=True, slots=True)
class Item:
    """One countable piece of the public API: a parameter, a return or an attribute."""

    kind: str  # "parameter" | "return" | "attribute"
    typed: bool
    owner: str  # qualified name of the function or class
    shown_owner: str  # how messages name it: `func`, `Class.method`, `Class`
    name: str  # parameter or attribute name ('' for a return)
    line: int
    column: int
    end_line: int
    end_column: int
    any: bool = False  # annotated with `Any` (parameters and returns)
    star: int = 0  # 1 for *args, 2 for **kwargs
    shown: str = ""  # for untyped attributes: the value that leaves the type unknown


@dataclass(slots=True)
class ModuleApi:
    path: str
    module: str
    items: list[Item] = field(default_factory=list)


_CACHE: tuple[weakref.ref[Project], dict[str, ModuleApi]] | None = None


def module_facts(project: Project, path: str) -> dict[str, Any] | None:
    entries = project.files[path].extra.get(KEY)
    if not entries or not isinstance(entries[0], dict):
        return None
    facts: dict[str, Any] = entries[0]
    return facts


def api_index(project: Project) -> dict[str, ModuleApi]:
    """Path -> the public API items of that module (only modules that have some)."""
    global _CACHE
    if _CACHE is not None and _CACHE[0]() is project:
        return _CACHE[1]
    result = _build(project)
    _CACHE = (weakref.ref(project), result)
    return result


def _public_names(facts: dict[str, Any], names: set[str]) -> set[str]:
    declared = facts.get("all")
    if declared is not None:
        return names & set(declared)
    return {n for n in names if not n.startswith("_")}


def _reexported(project: Project) -> set[str]:
    """Qualified names of definitions that a public module re-exports."""
    out: set[str] = set()
    for path in sorted(project.files):
        ff = project.files[path]
        if module_role(path, ff.module, ff.is_package) != "package":
            continue
        if is_private_module(ff.module):
            continue
        facts = module_facts(project, path)
        declared = facts.get("all") if facts is not None else None
        for name, target in ff.exports.items():
            if name.startswith("_") or target == f"{ff.module}.{name}":
                continue  # a private name, or a definition of this module (counted there)
            if declared is not None:
                if name not in declared:
                    continue
            elif not ff.is_package:
                continue
            resolved = project.resolve(target)
            if resolved is not None:
                out.add(resolved)
    return out


def _class_facts(project: Project, path: str, index: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Qualified class name -> its facts, for the classes of one module (built once per module:
    a class is looked up once per subclass, and big trees have thousands)."""
    found = index.get(path)
    if found is None:
        facts = module_facts(project, path)
        module = project.files[path].module
        found = index[path] = {} if facts is None else {
            f"{module}.{cls[0]}": cls for cls in reversed(facts["classes"])}
    return found


def _attrs_visible(project: Project, bases: list[str],
                   index: dict[str, dict[str, Any]] | None = None) -> tuple[bool, set[str]]:
    """Whether every class above is known, and the attribute names they declare."""
    if index is None:
        index = {}
    declared: set[str] = set()
    seen: set[str] = set()
    stack = list(bases)
    while stack:
        base = stack.pop()
        if base in _PLAIN_BASES:
            continue
        resolved = project.resolve_class(base) if base else None
        if resolved is None:
            return False, set()
        if resolved in seen:
            continue
        seen.add(resolved)
        path = project.classes[resolved][0]
        if module_facts(project, path) is None:
            return False, set()
        cls = _class_facts(project, path, index).get(resolved)
        if cls is None:
            return False, set()
        declared |= {a[0] for a in cls[3] if a[6]}
        stack.extend(cls[2])
    return True, declared


def _build(project: Project) -> dict[str, ModuleApi]:
    reexported = _reexported(project)
    classes: dict[str, dict[str, Any]] = {}
    index: dict[str, ModuleApi] = {}
    for path in sorted(project.files):
        ff = project.files[path]
        if module_role(path, ff.module, ff.is_package) != "package":
            continue
        facts = module_facts(project, path)
        if facts is None:
            continue
        module = ff.module
        private = is_private_module(module)
        names = {f[0] for f in facts["functions"] if not f[1]} | {c[0] for c in facts["classes"]}
        public = set() if private else _public_names(facts, names)
        public |= {n for n in names if f"{module}.{n}" in reexported}
        api = ModuleApi(path, module)
        for cls in facts["classes"]:
            name, _line, bases, attrs = cls
            if name not in public:
                continue
            visible, inherited = _attrs_visible(project, bases, classes)
            if not visible:
                continue
            for a in attrs:
                typed = bool(a[5]) or a[0] in inherited
                api.items.append(Item("attribute", typed, f"{module}.{name}", name, a[0], a[1],
                                      a[2], a[3], a[4], shown=a[7]))
        for fn in facts["functions"]:
            name, cls_name, line, col, name_end, returns, params, skip = fn
            if skip:
                continue
            if cls_name:
                if cls_name not in public:
                    continue
                if name.startswith("_") and name not in _PUBLIC_DUNDERS:
                    continue
                owner, shown = f"{module}.{cls_name}.{name}", f"{cls_name}.{name}"
            else:
                if name not in public:
                    continue
                owner, shown = f"{module}.{name}", name
            for p in params:
                pname, pline, pcol, pend_line, pend_col, annotated, is_any, _dn, _heads, star = p
                api.items.append(Item("parameter", bool(annotated), owner, shown, pname, pline,
                                      pcol, pend_line, pend_col, any=bool(is_any), star=star))
            if name != "__init__":
                ret_annotated, ret_any, rline, rcol = returns
                if ret_annotated:
                    api.items.append(Item("return", True, owner, shown, "", rline, rcol, rline,
                                          rcol, any=bool(ret_any)))
                else:
                    api.items.append(Item("return", False, owner, shown, "", line, col, line,
                                          name_end))
        if api.items:
            index[path] = api
    return index

