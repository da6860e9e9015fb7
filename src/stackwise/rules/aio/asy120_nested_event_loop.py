"""ASY120: starting an event loop from inside async code."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule

_RUNNERS = frozenset({
    "asyncio.run", "asyncio.Runner.run", "anyio.run", "trio.run", "asgiref.sync.async_to_sync",
})


class EventLoopInAsync(Rule):
    """
    ## What it does
    Finds `asyncio.run()`, `loop.run_until_complete()`, `anyio.run()`, `trio.run()` and
    `asgiref.sync.async_to_sync()` called in the body of an `async def`.

    ## Why it matters
    A coroutine already runs inside an event loop. Starting another one from there fails at run
    time (`RuntimeError: asyncio.run() cannot be called from a running event loop`, or
    "You cannot use AsyncToSync in the same thread as an async event loop"), and where it
    appears to work through `nest_asyncio` it blocks the outer loop until the inner one is done.

    ## Example
    ```python
    async def refresh_all() -> None:
        for feed in feeds:
            asyncio.run(refresh(feed))
    ```

    ## Use instead
    ```python
    async def refresh_all() -> None:
        for feed in feeds:
            await refresh(feed)
    ```
    or run them concurrently with `asyncio.gather(...)` / a `TaskGroup`.
    """

    code = "ASY120"
    name = "event-loop-in-async"
    summary = "Event loop started inside async code: `await` the coroutine instead"
    severity = Severity.ERROR
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async:
            return
        assert isinstance(node, ast.Call)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run_until_complete":
            shown = "loop.run_until_complete"
        else:
            target = ctx.call_target(node)
            if target not in _RUNNERS:
                if not (isinstance(func, ast.Call) and ctx.call_target(func) in _RUNNERS):
                    return
                target = ctx.call_target(func)
            shown = str(target)
        ctx.report(self, node, f"`{shown}()` starts an event loop inside async code, which "
                               "fails at run time; `await` the coroutine instead")
