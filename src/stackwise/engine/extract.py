"""One pass over one file: run every per-file rule and extract the file's facts.

The traversal is iterative (analysed code may nest deeper than Python's recursion limit) and
dispatches each node to the rules that asked for its type, so adding rules does not add passes.
A rule that raises is turned into one `SW001` finding for that file and switched off for the rest
of it; the other rules go on.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import io
import re
import tokenize
import traceback
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from stackwise.engine.context import FileContext, RawFinding
from stackwise.engine.facts import CallFact, ClassFact, FileFacts, FunctionFact, ImportFact
from stackwise.engine.scope import (
    CHILD_FIELDS,
    CHILD_FIELDS_WITH_SINGLETONS,
    MANY,
    ONE,
    SINGLETON_TYPES,
    Scope,
    import_target,
)
from stackwise.engine.source import (
    TOO_DEEP,
    Source,
    Unanalysable,
    decode,
    fixed_recursion_headroom,
    parse,
    parses,
)

if TYPE_CHECKING:
    from stackwise.config import Settings
    from stackwise.rules._api import Rule

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_NODES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_FACT_NODES = frozenset({ast.Call, ast.Import, ast.ImportFrom, ast.Yield, ast.YieldFrom})
_SINGLETON_BASES = tuple(getattr(ast, name) for name in sorted(SINGLETON_TYPES))


class _Enter:
    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope


class _Exit:
    __slots__ = ("fact", "scope")

    def __init__(self, scope: Scope | None, fact: FunctionFact | None) -> None:
        self.scope = scope
        self.fact = fact


_DISPLAY_PARTS = 40


def _display(expr: ast.expr) -> str:
    """How a callee is written (`requests.get`, `make().run`). Iterative and cut after
    `_DISPLAY_PARTS` parts, as chains of calls and attributes in analysed code may be longer than
    Python's recursion limit (and a chain of n calls would otherwise cost n² here)."""
    tail: list[str] = []
    node: ast.expr = expr
    while len(tail) < _DISPLAY_PARTS:
        if isinstance(node, ast.Attribute):
            tail.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            tail.append("()")
            node = node.func
        else:
            break
    head = node.id if isinstance(node, ast.Name) else "…"
    return head + "".join(reversed(tail))


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
        # `Load`, `Add`... are walked only if a rule asked for one of them
        self.child_fields = CHILD_FIELDS_WITH_SINGLETONS if any(
            issubclass(t, _SINGLETON_BASES) for t in self.dispatch) else CHILD_FIELDS

    def _fail(self, rule: Rule, node: ast.AST | None, exc: BaseException) -> None:
        self.broken.add(rule.code)
        where = f" at line {getattr(node, 'lineno', '?')}" if node is not None else ""
        self.ctx.findings.append(internal_error(
            f"internal error in rule {rule.code} on this file{where}", exc, self.verbose))
        for t, lst in self.dispatch.items():
            if rule in lst:  # a new list: the traversal may be iterating over the old one
                self.dispatch[t] = [r for r in lst if r is not rule]

    def run(self, tree: ast.Module) -> None:
        ctx = self.ctx
        module_scope = Scope("module", tree, ctx.module, None)
        ctx.scope = module_scope
        parents = ctx.parents
        dispatch = self.dispatch
        fields_of = self.child_fields
        reversed_fields: dict[type, tuple[tuple[str, str], ...]] = {}
        fact_nodes = _FACT_NODES
        scope_nodes = _SCOPE_NODES
        stack: list[Any] = [tree]
        pop = stack.pop
        push = stack.append
        extend = stack.extend
        while stack:
            node = pop()
            cls = node.__class__
            if cls is _Enter:
                ctx.scope = node.scope
                continue
            if cls is _Exit:
                ctx.scope = node.scope
                if node.fact is not None:
                    self.function_stack.pop()
                continue
            handlers = dispatch.get(cls)
            if handlers:
                for rule in handlers:
                    try:
                        rule.visit(node, ctx)
                    except Exception as exc:  # a rule bug must not stop the run
                        self._fail(rule, node, exc)
            if cls in fact_nodes:
                self._fact(node, cls)
            if cls in scope_nodes:
                self._push_scope(node, push, parents)
                continue
            # children in reverse, so that they are visited in source order
            spec = reversed_fields.get(cls)
            if spec is None:
                spec = reversed_fields[cls] = tuple(reversed(fields_of[cls]))
            for name, kind in spec:
                value = getattr(node, name, None)
                if value is None:
                    continue
                if kind is ONE:
                    parents[value] = node
                    push(value)
                    continue
                if kind is not MANY:
                    value = [v for v in value if isinstance(v, ast.AST)]
                if value:
                    parents.update(dict.fromkeys(value, node))
                    extend(reversed(value))
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
            outer_parts += node.decorator_list + node.bases + [k.value for k in node.keywords]
            body = list(node.body)
            bases = tuple(ctx.resolver.qualname(  # `Base[T]` (a generic) is `Base`
                b.value if isinstance(b, ast.Subscript) else b, outer) or "" for b in node.bases)
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
            target = ctx.qualname(call.func) or ""  # memoised: rules asked already
            parent = ctx.parents.get(call)
            src = ctx.source
            line = call.lineno
            end_line = call.end_lineno or line
            fact.calls.append(CallFact(
                target=target,
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
    r"#\s*(?:stackwise:\s*ignore(?:\[(?P<codes>[^\]#]*)\]|(?![\w\[-]))"
    r"|(?i:noqa)\s*:\s*(?P<noqa>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*))"
)
_CODE = re.compile(r"[A-Z]+[0-9]*")
# The letters every stackwise code starts with (a test checks each rule's code against it).
# A comment that only names other tools' codes (`noqa` with E501, F401) cannot hide a finding of
# ours, and its line is not worth tokenizing the file for (368 such Home Assistant files).
FAMILIES = frozenset({"ASY", "DJA", "ERR", "FAS", "FLK", "LAY", "SW", "TST", "TYP"})
_LETTERS = re.compile(r"[A-Z]+")


def _ours(m: re.Match[str]) -> bool:
    """Whether a suppression comment may name a stackwise code."""
    noqa = m.group("noqa")
    if noqa is None:
        return True  # `# stackwise: ignore...`
    return any(_LETTERS.match(c).group() in FAMILIES  # type: ignore[union-attr]
               for c in noqa.replace(",", " ").split())


def suppressions(source: Source) -> dict[int, tuple[str, ...]]:
    """Line -> suppressed codes (empty tuple: every code) from `# stackwise: ignore[...]`.

    `# stackwise: ignore` alone hides every code on its line; `# stackwise: ignore[ASY100, FAS]`
    hides those codes and prefixes (case does not matter; a list with no valid code hides
    nothing rather than everything). `# noqa: CODE` is honoured for our codes; a bare `# noqa`
    is not, so other linters' blanket suppressions cannot hide our findings
    (see docs/reliability.md).
    """
    text = source.text
    if "stackwise:" not in text and "noqa" not in text and "NOQA" not in text:
        return {}
    candidates = [(i, line) for i, line in enumerate(source.lines, start=1)
                  if "#" in line and any(_ours(m) for m in _SUPPRESS.finditer(line))]
    if not candidates:
        return {}
    comments = _comments(text)  # a marker inside a string literal is not a comment
    out: dict[int, tuple[str, ...]] = {}
    for i, line in candidates:
        if comments is not None:
            line = comments.get(i, "")
        for m in _SUPPRESS.finditer(line):
            noqa = m.group("noqa")
            if noqa is not None:
                codes = tuple(noqa.replace(",", " ").split())
            elif m.group("codes") is None:
                out[i] = ()  # bare `# stackwise: ignore`: every code on this line
                continue
            else:
                words = m.group("codes").upper().replace(",", " ").split()
                codes = tuple(w for w in words if _CODE.fullmatch(w))
            if codes and out.get(i) != ():
                out[i] = out.get(i, ()) + codes
    return out


def _comments(text: str) -> dict[int, str] | None:
    """Line -> the comment on it, from Python's tokenizer (None if it cannot tokenize the text:
    then the markers are read from the lines as they are)."""
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


# -- one file -------------------------------------------------------------------------------------

FileResult = dict[str, Any]
"""Plain data: {"findings": [RawFinding...], "facts": raw FileFacts | None,
"suppress": {line: [codes]}} — what the cache stores and the linker reads."""


NOT_ANALYSED = False
"""The facts of a file that was read and found to parse, but not analysed, because the rules
that run cannot report on it nor need it (`skim`). Unlike None (a file with no facts: it did
not parse), such a file is analysed as soon as the project needs its facts."""


Needs = tuple[tuple[tuple[str, ...], str], ...]
"""(words, pattern) pairs, one per rule: a rule may report on a text that contains one of its
words and matches its pattern (if any): `Rule.requires_text` and `Rule.requires_match`."""


def needed(text: str, words: Sequence[str], pattern: str) -> bool:
    """Whether a rule with these `requires_text` words and `requires_match` pattern may report
    on this text."""
    if words and not any(w in text for w in words):
        return False
    return not pattern or _regex(pattern).search(text) is not None


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def skim(data: bytes, path: str, needs: Needs) -> FileResult | None:
    """The result of a file that the rules that run need only if they reach it: read, found
    to parse, and not analysed (facts `NOT_ANALYSED`). None when it must be analysed now: some
    rule of `needs` may report on it, or it may not decode or parse (then the analysis gives
    the reason, exactly as it would have)."""
    with fixed_recursion_headroom():
        try:
            source = decode(data)
        except Unanalysable:
            return None
        text = source.text
        if any(needed(text, w, p) for w, p in needs) or not parses(source, path):
            return None
    return {"findings": [], "facts": NOT_ANALYSED, "suppress": {}}


def analyse_source(
    data: bytes,
    path: str,
    module: str,
    is_package: bool,
    settings: Settings,
    rules: Sequence[type[Rule]],
    verbose: bool = False,
) -> FileResult:
    """Analyse one file's bytes. Never raises for anything about the file's content.

    A rule that raises is one `SW001` for that rule (the others go on); a bug in the engine itself
    on this file is one `SW001` for the file; nesting too deep for the parser or the analysis is
    one `SW000`. The recursion headroom is the same whatever the caller's stack depth, so these
    outcomes do not depend on where the analysis runs (worker process, main process, tests).
    """
    with fixed_recursion_headroom(), _gc_paused():
        return _analyse(data, path, module, is_package, settings, rules, verbose)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is analysed.

    A parsed module is hundreds of thousands of young objects that live until the file is done,
    so the collector would scan them again and again (a third of the parse time) to find nothing:
    a tree holds no reference cycles and is freed by reference counting when it is dropped. Any
    cyclic garbage a rule makes is collected after the file, when collection resumes.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _sw(code: str, message: str, line: int = 1, column: int = 1) -> RawFinding:
    return (line, column, line, column, code, message, "error", "", ())


def _analyse(
    data: bytes,
    path: str,
    module: str,
    is_package: bool,
    settings: Settings,
    rules: Sequence[type[Rule]],
    verbose: bool,
) -> FileResult:
    facts = FileFacts(module, is_package)
    source: Source | None = None
    try:
        source = decode(data)
        tree = parse(source, path)
    except Unanalysable as exc:
        suppress = _suppress(source)
        finding = _sw("SW000", f"could not analyse: {exc.reason}", exc.line, exc.column)
        return {"findings": [finding], "facts": None, "suppress": suppress}
    except (RecursionError, MemoryError):
        return {"findings": [_sw("SW000", f"could not analyse: {TOO_DEEP}")], "facts": None,
                "suppress": _suppress(source)}
    ctx = FileContext(path, source, module, is_package, settings, facts)
    instances: list[Rule] = []
    broken: list[RawFinding] = []
    text = source.text
    answers: dict[tuple[tuple[str, ...], str], bool] = {}  # rules share words and patterns
    for rule_cls in rules:
        scope_of_rule = (rule_cls.requires_text, rule_cls.requires_match)
        wanted = answers.get(scope_of_rule)
        if wanted is None:
            wanted = answers[scope_of_rule] = needed(text, *scope_of_rule)
        if not wanted:
            continue  # nothing in this file the rule could report on
        try:
            instances.append(rule_cls())
        except Exception as exc:  # a rule bug must not stop the run
            broken.append(internal_error(
                f"internal error in rule {getattr(rule_cls, 'code', rule_cls.__name__)} on "
                "this file", exc, verbose))
    ctx.findings.extend(broken)
    extractor = Extractor(ctx, instances, verbose=verbose)
    raw_facts: dict[str, Any] | None
    try:
        extractor.run(tree)
        raw_facts = facts.to_raw()
    except (RecursionError, MemoryError):
        return {"findings": [_sw("SW000", f"could not analyse: {TOO_DEEP}")], "facts": None,
                "suppress": _suppress(source)}
    except Exception as exc:  # a bug in the engine: this file only, the run goes on
        ctx.findings.append(internal_error(
            "internal error in stackwise while analysing this file", exc, verbose))
        raw_facts = None
    seen: set[tuple[int, int, str, str]] = set()
    findings: list[RawFinding] = []
    for f in ctx.findings:
        key = (f[0], f[1], f[4], f[5] if f[4] == "SW001" else "")
        if key not in seen:
            seen.add(key)
            findings.append(f)
    return {"findings": findings, "facts": raw_facts, "suppress": _suppress(source)}


def internal_error(what: str, exc: BaseException, verbose: bool) -> RawFinding:
    """The `SW001` for a bug in a rule or in stackwise: what went wrong, and the traceback
    with `verbose` (per-file and project rules alike)."""
    msg = (f"{what}: {type(exc).__name__}: {exc}; the other rules still ran; please report it "
           "(`--verbose` adds the traceback)")
    if verbose:
        msg += "\n" + "".join(traceback.format_exception(exc))
    return _sw("SW001", msg)


def _suppress(source: Source | None) -> dict[str, list[str]]:
    if source is None:
        return {}
    return {str(k): list(v) for k, v in suppressions(source).items()}
