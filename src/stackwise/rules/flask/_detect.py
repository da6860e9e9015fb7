"""Flask knowledge for the FLK and ERR rules: apps, views, error handlers, the request object.

A file is a Flask file when it imports `flask`. In such a file a *view* is a function decorated
with `@<app or blueprint>.route(...)` (or `.get/.post/...`), and an *error handler* one
decorated with `@app.errorhandler(...)`/`@bp.app_errorhandler(...)` or registered with
`register_error_handler(code, name)` in the same file.
"""

from __future__ import annotations

import ast
import re

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.rules.errors._web import file_info, literal_str, resolve

APP_TYPES = frozenset({"flask.Flask", "flask.Blueprint", "flask.app.Flask",
                       "flask.blueprints.Blueprint", "flask.sansio.scaffold.Scaffold"})
VIEW_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete"})
ERROR_HANDLER_METHODS = frozenset({"errorhandler", "app_errorhandler"})
REQUEST = frozenset({"flask.request", "flask.globals.request"})

_HANDLER_NAMES = re.compile(r"\bregister_error_handler\(\s*[^,()]+,\s*([A-Za-z_]\w*)\s*\)")
_DEV_WORDS = frozenset({
    "dev", "devel", "develop", "development", "local", "test", "tests", "testing", "debug",
    "example", "examples", "demo", "demos", "sample", "samples", "tutorial",
})
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def is_flask_file(ctx: FileContext) -> bool:
    return file_info(ctx).imports("flask")


def _is_app(ctx: FileContext, expr: ast.expr, scope: Scope, deco: ast.Call) -> bool:
    qual = resolve(ctx, expr, scope)
    if qual in APP_TYPES:
        return True
    if qual is not None and qual.split(".")[0] in ("fastapi", "starlette", "django"):
        return False
    if file_info(ctx).imports("fastapi"):
        return False
    return literal_str(deco.args[0]) is not None if deco.args else False


def view_decorator(ctx: FileContext, fn: FunctionNode, outer: Scope) -> ast.Call | None:
    if not is_flask_file(ctx):
        return None
    for deco in fn.decorator_list:
        if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                and deco.func.attr in VIEW_METHODS and _is_app(ctx, deco.func.value, outer, deco)):
            return deco
    return None


def error_handler_decorator(ctx: FileContext, fn: FunctionNode) -> ast.Call | None:
    if not is_flask_file(ctx):
        return None
    for deco in fn.decorator_list:
        if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                and deco.func.attr in ERROR_HANDLER_METHODS and deco.args):
            return deco
    return None


def is_error_handler(ctx: FileContext, fn: FunctionNode, outer: Scope) -> bool:
    if error_handler_decorator(ctx, fn) is not None:
        return True
    return (is_flask_file(ctx) and outer.kind == "module"
            and fn.name in file_info(ctx).referenced(_HANDLER_NAMES))


def is_dev_name(name: str) -> bool:
    """`config_dev`, `local_settings`, `DevelopmentConfig`, `TestingConfig`, `tests`..."""
    words = [w.lower() for part in name.split("_") for w in _CAMEL.findall(part)]
    return any(w in _DEV_WORDS for w in words)


def is_dev_module(module: str) -> bool:
    return any(is_dev_name(part) for part in module.split("."))
