"""The per-file half of the DJA rules: collects Django facts (models, querysets, loops)."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import FactCollector
from stackwise.rules.django._extract import (
    CLASSES,
    FUNCTIONS,
    RELEVANT_TEXT,
    alias_fact,
    auth_user_fact,
    class_fact,
    function_fact,
    register_fact,
    relevant,
)
from stackwise.rules.django._models import is_test_or_migration
from stackwise.rules.django._rowfacts import plain_register_fact, row_facts


class DjangoFacts(FactCollector):
    """Contributes `django.classes` and `django.functions` facts for the DJA project rules."""

    code = "DJA"
    name = "django-facts"
    summary = "collects Django facts"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (
        ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign, ast.Expr)
    requires_text: ClassVar[tuple[str, ...]] = RELEVANT_TEXT  # what `relevant()` looks for

    def __init__(self) -> None:
        self._relevant: bool | None = None
        self._skipped: bool | None = None  # a test or migration: no DJA rule reads its functions

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if self._relevant is None:
            self._relevant = relevant(ctx)
        if not self._relevant:
            return
        outer = ctx.scope
        assert outer is not None
        if isinstance(node, ast.ClassDef):
            cfact = class_fact(ctx, node, outer)
            row_facts(ctx, node, outer, cfact)
            ctx.add_fact(CLASSES, cfact)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if self._skipped is None:
                self._skipped = is_test_or_migration(ctx.path)
            if self._skipped:
                return
            fact = function_fact(ctx, node, outer)
            if fact is not None:
                ctx.add_fact(FUNCTIONS, fact)
        elif isinstance(node, ast.Assign) and outer.kind == "module":
            alias = alias_fact(ctx, node, outer) or auth_user_fact(ctx, node)
            if alias is not None:
                ctx.add_fact(CLASSES, alias)
        elif isinstance(node, ast.Expr) and outer.kind == "module" and isinstance(
                node.value, ast.Call):
            reg = register_fact(ctx, node.value, outer) or plain_register_fact(
                ctx, node.value, outer)
            if reg is not None:
                ctx.add_fact(CLASSES, reg)
