"""Scopes and name resolution: which qualified name (or type) an expression refers to.

Resolution is static and deliberately modest. It follows imports and aliases
(`import requests as r`, `from time import sleep`, relative imports), local definitions,
annotations and simple assignments, and gives up (returns None) on anything else, so that rules
built on it stay conservative. A name bound in a function (a parameter, an assignment) shadows
the import of the same name; a name nothing binds resolves to itself, which lets a well-known
module used without an import (`requests.get` in a snippet) still be recognised.

A name bound more than once in a scope is unknown, except in straight-line code: when every
binding is a simple statement of the scope's own body (`f: TextIO = ...`, `f = open(p)`,
`import x`, `def f`), a use in that body sees the last binding before the statement it is in.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass

from stackwise.engine.known_types import RETURNS, STICKY, canonical

BUILTIN_NAMES = frozenset(dir(builtins))

_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SCOPE_NODE_SET = frozenset(_SCOPE_NODES)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Every node class `Resolver._collect` looks at; anything else binds nothing.
_BINDERS = frozenset({
    ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.ClassDef, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With,
    ast.AsyncWith, ast.ExceptHandler, ast.NamedExpr, ast.comprehension, ast.MatchAs,
    ast.MatchStar, ast.MatchMapping, ast.Delete,
})
# Statements that bind a name and nothing else, so a binding made by one of them, directly in a
# scope's body, holds from the next statement on (see `Binding.steps`).
_STRAIGHT = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Delete)


@dataclass(slots=True)
class Binding:
    """What a name is bound to in one scope.

    kind: "import" (target is a qualified name), "def"/"class" (target is the qualified name of
    the definition), "var" (value is the assigned expression, if it was one simple assignment),
    "param" (annotation is the annotation expression, if any), "self" (target is the class),
    "unknown" (bound, but nothing useful is known: it shadows outer bindings).

    steps: for an "unknown" name bound several times, each time by a simple statement of the
    scope's own body, the bindings in order with the index of their statement in that body
    (-1 for parameters); a use in the same body resolves to the last one before it.
    """

    kind: str
    target: str = ""
    value: ast.expr | None = None
    annotation: ast.expr | None = None
    steps: tuple[tuple[int, Binding], ...] | None = None


@dataclass(slots=True, eq=False)
class Scope:
    """A module, class, function or lambda body."""

    kind: str  # "module" | "class" | "function" | "lambda"
    node: ast.AST
    qualname: str
    parent: Scope | None
    is_async: bool = False
    class_qualname: str = ""  # for methods: the class they are defined in
    _bindings: dict[str, Binding] | None = None
    _starts: list[tuple[int, int]] | None = None  # where each statement of the body starts
    _attr_types: dict[str, tuple[str, ast.expr] | None] | None = None

    @property
    def attr_types(self) -> dict[str, tuple[str, ast.expr] | None]:
        """For a class: what its body says about `self.x` (worked out on first use)."""
        if self._attr_types is None:
            node = self.node
            self._attr_types = collect_attr_types(node) if isinstance(node, ast.ClassDef) else {}
        return self._attr_types


def relative_base(module: str, is_package: bool, level: int) -> str:
    """The package a `from .x import y` of this `level` is relative to ('' if it escapes)."""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        if level - 1 > len(parts):
            return ""
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts)


def import_target(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ImportFrom imports from."""
    if node.level:
        base = relative_base(module, is_package, node.level)
        if node.module:
            return f"{base}.{node.module}" if base else node.module
        return base
    return node.module or ""


def iter_scope_statements(body: list[ast.stmt],
                          only: frozenset[type] | None = None) -> Iterator[ast.AST]:
    """Every node in a scope's body that belongs to that scope (nested scopes not entered),
    or with `only`, those of these classes (the walk is the same; fewer are handed out).

    Iterative on purpose: analysed code may nest deeper than Python's recursion limit. The
    context and operator singletons (`Load`, `Add`, ...) are not yielded: they bind nothing.
    """
    stack: list[ast.AST] = list(reversed(body))
    pop = stack.pop
    push = stack.append
    extend = stack.extend
    fields_of = CHILD_FIELDS
    scope_nodes = _SCOPE_NODE_SET
    while stack:
        node = pop()
        cls = node.__class__
        if only is None or cls in only:
            yield node
        if cls in scope_nodes:
            # the name, decorators, defaults and bases belong to this scope, the body does not
            if cls is ast.Lambda:
                lam: ast.Lambda = node  # type: ignore[assignment]
                extend(lam.args.defaults)
                extend(d for d in lam.args.kw_defaults if d is not None)
                continue
            extend(node.decorator_list)  # type: ignore[attr-defined]
            if cls is ast.ClassDef:
                extend(node.bases)  # type: ignore[attr-defined]
                extend(k.value for k in node.keywords)  # type: ignore[attr-defined]
            else:
                args: ast.arguments = node.args  # type: ignore[attr-defined]
                extend(args.defaults)
                extend(d for d in args.kw_defaults if d is not None)
            continue
        for name, kind in fields_of[cls]:
            value = getattr(node, name, None)
            if value is None:
                continue
            if kind is ONE:
                push(value)
            elif kind is MANY:
                extend(value)
            else:
                extend(v for v in value if isinstance(v, ast.AST))


# -- fast iteration over child nodes ----------------------------------------------------------
#
# `ast.iter_child_nodes` looks at every field of every node and yields the `Load`/`Store`/`Add`
# singletons too. The engine walks every node of every file, so it uses a table instead: for each
# node class, the fields that can hold nodes, read once from the class's ASDL signature (its
# docstring, e.g. "Attribute(expr value, identifier attr, expr_context ctx)").

ONE = "one"  # a node or None
MANY = "many"  # a list of nodes
CHECKED = "checked"  # a list that may hold None (Dict.keys, kw_defaults) or anything else

_LEAF_TYPES = frozenset({"identifier", "string", "int", "constant", "object", "bytes"})
SINGLETON_TYPES = frozenset({"expr_context", "operator", "boolop", "unaryop", "cmpop"})
_MAY_HOLD_NONE = frozenset({("Dict", "keys"), ("arguments", "kw_defaults")})
_FIELD = re.compile(r"\s*(\w+)([*?]?)\s+(\w+)\s*")


def child_fields(cls: type, singletons: bool = False) -> tuple[tuple[str, str], ...]:
    """(field, ONE | MANY | CHECKED) for each field of `cls` that can hold child nodes, in
    `_fields` order; the context/operator singleton fields only when `singletons` is true."""
    fields: tuple[str, ...] = getattr(cls, "_fields", ())
    if not fields:
        return ()
    doc = (cls.__doc__ or "").strip().splitlines()
    head = f"{cls.__name__}("
    if not doc or not doc[0].startswith(head) or not doc[0].endswith(")"):
        return tuple((f, CHECKED) for f in fields)
    parsed: list[tuple[str, str, str]] = []
    for item in doc[0][len(head):-1].split(","):
        m = _FIELD.fullmatch(item)
        if m is None:
            return tuple((f, CHECKED) for f in fields)
        parsed.append((m.group(1), m.group(2), m.group(3)))
    if tuple(p[2] for p in parsed) != fields:
        return tuple((f, CHECKED) for f in fields)
    out: list[tuple[str, str]] = []
    for type_name, quantifier, name in parsed:
        if type_name in _LEAF_TYPES or (type_name in SINGLETON_TYPES and not singletons):
            continue
        if quantifier == "*":
            many = (cls.__name__, name) not in _MAY_HOLD_NONE
            out.append((name, MANY if many else CHECKED))
        else:
            out.append((name, ONE))
    return tuple(out)


class _ChildFields(dict[type, tuple[tuple[str, str], ...]]):
    """`child_fields` per class, computed on first use."""

    def __init__(self, singletons: bool) -> None:
        super().__init__()
        self.singletons = singletons

    def __missing__(self, cls: type) -> tuple[tuple[str, str], ...]:
        spec = child_fields(cls, self.singletons)
        self[cls] = spec
        return spec


CHILD_FIELDS = _ChildFields(singletons=False)
CHILD_FIELDS_WITH_SINGLETONS = _ChildFields(singletons=True)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` without the `Load`/`Store`/operator singletons, and faster."""
    out: list[ast.AST] = []
    for name, kind in CHILD_FIELDS[node.__class__]:
        value = getattr(node, name, None)
        if value is None:
            continue
        if kind is ONE:
            out.append(value)
        elif kind is MANY:
            out.extend(value)
        else:
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk` (breadth first, the node itself first) without the singletons, and faster."""
    todo = [node]
    i = 0
    while i < len(todo):
        current = todo[i]
        i += 1
        yield current
        todo.extend(child_nodes(current))


class Resolver:
    """Resolves names and attribute chains to qualified names within one module."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.star_imports: list[str] = []

    # -- bindings -----------------------------------------------------------------------------

    def bindings(self, scope: Scope) -> dict[str, Binding]:
        if scope._bindings is None:
            scope._bindings = self._collect(scope)
        return scope._bindings

    def _collect(self, scope: Scope) -> dict[str, Binding]:
        node = scope.node
        out: dict[str, Binding] = {}
        declared_global: set[str] = set()
        # name -> [(index of the binding statement in the body, binding)], None when some
        # binding is not a simple statement of the body
        steps: dict[str, list[tuple[int, Binding]] | None] = {}
        if isinstance(node, ast.Lambda):
            for arg in _all_args(node.args):
                out[arg.arg] = Binding("param", annotation=None)
            return out
        if isinstance(node, _FUNCTION_NODES):
            args = _all_args(node.args)
            for arg in args:
                out[arg.arg] = Binding("param", annotation=arg.annotation)
            first = node.args.posonlyargs + node.args.args
            if scope.class_qualname and first and not _is_static(node):
                out[first[0].arg] = Binding("self", target=scope.class_qualname)
            for name, b in out.items():
                steps[name] = [(-1, b)]
        body: list[ast.stmt] = (
            node.body if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
                                    | ast.ClassDef) else []
        )
        index = {id(stmt): i for i, stmt in enumerate(body) if isinstance(stmt, _STRAIGHT)}
        current: list[ast.AST] = []  # the statement being looked at

        def bind(name: str, binding: Binding) -> None:
            if name in declared_global:
                return
            at = index.get(id(current[0])) if current else None
            seq = steps.setdefault(name, [])
            if seq is not None:
                if at is None:
                    steps[name] = None
                else:
                    seq.append((at, binding))
            if name in out and out[name].kind not in ("param", "self"):
                prev = out[name]
                if prev.kind == binding.kind == "import" and prev.target == binding.target:
                    return
                if prev.kind == "import" and binding.kind == "unknown":
                    return  # `try: import x / except: x = None` keeps the import
                if prev.kind == "import" and binding.kind == "var" and _is_none(binding.value):
                    return
                out[name] = Binding("unknown")
                return
            if name in out and out[name].kind in ("param", "self") and binding.kind == "var":
                out[name] = Binding("unknown")
                return
            out[name] = binding

        binders = _BINDERS
        for sub in iter_scope_statements(body, binders):
            current[:] = [sub]
            if isinstance(sub, ast.Global | ast.Nonlocal):
                declared_global.update(sub.names)
                for n in sub.names:
                    out.pop(n, None)
            elif isinstance(sub, ast.Import):
                for alias in sub.names:
                    if alias.asname:
                        bind(alias.asname, Binding("import", target=alias.name))
                    else:
                        root = alias.name.split(".")[0]
                        bind(root, Binding("import", target=root))
            elif isinstance(sub, ast.ImportFrom):
                base = import_target(sub, self.module, self.is_package)
                for alias in sub.names:
                    if alias.name == "*":
                        if scope.kind == "module":
                            self.star_imports.append(base)
                        continue
                    target = f"{base}.{alias.name}" if base else alias.name
                    bind(alias.asname or alias.name, Binding("import", target=target))
            elif isinstance(sub, _FUNCTION_NODES):
                bind(sub.name, Binding("def", target=f"{scope.qualname}.{sub.name}"))
            elif isinstance(sub, ast.ClassDef):
                bind(sub.name, Binding("class", target=f"{scope.qualname}.{sub.name}"))
            elif isinstance(sub, ast.Assign):
                if len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
                    bind(sub.targets[0].id, Binding("var", value=sub.value))
                else:
                    for t in sub.targets:
                        for name in _target_names(t):
                            bind(name, Binding("unknown"))
            elif isinstance(sub, ast.AnnAssign):
                if isinstance(sub.target, ast.Name):
                    bind(sub.target.id, Binding("var", value=sub.value, annotation=sub.annotation))
            elif isinstance(sub, ast.AugAssign | ast.For | ast.AsyncFor):
                for name in _target_names(sub.target):
                    bind(name, Binding("unknown"))
            elif isinstance(sub, ast.With | ast.AsyncWith):
                for item in sub.items:
                    if item.optional_vars is None:
                        continue
                    if isinstance(item.optional_vars, ast.Name):
                        bind(item.optional_vars.id, Binding("var", value=item.context_expr))
                    else:
                        for name in _target_names(item.optional_vars):
                            bind(name, Binding("unknown"))
            elif isinstance(sub, ast.ExceptHandler):
                if sub.name:
                    bind(sub.name, Binding("unknown"))
            elif isinstance(sub, ast.NamedExpr):
                if isinstance(sub.target, ast.Name):
                    bind(sub.target.id, Binding("var", value=sub.value))
            elif isinstance(sub, ast.comprehension):
                for name in _target_names(sub.target):
                    bind(name, Binding("unknown"))
            elif isinstance(sub, ast.MatchAs | ast.MatchStar):
                if sub.name:
                    bind(sub.name, Binding("unknown"))
            elif isinstance(sub, ast.MatchMapping):
                if sub.rest:
                    bind(sub.rest, Binding("unknown"))
            elif isinstance(sub, ast.Delete):
                for t in sub.targets:
                    for name in _target_names(t):
                        bind(name, Binding("unknown"))
        for name, seq in steps.items():
            if seq is not None and len(seq) > 1 and out.get(name) == Binding("unknown"):
                out[name] = Binding("unknown", steps=tuple(seq))
        return out

    def _reaching(self, name: ast.Name, b: Binding, scope: Scope) -> Binding:
        """The binding of `name` that a use at its position in `scope`'s body sees."""
        assert b.steps is not None
        line = getattr(name, "lineno", None)
        body = getattr(scope.node, "body", None)
        if line is None or not isinstance(body, list):
            return b
        if scope._starts is None:
            scope._starts = [_start(stmt) for stmt in body]
        at = bisect.bisect_right(scope._starts, (line, name.col_offset)) - 1
        seen = Binding("unknown")
        for i, step in b.steps:
            if i < at:
                seen = step
        return seen

    def lookup(self, name: str, scope: Scope) -> Binding | None:
        """The binding `name` refers to from `scope` (class scopes are skipped, as Python does)."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if first or current.kind != "class":
                found = self.bindings(current).get(name)
                if found is not None:
                    return found
            first = False
            current = current.parent
        return None

    # -- resolution -----------------------------------------------------------------------------

    def qualname(self, expr: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        """The qualified name `expr` refers to, or for an instance, `<type>` so that an
        attribute access on it yields `<type>.<attr>`; None when unknown."""
        if depth > 12:
            return None
        if isinstance(expr, ast.Name):
            b = self.lookup(expr.id, scope)
            if b is None:
                if expr.id in BUILTIN_NAMES:
                    return f"builtins.{expr.id}"
                return expr.id
            if b.steps is not None and self.bindings(scope).get(expr.id) is b:
                b = self._reaching(expr, b, scope)
            return self._binding_qualname(b, scope, depth)
        if isinstance(expr, ast.Attribute):
            value = expr.value
            if isinstance(value, ast.Name):
                b = self.lookup(value.id, scope)
                if b is not None and b.kind == "self":
                    attr_type = self._self_attr_type(b.target, expr.attr, scope, depth)
                    if attr_type is not None:
                        return attr_type
                    return f"{b.target}.{expr.attr}"
            base = self.qualname(value, scope, depth + 1)
            if base is None:
                return None
            return canonical(f"{base}.{expr.attr}")
        if isinstance(expr, ast.Call):
            return self.type_of_call(expr, scope, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self.qualname(expr.left, scope, depth + 1)
            if left == "pathlib.Path":
                return left
            return None
        if isinstance(expr, ast.Subscript):
            return None
        return None

    def _binding_qualname(self, b: Binding, scope: Scope, depth: int) -> str | None:
        if b.kind in ("import", "def", "class"):
            return canonical(b.target)
        if b.kind == "self":
            return b.target
        if b.kind == "param":
            return self.annotation_type(b.annotation, scope, depth + 1)
        if b.kind == "var":
            if b.annotation is not None:
                ann = self.annotation_type(b.annotation, scope, depth + 1)
                if ann is not None:
                    return ann
            if isinstance(b.value, ast.Call):
                return self.type_of_call(b.value, scope, depth + 1)
            if isinstance(b.value, ast.Name | ast.Attribute):
                # an alias of a function or module: `get = requests.get`
                return self.qualname(b.value, scope, depth + 1)
            if isinstance(b.value, ast.BinOp):
                return self.qualname(b.value, scope, depth + 1)
            return None
        return None

    def type_of_call(self, call: ast.Call, scope: Scope, depth: int = 0) -> str | None:
        """The type of what `call` returns, when known."""
        callee = self.qualname(call.func, scope, depth + 1)
        if callee is None:
            return None
        if callee in RETURNS:
            return RETURNS[callee]
        head = callee.rsplit(".", 1)[0]
        if head in STICKY:
            return head
        for sticky in STICKY:
            if callee.startswith(sticky + "."):
                return sticky
        last = callee.rsplit(".", 1)[-1]
        if last[:1].isupper() and not last.isupper():
            return callee  # CapWords: a class, so the call builds an instance of it
        return None

    def annotation_type(self, ann: ast.expr | None, scope: Scope, depth: int = 0) -> str | None:
        """The type an annotation names (`X`, `Optional[X]`, `X | None`, `"X"`)."""
        if ann is None or depth > 12:
            return None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                parsed = ast.parse(ann.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            for sub in ast.walk(parsed):  # names in the string are used where the string is
                if isinstance(sub, ast.expr):
                    sub.lineno, sub.col_offset = ann.lineno, ann.col_offset
            return self.annotation_type(parsed, scope, depth + 1)
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            sides = [s for s in (ann.left, ann.right) if not _is_none(s)]
            if len(sides) == 1:
                return self.annotation_type(sides[0], scope, depth + 1)
            return None
        if isinstance(ann, ast.Subscript):
            outer = self.qualname(ann.value, scope, depth + 1)
            outer = canonical(outer) if outer else None
            if outer in ("typing.Optional",):
                return self.annotation_type(ann.slice, scope, depth + 1)
            if outer in ("typing.Annotated",) and isinstance(ann.slice, ast.Tuple):
                return self.annotation_type(ann.slice.elts[0], scope, depth + 1)
            if outer in ("typing.Union",) and isinstance(ann.slice, ast.Tuple):
                sides = [s for s in ann.slice.elts if not _is_none(s)]
                if len(sides) == 1:
                    return self.annotation_type(sides[0], scope, depth + 1)
            return None
        if isinstance(ann, ast.Name | ast.Attribute):
            name = self.qualname(ann, scope, depth + 1)
            return canonical(name) if name else None
        return None

    def _self_attr_type(self, class_qual: str, attr: str, scope: Scope, depth: int) -> str | None:
        """The type of `self.attr` from what the class body says about it."""
        cls: Scope | None = scope
        while cls is not None and not (cls.kind == "class" and cls.qualname == class_qual):
            cls = cls.parent
        if cls is None or cls.parent is None:
            return None
        entry = cls.attr_types.get(attr)
        if entry is None:
            return None
        kind, expr = entry
        outer = cls.parent  # names in the class body resolve in the enclosing scope
        if kind == "ann":
            return self.annotation_type(expr, outer, depth + 1)
        if isinstance(expr, ast.Call):
            return self.type_of_call(expr, outer, depth + 1)
        return None


_BLOCKS = frozenset({"body", "handlers", "orelse", "finalbody", "cases"})
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}


def iter_statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement of a scope's body, in source order, with those nested in compound
    statements (and their `except` handlers and `case` clauses), but not the bodies of nested
    functions and classes, nor any expression: what an assignment can be."""
    stack: list[ast.AST] = list(reversed(body))
    pop, extend = stack.pop, stack.extend
    fields_of = _BLOCK_FIELDS
    scopes = _SCOPE_NODE_SET
    while stack:
        node = pop()
        yield node
        cls = node.__class__
        if cls in scopes:
            continue
        names = fields_of.get(cls)
        if names is None:
            names = fields_of[cls] = tuple(f for f in cls._fields if f in _BLOCKS)
        for name in reversed(names):
            extend(reversed(getattr(node, name)))


def collect_attr_types(cls: ast.ClassDef) -> dict[str, tuple[str, ast.expr] | None]:
    """What the class says about `self.x`: ("ann", annotation) from `x: T` at class level or
    `self.x: T = ...`, or ("call", value) from `self.x = Call(...)` in a method.

    An annotation wins; two different calls, or any other kind of value, make it None (unknown).
    `self.x = None` says nothing (a common placeholder before the real assignment).
    """
    out: dict[str, tuple[str, ast.expr] | None] = {}
    annotated: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            out[stmt.target.id] = ("ann", stmt.annotation)
            annotated.add(stmt.target.id)
    for stmt in cls.body:
        params = (stmt.args.posonlyargs + stmt.args.args) if isinstance(stmt, _FUNCTION_NODES) else []
        if not isinstance(stmt, _FUNCTION_NODES) or not params:
            continue
        self_name = params[0].arg
        for node in iter_statements(stmt.body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value, kind = node.targets[0], node.value, "call"
            elif isinstance(node, ast.AnnAssign):
                target, value, kind = node.target, node.annotation, "ann"
            else:
                continue
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == self_name
            ):
                continue
            key = target.attr
            if key in annotated:
                continue
            if kind == "ann":
                out[key] = ("ann", value)
                annotated.add(key)
            elif _is_none(value):
                continue
            elif not isinstance(value, ast.Call):
                out[key] = None
            elif key not in out:
                out[key] = ("call", value)
            else:
                prev = out[key]
                if prev is None or ast.dump(prev[1]) != ast.dump(value):
                    out[key] = None
    return out


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list
    )


def _start(stmt: ast.stmt) -> tuple[int, int]:
    """Where a statement starts, decorators included."""
    decorators = getattr(stmt, "decorator_list", None)
    first = decorators[0] if decorators else stmt
    return (first.lineno, first.col_offset)


def _is_none(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _target_names(target: ast.expr) -> Iterator[str]:
    stack: list[ast.expr] = [target]
    while stack:
        t = stack.pop()
        if isinstance(t, ast.Name):
            yield t.id
        elif isinstance(t, ast.Tuple | ast.List):
            stack.extend(t.elts)
        elif isinstance(t, ast.Starred):
            stack.append(t.value)
