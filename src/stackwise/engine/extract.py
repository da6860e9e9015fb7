"""One pass over one file: run every per-file rule and extract the file's facts.

The traversal is iterative (analysed code may nest deeper than Python's recursion limit) and
dispatches each node to the rules that asked for its type, so adding rules does not add passes.
A rule that raises is turned into one `SW001` finding for that file and switched off for the rest
of it; the other rules go on.
"""

from __future__ import annotations

import ast
import re
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stackwise.engine.context import FileContext, RawFinding
from stackwise.engine.facts import CallFact, ClassFact, FileFacts, FunctionFact, ImportFact
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Scope, collect_attr_types, import_target
from stackwise.engine.source import Source, Unanalysable, decode, parse

if TYPE_CHECKING:
    from stackwise.config import Settings
    from stackwise.rules._api import Rule

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


class _Enter:
    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope


class _Exit:
    __slots__ = ("fact", "scope")

    def __init__(self, scope: Scope | None, fact: FunctionFact | None) -> None:
        self.scope = scope
        self.fact = fact


def _display(expr: ast.expr) -> str:
    parts: list[str] = []
    node: ast.expr = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_display(node.func) + "()")
    else:
        parts.append("…")
    return ".".join(reversed(parts))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class Extractor:
    """Walks one parsed module once, feeding rules and building `FileFacts`."""

    def __init__(self, ctx: FileContext, rules: Sequence[Rule], verbose: bool = False) -> None:
        self.ctx = ctx
        self.verbose = verbose
        self.dispatch: dict[type[ast.AST], list[Rule]] = {}
        for rule in rules:
            for t in rule.node_types:
                self.dispatch.setdefault(t, []).append(rule)
        self.rules = list(rules)
        self.broken: set[str] = set()
        self.function_stack: list[FunctionFact] = []

    def _fail(self, rule: Rule, node: ast.AST | None, exc: BaseException) -> None:
        self.broken.add(rule.code)
        where = f" at line {getattr(node, 'lineno', '?')}" if node is not None else ""
        msg = (f"internal error in rule {rule.code} on this file{where}: "
               f"{type(exc).__name__}: {exc}; the other rules still ran")
        if self.verbose:
            msg += "\n" + "".join(traceback.format_exception(exc))
        self.ctx.findings.append((1, 1, 1, 1, "SW001", msg, "error", "", ()))
        for lst in self.dispatch.values():
            if rule in lst:
                lst.remove(rule)

    def run(self, tree: ast.Module) -> None:
        ctx = self.ctx
        module_scope = Scope("module", tree, ctx.module, None)
        ctx.scope = module_scope
        parents = ctx.parents
        dispatch = self.dispatch
        stack: list[Any] = [tree]
        pop = stack.pop
        push = stack.append
        scope_nodes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
        while stack:
            item = pop()
            cls = item.__class__
            if cls is _Enter:
                ctx.scope = item.scope
                continue
            if cls is _Exit:
                ctx.scope = item.scope
                if item.fact is not None:
                    self.function_stack.pop()
                continue
            node: ast.AST = item
            handlers = dispatch.get(cls)
            if handlers:
                for rule in list(handlers):
                    try:
                        rule.visit(node, ctx)
                    except Exception as exc:  # a rule bug must not stop the run
                        self._fail(rule, node, exc)
            self._fact(node, cls)
            if cls in scope_nodes:
                self._push_scope(node, push, parents)
                continue
            children = []
            for field in node._fields:
                value = getattr(node, field, None)
                if value.__class__ is list:
                    for v in value:
                        if isinstance(v, ast.AST):
                            children.append(v)
                elif isinstance(value, ast.AST):
                    children.append(value)
            for child in reversed(children):
                parents[child] = node
                push(child)
        ctx.scope = module_scope
        for rule in self.rules:
            if rule.code in self.broken:
                continue
            try:
                rule.end_file(ctx)
            except Exception as exc:
                self._fail(rule, None, exc)
        self._exports(module_scope)

    # -- scopes ---------------------------------------------------------------------------------

    def _push_scope(self, node: Any, push: Any, parents: dict[ast.AST, ast.AST]) -> None:
        ctx = self.ctx
        outer = ctx.scope
        assert outer is not None
        outer_parts: list[ast.AST] = []
        body: list[ast.AST]
        fact: FunctionFact | None = None
        if isinstance(node, ast.Lambda):
            scope = Scope("lambda", node, f"{outer.qualname}.<lambda>", outer)
            outer_parts += node.args.defaults + [d for d in node.args.kw_defaults if d]
            body = [node.body]
        elif isinstance(node, ast.ClassDef):
            qual = f"{outer.qualname}.{node.name}"
            scope = Scope("class", node, qual, outer)
            scope.attr_types = collect_attr_types(node)
            outer_parts += node.decorator_list + node.bases + [k.value for k in node.keywords]
            body = list(node.body)
            bases = tuple(ctx.resolver.qualname(b, outer) or "" for b in node.bases)
            decos = tuple(self._deco(d, outer) for d in node.decorator_list)
            ctx.facts.classes[qual] = ClassFact(qual, node.name, node.lineno, bases, decos)
        else:
            qual = f"{outer.qualname}.{node.name}"
            class_qual = outer.qualname if outer.kind == "class" else ""
            scope = Scope("function", node, qual, outer, is_async=isinstance(
                node, ast.AsyncFunctionDef), class_qualname=class_qual)
            args = node.args
            outer_parts += node.decorator_list + args.defaults
            outer_parts += [d for d in args.kw_defaults if d]
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None and a.annotation is not None:
                    outer_parts.append(a.annotation)
            if node.returns is not None:
                outer_parts.append(node.returns)
            body = list(node.body)
            fact = FunctionFact(
                qualname=qual, name=node.name, line=node.lineno,
                column=node.col_offset + 1, is_async=scope.is_async,
                class_qualname=class_qual,
                decorators=tuple(self._deco(d, outer) for d in node.decorator_list),
                is_generator=False,
            )
            ctx.facts.functions.setdefault(qual, fact)
        push(_Exit(outer, fact))
        for child in reversed(body):
            parents[child] = node
            push(child)
        push(_Enter(scope))
        if fact is not None:
            self.function_stack.append(fact)
        for child in reversed(outer_parts):
            parents[child] = node
            push(child)

    def _deco(self, deco: ast.expr, scope: Scope) -> str:
        target = deco.func if isinstance(deco, ast.Call) else deco
        return self.ctx.resolver.qualname(target, scope) or ""

    # -- facts ------------------------------------------------------------------------------------

    def _fact(self, node: ast.AST, cls: type) -> None:
        ctx = self.ctx
        if cls is ast.Call:
            if not self.function_stack or ctx.scope is None or ctx.scope.kind != "function":
                return
            call: ast.Call = node  # type: ignore[assignment]
            fact = self.function_stack[-1]
            target = ctx.resolver.qualname(call.func, ctx.scope) or ""
            parent = ctx.parents.get(call)
            src = ctx.source
            line = call.lineno
            end_line = call.end_lineno or line
            fact.calls.append(CallFact(
                target=canonical(target) if target else "",
                display=_display(call.func),
                line=line,
                column=src.char_column(line, call.col_offset),
                end_line=end_line,
                end_column=src.char_column(end_line, call.end_col_offset or 0),
                awaited=isinstance(parent, ast.Await),
                statement=isinstance(parent, ast.Expr),
            ))
        elif cls is ast.Import or cls is ast.ImportFrom:
            self._import(node)
        elif (cls is ast.Yield or cls is ast.YieldFrom) and self.function_stack and (
            ctx.scope is not None and ctx.scope.kind == "function"
        ):
            self.function_stack[-1].is_generator = True

    def _import(self, node: Any) -> None:
        ctx = self.ctx
        module_level = ctx.scope is not None and ctx.scope.kind == "module"
        type_checking = False
        p = ctx.parents.get(node)
        while p is not None:
            if isinstance(p, ast.If) and _is_type_checking(p.test):
                type_checking = True
                break
            p = ctx.parents.get(p)
        col = node.col_offset + 1
        if isinstance(node, ast.Import):
            for alias in node.names:
                ctx.facts.imports.append(
                    ImportFact(alias.name, node.lineno, col, module_level, type_checking))
        else:
            base = import_target(node, ctx.module, ctx.is_package)
            if not base:
                return
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                ctx.facts.imports.append(
                    ImportFact(target, node.lineno, col, module_level, type_checking))

    def _exports(self, module_scope: Scope) -> None:
        facts = self.ctx.facts
        for name, b in self.ctx.resolver.bindings(module_scope).items():
            if b.kind in ("import", "def", "class") and b.target:
                facts.exports[name] = b.target
        facts.star_imports = list(self.ctx.resolver.star_imports)


# -- suppressions ---------------------------------------------------------------------------------

_SUPPRESS = re.compile(
    r"#\s*(?:stackwise:\s*ignore(?:\[(?P<codes>[A-Z0-9,\s]*)\])?|noqa:\s*(?P<noqa>[A-Z0-9,\s]+))"
)


def suppressions(source: Source) -> dict[int, tuple[str, ...]]:
    """Line -> suppressed codes (empty tuple: every code) from `# stackwise: ignore[...]`.

    `# noqa: CODE` is honoured for our codes; a bare `# noqa` is not (see docs/suppressions.md).
    """
    text = source.text
    if "stackwise:" not in text and "noqa" not in text:
        return {}
    out: dict[int, tuple[str, ...]] = {}
    for i, line in enumerate(source.lines, start=1):
        if "#" not in line:
            continue
        for m in _SUPPRESS.finditer(line):
            raw = m.group("noqa") if m.group("noqa") is not None else m.group("codes")
            codes = tuple(c.strip() for c in (raw or "").split(",") if c.strip())
            if not codes and m.group("noqa") is None:
                out[i] = ()  # bare `# stackwise: ignore`: every code on this line
            elif codes and out.get(i) != ():
                out[i] = out.get(i, ()) + codes
    return out


# -- one file -------------------------------------------------------------------------------------

FileResult = dict[str, Any]
"""Plain data: {"findings": [RawFinding...], "facts": raw FileFacts | None,
"suppress": {line: [codes]}} — what the cache stores and the linker reads."""


def analyse_source(
    data: bytes,
    path: str,
    module: str,
    is_package: bool,
    settings: Settings,
    rules: Sequence[type[Rule]],
    verbose: bool = False,
) -> FileResult:
    """Analyse one file's bytes. Never raises for anything about the file's content."""
    facts = FileFacts(module, is_package)
    try:
        source = decode(data)
        tree = parse(source, path)
    except Unanalysable as exc:
        finding: RawFinding = (exc.line, exc.column, exc.line, exc.column, "SW000",
                               f"could not analyse: {exc.reason}", "error", "", ())
        return {"findings": [finding], "facts": None, "suppress": {}}
    ctx = FileContext(path, source, module, is_package, settings, facts)
    extractor = Extractor(ctx, [r() for r in rules], verbose=verbose)
    try:
        extractor.run(tree)
    except (RecursionError, MemoryError):
        finding = (1, 1, 1, 1, "SW000", "could not analyse: the code is nested too deeply",
                   "error", "", ())
        return {"findings": [finding], "facts": None, "suppress": {}}
    seen: set[tuple[int, int, str]] = set()
    findings: list[RawFinding] = []
    for f in ctx.findings:
        key = (f[0], f[1], f[4])
        if key not in seen:
            seen.add(key)
            findings.append(f)
    return {
        "findings": findings,
        "facts": facts.to_raw(),
        "suppress": {str(k): list(v) for k, v in suppressions(source).items()},
    }
