"""FAS201: a DB session/engine, HTTP or Redis client built inside a route instead of injected."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.fastapi._detect import current_endpoint
from stackwise.rules.fastapi._resources import PER_REQUEST, a, advice, resource_kind


class ResourceBuiltInRoute(Rule):
    """
    ## What it does
    Finds a FastAPI route whose body builds a resource that should come through `Depends(...)`:
    a database session (`Session(engine)`, `SessionLocal()`, `AsyncSession(engine)`), a
    connection (`engine.connect()`, `psycopg.connect()`, `asyncpg.connect()`), an engine or a
    pool (`create_engine`, `create_async_engine`, `sessionmaker`), an HTTP client
    (`httpx.Client/AsyncClient`, `requests.Session`, `aiohttp.ClientSession`), a Redis, MongoDB
    or boto3 client.

    Only the route's own body is checked (not dependencies, which is where these belong, nor
    helpers it calls). A session or connection opened as a `with` block
    (`async with async_session() as session:`) is closed on every path and is not reported:
    routes that stream or run long often scope their session that way on purpose. `SessionLocal()` is recognised by the name the SQLAlchemy and FastAPI
    tutorials give a session factory (`SessionLocal`, `async_session`, `session_maker`,
    `AsyncSessionFactory`...) or by its `sessionmaker(...)` assignment in the same file.

    ## Why it matters
    A client or an engine made per request throws away its connection pool: every request pays
    for a new TCP/TLS handshake and the database or upstream service sees a storm of short-lived
    connections. A session opened in the route is easy to leak on an early `return` or an
    exception, and the route cannot be tested with a fake, because nothing can replace it.
    Through `Depends`, FastAPI closes the session after the response and tests swap it with
    `app.dependency_overrides`.

    ## Example
    ```python
    @router.get("/orders/{order_id}")
    def read_order(order_id: int) -> OrderOut:
        db = SessionLocal()
        order = db.get(Order, order_id)
        return OrderOut.model_validate(order)

    @router.get("/rates")
    async def rates() -> Rates:
        async with httpx.AsyncClient() as client:
            response = await client.get(RATES_URL)
        return Rates.model_validate(response.json())
    ```

    ## Use instead
    ```python
    def get_db() -> Iterator[Session]:
        with SessionLocal() as db:
            yield db

    @router.get("/orders/{order_id}")
    def read_order(order_id: int, db: Annotated[Session, Depends(get_db)]) -> OrderOut:
        return OrderOut.model_validate(db.get(Order, order_id))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            app.state.http = client
            yield

    def get_http(request: Request) -> httpx.AsyncClient:
        return request.app.state.http
    ```
    """

    code = "FAS201"
    name = "resource-built-in-route"
    summary = "Session/engine/client built in a route body: inject it with `Depends(...)`"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    requires_text: ClassVar[tuple[str, ...]] = ("fastapi",)  # routes of files importing fastapi

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if ctx.function_scope is None:
            return
        endpoint = current_endpoint(ctx)
        if endpoint is None or endpoint[0] != "route":
            return
        assert ctx.scope is not None
        kind = resource_kind(ctx, node, ctx.scope)
        if kind is None:
            return
        parent = ctx.parent(node)
        if kind in PER_REQUEST and isinstance(parent, ast.withitem) and (
                parent.context_expr is node):
            return  # `async with async_session() as s:` a short, closed scope, often on purpose
        shown = ast.unparse(node.func)
        shown = shown if len(shown) < 50 else shown[:47] + "..."
        ctx.report(
            self, node,
            f"`{shown}()` builds {a(kind)} on every request to `{endpoint[1].name}`; "
            f"{advice(kind)}",
        )
