"""What the web-framework rules (FAS, FLK, ERR) share: framework detection, layers, responses.

Frameworks are detected from what a file imports (never from its name). Layers (service,
domain, repository code) are detected from the module path only. Everything here reads the AST
and the source text of the file being checked; nothing is imported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from stackwise.engine.context import FileContext
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Scope, import_target

# -- framework detection --------------------------------------------------------------------------


@dataclass
class FileInfo:
    """Per-file knowledge computed once and shared by the rules of these families."""

    roots: frozenset[str]
    """Every module imported at module level, with all its parent packages (`a`, `a.b`)."""
    text: str
    endpoint_cache: dict[ast.AST, str | None] = field(default_factory=dict)
    _names: dict[str, frozenset[str]] = field(default_factory=dict)

    def imports(self, root: str) -> bool:
        return root in self.roots

    def referenced(self, pattern: re.Pattern[str]) -> frozenset[str]:
        """Names the pattern's first group captures anywhere in the source (cached)."""
        key = pattern.pattern
        found = self._names.get(key)
        if found is None:
            found = frozenset(m.group(1) for m in pattern.finditer(self.text))
            self._names[key] = found
        return found


WEB_FRAMEWORKS = ("fastapi", "starlette", "flask", "werkzeug", "quart", "django", "rest_framework")
"""A file naming none of these has no route, view, handler or response these rules know
(`requires_text` of the rules that only look there)."""

_INFO = "errors._web.FileInfo"  # its key in `FileContext.shared`


def module_scope(ctx: FileContext) -> Scope:
    scope = ctx.scope
    assert scope is not None
    while scope.parent is not None:
        scope = scope.parent
    return scope


def file_info(ctx: FileContext) -> FileInfo:
    """The shared per-file knowledge (computed on first use; safe at any point of the pass)."""
    info: FileInfo | None = ctx.shared.get(_INFO)
    if info is None:
        tree = module_scope(ctx).node
        roots: set[str] = set()
        stack: list[ast.stmt] = list(getattr(tree, "body", []))
        while stack:
            stmt = stack.pop()
            names: list[str] = []
            if isinstance(stmt, ast.Import):
                names = [a.name for a in stmt.names]
            elif isinstance(stmt, ast.ImportFrom):
                base = import_target(stmt, ctx.module, ctx.is_package)
                if base:
                    names = [base]
            elif isinstance(stmt, ast.If | ast.Try | ast.TryStar | ast.With):
                for part in ("body", "orelse", "finalbody"):
                    stack.extend(getattr(stmt, part, []))
                for handler in getattr(stmt, "handlers", []):
                    stack.extend(handler.body)
            for name in names:
                parts = name.split(".")
                roots.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        info = FileInfo(frozenset(roots), ctx.source.text)
        ctx.shared[_INFO] = info
    return info


def resolve(ctx: FileContext, expr: ast.expr, scope: Scope) -> str | None:
    """`ctx.qualname`, but from an explicit scope (decorators belong to the enclosing one)."""
    name = ctx.resolver.qualname(expr, scope)
    return canonical(name) if name else None


# -- layers -----------------------------------------------------------------------------------

SERVICE_LAYER_PARTS = frozenset({
    "services", "service", "domain", "domains", "models", "model", "repositories", "repository",
    "repos",
    "crud", "usecases", "use_cases", "interactors", "business",
})
API_LAYER_PARTS = frozenset({
    "api", "apis", "routes", "routers", "router", "views", "endpoints", "handlers",
    "controllers", "resources", "web", "http", "rest", "graphql", "schemas", "serializers",
})
_OVERLOADED = frozenset({"models", "model"})
_LAYER_SUFFIXES = ("_service", "_services", "_repository", "_repositories", "_repo", "_crud")
# packages of helpers: a `..._services.py` there is a utility, not the service layer
_UTILITY_PACKAGES = frozenset({"utils", "util", "helpers", "lib", "common", "tools"})


def is_test_module(module: str) -> bool:
    for part in module.split("."):
        if part in ("tests", "test", "testing", "conftest") or part.startswith("test_") or (
            part.endswith("_test") or part.endswith("_tests")
        ):
            return True
    return False


def module_path(ctx: FileContext) -> str:
    """`ctx.module`, with the folders of a namespace package put back: a file in a folder
    without `__init__.py` is named by its own name only (`routers/models.py` -> `models`),
    which would make it look like the models layer. Its two nearest folders are added."""
    if "." in ctx.module or ctx.is_package:
        return ctx.module
    folders = [p for p in PurePath(ctx.path).parent.parts if p.isidentifier()][-2:]
    return ".".join([*folders, ctx.module])


def service_layer(module: str, is_package: bool = False) -> str | None:
    """The part of the module path that puts it in the service/domain layer, if any.

    The packages holding the file decide before the module's own name, the innermost first:
    `app.services.orders` is service code, `app.routers.models` is the API layer (its file
    is named after the resource it serves), `app.user_service` is service code by its own
    name (a suffix counts only on the module itself: a package `mcp_service` is a whole
    service, API included). `models` counts only as the module's name or the package right
    around it: deeper up it is as often a package of ML or AI models (`mlflow.models.container`)
    as the domain's."""
    if is_test_module(module):
        return None
    parts = module.split(".")
    packages = parts if is_package else parts[:-1]
    for depth, part in enumerate(reversed(packages)):
        if part in API_LAYER_PARTS:
            return None
        if part in SERVICE_LAYER_PARTS and (part not in _OVERLOADED or depth == 0):
            return part
    leaf = parts[-1]
    if is_package:
        return None
    if leaf in SERVICE_LAYER_PARTS:
        return leaf
    if leaf.endswith(_LAYER_SUFFIXES) and not (packages and packages[-1] in _UTILITY_PACKAGES):
        return leaf  # `orders_service.py`, but not `utils/s6_services.py` (process helpers)
    return None


def raised_class(node: ast.Raise, ctx: FileContext) -> str | None:
    """Qualified name of the exception class a `raise` builds (`raise X(...)` or `raise X`);
    None when it re-raises an object it was given (`raise error`) or the class is unknown."""
    exc = node.exc
    if exc is None:
        return None
    cls = exc.func if isinstance(exc, ast.Call) else exc
    if not isinstance(cls, ast.Name | ast.Attribute):
        return None
    assert ctx.scope is not None
    binding = ctx.resolver.lookup(cls.id, ctx.scope) if isinstance(cls, ast.Name) else None
    if binding is not None and binding.kind not in ("import", "class"):
        return None
    return ctx.qualname(cls)


def layer_of(ctx: FileContext) -> str | None:
    """`service_layer` for the file being checked."""
    return service_layer(module_path(ctx), ctx.is_package)


# -- responses --------------------------------------------------------------------------------

_RESPONSE_MODULES = frozenset({
    "fastapi", "fastapi.responses", "starlette.responses", "flask", "flask.wrappers",
    "werkzeug", "werkzeug.wrappers", "werkzeug.wrappers.response", "django.http",
    "django.http.response", "rest_framework.response", "quart",
})
RESPONSE_FUNCTIONS = frozenset({
    "flask.jsonify", "flask.json.jsonify", "flask.make_response", "flask.abort",
    "werkzeug.exceptions.abort", "flask.helpers.make_response", "quart.jsonify",
    "quart.make_response", "quart.abort",
})
HTTP_EXCEPTIONS = frozenset({
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException",
    "starlette.exceptions.HTTPException", "fastapi.WebSocketException",
    "fastapi.exceptions.WebSocketException", "starlette.exceptions.WebSocketException",
})


def is_response_call(target: str) -> bool:
    """A call that builds what the client receives (a response, an HTTP error, `jsonify`)."""
    if target in RESPONSE_FUNCTIONS or target in HTTP_EXCEPTIONS:
        return True
    module, _, name = target.rpartition(".")
    return module in _RESPONSE_MODULES and "Response" in name


def is_json_response_call(target: str) -> bool:
    """A call whose first argument (or keyword `content`) is serialised to a JSON body."""
    module, _, name = target.rpartition(".")
    if target in ("flask.jsonify", "flask.json.jsonify", "quart.jsonify"):
        return True
    return module in _RESPONSE_MODULES and name.endswith(("JSONResponse", "JsonResponse"))


def literal_int(expr: ast.expr | None) -> int | None:
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return expr.value
    return None


def literal_str(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


# -- validation -----------------------------------------------------------------------------

# Calls that validate the data they are given: pydantic, marshmallow, msgspec, jsonschema...
VALIDATING_METHODS = frozenset({
    "model_validate", "model_validate_json", "parse_obj", "parse_raw", "parse_obj_as",
    "validate", "validate_python", "validate_json", "load", "loads", "decode", "from_dict",
    "structure", "validate_call", "deserialize", "convert",
})
SCHEMA_SUFFIXES = ("Schema", "Model", "Request", "Input", "In", "Payload", "Params", "Form",
                   "Body", "Data", "DTO", "Dto", "Args", "Validator", "Create", "Update")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def is_validating_call(call: ast.Call, any_class: bool) -> bool:
    """A call that validates its arguments: `X.model_validate(d)`, `schema.load(d)`,
    `OrderIn(**d)`. A bare class call counts when `any_class` (FastAPI code, where classes built
    from request data are Pydantic models) or when its name says schema/model/form/..."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in VALIDATING_METHODS:
        return True
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")
    if name in VALIDATING_METHODS:
        return True
    if not name[:1].isupper() or name.isupper():
        return False
    return any_class or name.endswith(SCHEMA_SUFFIXES)


def local_parents(fn: ast.AST) -> dict[ast.AST, ast.AST]:
    """Child -> parent for every node of `fn` (the traversal has not reached all of it yet)."""
    out: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def reaches_validation(fn: ast.AST, read: ast.AST, parents: dict[ast.AST, ast.AST],
                       any_class: bool) -> bool:
    """Whether the value of `read` goes into a validating call in `fn`: directly
    (`Schema().load(request.json)`) or through the variable it is stored in."""
    current = parents.get(read)
    node: ast.AST = read
    while current is not None and not isinstance(current, ast.stmt):
        if isinstance(current, ast.Call) and is_validating_call(current, any_class) and (
                node is not current.func):
            return True
        node, current = current, parents.get(current)
    stored: str | None = None
    if isinstance(current, ast.Assign) and len(current.targets) == 1 and isinstance(
            current.targets[0], ast.Name):
        stored = current.targets[0].id
    elif isinstance(current, ast.AnnAssign) and isinstance(current.target, ast.Name):
        stored = current.target.id
    named = parents.get(read)
    while named is not None and not isinstance(named, ast.stmt):
        if isinstance(named, ast.NamedExpr) and isinstance(named.target, ast.Name):
            stored = named.target.id
        named = parents.get(named)
    if stored is None:
        return False
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call) and is_validating_call(sub, any_class):
            for arg in (*sub.args, *(k.value for k in sub.keywords)):
                if any(isinstance(n, ast.Name) and n.id == stored for n in ast.walk(arg)):
                    return True
    return False
