"""ASY100: a blocking call directly inside an `async def`."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.aio._knowledge import lookup


class BlockingCallInAsync(Rule):
    """
    ## What it does
    Finds calls that block the thread (HTTP with `requests`/`urllib`/sync `httpx`,
    `time.sleep`, `subprocess` and `os.system`, file and path I/O, sync database and cache
    drivers, boto3 clients, sockets, `input()`, thread locks, `queue.Queue.get`,
    `Future.result()`) made directly in the body of an `async def`.

    Names are resolved through imports and aliases (`import requests as r`,
    `from time import sleep`), annotations (`client: httpx.Client`) and simple assignments
    (`f = open(p)`; `f.read()`), so a local variable that happens to be called `requests` is
    not mistaken for the library. Calls inside a nested `def` or `lambda` are not in the async
    function's body and are not flagged, nor are functions only passed by reference
    (`await asyncio.to_thread(requests.get, url)`).

    ## Why it matters
    An event loop runs every coroutine of the process on one thread. While a blocking call
    waits, no other request, timer or websocket makes progress: one slow upstream service
    stalls the whole server, and throughput collapses to one request at a time.

    ## Example
    ```python
    import requests

    async def fetch_profile(user_id: int) -> dict:
        response = requests.get(f"https://api.example.com/users/{user_id}")
        return response.json()
    ```

    ## Use instead
    ```python
    import httpx

    async def fetch_profile(user_id: int) -> dict:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"https://api.example.com/users/{user_id}")
        return response.json()
    ```
    When no async library exists, run the call in a thread:
    `await asyncio.to_thread(blocking_function, arg)`. Your own blocking functions can be
    declared in `[tool.stackwise] blocking-functions`.
    """

    code = "ASY100"
    name = "blocking-call-in-async"
    summary = "Blocking call inside `async def`: use the async library or offload it"
    severity = Severity.ERROR
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async:
            return
        assert isinstance(node, ast.Call)
        target = ctx.call_target(node)
        if target is None:
            return
        entry = lookup(target, ctx.settings.blocking_functions)
        if entry is None:
            return
        shown = ast.unparse(node.func) if len(ast.unparse(node.func)) < 60 else target
        ctx.report(self, node, f"blocking call `{shown}()` in async function; {entry.advice}")
