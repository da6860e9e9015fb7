"""Which functions FastAPI calls: routes, dependencies and exception handlers, found statically.

A file is a FastAPI file when it imports `fastapi`. In such a file:

* a *route* is a function decorated with `@<app or router>.<get|post|put|patch|delete|head|
  options|trace|api_route|websocket>(...)`, where the receiver is a `FastAPI()`/`APIRouter()`
  or, when it cannot be resolved (a router imported from another module), the first argument is
  a path string;
* a *dependency* is a function FastAPI calls through `Depends`: a module-level function named in
  `Depends(name)`/`Security(name)` somewhere in the same file, or a function whose own
  parameters ask for dependencies (`x = Depends(...)`, `Annotated[T, Depends(...)]`, or an
  `Annotated` alias such as `SessionDep` defined in the file or named `...Dep`);
* an *exception handler* is decorated with `@app.exception_handler(...)` or registered with
  `app.add_exception_handler(Exc, name)` in the same file.
"""

from __future__ import annotations

import ast
import re

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.rules.errors._web import file_info, literal_str, resolve

ROUTE_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route",
})
WEBSOCKET_METHODS = frozenset({"websocket", "websocket_route"})
APP_TYPES = frozenset({
    "fastapi.FastAPI", "fastapi.APIRouter", "fastapi.applications.FastAPI",
    "fastapi.routing.APIRouter",
})
DEPENDS = frozenset({
    "fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
    "fastapi.param_functions.Depends", "fastapi.param_functions.Security",
})
REQUEST_TYPES = frozenset({
    "fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request",
})
BACKGROUND_ADD_TASK = frozenset({
    "fastapi.BackgroundTasks.add_task", "fastapi.background.BackgroundTasks.add_task",
    "starlette.background.BackgroundTasks.add_task",
})

_DEPENDS_NAMES = re.compile(
    r"\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?([A-Za-z_]\w*)\s*[,)]")
_HANDLER_NAMES = re.compile(r"\badd_exception_handler\(\s*[^,()]+,\s*([A-Za-z_]\w*)\s*\)")

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def is_fastapi_file(ctx: FileContext) -> bool:
    return file_info(ctx).imports("fastapi")


def _is_app(ctx: FileContext, expr: ast.expr, scope: Scope, deco: ast.Call) -> bool:
    qual = resolve(ctx, expr, scope)
    if qual in APP_TYPES:
        return True
    if qual is not None and qual.split(".")[0] in ("flask", "quart", "sanic", "django"):
        return False
    info = file_info(ctx)
    if info.imports("flask") or info.imports("quart"):
        return False
    path = deco.args[0] if deco.args else next(
        (k.value for k in deco.keywords if k.arg == "path"), None)
    return literal_str(path) is not None


def route_decorator(
    ctx: FileContext, fn: FunctionNode, outer: Scope, *, websocket: bool = False
) -> ast.Call | None:
    """The `@app.get(...)`-style decorator that makes `fn` a FastAPI route, if any."""
    if not is_fastapi_file(ctx):
        return None
    methods = ROUTE_METHODS | WEBSOCKET_METHODS if websocket else ROUTE_METHODS
    for deco in fn.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr in methods
            and _is_app(ctx, deco.func.value, outer, deco)
        ):
            return deco
    return None


def is_depends_call(ctx: FileContext, expr: ast.expr | None, scope: Scope) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    qual = resolve(ctx, expr.func, scope)
    if qual in DEPENDS:
        return True
    return isinstance(expr.func, ast.Name) and expr.func.id in ("Depends", "Security") and (
        qual is None or qual in ("Depends", "Security"))


def _annotation_asks_dependency(ctx: FileContext, ann: ast.expr | None, scope: Scope) -> bool:
    if ann is None:
        return False
    if isinstance(ann, ast.Subscript):
        elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        return any(is_depends_call(ctx, e, scope) for e in elts[1:])
    if isinstance(ann, ast.Name):
        binding = ctx.resolver.lookup(ann.id, scope)
        if binding is not None and binding.kind == "var" and binding.value is not None:
            return _annotation_asks_dependency(ctx, binding.value, scope)
        return ann.id.endswith("Dep") and ann.id[:1].isupper()
    return False


def asks_dependencies(ctx: FileContext, fn: FunctionNode, outer: Scope) -> bool:
    """Whether a parameter of `fn` is injected by FastAPI (`Depends`, `Annotated[..., Depends]`)."""
    args = fn.args
    for default in (*args.defaults, *args.kw_defaults):
        if is_depends_call(ctx, default, outer):
            return True
    return any(
        _annotation_asks_dependency(ctx, a.annotation, outer)
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
    )


def endpoint_kind(ctx: FileContext, fn: FunctionNode, outer: Scope) -> str | None:
    """"route", "websocket", "dependency" or None: how FastAPI calls `fn` (cached per node)."""
    info = file_info(ctx)
    if fn in info.endpoint_cache:
        return info.endpoint_cache[fn]
    kind: str | None = None
    if is_fastapi_file(ctx):
        deco = route_decorator(ctx, fn, outer, websocket=True)
        if deco is not None:
            assert isinstance(deco.func, ast.Attribute)
            kind = "websocket" if deco.func.attr in WEBSOCKET_METHODS else "route"
        elif (outer.kind == "module" and fn.name in info.referenced(_DEPENDS_NAMES)) or (
            asks_dependencies(ctx, fn, outer)
        ):
            kind = "dependency"
    info.endpoint_cache[fn] = kind
    return kind


def current_endpoint(ctx: FileContext) -> tuple[str, FunctionNode] | None:
    """The FastAPI endpoint whose own body the traversal is in (not a nested def or lambda)."""
    scope = ctx.scope
    if scope is None or scope.kind != "function" or scope.parent is None:
        return None
    node = scope.node
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    kind = endpoint_kind(ctx, node, scope.parent)
    return (kind, node) if kind is not None else None


def is_async_endpoint(ctx: FileContext) -> bool:
    """True in the body of an `async def` FastAPI route or dependency (where FAS200 replaces
    ASY100)."""
    found = current_endpoint(ctx) if ctx.in_async else None
    return found is not None


def exception_handler_decorator(
    ctx: FileContext, fn: FunctionNode, outer: Scope
) -> ast.Call | None:
    """`@app.exception_handler(Exc)` on `fn`, if any."""
    if not is_fastapi_file(ctx):
        return None
    for deco in fn.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "exception_handler"
        ):
            return deco
    return None


def is_exception_handler(ctx: FileContext, fn: FunctionNode, outer: Scope) -> bool:
    if exception_handler_decorator(ctx, fn, outer) is not None:
        return True
    return (
        is_fastapi_file(ctx) and outer.kind == "module"
        and fn.name in file_info(ctx).referenced(_HANDLER_NAMES)
    )


def route_method(deco: ast.Call) -> str:
    assert isinstance(deco.func, ast.Attribute)
    return deco.func.attr


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)
