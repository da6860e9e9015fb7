"""The per-file facts the FastAPI project rules (FAS202, FAS207) link across modules.

Keys in `FileFacts.extra`:

* `fas.depends`: resolved qualified names of what `Depends(x)`/`Security(x)` inject.
* `fas.returns_resource`: `[function, line, col, end_line, end_col, kind, shown]` for a function
  that returns a resource it opened (`return SessionLocal()`, `db = Session(); return db`).
* `fas.add_task`: `[function, target, line, col, end_line, end_col, shown]` for
  `background_tasks.add_task(target, ...)`.
* `fas.long`: `[function, reason, line]` for a function that sleeps, loops forever or makes
  network calls in a loop (what makes a background task long).
"""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import FactCollector
from stackwise.rules.aio._knowledge import lookup
from stackwise.rules.fastapi._detect import BACKGROUND_ADD_TASK, is_depends_call, is_fastapi_file
from stackwise.rules.fastapi._resources import resource_kind

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep"})
_NETWORK_CATEGORIES = frozenset({"http", "socket", "cloud"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request",
                         "send", "stream"})
_ASYNC_HTTP = frozenset({"httpx.AsyncClient", "aiohttp.ClientSession"})
_SMTP = frozenset({"smtplib.SMTP.sendmail", "smtplib.SMTP.send_message",
                   "smtplib.SMTP_SSL.sendmail", "smtplib.SMTP_SSL.send_message"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def is_network_call(target: str) -> bool:
    entry = lookup(target)
    if entry is not None and entry.category in _NETWORK_CATEGORIES:
        return True
    head, _, method = target.rpartition(".")
    return (head in _ASYNC_HTTP and method in _HTTP_VERBS) or target in _SMTP


class FastAPIFacts(FactCollector):
    code = "FAS"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call, ast.Return, ast.While)

    def __init__(self) -> None:
        self.seen_long: set[tuple[str, str]] = set()

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            self._call(node, ctx)
        elif isinstance(node, ast.Return):
            self._return(node, ctx)
        elif isinstance(node, ast.While):
            test = node.test
            if isinstance(test, ast.Constant) and test.value is True and ctx.function_qualname:
                self._long(ctx, "loops forever (`while True`)", node.lineno)

    def _long(self, ctx: FileContext, reason: str, line: int) -> None:
        key = (ctx.function_qualname, reason)
        if ctx.function_scope is None or key in self.seen_long:
            return
        self.seen_long.add(key)
        ctx.add_fact("fas.long", [ctx.function_qualname, reason, line])

    def _call(self, node: ast.Call, ctx: FileContext) -> None:
        assert ctx.scope is not None
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name in ("Depends", "Security"):
            self._depends(node, ctx)
            return
        if ctx.function_scope is None:
            return
        target = ctx.call_target(node)  # memoised: the engine resolves every call anyway
        if not target:
            return
        if name not in ("add_task", "sleep") and not is_network_call(target):
            return  # (the loop test below is the costly part: only for network calls)
        if target in BACKGROUND_ADD_TASK and node.args:
            self._add_task(node, ctx)
        elif target in SLEEPS:
            self._long(ctx, f"sleeps (`{ast.unparse(node.func)}`)", node.lineno)
        elif is_network_call(target) and self._in_loop(node, ctx):
            self._long(ctx, f"calls `{ast.unparse(node.func)[:40]}()` in a loop", node.lineno)

    def _depends(self, node: ast.Call, ctx: FileContext) -> None:
        assert ctx.scope is not None
        if is_fastapi_file(ctx) and is_depends_call(ctx, node, ctx.scope):
            arg = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "dependency"), None)
            if arg is not None:
                target = ctx.qualname(arg)
                if target:
                    ctx.add_fact("fas.depends", target)

    @staticmethod
    def _add_task(node: ast.Call, ctx: FileContext) -> None:
        task = ctx.qualname(node.args[0])
        if task:
            line, end_line = node.lineno, node.end_lineno or node.lineno
            ctx.add_fact("fas.add_task", [
                ctx.function_qualname, task, line,
                ctx.source.char_column(line, node.col_offset), end_line,
                ctx.source.char_column(end_line, node.end_col_offset or 0),
                ast.unparse(node.args[0])[:60],
            ])

    @staticmethod
    def _in_loop(node: ast.AST, ctx: FileContext) -> bool:
        current = ctx.parent(node)
        while current is not None and not isinstance(current, _SCOPES):
            if isinstance(current, _LOOPS):
                return True
            current = ctx.parent(current)
        return False

    def _return(self, node: ast.Return, ctx: FileContext) -> None:
        scope = ctx.function_scope
        if scope is None or scope.kind != "function" or node.value is None:
            return
        value = node.value
        if isinstance(value, ast.Name):
            binding = ctx.resolver.lookup(value.id, scope)
            if binding is None or binding.kind != "var" or not isinstance(binding.value, ast.Call):
                return
            if ctx.resolver.bindings(scope).get(value.id) is not binding:
                return  # not a local of this function
            call = binding.value
        elif isinstance(value, ast.Call):
            call = value
        else:
            return
        parent = ctx.parent(node)
        while parent is not None and not isinstance(parent, _SCOPES):
            if isinstance(parent, ast.With | ast.AsyncWith):
                return  # returned from inside the `with` that closes it: another bug
            parent = ctx.parent(parent)
        kind = resource_kind(ctx, call, scope)
        if kind is None:
            return
        line, end_line = node.lineno, node.end_lineno or node.lineno
        ctx.add_fact("fas.returns_resource", [
            ctx.function_qualname, line, ctx.source.char_column(line, node.col_offset),
            end_line, ctx.source.char_column(end_line, node.end_col_offset or 0), kind,
            ast.unparse(call.func)[:50],
        ])
