"""FAS205: a route with neither a return annotation nor `response_model`."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.fastapi._detect import keyword, route_decorator

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _call_name(expr: ast.expr | None) -> str:
    if isinstance(expr, ast.Await):
        expr = expr.value
    func = expr.func if isinstance(expr, ast.Call) else None
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _builds_response(name: str) -> bool:
    """`StreamingResponse(...)`, `RedirectResponse(...)`, or a helper that says it makes one
    (`_redirect_to_login(...)`, `build_error_response(...)`)."""
    lowered = name.lower()
    return name.endswith("Response") or "response" in lowered or "redirect" in lowered


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _response_annotation(expr: ast.expr | None) -> bool:
    """`-> Response`, `-> RedirectResponse | JSONResponse`, `-> Union[...]` of responses."""
    if isinstance(expr, ast.Name | ast.Attribute):
        name = expr.id if isinstance(expr, ast.Name) else expr.attr
        return name.endswith("Response")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return _response_annotation(expr.left) and _response_annotation(expr.right)
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name | ast.Attribute):
        outer = expr.value.id if isinstance(expr.value, ast.Name) else expr.value.attr
        elts = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        return outer == "Union" and all(_response_annotation(e) for e in elts)
    return False


def _module_functions(ctx: FileContext) -> dict[str, FunctionNode]:
    """Module-level functions of the file, by name."""
    scope = ctx.scope
    while scope is not None and scope.kind != "module":
        scope = scope.parent
    if scope is None or not isinstance(scope.node, ast.Module):
        return {}
    return {stmt.name: stmt for stmt in scope.node.body
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)}


def _makes_response(expr: ast.expr | None, helpers: dict[str, FunctionNode], depth: int) -> bool:
    """`expr` is a call that builds a response: by its name, or a function of the same module
    annotated to return one (`-> Response`) or whose own returns all are responses (another
    route: `return await get_favicon()`)."""
    name = _call_name(expr)
    if _builds_response(name):
        return True
    inner = expr.value if isinstance(expr, ast.Await) else expr
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)):
        return False
    helper = helpers.get(name)
    if helper is None or depth > 2:
        return False
    if helper.returns is not None:
        return _response_annotation(helper.returns)
    return _returns_only_responses(helper, helpers, depth + 1)


def _returns_only_responses(fn: FunctionNode, helpers: dict[str, FunctionNode],
                            depth: int = 0) -> bool:
    """Every `return value` in `fn`'s own body returns a response object it builds, directly
    or through a variable assigned one (`response = RedirectResponse(...)`)."""
    made: set[str] = set()
    returned: list[ast.expr] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Assign) and _makes_response(node.value, helpers, depth):
            made.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.Return) and node.value is not None:
            returned.append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    for value in returned:
        if not ((isinstance(value, ast.Name) and value.id in made)
                or _makes_response(value, helpers, depth)):
            return False
    return bool(returned)


class RouteWithoutResponseModel(Rule):
    """
    ## What it does
    Finds a FastAPI route (`@app.get(...)`, `@router.post(...)`, `api_route`, ...) that has
    neither a return annotation (`-> ItemOut`) nor a `response_model=` argument.

    Not reported: websocket routes, routes with `response_class=` or
    `include_in_schema=False`, and routes whose every `return` gives a response object
    (`StreamingResponse(...)`, `FileResponse(...)`, a variable assigned a `RedirectResponse(...)`,
    a helper whose name says it makes a response or a redirect, or a function of the same
    module annotated `-> Response` or itself returning only responses), where a response
    model would not apply.

    ## Why it matters
    The response model is what FastAPI validates and *filters* the response through: without
    one, whatever the route returns is serialised as is, so a field added to the ORM object
    later (a password hash, an internal flag) leaks to clients without anyone noticing. It is
    also what documents the response in the OpenAPI schema, and so what typed clients are
    generated from.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: DbSession):
        return await db.get(User, user_id)
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: DbSession) -> UserOut:
        return UserOut.model_validate(await db.get(User, user_id))
    ```
    or `@router.get("/users/{user_id}", response_model=UserOut)` when the function returns an
    ORM object that the model should filter; annotate `-> None` when it returns nothing.
    """

    code = "FAS205"
    name = "route-without-response-model"
    summary = "Route without return annotation or `response_model`: annotate the response type"
    severity = Severity.INFO
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.FunctionDef, ast.AsyncFunctionDef)
    requires_text: ClassVar[tuple[str, ...]] = ("fastapi",)  # routes of files importing fastapi

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if node.returns is not None:
            return
        assert ctx.scope is not None
        deco = route_decorator(ctx, node, ctx.scope)
        if deco is None:
            return
        for name in ("response_model", "response_class"):
            if keyword(deco, name) is not None:
                return
        hidden = keyword(deco, "include_in_schema")
        if hidden is not None and isinstance(hidden.value, ast.Constant) and (
                hidden.value.value is False):
            return
        if _returns_only_responses(node, _module_functions(ctx)):
            return
        ctx.report(
            self, node,
            f"route `{node.name}` has no return annotation or `response_model`, so its response "
            "is neither validated, filtered nor documented; annotate the return type "
            "(`-> ItemOut`, or `-> None`)",
        )
