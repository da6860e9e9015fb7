"""Finds every rule by walking the `stackwise.rules` package: adding a rule is adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from stackwise.rules._api import FactCollector, ProjectRule, Rule
from stackwise.rules._meta import RuleMeta

_NOT_RULES = {"cli", "docs", "registry"}


@cache
def _discover() -> tuple[
    tuple[type[Rule], ...], tuple[type[ProjectRule], ...], tuple[type[FactCollector], ...]
]:
    import stackwise.rules as pkg

    collectors: list[type[FactCollector]] = []
    file_rules: list[type[Rule]] = []
    project_rules: list[type[ProjectRule]] = []
    for info in pkgutil.walk_packages(pkg.__path__, prefix="stackwise.rules."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or leaf in _NOT_RULES:
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if not isinstance(obj, type) or obj.__module__ != module.__name__:
                continue
            if issubclass(obj, FactCollector) and "code" in vars(obj):
                collectors.append(obj)
            elif issubclass(obj, Rule) and "code" in vars(obj):
                file_rules.append(obj)
            elif issubclass(obj, ProjectRule) and "code" in vars(obj):
                project_rules.append(obj)
    file_rules.sort(key=lambda r: r.code)
    project_rules.sort(key=lambda r: r.code)
    collectors.sort(key=lambda r: (r.code, r.__module__, r.__name__))
    codes = [r.code for r in file_rules] + [r.code for r in project_rules]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:
        raise RuntimeError(f"rule codes defined twice: {sorted(dupes)}")
    return tuple(file_rules), tuple(project_rules), tuple(collectors)


def file_rules() -> tuple[type[Rule], ...]:
    """What runs in the per-file pass: the per-file rules, then the fact collectors."""
    rules, _, collectors = _discover()
    return (*rules, *collectors)


def project_rules() -> tuple[type[ProjectRule], ...]:
    return _discover()[1]


def all_rules() -> dict[str, RuleMeta]:
    """Every rule's metadata by code, sorted by code."""
    rules, projects, _ = _discover()
    metas = [r.meta() for r in (*rules, *projects)]
    return {m.code: m for m in sorted(metas, key=lambda m: m.code)}


# -- a manifest: what the rules are, without importing them -----------------------------------------

FILE, PROJECT, COLLECTOR = "file", "project", "collector"


@dataclass(frozen=True)
class RuleRef:
    """One rule class by name (code, kind, module, class): plain data a warm run reads from its
    cache instead of importing every rule module. `load()` imports the class when it must run."""

    code: str
    kind: str  # FILE | PROJECT | COLLECTOR
    module: str
    qualname: str
    words: tuple[str, ...] = ()  # a per-file rule's `requires_text`
    match: str = ""  # and its `requires_match`
    async_reach: bool = False  # a project rule's `async_reach`
    cls: type | None = field(default=None, compare=False, repr=False)

    def load(self) -> type:
        if self.cls is not None:
            return self.cls
        obj: object = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        assert isinstance(obj, type)
        return obj

    def to_raw(self) -> list[object]:
        return [self.code, self.kind, self.module, self.qualname, list(self.words), self.match,
                self.async_reach]

    @classmethod
    def from_raw(cls, raw: object) -> RuleRef | None:
        """The ref `to_raw` wrote, or None for anything else (a cache of another shape)."""
        if not (isinstance(raw, list) and len(raw) == 7
                and all(type(x) is str for x in raw[:4]) and raw[1] in (FILE, PROJECT, COLLECTOR)
                and isinstance(raw[4], list) and all(type(w) is str for w in raw[4])
                and type(raw[5]) is str and type(raw[6]) is bool):
            return None
        return cls(raw[0], raw[1], raw[2], raw[3], tuple(raw[4]), raw[5], raw[6])


def ref(cls: type, kind: str) -> RuleRef:
    return RuleRef(getattr(cls, "code"), kind, cls.__module__, cls.__qualname__,  # noqa: B009
                   tuple(getattr(cls, "requires_text", ())), str(getattr(cls, "requires_match", "")),
                   bool(getattr(cls, "async_reach", False)), cls)


def manifest() -> tuple[RuleRef, ...]:
    """Every rule, in the order the engine runs them (imports every rule module)."""
    rules, projects, collectors = _discover()
    return (*(ref(r, FILE) for r in rules), *(ref(c, COLLECTOR) for c in collectors),
            *(ref(p, PROJECT) for p in projects))


class _LazyRules(Mapping[str, RuleMeta]):
    """`all_rules()`, computed on first access (a report that never looks costs nothing)."""

    def __init__(self) -> None:
        self._data: dict[str, RuleMeta] | None = None

    def _rules(self) -> dict[str, RuleMeta]:
        if self._data is None:
            self._data = all_rules()
        return self._data

    def __getitem__(self, code: str) -> RuleMeta:
        return self._rules()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules())

    def __len__(self) -> int:
        return len(self._rules())


def lazy_all_rules() -> Mapping[str, RuleMeta]:
    return _LazyRules()
