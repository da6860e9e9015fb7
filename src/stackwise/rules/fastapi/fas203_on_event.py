"""FAS203: `@app.on_event("startup"/"shutdown")` instead of a `lifespan` handler."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._web import literal_str
from stackwise.rules.fastapi._detect import APP_TYPES, is_fastapi_file, keyword

_EVENTS = frozenset({"startup", "shutdown"})


class OnEventInsteadOfLifespan(Rule):
    """
    ## What it does
    In a file that imports `fastapi`, finds startup and shutdown hooks registered the deprecated
    way: `@app.on_event("startup")`/`("shutdown")` (on an app or a router),
    `app.add_event_handler("startup", fn)`, and `FastAPI(on_startup=[...], on_shutdown=[...])`.

    ## Why it matters
    FastAPI and Starlette deprecated these hooks in favour of one `lifespan` async context
    manager, and FastAPI ignores them entirely once a `lifespan` is given, so mixing both
    silently drops startup code. With separate hooks, what startup opens and shutdown closes
    live in two functions that share state through globals; a lifespan keeps the resource in
    one `async with`, closes it even when startup fails half-way, and hands it to routes
    through `app.state` or the lifespan state.

    ## Example
    ```python
    app = FastAPI()

    @app.on_event("startup")
    async def connect() -> None:
        app.state.pool = await asyncpg.create_pool(DSN)

    @app.on_event("shutdown")
    async def disconnect() -> None:
        await app.state.pool.close()
    ```

    ## Use instead
    ```python
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with asyncpg.create_pool(DSN) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)
    ```
    """

    code = "FAS203"
    name = "on-event-instead-of-lifespan"
    summary = "`on_event` startup/shutdown hook: use a `lifespan` async context manager"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    requires_text: ClassVar[tuple[str, ...]] = ("fastapi",)  # files importing fastapi

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("on_event", "add_event_handler"):
            if not is_fastapi_file(ctx):
                return
            kw = keyword(node, "event_type")
            event = literal_str(node.args[0] if node.args else (kw.value if kw else None))
            if event not in _EVENTS:
                return
            if func.attr == "on_event":
                message = (f'`@{ast.unparse(func)}("{event}")` is deprecated; move the '
                           f"{event} code into a `lifespan` async context manager passed to "
                           "`FastAPI(lifespan=...)`")
            else:
                message = (f'`{ast.unparse(func)}("{event}", ...)` is deprecated; move the '
                           f"{event} code into a `lifespan` async context manager passed to "
                           "`FastAPI(lifespan=...)`")
            ctx.report(self, node, message)
            return
        if not any(k.arg in ("on_startup", "on_shutdown") for k in node.keywords):
            return
        target = ctx.call_target(node)
        if target not in APP_TYPES or not is_fastapi_file(ctx):
            return
        for kw in node.keywords:
            if kw.arg in ("on_startup", "on_shutdown"):
                ctx.report(
                    self, kw.value,
                    f"`{kw.arg}=` hooks are deprecated; move them into a `lifespan` async "
                    "context manager passed as `lifespan=`",
                )
