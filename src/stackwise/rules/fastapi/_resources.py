"""Calls that open a per-request resource (a DB session or connection, an engine, a client).

Used by FAS201 (built in a route body) and FAS202 (returned by a dependency, never closed).
Each entry says what kind of resource it is, which decides the advice: a session or a
connection belongs in a `yield` dependency; an engine, a pool or a client is made once in the
lifespan handler and shared.
"""

from __future__ import annotations

import ast
import re

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.rules.errors._web import resolve

SESSION = "database session"
CONNECTION = "database connection"
ENGINE = "database engine"
HTTP = "HTTP client"
REDIS = "Redis client"
MONGO = "MongoDB client"
CLOUD = "AWS client"

PER_REQUEST = frozenset({SESSION, CONNECTION})  # opened per request: a `yield` dependency
SHARED = frozenset({ENGINE, HTTP, REDIS, MONGO, CLOUD})  # made once: lifespan + dependency

RESOURCE_CALLS: dict[str, str] = {}


def _add(names: str, kind: str) -> None:
    for name in names.split():
        RESOURCE_CALLS[name] = kind


_add("sqlalchemy.orm.Session sqlmodel.Session sqlalchemy.ext.asyncio.AsyncSession "
     "sqlmodel.ext.asyncio.session.AsyncSession", SESSION)
_add("sqlalchemy.create_engine sqlalchemy.ext.asyncio.create_async_engine sqlmodel.create_engine "
     "sqlalchemy.orm.sessionmaker sqlalchemy.ext.asyncio.async_sessionmaker "
     "asyncpg.create_pool databases.Database", ENGINE)
_add("sqlalchemy.Engine.connect sqlalchemy.Engine.begin psycopg2.connect psycopg.connect "
     "psycopg.Connection.connect psycopg.AsyncConnection.connect asyncpg.connect "
     "pymysql.connect MySQLdb.connect aiomysql.connect sqlite3.connect aiosqlite.connect",
     CONNECTION)
_add("httpx.Client httpx.AsyncClient requests.Session requests.session aiohttp.ClientSession",
     HTTP)
_add("redis.Redis redis.from_url redis.Redis.from_url redis.asyncio.Redis redis.asyncio.from_url "
     "redis.asyncio.Redis.from_url redis.ConnectionPool redis.asyncio.ConnectionPool", REDIS)
_add("pymongo.MongoClient pymongo.AsyncMongoClient motor.motor_asyncio.AsyncIOMotorClient", MONGO)
_add("boto3.client boto3.resource boto3.Session.client boto3.session.Session.client", CLOUD)

# The SQLAlchemy tutorial's `SessionLocal = sessionmaker(...)`, imported from a db module.
_FACTORY_NAME = re.compile(
    r"^(?:async_?)?session_?(?:local|maker|factory)$|^async_session$", re.IGNORECASE)
_FACTORY_CALLS = frozenset({
    "sqlalchemy.orm.sessionmaker", "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.Session",
})


def resource_kind(ctx: FileContext, call: ast.Call, scope: Scope) -> str | None:
    """The kind of resource `call` opens, or None."""
    target = resolve(ctx, call.func, scope)
    if target is not None and target in RESOURCE_CALLS:
        return RESOURCE_CALLS[target]
    func = call.func
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    if name is None:
        return None
    if isinstance(func, ast.Name):
        binding = ctx.resolver.lookup(name, scope)
        if binding is not None and binding.kind == "var":
            value = binding.value
            if isinstance(value, ast.Call):
                made_by = resolve(ctx, value.func, scope)
                return SESSION if made_by in _FACTORY_CALLS else None
            return None
        if binding is not None and binding.kind not in ("import",):
            return None
    return SESSION if _FACTORY_NAME.match(name) else None


def a(kind: str) -> str:
    """`kind` with its article: "a database session", "an HTTP client"."""
    return f"an {kind}" if kind[:1] in "AEIOUH" and kind.split()[0].isupper() else f"a {kind}"


def advice(kind: str) -> str:
    if kind in PER_REQUEST:
        return (f"open the {kind} in a dependency that `yield`s it inside `try/finally` (or a "
                "`with` block) and take it with `Depends(...)`")
    return (f"create the {kind} once in the `lifespan` handler and hand it to routes with "
            "`Depends(...)`")
