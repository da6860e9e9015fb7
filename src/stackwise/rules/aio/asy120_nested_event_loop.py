"""ASY120: starting an event loop from inside async code."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import ASYNC_DEF, Rule

_LOOPS = frozenset({"asyncio.AbstractEventLoop"})
_RUNNERS = frozenset({"asyncio.run", "asyncio.Runner.run", "anyio.run", "trio.run"})
# Calls that build a sync function which starts a loop when called: `async_to_sync(f)(...)`.
_LOOP_BUILDERS = frozenset({"asgiref.sync.async_to_sync"})


class EventLoopInAsync(Rule):
    """
    ## What it does
    Finds `asyncio.run()`, `loop.run_until_complete()`, `asyncio.Runner().run()`,
    `anyio.run()`, `trio.run()` and `asgiref.sync.async_to_sync(f)(...)` called in the body of
    an `async def`. Names are resolved through imports and aliases (`from asyncio import run`);
    `x.run_until_complete()` is reported when `x` is an event loop or something we cannot name,
    not when it is an instance of another known class. Calls in a nested `def` (say, a callback
    run in a worker thread) are not in the coroutine's body and are not reported.

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
    requires_text: ClassVar[tuple[str, ...]] = ("async",)  # only async code is checked
    requires_match: ClassVar[str] = ASYNC_DEF

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async:
            return
        assert isinstance(node, ast.Call)
        func = node.func
        target = ctx.call_target(node)
        if isinstance(func, ast.Attribute) and func.attr == "run_until_complete":
            # a loop, or a receiver we cannot name; not a method of some other known class
            receiver = target.rpartition(".")[0] if target else ""
            if target is not None and receiver not in _LOOPS:
                return
            shown = "loop.run_until_complete"
        elif target in _RUNNERS:
            shown = str(target)
        elif isinstance(func, ast.Call) and ctx.call_target(func) in _LOOP_BUILDERS:
            shown = str(ctx.call_target(func))  # async_to_sync(f)(...)
        else:
            return
        ctx.report(self, node, f"`{shown}()` starts an event loop inside async code, which "
                               "fails at run time; `await` the coroutine instead")
