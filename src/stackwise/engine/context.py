"""`FileContext`: what a per-file rule sees while the engine walks one file."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from stackwise.engine.facts import FileFacts
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Resolver, Scope
from stackwise.engine.source import Source
from stackwise.findings import Frame, Severity

if TYPE_CHECKING:
    from stackwise.config import Settings
    from stackwise.rules._api import Rule

# A finding as the worker produces it (plain data, cacheable):
# (line, column, end_line, end_column, code, message, severity, function, chain)
RawFinding = tuple[int, int, int, int, str, str, str, str, tuple[tuple[str, int, str], ...]]


class FileContext:
    """The state of the traversal of one file and the services rules use."""

    def __init__(
        self,
        path: str,
        source: Source,
        module: str,
        is_package: bool,
        settings: Settings,
        facts: FileFacts,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.is_package = is_package
        self.settings = settings
        self.facts = facts
        self.resolver = Resolver(module, is_package)
        self.scope: Scope | None = None  # set by the traversal
        self.parents: dict[ast.AST, ast.AST] = {}
        self.findings: list[RawFinding] = []
        self._imported_roots: frozenset[str] | None = None
        self._qualnames: dict[tuple[ast.expr, Scope], str | None] = {}
        # what rule helpers work out once per file and share (keyed by the helper's name)
        self.shared: dict[str, Any] = {}

    # -- where we are ---------------------------------------------------------------------------

    @property
    def function_scope(self) -> Scope | None:
        """The innermost function or lambda scope (None at module or class level)."""
        scope = self.scope
        if scope is not None and scope.kind in ("function", "lambda"):
            return scope
        return None

    @property
    def in_async(self) -> bool:
        """True inside the body of an `async def` (not inside a nested def, lambda or class)."""
        scope = self.scope
        return scope is not None and scope.kind == "function" and scope.is_async

    @property
    def function_qualname(self) -> str:
        scope = self.scope
        while scope is not None and scope.kind not in ("function",):
            if scope.kind == "module":
                return ""
            scope = scope.parent
        return scope.qualname if scope is not None else ""

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    # -- names ------------------------------------------------------------------------------------

    def qualname(self, expr: ast.expr) -> str | None:
        """Qualified name of what `expr` refers to (for instances: their type), or None.

        Memoised per (node, scope): many rules ask about the same call, and the engine asks
        again for the file's facts."""
        scope = self.scope
        assert scope is not None
        key = (expr, scope)
        memo = self._qualnames
        if key in memo:
            return memo[key]
        name = self.resolver.qualname(expr, scope)
        result = canonical(name) if name else None
        memo[key] = result
        return result

    def call_target(self, call: ast.Call) -> str | None:
        """Qualified name of the callee of `call`, e.g. `requests.get`, `httpx.Client.get`."""
        return self.qualname(call.func)

    def imports(self, root: str) -> bool:
        """Whether this file imports module `root` or anything under it (framework detection)."""
        if self._imported_roots is None:
            roots: set[str] = set()
            for imp in self.facts.imports:
                parts = imp.target.split(".")
                for i in range(1, len(parts) + 1):
                    roots.add(".".join(parts[:i]))
            self._imported_roots = frozenset(roots)
        return root in self._imported_roots

    # -- output -------------------------------------------------------------------------------------

    def report(
        self,
        rule: type[Rule] | Rule,
        node: ast.AST,
        message: str,
        *,
        severity: Severity | None = None,
        chain: tuple[Frame, ...] = (),
    ) -> None:
        line = getattr(node, "lineno", 1)
        col = self.source.char_column(line, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or line
        end_col = self.source.char_column(end_line, getattr(node, "end_col_offset", None) or 0)
        sev = severity or rule.severity
        self.findings.append((
            line, col, end_line, end_col, rule.code, message, str(sev),
            self.function_qualname, tuple((f.path, f.line, f.function) for f in chain),
        ))

    def add_fact(self, key: str, value: Any) -> None:
        """Contribute plain data (str/int/float/bool/None, lists, dicts) for project rules.

        Values under the same key are collected in a list in `FileFacts.extra[key]`."""
        self.facts.extra.setdefault(key, []).append(value)
