"""Template tags a template calls with its context's querysets: `{% show_changes last_changes %}`.

An inclusion tag (or a simple tag) is a Python function the template calls with resolved
variables. When it loops over a parameter and reads a relation per row, the queryset that
parameter gets comes from the view that renders the template:

    @register.inclusion_tag("snippets/changes.html")
    def show_changes(last_changes, user):
        for change in last_changes:
            change.author.username            # one query per change

    {% show_changes last_changes=last_changes user=user %}   (in a template a view renders)

The extractor records the tag name of such functions (`tag_fact`, beside their `ploops`); the
template parser records every other tag as a `call` node with its arguments; `bind` maps those
arguments onto the function's parameters the way Django's `parse_bits` does (positional first,
then `name=value`), and the template checker reads each loop's rows with what the bound
variable holds (`TemplateChecker._tag_call`).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from stackwise.rules.django._templates import Expr, Node

if TYPE_CHECKING:
    from stackwise.rules.django._models import Graph

TAG = "tag"  # function fact: [tag name, takes_context]
_REGISTERS = frozenset({"inclusion_tag", "simple_tag"})


def tag_fact(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Any] | None:
    """[name, takes_context] for `@register.inclusion_tag(...)` / `@register.simple_tag`."""
    for d in node.decorator_list:
        call = d if isinstance(d, ast.Call) else None
        f = call.func if call is not None else d
        if not isinstance(f, ast.Attribute) or f.attr not in _REGISTERS:
            continue
        name: Any = node.name
        context = False
        for kw in call.keywords if call is not None else ():
            value = kw.value
            if kw.arg == "name":
                if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                    return None
                name = value.value
            elif kw.arg == "takes_context":
                if not isinstance(value, ast.Constant):
                    return None
                context = bool(value.value)
        if call is not None and f.attr == "simple_tag" and call.args:
            return None  # `register.simple_tag(func)` registers another function
        return [name, context]
    return None


def tag_index(graph: Graph) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Tag name -> (function, path, fact) for tags that loop over a parameter; a name two
    libraries of the project define is left out (the template's `{% load %}` decides)."""
    found: dict[str, tuple[str, str, dict[str, Any]] | None] = {}
    for fq in sorted(graph.functions):
        path, fact = graph.functions[fq]
        tag = fact.get(TAG)
        if tag is None:
            continue
        name = tag[0]
        found[name] = None if name in found else (fq, path, fact)
    return {k: v for k, v in found.items() if v is not None}


def bind(fact: dict[str, Any], node: Node) -> dict[str, Expr] | None:
    """The template expression each parameter of the tag function gets, or None when the
    call does not fit the signature."""
    sig = fact.get("sig")
    if sig is None:
        return None
    params = list(sig["pos"])
    if fact[TAG][1]:
        params = params[1:]  # `takes_context=True`: the context comes first
    out: dict[str, Expr] = {}
    positional = True
    for key, expr in zip(node.names, node.reads, strict=True):
        if not key:
            if not positional or not params:
                return None
            out[params.pop(0)] = expr
            continue
        positional = False
        if key in out:
            return None
        out[key] = expr
    return out
