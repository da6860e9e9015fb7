"""Helpers that return their queryset parameter filtered, called on a loop row's relation.

`for bundle in bundles: for t in self.type_filter(bundle.types)` where `def type_filter(self,
qs): return qs.filter(visible=True)`: the extractor records the call in the loop (`passes`) and
the helper's return (`retq`); this module decides, with the whole project, that the call runs the
helper that filters its parameter. A method call counts only on `self`, and only when the method
every project subclass of the caller's class would run returns `param.<query method>(...)` (or
`super().<same method>(<its parameters>).<query method>(...)`); anything else keeps it silent.
"""

from __future__ import annotations

from typing import Any

from stackwise.rules.django._models import Graph

_MAX_SUPER = 8  # `super()` hops followed at most


def passed_query_helper(graph: Graph, fq: str, item: dict[str, Any]) -> tuple[
        str, str, str] | None:
    """(helper qualname, parameter, first query method) for a recorded `passes` item of the
    function `fq`, when every function the call may run filters the argument; else None."""
    project = graph.project
    entry = project.functions.get(fq)
    if entry is None:
        return None
    where = list(item["call"])  # `helper(row.rel).count()` starts where `.count()` does
    call = next((c for c in entry[1].calls
                 if [c.line, c.column, c.end_line, c.end_column] == where), None)
    if call is None:
        return None
    target = project.call_target(call)
    if target is None or target not in project.functions:
        return None
    found = graph.functions.get(target)
    if found is None or "retq" not in found[1]:
        return None
    sig = found[1]["sig"]
    if sig["decorated"] or sig["kind"] != ("method" if item["self"] else "function"):
        return None
    key = item["arg"]
    if isinstance(key, int):
        index = key + (1 if item["self"] else 0)
        if index >= len(sig["pos"]):
            return None
    elif key in sig["pos"]:
        index = sig["pos"].index(key)
    else:
        return None  # keyword-only parameters are not forwarded by the `super()` form
    if not item["self"]:
        got = _filters(graph, target, index, 0)
        return None if got is None else (target, *got)
    cls = entry[1].class_qualname
    if not cls or cls not in project.classes:
        return None
    name = target.rsplit(".", 1)[-1]
    runs = {target}
    for klass in project.classes:
        if cls in project.mro(klass):
            m = project.find_method(klass, name)
            if m is None:
                return None
            runs.add(m)
    result: tuple[str, str] | None = None
    for m in sorted(runs):
        got = _filters(graph, m, index, 0)
        if got is None:
            return None
        if m == target:
            result = got
    return None if result is None else (target, *result)


def _filters(graph: Graph, fn: str, index: int, depth: int) -> tuple[str, str] | None:
    """(parameter, query method) when `fn` returns its parameter at `index` with a query method
    applied (through `super()` forwarding), else None."""
    found = graph.functions.get(fn)
    if found is None or depth > _MAX_SUPER:
        return None
    fact = found[1]
    retq = fact.get("retq")
    sig = fact.get("sig")
    if retq is None or sig is None or sig["decorated"] or index >= len(sig["pos"]):
        return None
    if retq["param"] is not None:
        return (retq["param"], retq["op"]) if sig["pos"][index] == retq["param"] else None
    # `return super().type_filter(qs).exclude(...)`: the method the next class defines
    project = graph.project
    entry = project.functions.get(fn)
    if entry is None or not entry[1].class_qualname:
        return None
    cls = entry[1].class_qualname
    name = fn.rsplit(".", 1)[-1]
    if cls not in project.classes:
        return None
    for klass in project.mro(cls)[1:]:
        q = f"{klass}.{name}"
        if q in project.functions:
            return _filters(graph, q, index, depth + 1)
    return None
