"""FAS206: `HTTPException` raised in service, domain or repository code."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._web import HTTP_EXCEPTIONS, layer_of, raised_class
from stackwise.rules.fastapi._detect import REQUEST_TYPES, current_endpoint


class HTTPExceptionOutsideAPI(Rule):
    """
    ## What it does
    Finds `raise HTTPException(...)` (FastAPI's or Starlette's) in a module of the service
    layer. The layer is read from the module path, never from what the code does: the
    innermost package named `services`/`service`, `domain`, `models`, `repositories`/
    `repository`/`repos`, `crud`, `usecases`, `interactors` or `business` makes it service
    code (`app/services/orders.py`), one named `api`, `routes`/`routers`, `views`,
    `endpoints`, `handlers`, `controllers` or `schemas` makes it API code
    (`app/routers/models.py` serves the "models" resource); the module's own name counts
    last, and also by its suffix (`app/user_service.py`, `orders_repository.py`).

    Not reported: test modules; functions FastAPI itself calls (routes, dependencies,
    functions taking a `Request`), which belong to the API layer wherever they live; and
    `raise exc` of an exception object the function was given.

    ## Why it matters
    A service that raises `HTTPException` knows about HTTP: it cannot be reused from a CLI, a
    worker or a test without dragging status codes along, and two routes cannot map the same
    failure to different responses. Raising a domain exception (`OrderNotFound`) keeps the
    service independent; one exception handler turns it into a 404 for every route.

    ## Example
    ```python
    # app/services/orders.py
    async def get_order(db: AsyncSession, order_id: int) -> Order:
        order = await db.get(Order, order_id)
        if order is None:
            raise HTTPException(status_code=404, detail="Order not found")
        return order
    ```

    ## Use instead
    ```python
    # app/services/orders.py
    class OrderNotFound(LookupError): ...

    async def get_order(db: AsyncSession, order_id: int) -> Order:
        order = await db.get(Order, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        return order

    # app/main.py
    @app.exception_handler(OrderNotFound)
    async def order_not_found(request: Request, exc: OrderNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"code": "order_not_found", ...})
    ```
    """

    code = "FAS206"
    name = "http-exception-outside-api-layer"
    summary = "`HTTPException` in service code: raise a domain exception, map it in a handler"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Raise,)
    requires_text: ClassVar[tuple[str, ...]] = ("fastapi", "starlette")  # HTTP_EXCEPTIONS

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Raise)
        target = raised_class(node, ctx)  # None for `raise error` (re-raising an object)
        if target not in HTTP_EXCEPTIONS:
            return
        layer = layer_of(ctx)
        if layer is None:
            return
        if current_endpoint(ctx) is not None or self._takes_request(ctx):
            return
        exc = node.exc
        assert exc is not None
        shown = ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)
        ctx.report(
            self, node,
            f"`{shown}` raised in service-layer code (`{layer}`) ties it to HTTP; raise a "
            "domain exception "
            "(e.g. `class OrderNotFound(Exception)`) and turn it into a response in an "
            "exception handler",
        )

    @staticmethod
    def _takes_request(ctx: FileContext) -> bool:
        scope = ctx.function_scope
        if scope is None or scope.kind != "function":
            return False
        fn = scope.node
        assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for arg in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs):
            if arg.annotation is not None and ctx.qualname(arg.annotation) in REQUEST_TYPES:
                return True
        return False
