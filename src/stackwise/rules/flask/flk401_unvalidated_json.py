"""FLK401: `request.get_json()`/`request.json` used without a schema."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._web import is_test_module, local_parents, reaches_validation
from stackwise.rules.flask._detect import REQUEST

# Decorators that validate the body before the view runs (flask-smorest, webargs,
# flask-pydantic, flask-expects-json, flask-restx, APIFlask, spectree, flask-openapi3...).
_VALIDATING_DECORATORS = frozenset({
    "arguments", "use_args", "use_kwargs", "validate", "expects_json", "expect", "input",
    "validate_json", "validate_request", "json_schema", "accepts", "body", "parse_with",
})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class UnvalidatedRequestJSON(Rule):
    """
    ## What it does
    Finds a function in Flask code that reads the request body with `request.get_json()` or
    `request.json` and never passes it through a schema: no `Schema().load(...)`
    (marshmallow), `Model.model_validate(...)`/`Model(**data)` (Pydantic), `validate(...)`
    (jsonschema) or `...Schema/...Model/...Form(...)` class taking the data, neither directly nor
    through the variable it was stored in, and no validating decorator on the view
    (`@blp.arguments`, `@use_args`, `@validate`, `@expects_json`, `@api.expect`, `@input`,
    or any decorator whose name says it validates or applies a schema, such as
    `@validate_openapi_request(...)`).

    One finding per function, at the first read. Checks written by hand
    (`if "email" not in data: abort(400)`) are not a schema and do not count.

    ## Why it matters
    The body is whatever the client sent: a list where a dict was expected, a string for a
    number, extra keys that end up as model attributes. Without a schema the view fails with a
    500 on the first wrong type, or passes the values on to the database unchecked, and each
    view re-implements a partial set of checks. A schema validates in one place, returns a 400
    that says which field is wrong, and documents the payload.

    ## Example
    ```python
    @bp.post("/users")
    def create_user():
        data = request.get_json()
        user = User(email=data["email"], name=data.get("name"))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id), 201
    ```

    ## Use instead
    ```python
    class UserIn(BaseModel):
        email: EmailStr
        name: str | None = None

    @bp.post("/users")
    def create_user():
        payload = UserIn.model_validate(request.get_json())
        user = User(email=payload.email, name=payload.name)
        ...
    ```
    (or a marshmallow `UserSchema().load(request.get_json())`).
    """

    code = "FLK401"
    name = "unvalidated-request-json"
    summary = "Request JSON used without a schema: validate it with Pydantic or marshmallow"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Attribute,)
    requires_text: ClassVar[tuple[str, ...]] = ("flask",)  # `flask.request` only

    def __init__(self) -> None:
        self.done: set[ast.AST] = set()

    @staticmethod
    def _is_read(node: ast.Attribute, ctx: FileContext) -> bool:
        if node.attr not in ("json", "get_json") or not isinstance(node.ctx, ast.Load):
            return False
        if ctx.qualname(node.value) not in REQUEST:
            return False
        if node.attr == "get_json":
            return isinstance(ctx.parent(node), ast.Call)
        return True

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Attribute)
        if node.attr not in ("json", "get_json"):
            return
        scope = ctx.function_scope
        if scope is None or scope.kind != "function" or scope.node in self.done:
            return
        if not self._is_read(node, ctx) or is_test_module(ctx.module):
            return
        fn = scope.node
        assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        self.done.add(fn)
        if any(self._validating_decorator(d) for d in fn.decorator_list):
            return
        parents = local_parents(fn)
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Attribute) and sub.attr in ("json", "get_json"):
                read: ast.AST = sub
                if sub.attr == "get_json":
                    call = parents.get(sub)
                    if not isinstance(call, ast.Call):
                        continue
                    read = call
                if ctx.qualname(sub.value) in REQUEST and reaches_validation(
                        fn, read, parents, any_class=False):
                    return
        shown = "request.get_json()" if node.attr == "get_json" else "request.json"
        ctx.report(
            self, node,
            f"`{shown}` in `{fn.name}` is used without a schema; validate it first "
            "(a Pydantic model's `model_validate(...)` or a marshmallow `Schema().load(...)`) "
            "and use the validated object",
        )

    @staticmethod
    def _validating_decorator(deco: ast.expr) -> bool:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else (
            target.id if isinstance(target, ast.Name) else "")
        lowered = name.lower()
        return name in _VALIDATING_DECORATORS or "validat" in lowered or "schema" in lowered
