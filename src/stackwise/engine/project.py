"""Linking: the whole project's modules, definitions, imports and call graph.

Built in the main process from every file's facts (fresh or cached). Call targets recorded per
file as qualified names are resolved here across modules: re-exports (`from .files import read`
in a package `__init__`), star imports, methods through the class hierarchy (`self.load()`), and
constructors (`Report()` runs `Report.__init__`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from stackwise.config import Settings
from stackwise.engine.cache import content_digest
from stackwise.engine.context import RawFinding
from stackwise.engine.facts import CallFact, ClassFact, FileFacts, FunctionFact
from stackwise.engine.inputs import read_input
from stackwise.findings import Frame, Severity

_MAX_DEPTH = 48  # nested resolutions (re-export -> star import -> base class ...) at most
_UNSET = object()


@dataclass
class Project:
    """The linked project. `files` maps display path -> facts."""

    files: dict[str, FileFacts]
    modules: dict[str, str] = field(default_factory=dict)  # module -> path
    functions: dict[str, tuple[str, FunctionFact]] = field(default_factory=dict)
    classes: dict[str, tuple[str, ClassFact]] = field(default_factory=dict)
    settings: Settings | None = None
    root: str = ""  # the project root on disk ('' when unknown); `files` are relative to it
    _resolved: dict[str, str | None] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)  # names being resolved (cycle guard)
    _mro: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inputs: dict[str, str | None] = field(default_factory=dict)
    """Files besides the analysed code that project rules read (`read_text`): path -> content
    digest, or None for a path looked for and not found. The runner re-checks them on a warm
    run, so a cached project result is reused only while none of them changed or appeared."""
    absent: Mapping[str, object] = field(default_factory=dict)
    """Modules of the project whose files were not analysed (see `reach_from_async`)."""
    wanted: set[str] = field(default_factory=set)
    """The `absent` modules a resolution looked into: without them, its answer may be wrong."""

    @classmethod
    def link(
        cls, files: dict[str, FileFacts], settings: Settings | None = None, root: str = "",
        absent: Mapping[str, object] | None = None,
    ) -> Project:
        project = cls(files, settings=settings, root=root, absent=absent or {})
        ambiguous: set[str] = set()
        for path in sorted(files):
            facts = files[path]
            if facts.module in project.modules or facts.module in project.absent:
                ambiguous.add(facts.module)
                continue
            project.modules[facts.module] = path
        for name in ambiguous:  # two files claim one module name: resolve neither
            project.modules.pop(name, None)
        for module, path in project.modules.items():
            facts = files[path]
            del module
            for q, fn in facts.functions.items():
                project.functions.setdefault(q, (path, fn))
            for q, c in facts.classes.items():
                project.classes.setdefault(q, (path, c))
        return project

    # -- resolution -------------------------------------------------------------------------------

    def resolve(self, target: str) -> str | None:
        """The project definition (function or class qualname) `target` names, if any.

        Every answer is memoised (a project holds each qualified name's facts once, and a large
        one asks about the same names thousands of times). A name met again while it is being
        resolved (a cycle of re-exports or star imports) counts as unresolved on that path, and
        chains longer than `_MAX_DEPTH` give up; queries come in a sorted order, so the answers
        are the same on every run.
        """
        if not target:
            return None
        cached = self._resolved.get(target, _UNSET)
        if cached is not _UNSET:
            return cached  # type: ignore[return-value]
        active = self._active
        if target in active or len(active) >= _MAX_DEPTH:
            return None
        active.add(target)
        try:
            result = self._resolve(target)
        finally:
            active.discard(target)
        self._resolved[target] = result
        return result

    def _resolve(self, target: str) -> str | None:
        if target in self.functions or target in self.classes:
            return target
        missing = 0  # parts of the module the answer would come from, if it is `absent`
        if self.absent:  # the longest module the name starts with, as the loop below finds it
            end = target.rfind(".")
            while end > 0:
                prefix = target[:end]
                if prefix in self.modules:
                    break
                if prefix in self.absent:
                    self.wanted.add(prefix)
                    missing = prefix.count(".") + 1
                    break
                end = target.rfind(".", 0, end)
        if target.partition(".")[0] not in self._roots:
            return None  # `logging.getLogger`, `asyncio.sleep`: no project module is named so
        # a method through the class hierarchy: pkg.mod.Class.method
        head, _, attr = target.rpartition(".")
        if head:
            cls = self.resolve_class(head)
            if cls is not None:
                return self.find_method(cls, attr)
        # a name re-exported by a module: pkg.name -> pkg.files.name
        parts = target.split(".")
        modules = self.modules
        for i in range(len(parts) - 1, 0, -1):
            if i < missing:  # the module that would answer was not analysed: no answer yet
                return None
            path = modules.get(".".join(parts[:i]))
            if path is None:
                continue
            facts = self.files[path]
            rest = parts[i:]
            exported = facts.exports.get(rest[0])
            if exported is not None and exported != target:
                return self.resolve(".".join([exported, *rest[1:]]))
            for star in facts.star_imports:
                found = self.resolve(".".join([star, *rest]))
                if found is not None:
                    return found
            return None
        return None

    def resolve_class(self, target: str, hops: int = 0) -> str | None:
        """The project class `target` names, if any. (`hops` is accepted for compatibility.)"""
        del hops
        if target in self.classes:
            return target
        found = self.resolve(target)
        return found if found is not None and found in self.classes else None

    def mro(self, cls: str) -> list[str]:
        """Approximate method resolution order over project classes (depth-first, no dupes)."""
        cached = self._mro.get(cls)
        if cached is not None:
            return list(cached)
        out: list[str] = []
        seen: set[str] = set()
        stack = [cls]
        while stack and len(out) < 64:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            out.append(current)
            _, fact = self.classes[current]
            bases = [self.resolve_class(b) for b in fact.bases if b]
            stack.extend(reversed([b for b in bases if b is not None]))
        self._mro[cls] = tuple(out)
        return out

    def find_method(self, cls: str, name: str) -> str | None:
        functions = self.functions
        for klass in self.mro(cls):
            q = f"{klass}.{name}"
            if q in functions:
                return q
        return None

    def call_target(self, call: CallFact) -> str | None:
        """The project function a call runs (a class call runs its `__init__`)."""
        resolved = self.resolve(call.target)
        if resolved is None:
            return None
        if resolved in self.classes:
            return self.find_method(resolved, "__init__")
        return resolved

    @cached_property
    def _roots(self) -> frozenset[str]:
        """The top-level names of the project's modules (every definition starts with one)."""
        return frozenset(m.partition(".")[0] for m in self.modules)

    def reach_from_async(self) -> set[str]:
        """The `absent` modules needed to follow every call made by an async function, and
        every call of the functions those reach, to its target.

        A module is needed when resolving one of those calls looked into it (for the name
        itself, a re-export, a star import or a base class). Once every needed module is
        linked, each of those calls resolves as it would with every file of the project
        linked: the answers of the rules that declare `async_reach` do not change."""
        self.wanted = set()
        functions = self.functions
        stack = sorted(q for q, (_, fn) in functions.items() if fn.is_async)
        seen = set(stack)
        while stack:
            for call in functions[stack.pop()][1].calls:
                target = self.call_target(call)
                if target is not None and target not in seen:
                    seen.add(target)
                    stack.append(target)
        return set(self.wanted)

    # -- other files ----------------------------------------------------------------------------

    def read_text(self, rel_path: str) -> str | None:
        """The UTF-8 text of a file of the project that is not Python (a template), or None.

        `rel_path` is POSIX and relative to the project root; paths that leave the root, files
        that are absent, unreadable, not UTF-8 or over `max-file-size` give None. Every path
        asked for is recorded in `inputs` with its digest (None when there was nothing to read),
        so that a change to it, or its appearance, re-runs the project rules on a warm run.
        """
        data = read_input(self.root, rel_path, self._max_size())
        self.inputs[rel_path] = None if data is None else content_digest(data)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def _max_size(self) -> int:
        return (self.settings or Settings()).max_file_size

    # -- views ---------------------------------------------------------------------------------

    def iter_functions(self) -> Iterator[tuple[str, FunctionFact]]:
        """(path, function) for every function, in a stable order."""
        for q in sorted(self.functions):
            yield self.functions[q]

    @cached_property
    def callers(self) -> dict[str, list[tuple[str, CallFact]]]:
        """Reverse call graph: callee qualname -> [(caller qualname, call)]."""
        out: dict[str, list[tuple[str, CallFact]]] = {}
        for q in sorted(self.functions):
            _, fn = self.functions[q]
            for call in fn.calls:
                target = self.call_target(call)
                if target is not None:
                    out.setdefault(target, []).append((q, call))
        return out

    def short_name(self, qualname: str) -> str:
        """`pkg.services.report.ReportService.build` -> `ReportService.build`."""
        if qualname in self.functions:
            fn = self.functions[qualname][1]
            if fn.class_qualname:
                return f"{fn.class_qualname.rsplit('.', 1)[-1]}.{fn.name}"
            return fn.name
        return qualname.rsplit(".", 1)[-1]


class ProjectReporter:
    """Collects findings from project rules, grouped by path."""

    def __init__(self) -> None:
        self.findings: dict[str, list[RawFinding]] = {}

    def report(
        self,
        rule: type | object,
        path: str,
        line: int,
        column: int,
        message: str,
        *,
        end_line: int = 0,
        end_column: int = 0,
        function: str = "",
        chain: tuple[Frame, ...] = (),
        severity: Severity | None = None,
    ) -> None:
        code: str = getattr(rule, "code")  # noqa: B009 - rule class or instance
        sev = severity or getattr(rule, "severity")  # noqa: B009
        self.findings.setdefault(path, []).append((
            line, column, end_line or line, end_column or column, code, message, str(sev),
            function, tuple((f.path, f.line, f.function) for f in chain),
        ))

