"""ERR500: exception text or a traceback sent to the client in a response."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._handlers import (
    caught_class,
    exception_class,
    exception_param,
    handled_class,
    handler_kind,
    in_view_class,
)
from stackwise.rules.errors._web import (
    WEB_FRAMEWORKS,
    is_response_call,
    is_test_module,
    is_validating_call,
    local_parents,
)

_TRACEBACK = frozenset({
    "traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
    "traceback.format_stack", "traceback.extract_tb", "traceback.extract_stack",
    "traceback.TracebackException.format", "sys.exc_info", "sys.exception",
})
_TO_TEXT = frozenset({"builtins.str", "builtins.repr", "traceback.format_exception_only"})
_LEAKING_NAMES = frozenset(
    {name.rsplit(".", 1)[-1] for name in _TRACEBACK | _TO_TEXT} | {"__str__", "__repr__", "format"})
# Calls a leaked value passes through on its way into a response.
_PASSTHROUGH = frozenset({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.repr",
    "json.dumps", "builtins.format",
})
_CONTAINERS = (
    ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.FormattedValue, ast.BinOp,
    ast.keyword, ast.Starred, ast.Attribute, ast.Subscript, ast.IfExp, ast.BoolOp, ast.Await,
)
# Methods a parse step may call on the way (`raw.decode("utf-8")`, a header test).
_PURE_METHODS = frozenset({"decode", "strip", "lower", "startswith", "endswith", "items",
                           "keys", "values"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class InternalsLeakedToClient(Rule):
    """
    ## What it does
    Finds exception details put into what the client receives: `traceback.format_exc()`,
    `traceback.format_exception(...)`, `sys.exc_info()`, or the text of a caught exception
    (`str(exc)`, `repr(exc)`, `exc.args`, `f"{exc}"`, `"%s" % exc`) in

    * the arguments of a response: `JSONResponse`, `HTMLResponse`, `Response`,
      `HTTPException(detail=...)` (FastAPI/Starlette), `jsonify`, `make_response`, `abort`
      (Flask), `HttpResponse`, `JsonResponse` (Django), DRF's `Response`;
    * the return value of a FastAPI route, a Flask view, a method of a class-based view
      (`MethodView`, flask-restful `Resource`, DRF `APIView`), or an exception handler
      (`@app.exception_handler`, `@app.errorhandler`);

    directly or through one variable (`msg = str(exc)` ... `return {"error": msg}`).

    The text of an exception counts only when the exception is broad or carries internals:
    a bare `except:`, `except Exception`, a database driver's or ORM's error (SQLAlchemy,
    psycopg, pymysql, sqlite3, redis, pymongo), an HTTP client's (requests, httpx, aiohttp),
    boto, `OSError` and its kin, or a handler registered for `Exception`. The message of your
    own exception (`except OrderNotFound as exc: ... detail=str(exc)`) is meant for the client
    and is not reported, nor is text guarded by `isinstance(exc, YourError)`, nor the error
    of a `try` that only parses or validates the client's input (`json.loads(raw)`,
    `Payload(**body)`, `await request.json()`), which describes that input; a traceback always
    is.

    ## Why it matters
    Exception text is written for developers: it holds SQL statements with values, table and
    column names, file paths, host names and ports, library versions, sometimes credentials
    from a connection string. Sent to the client it maps your internals for an attacker, and
    clients start parsing messages that change with every library upgrade.

    ## Example
    ```python
    @router.post("/payments")
    async def pay(req: PaymentIn, db: DbSession) -> PaymentOut:
        try:
            return await payments.charge(db, req)
        except Exception as exc:
            raise HTTPException(status_code=500, detail=str(exc))
    ```

    ## Use instead
    ```python
        except Exception:
            error_id = uuid4().hex
            logger.exception("payment failed (error_id=%s)", error_id)
            raise HTTPException(
                status_code=500,
                detail={"code": "payment_failed", "message": "Payment failed",
                        "error_id": error_id},
            ) from None
    ```
    """

    code = "ERR500"
    name = "internals-leaked-to-client"
    summary = "Exception text/traceback in a response: log it, return a generic message and an id"
    severity = Severity.ERROR
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (
        ast.Call, ast.Attribute, ast.FormattedValue, ast.BinOp)
    requires_text: ClassVar[tuple[str, ...]] = WEB_FRAMEWORKS  # responses and views of these only

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        scope = ctx.function_scope
        if scope is None or scope.kind != "function":
            return
        found = self._leak(node, ctx)
        if found is None:
            return
        shown, exc_name = found
        fn = scope.node
        assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        if exc_name is not None:
            kind = self._exception_kind(exc_name, node, fn, ctx)
            if kind is None:
                return
            what = ("the text of a broad exception" if kind == "broad"
                    else "the text of an internal error")
        else:
            what = "a traceback"
        if is_test_module(ctx.module):
            return
        if not self._reaches_response(node, fn, ctx):
            return
        ctx.report(
            self, node,
            f"`{shown}` sends {what} to the client (SQL, paths, hosts, library details); log it "
            "and return a generic message with an error id instead",
        )

    # -- what leaks --------------------------------------------------------------------------

    def _leak(self, node: ast.AST, ctx: FileContext) -> tuple[str, str | None] | None:
        """(how it is written, the exception variable or None for a traceback)."""
        if isinstance(node, ast.Call):
            func = node.func
            last = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else "")
            if last not in _LEAKING_NAMES:
                return None
            target = ctx.call_target(node)
            if target in _TRACEBACK:
                return ast.unparse(node)[:60], None
            if target in _TO_TEXT:
                name = next((a.id for a in node.args if isinstance(a, ast.Name)), None)
                return (ast.unparse(node)[:60], name) if name else None
            if isinstance(func, ast.Attribute) and func.attr in ("__str__", "__repr__") and (
                    isinstance(func.value, ast.Name)):
                return ast.unparse(node), func.value.id
            if isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(
                    func.value, ast.Constant):
                name = next((a.id for a in node.args if isinstance(a, ast.Name)), None)
                return (ast.unparse(node)[:60], name) if name else None
            return None
        if isinstance(node, ast.Attribute):
            if node.attr == "args" and isinstance(node.value, ast.Name) and isinstance(
                    node.ctx, ast.Load):
                return ast.unparse(node), node.value.id
            return None
        if isinstance(node, ast.FormattedValue):
            if isinstance(node.value, ast.Name):
                conversion = {114: "!r", 115: "!s", 97: "!a"}.get(node.conversion, "")
                return f"{{{node.value.id}{conversion}}}", node.value.id
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(
                node.left, ast.Constant) and isinstance(node.left.value, str):
            right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            name = next((r.id for r in right if isinstance(r, ast.Name)), None)
            return (ast.unparse(node)[:60], name) if name else None
        return None

    def _exception_kind(self, name: str, node: ast.AST, fn: FunctionNode,
                        ctx: FileContext) -> str | None:
        """"broad"/"internal" when `name` is a caught exception of that kind, else None."""
        assert ctx.scope is not None and ctx.scope.parent is not None
        child: ast.AST = node
        current = ctx.parent(node)
        while current is not None and current is not fn:
            in_true_branch = (isinstance(current, ast.IfExp) and child is current.body) or (
                isinstance(current, ast.If) and child in current.body)
            if in_true_branch:
                assert isinstance(current, ast.IfExp | ast.If)
                narrowed = self._narrowed(current.test, name, ctx)
                if narrowed is not None:
                    return narrowed or None
            if isinstance(current, ast.ExceptHandler) and current.name == name:
                if self._only_parses(ctx.parent(current)):
                    return None  # a parse/validation error of the client's own input
                return caught_class(ctx, current, ctx.scope)
            if isinstance(current, _SCOPES):
                return None
            child, current = current, ctx.parent(current)
        outer = ctx.scope.parent
        if exception_param(ctx, fn, outer) == name:
            return handled_class(ctx, fn, outer)
        return None

    @classmethod
    def _only_parses(cls, node: ast.AST | None) -> bool:
        """The `try` body only reads, parses or validates the client's input
        (`data = await request.json()`, `json.loads(raw.decode())`, `Payload(**body)`,
        `Model.model_validate(data)`), possibly picking the parser with an `if` on a header:
        what it raises describes the client's input."""
        if not isinstance(node, ast.Try | ast.TryStar):
            return False
        return cls._parse_statements(node.body)

    @classmethod
    def _parse_statements(cls, body: list[ast.stmt]) -> bool:
        if not body:
            return False
        for stmt in body:
            if isinstance(stmt, ast.If):
                if not (cls._pure(stmt.test) and cls._parse_statements(stmt.body)
                        and (not stmt.orelse or cls._parse_statements(stmt.orelse))):
                    return False
                continue
            value = stmt.value if isinstance(stmt, ast.Return | ast.Assign | ast.AnnAssign
                                              | ast.Expr) else None
            if isinstance(value, ast.Await):
                value = value.value
            if not isinstance(value, ast.Call) or not cls._parse_call(value):
                return False
            if any(isinstance(sub, ast.Call) and sub is not value and not (
                    cls._parse_call(sub) or cls._pure_call(sub)) for sub in ast.walk(value)):
                return False  # `requests.get(url).json()`: the call does more than parse
        return True

    @staticmethod
    def _parse_call(call: ast.Call) -> bool:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name in ("json", "loads", "get_json", "get_data") or name.startswith("parse") or (
                "validate" in name):
            return True  # `validate_password(form.password)`, `normalize_and_validate_url(u)`
        if name == "body" and isinstance(func, ast.Attribute) and isinstance(
                func.value, ast.Name) and func.value.id == "request":
            return True  # `await request.body()`
        if any(k.arg is None for k in call.keywords) and (
                name.endswith(("model_class", "model_cls", "schema", "schema_class"))):
            return True  # `model_class(**body)`: a Pydantic class passed in
        return is_validating_call(call, True)

    @staticmethod
    def _pure_call(call: ast.Call) -> bool:
        """String and mapping helpers that raise nothing worth hiding."""
        func = call.func
        return isinstance(func, ast.Attribute) and func.attr in _PURE_METHODS

    @classmethod
    def _pure(cls, test: ast.expr) -> bool:
        return all(cls._pure_call(sub) for sub in ast.walk(test) if isinstance(sub, ast.Call))

    @staticmethod
    def _narrowed(test: ast.expr, name: str, ctx: FileContext) -> str | None:
        """In the true branch of `isinstance(name, T)`: the class of T ("" when it is your own
        exception, so not a leak); None when the test says nothing about `name`. In the true
        branch of `"some text" in str(name)` the message is one the author already knows: "".
        `a or b`: "" when every operand says so."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            verdicts = [InternalsLeakedToClient._narrowed(v, name, ctx) for v in test.values]
            return "" if all(v == "" for v in verdicts) else None
        if (isinstance(test, ast.Compare) and len(test.ops) == 1
                and isinstance(test.ops[0], ast.In) and isinstance(test.left, ast.Constant)
                and isinstance(test.left.value, str)):
            text = test.comparators[0]
            if isinstance(text, ast.Call) and isinstance(text.func, ast.Name) and (
                    text.func.id in ("str", "repr") and len(text.args) == 1):
                text = text.args[0]
            if isinstance(text, ast.Name) and text.id == name:
                return ""
            return None
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name)
                and test.func.id == "isinstance" and len(test.args) == 2
                and isinstance(test.args[0], ast.Name) and test.args[0].id == name):
            return None
        assert ctx.scope is not None
        types = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
        kinds = {exception_class(ctx.qualname(t)) for t in types}
        found = "broad" if "broad" in kinds else ("internal" if "internal" in kinds else "")
        return found

    # -- where it goes ---------------------------------------------------------------------

    def _reaches_response(self, node: ast.AST, fn: FunctionNode, ctx: FileContext) -> bool:
        verdict = self._climb(node, ctx.parents, ctx)
        if isinstance(verdict, bool):
            return verdict
        if isinstance(verdict, ast.Return):
            return self._returns_response(fn, ctx)
        if isinstance(verdict, str):  # stored in a variable: follow its later uses once
            parents = local_parents(fn)
            line = getattr(node, "lineno", 0)
            for sub in ast.walk(fn):
                if isinstance(sub, ast.Name) and sub.id == verdict and isinstance(
                        sub.ctx, ast.Load) and sub.lineno >= line:
                    hop = self._climb(sub, parents, ctx)
                    if hop is True or (isinstance(hop, ast.Return)
                                       and self._returns_response(fn, ctx)):
                        return True
        return False

    @staticmethod
    def _returns_response(fn: FunctionNode, ctx: FileContext) -> bool:
        assert ctx.scope is not None and ctx.scope.parent is not None
        return handler_kind(ctx, fn, ctx.scope.parent) is not None or in_view_class(
            ctx, ctx.scope)

    @staticmethod
    def _climb(node: ast.AST, parents: Mapping[ast.AST, ast.AST],
               ctx: FileContext) -> bool | ast.Return | str:
        """True: inside a response call; a Return statement; a variable name it is stored in;
        False: anything else (logged, compared, passed to some other function)."""
        current: ast.AST = node
        parent = parents.get(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, ast.Call):
                if current is not parent.func:
                    target = ctx.call_target(parent)
                    if target is not None and is_response_call(target):
                        return True
                    if target not in _PASSTHROUGH:
                        return False
            elif not isinstance(parent, _CONTAINERS):
                return False  # compared, passed to a lambda, a comprehension...
            current, parent = parent, parents.get(parent)
        if isinstance(parent, ast.Return) and parent.value is not None:
            return parent
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(
                parent.targets[0], ast.Name) and current is parent.value:
            return parent.targets[0].id
        if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name) and (
                current is parent.value):
            return parent.target.id
        return False
