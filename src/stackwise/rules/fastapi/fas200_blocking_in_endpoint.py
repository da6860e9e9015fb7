"""FAS200: a blocking call in an `async def` FastAPI route or dependency."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules.aio.asy100_blocking_call import BlockingCallInAsync
from stackwise.rules.fastapi._detect import current_endpoint, is_async_endpoint

_ASYNC_FUNCTION = " in async function; "


class BlockingCallInEndpoint(BlockingCallInAsync):
    """
    ## What it does
    Finds a blocking call (everything `ASY100` knows: `requests`, `time.sleep`, sync database
    and Redis drivers, file I/O, `subprocess`, boto3, ...) made directly in the body of an
    `async def` FastAPI route or dependency.

    A route is a function decorated with `@app.get/post/put/patch/delete/...`,
    `@router.<verb>`, `api_route` or `websocket` (for a websocket route, which must stay
    async, only the async fix is offered); a dependency is a module-level function named
    in `Depends(...)`/`Security(...)` in the same file, or any function whose own parameters
    are injected with `Depends` (so `get_current_user` in `deps.py` counts). In a file that does
    not import `fastapi` nothing is a route.

    `FAS200` replaces `ASY100` in those functions: it is ASY100's own check (a subclass, same
    knowledge and exclusions), and the call is reported once, with the fix FastAPI allows on
    top of the async one. So `--select ASY` alone does not show blocking calls in FastAPI
    endpoints: select `FAS200` as well. Everywhere else `ASY100` reports it. Blocking calls a
    few helpers away are `ASY101`, whether or not the caller is a route. A dependency defined in
    another module and used there only by name (`Depends(deps.get_db)`, with no `Depends`
    parameters of its own) is not recognised as one and stays an `ASY100`.

    ## Why it matters
    FastAPI runs `async def` endpoints on the event loop itself. A blocking call there stops
    every other request of the worker until it returns. A plain `def` endpoint is run in a
    threadpool instead, where blocking is harmless (up to the pool size).

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int) -> UserOut:
        response = requests.get(f"{USERS_API}/users/{user_id}")
        return UserOut.model_validate(response.json())
    ```

    ## Use instead
    Either declare the route with `def` (FastAPI runs it in its threadpool):
    ```python
    @router.get("/users/{user_id}")
    def read_user(user_id: int) -> UserOut:
        response = requests.get(f"{USERS_API}/users/{user_id}")
        return UserOut.model_validate(response.json())
    ```
    or keep `async def` and use the async library:
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, client: HttpClient) -> UserOut:
        response = await client.get(f"{USERS_API}/users/{user_id}")
        return UserOut.model_validate(response.json())
    ```
    """

    code = "FAS200"
    name = "blocking-call-in-async-endpoint"
    summary = "Blocking call in `async def` route/dependency: make it `def` or use the async library"
    severity = Severity.ERROR
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)

    def in_scope(self, ctx: FileContext) -> bool:
        return is_async_endpoint(ctx)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        """ASY100's check (same knowledge, same exclusions), with FastAPI's fix in the message."""
        if not ctx.in_async:
            return
        endpoint = current_endpoint(ctx)
        if endpoint is None:
            return
        before = len(ctx.findings)
        super().visit(node, ctx)
        kind, fn = endpoint
        if kind == "websocket":  # websocket endpoints must stay async: only the async fix
            where = f" in websocket route `{fn.name}` stalls the event loop; "
        else:
            where = (f" in async {kind} `{fn.name}` stalls the event loop; declare it with plain "
                     "`def` (FastAPI then runs it in its threadpool) or ")
        for i in range(before, len(ctx.findings)):
            finding = ctx.findings[i]
            if finding[4] == self.code and _ASYNC_FUNCTION in finding[5]:
                message = finding[5].replace(_ASYNC_FUNCTION, where, 1)
                ctx.findings[i] = (*finding[:5], message, *finding[6:])
