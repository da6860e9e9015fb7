"""The per-file facts ERR502 compares across the project: the JSON shapes error handlers return.

Key `err.body` in `FileFacts.extra`: `[line, col, end_line, end_col, function, keys]` for each
JSON object literal an exception handler (FastAPI `exception_handler`, Flask `errorhandler`,
`register_error_handler`/`add_exception_handler`) sends: `JSONResponse(content={...})`,
`jsonify({...})`, `jsonify(error=...)`, `return {...}, 500`. `keys` are the sorted top-level keys
(only literals whose keys are all string constants).
"""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import FactCollector
from stackwise.rules.errors._handlers import handler_kind
from stackwise.rules.errors._web import WEB_FRAMEWORKS, is_json_response_call, is_test_module

_WRAPPERS = frozenset({"jsonable_encoder", "dict"})


def _keys(expr: ast.expr | None) -> list[str] | None:
    """Top-level keys of a dict literal (through `jsonable_encoder(...)`), or None."""
    while isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords:
        func = expr.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if name not in _WRAPPERS:
            return None
        expr = expr.args[0]
    if not isinstance(expr, ast.Dict) or not expr.keys:
        return None
    keys: list[str] = []
    for key in expr.keys:
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None  # `**spread` or a computed key: shape unknown
        keys.append(key.value)
    return sorted(set(keys))


class ErrorFacts(FactCollector):
    code = "ERR"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call, ast.Return)
    requires_text: ClassVar[tuple[str, ...]] = WEB_FRAMEWORKS  # exception handlers of these only

    def __init__(self) -> None:
        self.handlers: dict[ast.AST, bool] = {}

    def _in_handler(self, ctx: FileContext) -> bool:
        scope = ctx.function_scope
        if scope is None or scope.kind != "function" or scope.parent is None:
            return False
        fn = scope.node
        if fn not in self.handlers:
            assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            self.handlers[fn] = (not is_test_module(ctx.module)
                                 and handler_kind(ctx, fn, scope.parent) == "error_handler")
        return self.handlers[fn]

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not self._in_handler(ctx):
            return
        keys: list[str] | None = None
        if isinstance(node, ast.Call):
            target = ctx.call_target(node)
            if target is None or not is_json_response_call(target):
                return
            content = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in ("content", "data")), None)
            if isinstance(content, ast.Name):  # `body = {...}` ... `content=body`
                assert ctx.scope is not None
                binding = ctx.resolver.lookup(content.id, ctx.scope)
                content = binding.value if binding is not None and binding.kind == "var" else None
            if content is not None:
                keys = _keys(content)
            elif node.keywords and all(k.arg for k in node.keywords) and target.endswith(
                    "jsonify"):
                keys = sorted({k.arg for k in node.keywords if k.arg})
        elif isinstance(node, ast.Return):
            value = node.value
            if isinstance(value, ast.Tuple) and value.elts:
                value = value.elts[0]
            keys = _keys(value) if isinstance(value, ast.Dict) else None
        if not keys:
            return
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        ctx.add_fact("err.body", [
            line, ctx.source.char_column(line, getattr(node, "col_offset", 0)), end_line,
            ctx.source.char_column(end_line, getattr(node, "end_col_offset", None) or 0),
            ctx.function_qualname, keys,
        ])
