"""How a template's `{% tag ... %}` call binds to the parameters of a project's tag function."""

from __future__ import annotations

import ast
from typing import Any

from stackwise.rules.django._template_tags import TAG, bind, tag_fact
from stackwise.rules.django._templates import Node, parse


def _fact(source: str) -> dict[str, Any]:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    args = [a.arg for a in node.args.args]
    return {TAG: tag_fact(node), "sig": {"pos": args, "kwonly": [], "kind": "function",
                                          "decorated": True}}


def _call(template: str) -> Node:
    nodes = parse(template)
    assert nodes is not None
    return nodes[0]


def test_names_and_takes_context_come_from_the_decorator() -> None:
    assert _fact("@register.inclusion_tag('x.html')\ndef rows(qs): pass")[TAG] == ["rows", False]
    assert _fact("@register.simple_tag\ndef rows(qs): pass")[TAG] == ["rows", False]
    assert _fact("@register.simple_tag(takes_context=True, name='table')\n"
                 "def rows(context, qs): pass")[TAG] == ["table", True]
    # a filter, or a tag registered through a variable name, is no tag call we can bind
    assert _fact("@register.filter\ndef rows(qs): pass")[TAG] is None
    assert _fact("@register.simple_tag(name=NAME)\ndef rows(qs): pass")[TAG] is None


def test_positional_then_keyword_arguments_bind_like_django() -> None:
    fact = _fact("@register.simple_tag(takes_context=True)\n"
                 "def rows(context, qs, user, limit=10): pass")
    bound = bind(fact, _call("{% rows books limit=5 user=me %}"))
    assert bound is not None
    assert {k: e.var.parts for k, e in bound.items() if e.var} == {
        "qs": ("books",), "user": ("me",)}
    assert "limit" in bound


def test_a_call_that_does_not_fit_the_signature_binds_nothing() -> None:
    fact = _fact("@register.simple_tag\ndef rows(qs): pass")
    assert bind(fact, _call("{% rows qs=books other %}")) is None
    assert bind(fact, _call("{% rows books more %}")) is None
    assert bind(fact, _call("{% rows books qs=again %}")) is None
