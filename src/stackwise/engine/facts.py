"""Per-file facts: what one file defines, imports and calls, in a form that caches cheaply.

Facts are extracted in the worker processes and linked into a project in the main process.
Everything here converts to and from plain tuples/lists/dicts (`to_raw`/`from_raw`), which is what
the cache stores, so the cache never holds pickles or code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Facts are rebuilt from the cache by the hundred thousand on a large tree: plain (not frozen)
# slotted classes are created about twice as fast; `unsafe_hash` keeps them usable as keys.
# Treat them as immutable all the same.


@dataclass(slots=True, unsafe_hash=True)
class CallFact:
    """A call inside a function. `target` is the resolved qualified name ('' if unknown)."""

    target: str
    display: str  # how the callee is written, e.g. "requests.get" or "self.load"
    line: int
    column: int  # 1-based character column
    end_line: int
    end_column: int
    awaited: bool
    statement: bool  # the call is a whole expression statement (its value is dropped)

    def to_raw(self) -> tuple[Any, ...]:
        return (self.target, self.display, self.line, self.column, self.end_line,
                self.end_column, self.awaited, self.statement)

    @classmethod
    def from_raw(cls, raw: Any) -> CallFact:
        return cls(*raw)


@dataclass(slots=True)
class FunctionFact:
    """A function or method definition."""

    qualname: str
    name: str
    line: int
    column: int
    is_async: bool
    class_qualname: str
    decorators: tuple[str, ...]
    is_generator: bool
    calls: list[CallFact] = field(default_factory=list)

    def to_raw(self) -> tuple[Any, ...]:
        return (self.qualname, self.name, self.line, self.column, self.is_async,
                self.class_qualname, list(self.decorators), self.is_generator,
                [c.to_raw() for c in self.calls])

    @classmethod
    def from_raw(cls, raw: Any) -> FunctionFact:
        q, n, line, col, is_async, cq, decos, gen, calls = raw
        call = CallFact
        return cls(q, n, line, col, is_async, cq, tuple(decos), gen, [call(*c) for c in calls])


@dataclass(slots=True, unsafe_hash=True)
class ClassFact:
    qualname: str
    name: str
    line: int
    bases: tuple[str, ...]  # resolved qualified names ('' for unresolvable bases)
    decorators: tuple[str, ...]

    def to_raw(self) -> tuple[Any, ...]:
        return (self.qualname, self.name, self.line, list(self.bases), list(self.decorators))

    @classmethod
    def from_raw(cls, raw: Any) -> ClassFact:
        q, n, line, bases, decos = raw
        return cls(q, n, line, tuple(bases), tuple(decos))


@dataclass(slots=True, unsafe_hash=True)
class ImportFact:
    """One imported name: `target` is the absolute dotted name (module or module.attr)."""

    target: str
    line: int
    column: int
    module_level: bool
    type_checking: bool  # inside `if TYPE_CHECKING:`

    def to_raw(self) -> tuple[Any, ...]:
        return (self.target, self.line, self.column, self.module_level, self.type_checking)

    @classmethod
    def from_raw(cls, raw: Any) -> ImportFact:
        return cls(*raw)


@dataclass(slots=True)
class FileFacts:
    """Everything project-wide rules need to know about one file."""

    module: str
    is_package: bool
    functions: dict[str, FunctionFact] = field(default_factory=dict)
    classes: dict[str, ClassFact] = field(default_factory=dict)
    imports: list[ImportFact] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)  # module-level name -> qualname
    star_imports: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # rule-contributed facts (plain data)

    def to_raw(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "is_package": self.is_package,
            "functions": [f.to_raw() for f in self.functions.values()],
            "classes": [c.to_raw() for c in self.classes.values()],
            "imports": [i.to_raw() for i in self.imports],
            "exports": self.exports,
            "star_imports": self.star_imports,
            "extra": self.extra,
        }

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> FileFacts:
        facts = cls(raw["module"], raw["is_package"])
        for f in raw["functions"]:
            fn = FunctionFact.from_raw(f)
            facts.functions[fn.qualname] = fn
        for c in raw["classes"]:
            cl = ClassFact.from_raw(c)
            facts.classes[cl.qualname] = cl
        imp = ImportFact
        facts.imports = [imp(*i) for i in raw["imports"]]
        facts.exports = dict(raw["exports"])
        facts.star_imports = list(raw["star_imports"])
        facts.extra = dict(raw["extra"])
        return facts
