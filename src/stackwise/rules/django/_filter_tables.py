"""Tables of queryset filters: `qs = FILTERS[key](qs)` keeps the rows of `qs` and what it loads.

An export that lets the user pick a status often keeps one filter per choice in a literal:

    status_filters = [("", "All", lambda qs: qs), ("open", "Open", lambda qs: qs.filter(...))]
    mutators = {key: f for key, _label, f in self.status_filters}
    rows = mutators[status](rows)

`table_ops` finds every callable the subscripted callee may give, through literals only: a
dict, list, tuple or set, a comprehension over one (a tuple target picks one position of every
element), a local assigned once and never changed, a module constant, or an attribute of
`self`/`cls` assigned once in the class body. When each of them is a one-parameter lambda that
returns its parameter with row-keeping query methods applied, the call is its argument's
queryset with the methods of all of them: what any one selects counts as selected, as for two
branches, so a finding never depends on which filter runs. Anything else (a callable built by
a call, a `def`, `only()`, a custom method, a subclass that assigns the attribute again) is
unknown, which keeps the rules silent.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from stackwise.engine.scope import walk

if TYPE_CHECKING:
    from stackwise.rules.django._extract import _Function

# the op that asks the project rule to check no project subclass assigns the class attribute
# the table was read from: ["classattr", [class qualname, attribute]]
CLASS_ATTR = "classattr"
# what a filter may apply and still return the same rows with the same loads (or more)
_ROW_KEEPING = frozenset({"all", "filter", "exclude", "order_by", "distinct", "annotate",
                          "alias", "reverse", "using", "complex_filter", "select_related",
                          "prefetch_related"})
# calls on a local that change a container in place
_MUTATING = frozenset({"update", "setdefault", "pop", "popitem", "clear", "append", "extend",
                       "insert", "remove", "add", "discard", "__setitem__"})
_DEPTH = 8


def table_ops(fn: _Function, func: ast.expr) -> list[list[Any]] | None:
    """The ops `func(qs)` applies to `qs` when `func` is `<table>[key]` of a filter table."""
    if not isinstance(func, ast.Subscript) or isinstance(func.slice, ast.Slice):
        return None
    marks: list[list[Any]] = []
    callables = _elements(fn, func.value, marks, 0)
    if not callables:
        return None
    ops: list[list[Any]] = []
    for c in callables:
        got = _lambda_ops(fn, c)
        if got is None:
            return None
        ops += got
    return ops + marks


def _lambda_ops(fn: _Function, node: ast.expr) -> list[list[Any]] | None:
    """`lambda qs: qs.filter(...).order_by(...)` -> its ops in order; None for anything else."""
    if not isinstance(node, ast.Lambda):
        return None
    a = node.args
    if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or len(a.args) != 1:
        return None
    param = a.args[0].arg
    ops: list[list[Any]] = []
    e: ast.expr = node.body
    while isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
        method = e.func.attr
        if method not in _ROW_KEEPING:
            return None
        ops.append([method, fn._args(method, e)])
        e = e.func.value
    if not isinstance(e, ast.Name) or e.id != param:
        return None
    ops.reverse()
    return ops


def _elements(fn: _Function, node: ast.expr, marks: list[list[Any]],
              depth: int) -> list[ast.expr] | None:
    """The values a subscript of `node` may give, or None when they are not all literals."""
    if depth > _DEPTH:
        return None
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return None
        return list(node.elts)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            return None  # `{**other, ...}`
        return list(node.values)
    if isinstance(node, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp):
        return _comprehension(fn, node, marks, depth)
    if isinstance(node, ast.Name):
        value = _name_value(fn, node.id)
        return None if value is None else _elements(fn, value, marks, depth + 1)
    if isinstance(node, ast.Attribute) and fn._is_self(node.value):
        value = _class_value(fn, node.attr)
        if value is None:
            return None
        marks.append([CLASS_ATTR, [fn.class_q, node.attr]])
        return _elements(fn, value, marks, depth + 1)
    return None


def _comprehension(fn: _Function, node: ast.DictComp | ast.ListComp | ast.SetComp
                   | ast.GeneratorExp, marks: list[list[Any]],
                   depth: int) -> list[ast.expr] | None:
    """`{k: f for k, _label, f in table}`: position 2 of every element of `table`."""
    if len(node.generators) != 1 or node.generators[0].is_async:
        return None
    gen = node.generators[0]
    value = node.value if isinstance(node, ast.DictComp) else node.elt
    if isinstance(value, ast.Lambda):
        return [value]
    if not isinstance(value, ast.Name):
        return None
    target = gen.target
    source = _elements(fn, gen.iter, marks, depth + 1)
    if source is None:
        return None
    if isinstance(target, ast.Name):
        return source if target.id == value.id else None
    if not isinstance(target, ast.Tuple | ast.List) or not all(
            isinstance(t, ast.Name) for t in target.elts):
        return None
    names = [t.id for t in target.elts if isinstance(t, ast.Name)]
    if names.count(value.id) != 1:
        return None
    index = names.index(value.id)
    out: list[ast.expr] = []
    for item in source:
        if not isinstance(item, ast.Tuple | ast.List) or len(item.elts) != len(names) or any(
                isinstance(e, ast.Starred) for e in item.elts):
            return None
        out.append(item.elts[index])
    return out


def _name_value(fn: _Function, name: str) -> ast.expr | None:
    """What a name holds: a local assigned once and never changed, else a module constant."""
    if fn.node is not None and name in fn.locals:
        return _local_value(fn.node, name)
    b = fn.ctx.resolver.lookup(name, fn.scope)  # (a method's scope skips its class body)
    if b is None or b.kind != "var":
        return None
    return b.value


def _local_value(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.expr | None:
    value: ast.expr | None = None
    stores = 0
    for n in walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(
                n.targets[0], ast.Name) and n.targets[0].id == name:
            value = n.value
        elif isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load):
            stores += 1
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and (
                n.value.id == name and not isinstance(n.ctx, ast.Load)):
            return None  # `table[key] = ...` / `del table[key]`
        elif (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and (
                n.value.id == name and n.attr in _MUTATING)) or (
                isinstance(n, ast.Global | ast.Nonlocal) and name in n.names):
            return None  # `table.update(...)`, or a name of another scope
    return value if stores == 1 else None


def _class_value(fn: _Function, attr: str) -> ast.expr | None:
    """`self.<attr>` read in a method: the value of the one class-body assignment of `attr`,
    when no method of the class assigns `self.<attr>` (which would shadow it)."""
    scope = fn.class_scope
    if scope is None or scope.qualname != fn.class_q:
        return None
    b = fn.ctx.resolver.bindings(scope).get(attr)
    if b is None or b.kind != "var" or b.value is None:
        return None
    for n in walk(scope.node):
        if isinstance(n, ast.Attribute) and n.attr == attr and not isinstance(
                n.ctx, ast.Load) and isinstance(n.value, ast.Name) and n.value.id in (
                    "self", "cls"):
            return None
    return b.value
