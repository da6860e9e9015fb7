"""FAS204: request data taken unvalidated (`await request.json()`, a `dict`/`Any` body)."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._web import literal_str, local_parents, reaches_validation, resolve
from stackwise.rules.fastapi._detect import (
    REQUEST_TYPES,
    current_endpoint,
    is_depends_call,
    route_decorator,
    route_method,
)

_BODY_METHODS = frozenset({"post", "put", "patch", "delete", "api_route"})
_READS = frozenset({"json", "form"})
_PARAM_MARKERS = frozenset({"Query", "Path", "Header", "Cookie", "Form", "File", "Depends",
                            "Security"})
_UNTYPED = frozenset({"builtins.dict", "typing.Dict", "typing.Any", "typing.Mapping",
                      "typing.MutableMapping", "collections.abc.Mapping", "builtins.object"})


def _is_webhook(deco: ast.Call | None, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A route that receives someone else's payload: its path says so (`/webhooks/stripe`), or
    it takes the provider's signature header (`x_twilio_signature: str = Header(...)`)."""
    path = literal_str(deco.args[0]) if deco is not None and deco.args else None
    if path is not None and any(w in path.lower() for w in ("webhook", "hook", "callback")):
        return True
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    return any("signature" in a.arg.lower() for a in args)


class UnvalidatedRequestBody(Rule):
    """
    ## What it does
    In FastAPI routes, finds request data taken without validation:

    * `await request.json()` or `await request.form()` on a `request: Request` parameter,
      unless the result goes straight into a validating call (`Model.model_validate(...)`,
      `Model(**data)`, `TypeAdapter(...).validate_python(...)`, a marshmallow `schema.load`);
    * a body parameter typed `dict`, `dict[str, Any]`, `Mapping` or `Any = Body(...)` on a
      `post`/`put`/`patch`/`delete`/`api_route` route. A parametrised map that also says
      `Body(...)` explicitly (`labels: dict[str, Any] = Body(...)`, free-form labels or a
      JSON document by design) is taken as deliberate and not reported.

    `await request.body()` (the raw bytes a webhook signature is computed over) is not
    reported, nor is anything in a route that also reads the raw body (a webhook verifying
    its signature), whose path says it receives someone else's payload (`webhook`, `hook`,
    `callback`) or that takes the provider's signature (a `..._signature` parameter): the
    provider defines that schema and handlers often pick one field from it.

    ## Why it matters
    A Pydantic model parameter is FastAPI's validation: types are checked and coerced, missing
    or extra fields are rejected with a 422 the client can read, and the schema appears in the
    OpenAPI docs. Raw JSON skips all of it, so a wrong type surfaces later as a `KeyError` or
    `TypeError` (a 500), or worse, reaches the database unchecked.

    ## Example
    ```python
    @router.post("/orders")
    async def create_order(request: Request) -> OrderOut:
        data = await request.json()
        return await orders.create(customer=data["customer"], items=data["items"])
    ```

    ## Use instead
    ```python
    class OrderIn(BaseModel):
        customer: str
        items: list[Item]

    @router.post("/orders")
    async def create_order(order: OrderIn) -> OrderOut:
        return await orders.create(customer=order.customer, items=order.items)
    ```
    """

    code = "FAS204"
    name = "unvalidated-request-body"
    summary = "Request body read raw (`request.json()`, `dict`): declare a Pydantic model parameter"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (
        ast.Await, ast.FunctionDef, ast.AsyncFunctionDef)
    requires_text: ClassVar[tuple[str, ...]] = ("fastapi",)  # routes of files importing fastapi

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Await):
            self._read(node, ctx)
        else:
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            assert ctx.scope is not None
            self._params(node, ctx, ctx.scope)

    def _read(self, node: ast.Await, ctx: FileContext) -> None:
        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in _READS and not call.args):
            return
        endpoint = current_endpoint(ctx)
        if endpoint is None or endpoint[0] != "route":
            return
        receiver = ctx.qualname(call.func.value)
        if receiver not in REQUEST_TYPES:
            return
        fn = endpoint[1]
        assert ctx.scope is not None and ctx.scope.parent is not None
        if self._reads_raw_body(fn, call.func.value) or _is_webhook(
                route_decorator(ctx, fn, ctx.scope.parent), fn):
            return  # a provider's payload, often signed over the raw body first
        if reaches_validation(fn, node, local_parents(fn), any_class=True):
            return
        what = "JSON body" if call.func.attr == "json" else "form"
        ctx.report(
            self, node,
            f"`{ast.unparse(node)}` in route `{fn.name}` takes the {what} without validation; "
            "declare a Pydantic model parameter (e.g. `payload: OrderIn`) so FastAPI validates "
            "and documents it",
        )

    @staticmethod
    def _reads_raw_body(fn: ast.AST, request: ast.expr) -> bool:
        written = ast.unparse(request)
        return any(
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in ("body", "stream") and ast.unparse(sub.func.value) == written
            for sub in ast.walk(fn)
        )

    def _params(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext,
                outer: Scope) -> None:
        deco = route_decorator(ctx, fn, outer)
        if deco is None or route_method(deco) not in _BODY_METHODS or _is_webhook(deco, fn):
            return
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += list(args.defaults)
        pairs = [*zip(positional, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults,
                                                             strict=True)]
        for arg, default in pairs:
            if arg.annotation is None:
                continue
            ann, marker = self._unwrap(arg.annotation, default, ctx, outer)
            if marker in _PARAM_MARKERS or is_depends_call(ctx, default, outer):
                continue
            shown = self._untyped(ann, ctx, outer)
            if shown is None:
                continue
            if shown in ("Any", "object") and marker != "Body":
                continue  # FastAPI reads a plain `Any` parameter from the query string
            if isinstance(ann, ast.Subscript) and marker == "Body":
                continue  # `dict[str, Any] = Body(...)`: a free-form map, declared on purpose
            ctx.report(
                self, arg,
                f"body parameter `{arg.arg}: {ast.unparse(arg.annotation)}` of route "
                f"`{fn.name}` accepts any JSON without validation; declare a Pydantic model "
                "for it",
            )

    @staticmethod
    def _unwrap(ann: ast.expr, default: ast.expr | None, ctx: FileContext,
                scope: Scope) -> tuple[ast.expr, str | None]:
        """(the type, the FastAPI marker: `Body`, `Query`, ... from the default or Annotated)."""
        marker: str | None = None
        if isinstance(default, ast.Call):
            func = default.func
            marker = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
        if isinstance(ann, ast.Subscript) and resolve(ctx, ann.value, scope) in (
                "typing.Annotated", "typing_extensions.Annotated"):
            elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            for extra in elts[1:]:
                if isinstance(extra, ast.Call):
                    func = extra.func
                    marker = func.id if isinstance(func, ast.Name) else (
                        func.attr if isinstance(func, ast.Attribute) else marker)
            ann = elts[0]
        return ann, marker

    @staticmethod
    def _untyped(ann: ast.expr, ctx: FileContext, scope: Scope) -> str | None:
        """A short name if `ann` is `dict`, `dict[str, Any]`, `Mapping`, `Any`; else None."""
        base = ann.value if isinstance(ann, ast.Subscript) else ann
        qual = resolve(ctx, base, scope)
        if qual not in _UNTYPED:
            return None
        if isinstance(ann, ast.Subscript):
            elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            values = elts[1:] if len(elts) == 2 else []
            if not values or resolve(ctx, values[0], scope) not in ("typing.Any",
                                                                    "builtins.object"):
                return None  # dict[str, int] validates its values
        return qual.rsplit(".", 1)[-1]
