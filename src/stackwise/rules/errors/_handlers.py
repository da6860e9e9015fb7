"""Request handlers across frameworks for the ERR rules: routes, views, exception handlers, and
what the exception they handle is (broad, a driver's internal error, or a domain one)."""

from __future__ import annotations

import ast

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.rules.errors._web import (
    file_info,
    layer_of,
    literal_int,
    resolve,
)
from stackwise.rules.fastapi import _detect as fastapi
from stackwise.rules.flask import _detect as flask

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
# Exceptions whose text carries internals: SQL and connection strings, hosts, file paths, code.
_INTERNAL_PREFIXES = (
    "sqlalchemy.", "psycopg2.", "psycopg.", "pymysql.", "MySQLdb.", "sqlite3.", "asyncpg.",
    "aiosqlite.", "redis.", "pymongo.", "motor.", "requests.", "httpx.", "aiohttp.", "urllib3.",
    "urllib.error.", "botocore.", "boto3.", "django.db.", "subprocess.", "smtplib.", "socket.",
    "ssl.", "jwt.", "paramiko.", "elasticsearch.", "kombu.", "celery.",
)
_INTERNAL_BUILTINS = frozenset({
    "builtins.OSError", "builtins.IOError", "builtins.EnvironmentError",
    "builtins.ConnectionError", "builtins.TimeoutError", "builtins.FileNotFoundError",
    "builtins.PermissionError", "builtins.IsADirectoryError", "builtins.ImportError",
    "builtins.ModuleNotFoundError",
})


# PyJWT's errors about the token the client sent ("Signature has expired", "Invalid
# audience"): their text describes that token, not the server.
_TOKEN_ERRORS = frozenset({
    "InvalidTokenError", "DecodeError", "InvalidSignatureError", "ExpiredSignatureError",
    "InvalidAudienceError", "InvalidIssuerError", "InvalidIssuedAtError",
    "ImmatureSignatureError", "MissingRequiredClaimError", "InvalidAlgorithmError",
})


def exception_class(qual: str | None) -> str | None:
    """"broad", "internal" or None (a domain or unknown exception) for a caught type."""
    if qual is None:
        return None
    if qual in BROAD:
        return "broad"
    if qual.startswith("jwt.") and qual.rsplit(".", 1)[-1] in _TOKEN_ERRORS:
        return None
    if qual in _INTERNAL_BUILTINS or qual.startswith(_INTERNAL_PREFIXES):
        return "internal"
    return None


def caught_class(ctx: FileContext, handler: ast.ExceptHandler, scope: Scope) -> str | None:
    """What an `except` clause catches: "broad" (bare, Exception), "internal" or None."""
    if handler.type is None:
        return "broad"
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    found: str | None = None
    for t in types:
        kind = exception_class(resolve(ctx, t, scope))
        if kind == "broad":
            return "broad"
        found = found or kind
    return found


def handler_kind(ctx: FileContext, fn: FunctionNode, outer: Scope) -> str | None:
    """"route" (a FastAPI route or a Flask view), "error_handler", or None."""
    if fastapi.route_decorator(ctx, fn, outer) is not None:
        return "route"
    if flask.view_decorator(ctx, fn, outer) is not None:
        return "route"
    if fastapi.is_exception_handler(ctx, fn, outer) or flask.is_error_handler(ctx, fn, outer):
        return "error_handler"
    return None


def handled_class(ctx: FileContext, fn: FunctionNode, outer: Scope) -> str | None:
    """For an exception handler: the class of what it handles ("broad"/"internal"/None)."""
    deco = fastapi.exception_handler_decorator(ctx, fn, outer) or flask.error_handler_decorator(
        ctx, fn)
    if deco is None or not deco.args:
        return None
    arg = deco.args[0]
    if literal_int(arg) is not None:
        return None  # Flask's @errorhandler(500) gets an HTTPException with a generic text
    return exception_class(resolve(ctx, arg, outer))


def exception_param(ctx: FileContext, fn: FunctionNode, outer: Scope) -> str | None:
    """The parameter an exception handler receives the exception in."""
    params = [*fn.args.posonlyargs, *fn.args.args]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    if fastapi.is_exception_handler(ctx, fn, outer):
        return params[1].arg if len(params) >= 2 else None
    if flask.is_error_handler(ctx, fn, outer):
        return params[0].arg if params else None
    return None


_VIEW_BASES = ("flask.views.", "flask_restful.", "flask_restx.", "flask_smorest.",
               "rest_framework.", "django.views.", "starlette.endpoints.")
_DJANGO_VIEW_MODULES = frozenset({"views", "viewsets", "api"})


def in_view_class(ctx: FileContext, scope: Scope) -> bool:
    """`scope` is a method of a class-based view (Flask `MethodView`, flask-restful `Resource`,
    DRF `APIView`, Django `View`, Starlette `HTTPEndpoint`)."""
    cls = scope.parent
    if cls is None or cls.kind != "class" or cls.parent is None:
        return False
    node = cls.node
    assert isinstance(node, ast.ClassDef)
    for base in node.bases:
        qual = resolve(ctx, base, cls.parent)
        if qual is not None and qual.startswith(_VIEW_BASES):
            return True
    return False


def in_request_code(ctx: FileContext) -> bool:
    """Whether the traversal is in code that serves a request: a route, view, dependency or
    exception handler (or a function nested in one), a Django views module, or the service
    layer."""
    if layer_of(ctx) is not None:
        return True
    info = file_info(ctx)
    if (info.imports("django") or info.imports("rest_framework")) and any(
            part in _DJANGO_VIEW_MODULES for part in ctx.module.split(".")):
        return True
    if not any(info.imports(f) for f in ("fastapi", "flask", "starlette", "quart")):
        return False
    scope = ctx.scope
    while scope is not None:
        if scope.kind == "function" and scope.parent is not None:
            fn = scope.node
            assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            if (fastapi.endpoint_kind(ctx, fn, scope.parent) is not None
                    or handler_kind(ctx, fn, scope.parent) is not None
                    or in_view_class(ctx, scope)):
                return True
        scope = scope.parent
    return False
