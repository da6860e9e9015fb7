"""ERR501: `except Exception:` or a bare `except:` that silently does nothing."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.aio._knowledge import lookup
from stackwise.rules.errors._handlers import in_request_code
from stackwise.rules.errors._web import is_test_module

BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
# Best-effort cleanup whose failure is routinely ignored: `try: os.remove(tmp)`.
_CLEANUP = frozenset({
    "close", "aclose", "unlink", "remove", "rmtree", "rmdir", "kill", "terminate", "cancel",
    "shutdown", "disconnect", "release", "cleanup", "delete", "stop", "join", "dispose",
    "unsubscribe", "discard", "flush", "wait_closed", "__exit__", "__aexit__", "clear",
})
_CLEANUP_PREFIXES = tuple(f"{verb}_" for verb in (
    "close", "remove", "delete", "kill", "terminate", "cancel", "shutdown", "disconnect",
    "release", "cleanup", "stop", "unregister", "unsubscribe", "clear", "drop", "purge"))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_DIRECTIVES = ("noqa", "type:", "pragma", "pylint", "nosec", "fmt:", "stackwise:", "expect:",
               "pyright:", "mypy:")
_QUIET_METHODS = frozenset({"__del__", "__exit__", "__aexit__", "__repr__", "__str__"})


def _does_nothing(body: list[ast.stmt]) -> bool:
    """`pass`, `...`, a docstring, `continue`, `break`, `return` or `return None` only."""
    for stmt in body:
        if isinstance(stmt, ast.Pass | ast.Continue | ast.Break):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Return) and (
                stmt.value is None
                or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)):
            continue
        return False
    return True


def _cleanup_name(expr: ast.expr) -> bool:
    name = expr.attr if isinstance(expr, ast.Attribute) else (
        expr.id if isinstance(expr, ast.Name) else "")
    return name in _CLEANUP or name.startswith(_CLEANUP_PREFIXES)


def _is_cleanup(body: list[ast.stmt]) -> bool:
    """A `try` whose body only makes best-effort cleanup calls (possibly under an `if`):
    `f.close()`, `os.remove(p)`, `await asyncio.to_thread(os.remove, p)`,
    `manager.remove_client(key)`, `await db.delete(...)`."""
    calls = 0
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.If):
            stack.extend(stmt.body)
            stack.extend(stmt.orelse)
            continue
        if not isinstance(stmt, ast.Expr):
            return False
        value = stmt.value
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        if not (_cleanup_name(value.func) or (value.args and _cleanup_name(value.args[0]))):
            return False
        calls += 1
    return calls > 0


_IO_METHODS = frozenset({
    "commit", "execute", "executemany", "save", "send", "send_message", "sendall", "publish",
    "delete", "insert", "insert_one", "insert_many", "update_one", "update_many", "flush",
    "bulk_create", "bulk_update", "refresh", "request", "urlopen", "upload", "download",
})


def _does_io(body: list[ast.stmt], ctx: FileContext) -> bool:
    """The `try` body waits on something (`await`) or calls a database, network or file API:
    the failures an empty handler hides are outages and lost writes, not parsing quirks."""
    stack: list[ast.AST] = list(body)
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.Await | ast.AsyncFor | ast.AsyncWith):
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in _IO_METHODS:
                return True
            target = ctx.call_target(sub)
            if target is not None and lookup(target) is not None:
                return True
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(sub))
    return False


def _is_fallback(node: ast.Try | ast.TryStar, handler: ast.ExceptHandler) -> bool:
    """`try: <return the special case> except Exception: pass` and then the default below it,
    or `try: import optional_thing ...`: trying something optional, deliberately."""
    if not all(isinstance(s, ast.Pass | ast.Expr) for s in handler.body):
        return False
    stack: list[ast.AST] = list(node.body)
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.Return | ast.Import | ast.ImportFrom):
            return True
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(sub))
    return False


def _documented_none(fn: ast.AST, handler: ast.ExceptHandler) -> bool:
    """The handler returns None and the function's docstring says what None means ("None when
    the directory could not be read"): a documented outcome, not a silenced error."""
    if not (len(handler.body) == 1 and isinstance(handler.body[0], ast.Return) and (
            handler.body[0].value is None or (isinstance(handler.body[0].value, ast.Constant)
                                              and handler.body[0].value.value is None))):
        return False
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    doc = ast.get_docstring(fn) or ""
    return "None" in doc


def _is_relay(body: list[ast.stmt]) -> bool:
    """`try: async for msg in ws: ...`: a relay loop that ends when the connection drops."""
    return len(body) == 1 and isinstance(body[0], ast.AsyncFor | ast.While | ast.For)


class SwallowedException(Rule):
    """
    ## What it does
    Finds `except Exception:`, `except BaseException:` or a bare `except:` whose body does
    nothing (only `pass`, `...`, `continue`, `break` or `return`/`return None`) around code
    that does I/O: it `await`s, or calls a database, network or file API (`commit`,
    `execute`, `send`, `requests.get`, `open`...). A handler that re-raises, logs, returns a
    value, or does anything else is not reported, nor is one around pure computation
    (parsing, formatting), where ignoring bad input is usually the point.

    Checked where a swallowed error becomes a wrong response: inside FastAPI routes and
    dependencies, Flask views (functions and `MethodView`/flask-restful resources), Django
    views (`views` modules, class-based views), exception handlers, and anywhere in a module of
    the service layer (`services/`, `domain/`, `repositories/`, `models`...). Not reported:
    handlers with a comment (the author says why ignoring is right), a `try` whose body only
    makes best-effort cleanup calls (`f.close()`, `os.remove(tmp)`, `task.cancel()`), a
    fallback (`try:` ... `return special_case` / `except Exception: pass` / the default below,
    or a `try` that imports something optional), a `return None` that the function's
    docstring explains ("None when the file cannot be read"), `__del__`,
    `__exit__`, `__repr__`, a `try` followed directly by a `raise` (the ignored error only
    spoiled an attempt to enrich the error raised next), a `try` whose body is a single loop
    (a relay that ends when its connection drops), and test modules.

    ## Why it matters
    A broad handler that does nothing turns every failure into silence: the database being
    down, a typo in an attribute name, an expired credential. The request succeeds with wrong
    or missing data, nothing is logged, and the bug is found weeks later, if ever. `except
    Exception` also catches the errors you did not think of, which are the ones you most need
    to see.

    ## Example
    ```python
    async def notify_followers(user: User) -> None:
        for follower in user.followers:
            try:
                await push.send(follower.device, render(user))
            except Exception:
                pass
    ```

    ## Use instead
    Catch what you expect, and at least log the rest:
    ```python
            try:
                await push.send(follower.device, render(user))
            except push.DeviceGone:
                await devices.forget(follower.device)
            except Exception:
                logger.exception("push to %s failed", follower.id)
    ```
    """

    code = "ERR501"
    name = "swallowed-exception"
    summary = "Broad `except` that does nothing: catch specific errors, log, or re-raise"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Try, ast.TryStar)
    requires_text: ClassVar[tuple[str, ...]] = ("except",)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Try | ast.TryStar)
        if is_test_module(ctx.module):
            return
        if not in_request_code(ctx):
            return
        scope = ctx.function_scope
        if scope is not None and isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and scope.node.name in _QUIET_METHODS:
            return
        if _is_cleanup(node.body) or self._error_follows(node, ctx):
            return
        if _is_relay(node.body) or not _does_io(node.body, ctx):
            return
        for handler in node.handlers:
            if not self._broad(handler, ctx) or not _does_nothing(handler.body):
                continue
            if self._has_comment(handler, ctx) or _is_fallback(node, handler):
                continue
            if scope is not None and _documented_none(scope.node, handler):
                continue
            caught = "except:" if handler.type is None else f"except {ast.unparse(handler.type)}:"
            ctx.report(
                self, handler,
                f"`{caught}` silently swallows every error of the I/O above (an outage, a lost "
                "write); catch the exceptions you expect, and log (`logger.exception(...)`) or "
                "re-raise the rest",
            )

    @staticmethod
    def _error_follows(node: ast.stmt, ctx: FileContext) -> bool:
        """The statement run after the `try` raises: the ignored error only spoiled an attempt
        to enrich the error that is raised anyway (`try: detail = r.json()["detail"]`)."""
        current: ast.AST = node
        while True:
            parent = ctx.parent(current)
            if parent is None:
                return False
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if isinstance(block, list) and current in block:
                    index = block.index(current)
                    if index + 1 < len(block):
                        return isinstance(block[index + 1], ast.Raise)
                    break
            if isinstance(parent, (*_SCOPES, ast.For, ast.AsyncFor, ast.While)):
                return False  # the end of the function, or the loop's next iteration
            current = parent

    @staticmethod
    def _broad(handler: ast.ExceptHandler, ctx: FileContext) -> bool:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        return any(ctx.qualname(t) in BROAD for t in types)

    @staticmethod
    def _has_comment(handler: ast.ExceptHandler, ctx: FileContext) -> bool:
        """A comment in the handler that says something (not a linter or test directive)."""
        end = handler.end_lineno or handler.lineno
        lines = ctx.source.lines
        for lineno in range(handler.lineno, min(end, len(lines)) + 1):
            line = lines[lineno - 1]
            if "#" in line:
                comment = line[line.index("#") + 1:].strip().lower()
                if comment and not comment.startswith(_DIRECTIVES):
                    return True
        return False
