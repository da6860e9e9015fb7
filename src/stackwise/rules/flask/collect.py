"""The per-file facts FLK400 links at project level: where Flask's debug mode is switched on.

Key `flk.debug` in `FileFacts.extra`: `[line, col, end_line, end_col, function, what, flask]`,
where `flask` is True when the file itself imports Flask (or the object is a `Flask` app) and
False for a `DEBUG = True` in a config module that does not, which FLK400 reports only when the
project uses Flask (and not Django, whose settings are the DJA rules' business).
"""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import FactCollector
from stackwise.rules.errors._web import literal_str
from stackwise.rules.flask._detect import APP_TYPES, is_dev_module, is_dev_name, is_flask_file

_SOCKETIO_RUN = frozenset({"flask_socketio.SocketIO.run"})
_CONFIG_WORDS = ("config", "conf", "settings", "configuration")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)


def _is_true(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is True


class FlaskFacts(FactCollector):
    code = "FLK"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call, ast.Assign)
    requires_text: ClassVar[tuple[str, ...]] = ("True",)  # every pattern sets something to a literal `True`

    def __init__(self) -> None:
        self.dev: bool | None = None

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr in ("run", "update",
                                                                      "from_mapping")):
                return
        elif not (isinstance(node, ast.Assign) and _is_true(node.value)):
            return
        if self.dev is None:
            self.dev = is_dev_module(ctx.module)
        if self.dev:
            return
        if isinstance(node, ast.Call):
            self._call(node, ctx)
        else:
            assert isinstance(node, ast.Assign)
            self._assign(node, ctx)

    def _add(self, ctx: FileContext, node: ast.AST, what: str, flask: bool) -> None:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        ctx.add_fact("flk.debug", [
            line, ctx.source.char_column(line, getattr(node, "col_offset", 0)), end_line,
            ctx.source.char_column(end_line, getattr(node, "end_col_offset", None) or 0),
            ctx.function_qualname, what, flask,
        ])

    def _is_app(self, expr: ast.expr, ctx: FileContext) -> bool:
        qual = ctx.qualname(expr)
        if qual in APP_TYPES:
            return True
        return is_flask_file(ctx) and isinstance(expr, ast.Name) and expr.id in (
            "app", "application", "flask_app") and (qual is None or qual == expr.id)

    def _call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        debug = next((k for k in node.keywords if k.arg == "debug"), None)
        if func.attr == "run" and debug is not None and _is_true(debug.value):
            if self._is_app(func.value, ctx) or ctx.call_target(node) in _SOCKETIO_RUN:
                self._add(ctx, node, f"`{ast.unparse(func)}(debug=True)`", True)
            return
        # app.config.update(DEBUG=True) / app.config.from_mapping({"DEBUG": True})
        if func.attr in ("update", "from_mapping") and isinstance(func.value, ast.Attribute) and (
                func.value.attr == "config" and self._is_app(func.value.value, ctx)):
            for kw in node.keywords:
                if kw.arg == "DEBUG" and _is_true(kw.value):
                    self._add(ctx, node, f"`{ast.unparse(func)}(DEBUG=True)`", True)
                    return
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for key, value in zip(arg.keys, arg.values, strict=True):
                        if key is not None and literal_str(key) == "DEBUG" and _is_true(value):
                            self._add(ctx, node, f'`{ast.unparse(func)}({{"DEBUG": True}})`',
                                      True)
                            return

    def _assign(self, node: ast.Assign, ctx: FileContext) -> None:
        if not _is_true(node.value) or len(node.targets) != 1:
            return
        target = node.targets[0]
        if isinstance(target, ast.Attribute) and target.attr == "debug":
            if self._is_app(target.value, ctx):
                self._add(ctx, node, f"`{ast.unparse(target)} = True`", True)
            return
        if isinstance(target, ast.Subscript) and literal_str(target.slice) == "DEBUG":
            base = target.value
            if isinstance(base, ast.Attribute) and base.attr == "config" and self._is_app(
                    base.value, ctx):
                self._add(ctx, node, f'`{ast.unparse(target)} = True`', True)
            return
        if not (isinstance(target, ast.Name) and target.id == "DEBUG"):
            return
        scope = ctx.scope
        if scope is None or scope.kind not in ("module", "class"):
            return
        parent = ctx.parent(node)
        while parent is not None and not isinstance(parent, _SCOPES):
            if isinstance(parent, ast.If | ast.Try):
                return  # already conditional: `if ENV == "dev": DEBUG = True`
            parent = ctx.parent(parent)
        where = ""
        if scope.kind == "class":
            cls = scope.node
            assert isinstance(cls, ast.ClassDef)
            if is_dev_name(cls.name):
                return
            where = f" in `{cls.name}`"
        flask = is_flask_file(ctx)
        names = [ctx.module.rsplit(".", 1)[-1].lower()]
        if scope.kind == "class":
            assert isinstance(scope.node, ast.ClassDef)
            names.append(scope.node.name.lower())
        if not flask and not any(w in n for n in names for w in _CONFIG_WORDS):
            return  # a constant in some script, not an application config
        self._add(ctx, node, f"`DEBUG = True`{where}", flask)
