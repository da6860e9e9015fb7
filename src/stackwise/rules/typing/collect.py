"""The per-file signature facts the TYP project rules and `stackwise types` read.

Only module-level functions, module-level classes and their methods are collected (what can be
public API); nested definitions never are. Key in `FileFacts.extra`: `typ.module`, one entry per
file, a dict:

* `all`: the names of a literal `__all__`, or None when the module has none (or builds it in a
  way that cannot be read statically).
* `functions`: `[name, class_name, line, col, end_col, returns, params, skip]`, where `returns`
  is `[annotated, any, line, col]`, `params` are
  `[name, line, col, end_line, end_col, annotated, any, default_none, implicit, star]` (`self`/
  `cls` left out), and `skip` is true for definitions never counted (the implementation of an
  `@overload`ed function, `@no_type_check`).
  `implicit`: for a parameter with default `None` whose annotation has no member that admits
  None by itself, `[annotation text, [qualified names of the union members]]`, else None.
* `classes`: `[name, line, bases, attrs]`; `bases` are resolved qualified names ('' when
  unknown), `attrs` are `[name, line, col, end_line, end_col, typed, declared, shown]` for every
  public attribute assigned at class level or as `self.x` in `__init__` (or annotated anywhere in
  the class). `declared`: it has an annotation in the class; `typed`: declared, or its value
  tells its type (see `_value_is_typed`); `shown`: the value that leaves it untyped, in
  backticks, or `param:NAME` for an unannotated parameter.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import FactCollector

KEY = "typ.module"
PARAM_PREFIX = "param:"  # `shown` of an attribute assigned from an unannotated parameter

# annotations that admit None on their own
_ADMITS_NONE = frozenset({
    "typing.Any", "typing_extensions.Any", "builtins.object", "typing.Optional",
    "typing_extensions.Optional", "None", "builtins.None", "types.NoneType",
})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})
_OVERLOAD = frozenset({"typing.overload", "typing_extensions.overload"})
_NO_TYPE_CHECK = frozenset({"typing.no_type_check", "typing_extensions.no_type_check"})
_STATIC = frozenset({"builtins.staticmethod"})
_EMPTY_FACTORIES = frozenset({
    "builtins.list", "builtins.dict", "builtins.set", "builtins.tuple", "builtins.frozenset",
})
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _block_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a module or class body, looking into if/try/with blocks (not defs)."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        out.append(stmt)
        if isinstance(stmt, ast.If):
            stack.extend(reversed(stmt.body + stmt.orelse))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            handlers = [s for h in stmt.handlers for s in h.body]
            stack.extend(reversed(stmt.body + handlers + stmt.orelse + stmt.finalbody))
        elif isinstance(stmt, ast.With):
            stack.extend(reversed(stmt.body))
    return out


def _literal_names(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple):
        names: list[str] = []
        for elt in node.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            names.append(elt.value)
        return names
    return None


@dataclass(slots=True, eq=False)
class _ClassState:
    node: ast.ClassDef
    bases: list[str]
    declared: dict[str, ast.AST] = field(default_factory=dict)  # annotated in the class
    assigned: dict[str, tuple[ast.AST, bool, str]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class _Method:
    state: _ClassState
    self_name: str
    in_init: bool
    untyped: set[str]  # its parameters without annotation


class TypingFacts(FactCollector):
    code = "TYP"
    # the module is read at its root; assignments in methods are seen during the one traversal
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Module, ast.Assign, ast.AnnAssign)

    def __init__(self) -> None:
        self.facts: dict[str, Any] | None = None
        self.classes: list[_ClassState] = []
        self.methods: dict[int, _Method] = {}  # id(method node) -> what its body needs

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Module):
            self._module(node, ctx)
        elif self.methods and ctx.scope is not None and ctx.scope.kind == "function":
            method = self.methods.get(id(ctx.scope.node))
            if method is not None:
                assert isinstance(node, ast.Assign | ast.AnnAssign)
                self._method_assign(node, method)

    def end_file(self, ctx: FileContext) -> None:
        if self.facts is None:
            return
        self.facts["classes"] = [self._finish(c, ctx) for c in self.classes]
        ctx.add_fact(KEY, self.facts)

    def _module(self, node: ast.Module, ctx: FileContext) -> None:
        functions: list[list[Any]] = []
        all_names: list[str] | None = None
        all_readable = True
        overloaded: set[str] = set()
        for stmt in _block_statements(node.body):
            if isinstance(stmt, _FUNCS):
                functions.append(self._function(stmt, "", False, overloaded, ctx))
            elif isinstance(stmt, ast.ClassDef):
                self.classes.append(self._class(stmt, functions, ctx))
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                    continue
                names = _literal_names(stmt.value) if stmt.value is not None else None
                if names is None:
                    all_readable = False
                elif isinstance(stmt, ast.AugAssign):
                    all_names = [*(all_names or []), *names]
                else:
                    all_names = names
            elif (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute)
                and isinstance(stmt.value.func.value, ast.Name)
                and stmt.value.func.value.id == "__all__"
            ):
                call = stmt.value
                assert isinstance(call.func, ast.Attribute)
                method = call.func.attr
                names = _literal_names(call.args[0]) if len(call.args) == 1 else None
                if method == "extend" and names is not None:
                    all_names = [*(all_names or []), *names]
                elif (method == "append" and len(call.args) == 1
                      and isinstance(call.args[0], ast.Constant)
                      and isinstance(call.args[0].value, str)):
                    all_names = [*(all_names or []), call.args[0].value]
                else:
                    all_readable = False
        self.facts = {"all": all_names if all_readable else None, "functions": functions}

    # -- functions --------------------------------------------------------------------------------

    def _decorators(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> set[str]:
        out: set[str] = set()
        for deco in fn.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = ctx.qualname(target)
            if name:
                out.add(name)
        return out

    def _function(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        class_name: str,
        in_class: bool,
        overloaded: set[str],
        ctx: FileContext,
    ) -> list[Any]:
        decos = self._decorators(fn, ctx)
        skip = False
        if decos & _OVERLOAD:
            overloaded.add(fn.name)
        elif fn.name in overloaded:
            skip = True  # the implementation behind @overload signatures
        if decos & _NO_TYPE_CHECK:
            skip = True
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        if in_class and positional and not (decos & _STATIC):
            positional = positional[1:]  # self / cls / mcs
        params: list[list[Any]] = []
        defaults: dict[int, ast.expr] = {}
        all_positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(all_positional[len(all_positional) - len(args.defaults):],
                                args.defaults, strict=True):
            defaults[id(arg)] = default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                defaults[id(arg)] = kw_default
        ordered: list[tuple[ast.arg, int]] = [(a, 0) for a in positional]
        if args.vararg is not None:
            ordered.append((args.vararg, 1))
        ordered += [(a, 0) for a in args.kwonlyargs]
        if args.kwarg is not None:
            ordered.append((args.kwarg, 2))
        for arg, star in ordered:
            given = defaults.get(id(arg))
            default_none = isinstance(given, ast.Constant) and given.value is None
            ann = arg.annotation
            heads = self._none_heads(ann, ctx) if default_none and ann is not None else None
            implicit = [ast.unparse(ann), heads] if heads is not None and ann is not None \
                else None
            src = ctx.source
            end_line = arg.end_lineno or arg.lineno
            params.append([
                arg.arg, arg.lineno, src.char_column(arg.lineno, arg.col_offset), end_line,
                src.char_column(end_line, arg.end_col_offset or 0),
                ann is not None, ann is not None and self._is_any(ann, ctx), default_none,
                implicit, star,
            ])
        returns = fn.returns
        line = fn.lineno
        col = ctx.source.char_column(line, fn.col_offset)
        name_end = col + len("async def " if isinstance(fn, ast.AsyncFunctionDef) else "def ") \
            + len(fn.name)
        ret_pos = (returns.lineno, ctx.source.char_column(returns.lineno, returns.col_offset)) \
            if returns is not None else (line, col)
        return [
            fn.name, class_name, line, col, name_end,
            [returns is not None, returns is not None and self._is_any(returns, ctx), *ret_pos],
            params, skip,
        ]

    # -- annotations ------------------------------------------------------------------------------

    def _annotation(self, ann: ast.expr, ctx: FileContext) -> ast.expr | None:
        """The annotation expression, with a string annotation parsed (None if it does not)."""
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                parsed = ast.parse(ann.value.strip(), mode="eval")
            except SyntaxError:
                return None
            return parsed.body
        return ann

    def _members(self, ann: ast.expr, ctx: FileContext, depth: int = 0) -> list[ast.expr] | None:
        """The members of a top-level union (`A | B`, `Union[A, B]`), `Annotated` unwrapped."""
        expr = self._annotation(ann, ctx)
        if expr is None or depth > 8:
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            left = self._members(expr.left, ctx, depth + 1)
            right = self._members(expr.right, ctx, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(expr, ast.Subscript):
            head = ctx.qualname(expr.value)
            inner = expr.slice
            if head in _UNION:
                elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                out: list[ast.expr] = []
                for e in elts:
                    sub = self._members(e, ctx, depth + 1)
                    if sub is None:
                        return None
                    out += sub
                return out
            if head in _ANNOTATED:
                first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
                return self._members(first, ctx, depth + 1)
        return [expr]

    def _is_any(self, ann: ast.expr, ctx: FileContext) -> bool:
        """`Any` is the whole type, or a member of the top-level union (`Any | None`)."""
        lines = ctx.source.lines
        if not any("Any" in lines[i - 1] for i in range(
                ann.lineno, min(ann.end_lineno or ann.lineno, len(lines)) + 1)):
            return False  # not on its lines (a string annotation split as "An" "y" is missed)
        if not any(
            (isinstance(n, ast.Name) and n.id == "Any")
            or (isinstance(n, ast.Attribute) and n.attr == "Any")
            or (isinstance(n, ast.Constant) and isinstance(n.value, str) and "Any" in n.value)
            for n in ast.walk(ann)
        ):
            return False  # not spelled `Any` anywhere: no need to resolve names
        members = self._members(ann, ctx)
        if not members:
            return False
        for m in members:
            target = m
            if isinstance(m, ast.Subscript) and ctx.qualname(m.value) in (
                "typing.Optional", "typing_extensions.Optional"
            ):
                target = m.slice
            if ctx.qualname(target) in _ANY:
                return True
        return False

    def _none_heads(self, ann: ast.expr, ctx: FileContext) -> list[str] | None:
        """Qualified names of the union members when none of them admits None, else None."""
        members = self._members(ann, ctx)
        if not members:
            return None
        heads: list[str] = []
        for m in members:
            if isinstance(m, ast.Constant) and m.value is None:
                return None
            head_expr = m.value if isinstance(m, ast.Subscript) else m
            if not isinstance(head_expr, ast.Name | ast.Attribute):
                return None  # a literal, a call, a string we could not read: do not judge
            head = ctx.qualname(head_expr)
            if head is None or head in _ADMITS_NONE:
                return None
            heads.append(head)
        return heads

    # -- classes ------------------------------------------------------------------------------

    def _class(
        self, cls: ast.ClassDef, functions: list[list[Any]], ctx: FileContext
    ) -> _ClassState:
        bases: list[str] = []
        for base in cls.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            bases.append(ctx.qualname(target) or "" if isinstance(
                target, ast.Name | ast.Attribute) else "")
        state = _ClassState(cls, bases)
        overloaded: set[str] = set()
        for stmt in _block_statements(cls.body):
            if isinstance(stmt, _FUNCS):
                functions.append(self._function(stmt, cls.name, True, overloaded, ctx))
                positional = [*stmt.args.posonlyargs, *stmt.args.args]
                if positional and not any(
                    isinstance(d, ast.Name) and d.id == "staticmethod"
                    for d in stmt.decorator_list
                ):
                    untyped = {a.arg for a in [*positional[1:], *stmt.args.kwonlyargs]
                               if a.annotation is None}
                    self.methods[id(stmt)] = _Method(
                        state, positional[0].arg, stmt.name == "__init__", untyped)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                state.declared.setdefault(stmt.target.id, stmt.target)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self._assign(state.assigned, target.id, target, stmt.value, set())
        return state

    def _finish(self, state: _ClassState, ctx: FileContext) -> list[Any]:
        declared, assigned, cls = state.declared, state.assigned, state.node
        attrs: list[list[Any]] = []
        src = ctx.source
        for name in sorted(set(declared) | set(assigned)):
            if name.startswith("_"):
                continue
            if name in declared:
                node, typed, shown, is_declared = declared[name], True, "", True
            else:
                node, typed, shown = assigned[name]
                is_declared = False
            line = getattr(node, "lineno", cls.lineno)
            end_line = getattr(node, "end_lineno", None) or line
            attrs.append([
                name, line, src.char_column(line, getattr(node, "col_offset", 0)), end_line,
                src.char_column(end_line, getattr(node, "end_col_offset", 0) or 0),
                typed, is_declared, shown,
            ])
        return [cls.name, cls.lineno, state.bases, attrs]

    def _method_assign(self, node: ast.Assign | ast.AnnAssign, method: _Method) -> None:
        """`self.x: T = ...` in any method declares x; `self.x = v` in `__init__` assigns it."""
        state, self_name = method.state, method.self_name
        if isinstance(node, ast.AnnAssign):
            attr = self._self_attr(node.target, self_name)
            if attr is not None:
                state.declared.setdefault(attr, node.target)
            return
        if not method.in_init:
            return
        for target in node.targets:
            attr = self._self_attr(target, self_name)
            if attr is not None:
                self._assign(state.assigned, attr, target, node.value, method.untyped)
            elif (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                  and len(target.elts) == len(node.value.elts)):
                for t, v in zip(target.elts, node.value.elts, strict=True):
                    a = self._self_attr(t, self_name)
                    if a is not None:
                        self._assign(state.assigned, a, t, v, method.untyped)

    @staticmethod
    def _self_attr(target: ast.expr, self_name: str) -> str | None:
        if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id == self_name):
            return target.attr
        return None

    def _assign(
        self,
        assigned: dict[str, tuple[ast.AST, bool, str]],
        name: str,
        target: ast.AST,
        value: ast.expr,
        untyped_params: set[str],
    ) -> None:
        typed, shown = _value_is_typed(value, untyped_params)
        prev = assigned.get(name)
        if prev is None:
            assigned[name] = (target, typed, shown)
        elif typed and not prev[1]:
            assigned[name] = (prev[0], True, "")


def _value_is_typed(value: ast.expr, untyped_params: set[str]) -> tuple[bool, str]:
    """Whether a type checker can tell an attribute's type from the value it is assigned.

    Not from `None`, an empty `[]`/`{}`/`()`/`list()`/`dict()`/`set()`, or an unannotated
    parameter; from anything else (a literal, a call, an annotated parameter) it can. Returns
    (typed, how the value is shown in a message)."""
    if isinstance(value, ast.Constant) and value.value is None:
        return False, "`None`"
    if isinstance(value, ast.List | ast.Tuple | ast.Set) and not value.elts:
        return False, f"`{ast.unparse(value)}`"
    if isinstance(value, ast.Dict) and not value.keys:
        return False, "`{}`"
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and "builtins." + value.func.id in _EMPTY_FACTORIES
            and not value.args and not value.keywords):
        return False, f"`{value.func.id}()`"
    if isinstance(value, ast.Name) and value.id in untyped_params:
        return False, PARAM_PREFIX + value.id
    return True, ""
