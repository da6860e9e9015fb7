"""Rows held in a container and handed out elsewhere: `component.addons_cache[event]`.

weblate groups a component's add-ons by event in a cached property, and a queryset method hands
out one group, which a loop then reads relations from:

    @cached_property
    def addons_cache(self):                       # Component
        result = defaultdict(list)
        for addon in Addon.objects.filter_for_execution(self):
            for installed in addon.event_set.all():
                result[installed.event].append(addon)
        return result

    def filter_event(self, component, event):     # AddonQuerySet
        return component.addons_cache[event]

    for addon in Addon.objects.filter_event(component, event):
        addon.component                           # one query per add-on

Each element of such a group is a row of the queryset the property loops over, with what that
queryset loads. Two facts are extracted per file: a property that returns a local container
filled only with rows of one queryset loop (`held_rows_fact`), and a method that returns an item
of some object's attribute (`returned_item`). The project rule joins them by the attribute's
name, which must be defined once in the whole project, by that property (`held_rows`).

What a loop over an item yields is known level by level: `name[k1]...[km].append(v)` puts `v`
at level m + 1, `name[k1]...[km] = v` puts the key `km` at level m (iterating a dict yields its
keys), and an item taken with n subscripts yields level n + 1. Every element recorded there
must be a row of the loop, a constant, or a plain column of the row (`addon.name`); a value
stored any other way, another use of the container, or a second loop keeps it unknown.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from stackwise.engine.scope import walk
from stackwise.rules.django._syntax import SCOPES, own_nodes, stores

if TYPE_CHECKING:
    from stackwise.rules.django._extract import _Function, _Loop
    from stackwise.rules.django._models import Graph, Resolved

HELD = "held"  # function fact: the rows a property returns in a container
ITEM = "item"  # function fact: [attribute, subscripts] of `return obj.<attribute>[k]...`
_EMPTY_CALLS = frozenset({"dict", "list", "set", "defaultdict", "OrderedDict"})
_ADDERS = frozenset({"append", "add"})
_RETURNS_ITEM = re.compile(r"return\s+[\w.]+\.\w+\[")  # a literal first: a fast search
_MAX_LEVEL = 4


def may_return_item(text: str) -> bool:
    """Cheap text test for `returned_item`."""
    return _RETURNS_ITEM.search(text) is not None


def returned_item(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Any] | None:
    """`return component.addons_cache[event]` as the only return: [attribute, subscripts]."""
    if isinstance(node, ast.AsyncFunctionDef) or not node.body:
        return None
    _parents, ret = _own_nodes(node)
    if ret is None:
        return None
    e = ret.value
    subs = 0
    while isinstance(e, ast.Subscript) and not isinstance(e.slice, ast.Slice):
        subs += 1
        e = e.value
    if not subs or not isinstance(e, ast.Attribute) or e.attr.startswith("__"):
        return None
    return [e.attr, subs]


def _own_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[
        dict[ast.AST, ast.AST], ast.Return | None]:
    """The parent of every node of the body outside nested scopes, and the body's `return`
    when it is the only one, the last statement, and the function yields nothing."""
    parents: dict[ast.AST, ast.AST] = {}
    returns: list[ast.Return] = []
    yields = False
    for n in own_nodes(node.body, parents):
        if isinstance(n, ast.Return):
            returns.append(n)
        yields = yields or isinstance(n, ast.Yield | ast.YieldFrom)
    if yields or len(returns) != 1 or returns[0] is not node.body[-1]:
        return parents, None
    return parents, returns[0]


def is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`@property` / `@cached_property` (Django's or functools')."""
    for d in node.decorator_list:
        name = d.attr if isinstance(d, ast.Attribute) else (d.id if isinstance(d, ast.Name)
                                                              else "")
        if name in ("property", "cached_property"):
            return True
    return False


def held_rows_fact(fn: _Function) -> dict[str, Any] | None:
    """The rows a property returns in the local container it fills from one queryset loop:
    {"qs": the loop's queryset, "items": [[level, kind, column]...] of what iterating each
    level yields}, or None."""
    node, loops = fn.node, fn.row_loops
    if node is None or not loops:
        return None
    parents, ret = _own_nodes(node)
    if ret is None or not isinstance(ret.value, ast.Name):
        return None
    name = ret.value.id
    uses = [n for n in parents if isinstance(n, ast.Name) and n.id == name]
    if any(isinstance(n, SCOPES) and any(isinstance(sub, ast.Name) and sub.id == name
                                          for sub in walk(n)) for n in parents):
        return None  # a nested function or lambda may change it later
    made = 0
    loop: _Loop | None = None
    items: set[tuple[int, str, str]] = set()
    for use in uses:
        up = parents.get(use)
        if isinstance(use.ctx, ast.Store):
            if not (isinstance(up, ast.Assign) and up.targets == [use] and up in node.body
                    and _empty(up.value)):
                return None
            made += 1
            continue
        if up is ret:
            continue
        got = _store(use, parents)
        if got is None:
            return None
        keys = sum(1 for level, _ in got if level > 0)
        for level, value in got:
            kind, column, at = _kind(value, parents, loops)
            if level < 0:  # a value stored in a dict: only a container holding others matters
                if kind == "unknown":
                    items.add((keys + 1, "unknown", ""))
                continue
            if kind == "row":
                if loop is not None and at is not loop:
                    return None  # rows of two loops: which queryset loaded them is unclear
                loop = at
            if kind != "empty":
                items.add((level, kind, column))
    if made != 1 or loop is None or loop.qs is None:
        return None
    return {"qs": loop.qs, "items": [list(i) for i in sorted(items)]}


def _empty(value: ast.expr) -> bool:
    """`{}`, `[]`, `set()`, `defaultdict(list)`: a new empty container."""
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.Tuple):
        return not value.elts if not isinstance(value, ast.Dict) else not value.keys
    if isinstance(value, ast.Call) and not value.keywords:
        f = value.func
        name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name)
                                                              else "")
        return name in _EMPTY_CALLS and all(
            isinstance(a, ast.Name) and a.id in ("list", "dict", "set") for a in value.args)
    return False


def _store(use: ast.Name, parents: dict[ast.AST, ast.AST]) -> list[tuple[int, ast.expr]] | None:
    """What a use of the container puts where, as (level, key or value yielded there): the keys
    of `name[k1]...[km]` at levels 1..m, then for `name[k1]...[km] = v` the elements of `v` at
    level m + 1 when it is a container (-1: checked, never yielded itself), and for
    `name[k1]...[km].append(v)` `v` at level m + 1; None for any other use."""
    keys: list[ast.expr] = []
    e: ast.AST = use
    up = parents.get(e)
    while isinstance(up, ast.Subscript) and up.value is e:
        if isinstance(up.slice, ast.Slice):
            return None
        keys.append(up.slice)
        e, up = up, parents.get(up)
    if len(keys) > _MAX_LEVEL:
        return None
    out = [(i + 1, k) for i, k in enumerate(keys)]
    if keys and isinstance(e, ast.Subscript) and isinstance(e.ctx, ast.Store):
        if not (isinstance(up, ast.Assign) and up.targets == [e]):
            return None
        return [*out, (-1, up.value)]
    if isinstance(up, ast.Attribute) and up.attr in _ADDERS and isinstance(
            parents.get(up), ast.Call):
        call = parents[up]
        assert isinstance(call, ast.Call)
        if call.func is not up or len(call.args) != 1 or call.keywords:
            return None
        return [*out, (len(keys) + 1, call.args[0])]
    return None


def _kind(value: ast.expr, parents: dict[ast.AST, ast.AST],
          loops: list[_Loop]) -> tuple[str, str, _Loop | None]:
    """(kind, column, loop): "row" (the row variable of a queryset loop around it), "column"
    (`row.name`), "const", "empty", or "unknown"."""
    if isinstance(value, ast.Constant | ast.JoinedStr):
        return "const", "", None
    if _empty(value):
        return "empty", "", None
    column = ""
    var = value
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        column, var = value.attr, value.value
    if not isinstance(var, ast.Name):
        return "unknown", "", None
    at = _loop_of(var, parents, loops)
    if at is None:
        return "unknown", "", None
    return ("column", column, at) if column else ("row", "", at)


def _loop_of(name: ast.Name, parents: dict[ast.AST, ast.AST],
             loops: list[_Loop]) -> _Loop | None:
    """The queryset `for` loop around `name` whose row variable it is, never rebound in it."""
    up = parents.get(name)
    while up is not None:
        for lp in loops:
            if lp.node is up and lp.var == name.id and lp.kind == "for" and not any(
                    stores(b, name.id) for b in lp.body):
                return lp
        up = parents.get(up)
    return None


# -- the project side ---------------------------------------------------------------------------


def held_rows(graph: Graph, ops: list[list[Any]], owners: list[str], model: str,
              depth: int) -> Resolved | None:
    """The rows a custom queryset method hands out from a container property: the queryset
    they were loaded by (its file, line and function), or None."""
    for i, (name, _args) in enumerate(ops):
        found = graph._method(owners, name)
        item = found[1].get(ITEM) if found is not None else None
        if item is None:
            continue
        if not all(op in ("list", "[]") for op, _ in ops[i + 1:]):
            return None
        attr, subs = item
        prop = _the_property(graph, attr)
        if prop is None:
            return None
        fq, path, held = prop
        yielded = [(kind, column) for level, kind, column in held["items"] if level == subs + 1]
        if not any(kind == "row" for kind, _ in yielded) or any(
                kind == "unknown" for kind, _ in yielded):
            return None
        resolved = graph.resolve(held["qs"], path, fq, depth + 1)
        if resolved is None or resolved.model != model or resolved.cov.rows != "instances":
            return None
        if any(kind == "column" and not graph.concrete_field(model, column)
               for kind, column in yielded):
            return None  # a relation's object: an instance of another model
        resolved.cov.ops.append("list")  # rows held in a list, not a queryset to narrow
        return resolved
    return None


def _the_property(graph: Graph, attr: str) -> tuple[str, str, dict[str, Any]] | None:
    """The one definition of `attr` in the project, when it is a property holding rows."""
    index = graph.names_index()
    defined = index.get(attr, ())
    if len(defined) != 1:
        return None
    fq = defined[0]
    found = graph.functions.get(fq)
    if found is None or HELD not in found[1]:
        return None
    if any(attr in fact.get("order", ()) for _path, fact in graph.classes.values()):
        return None  # also a class attribute somewhere
    return fq, found[0], found[1][HELD]
