"""Light type knowledge about well-known libraries, used to name the callee of `x.method()`.

The engine never imports analysed code, so it cannot ask an object its type. Instead it follows
annotations, simple assignments and these tables: which calls construct which types, and which
spellings of a type are the same type. Rules then match fully qualified names such as
`httpx.Client.get` or `pathlib.Path.read_text`.
"""

from __future__ import annotations

# Calls whose result has a known type (callee qualified name -> type qualified name).
RETURNS: dict[str, str] = {
    "builtins.open": "io.IOBase",
    "io.open": "io.IOBase",
    "io.open_code": "io.IOBase",
    "os.fdopen": "io.IOBase",
    "codecs.open": "io.IOBase",
    "gzip.open": "io.IOBase",
    "bz2.open": "io.IOBase",
    "lzma.open": "io.IOBase",
    "tempfile.TemporaryFile": "io.IOBase",
    "tempfile.NamedTemporaryFile": "io.IOBase",
    "pathlib.Path.open": "io.IOBase",
    "pathlib.Path.cwd": "pathlib.Path",
    "pathlib.Path.home": "pathlib.Path",
    "pathlib.Path.resolve": "pathlib.Path",
    "pathlib.Path.absolute": "pathlib.Path",
    "pathlib.Path.joinpath": "pathlib.Path",
    "pathlib.Path.with_name": "pathlib.Path",
    "pathlib.Path.with_suffix": "pathlib.Path",
    "pathlib.Path.expanduser": "pathlib.Path",
    "requests.session": "requests.Session",
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.connection",
    "psycopg2.connection.cursor": "psycopg2.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "psycopg.Connection.execute": "psycopg.Cursor",
    "pymysql.connect": "pymysql.Connection",
    "pymysql.Connection.cursor": "pymysql.Cursor",
    "MySQLdb.connect": "pymysql.Connection",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.Redis.pipeline": "redis.Pipeline",
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
    "sqlalchemy.create_engine": "sqlalchemy.Engine",
    "sqlalchemy.Engine.connect": "sqlalchemy.Connection",
    "sqlalchemy.Engine.begin": "sqlalchemy.Connection",
    "boto3.client": "boto3.Client",
    "boto3.Session.client": "boto3.Client",
    "boto3.session.Session.client": "boto3.Client",
    "socket.create_connection": "socket.socket",
    "socket.socket.accept": "socket.socket",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.Executor.submit": "concurrent.futures.Future",
    "pymongo.MongoClient": "pymongo.MongoClient",
    "subprocess.Popen": "subprocess.Popen",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
}

# Different spellings of one type (or one function) -> the spelling the knowledge tables use.
ALIASES: dict[str, str] = {
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "anyio.Path": "anyio.Path",
    "requests.sessions.Session": "requests.Session",
    "requests.api": "requests",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "redis.client.Pipeline": "redis.Pipeline",
    "redis.asyncio.client.Redis": "redis.asyncio.Redis",
    "aioredis.Redis": "redis.asyncio.Redis",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.engine.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.Connection",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.Connection",
    "psycopg2.extensions.connection": "psycopg2.connection",
    "psycopg2.extensions.cursor": "psycopg2.cursor",
    "psycopg.connection.Connection": "psycopg.Connection",
    "pymysql.connections.Connection": "pymysql.Connection",
    "pymysql.cursors.Cursor": "pymysql.Cursor",
    "boto3.session.Session": "boto3.Session",
    "httpx._client.Client": "httpx.Client",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPConnectionPool",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "concurrent.futures._base.Future": "concurrent.futures.Future",
    "typing.IO": "io.IOBase",
    "typing.TextIO": "io.IOBase",
    "typing.BinaryIO": "io.IOBase",
    "io.TextIOWrapper": "io.IOBase",
    "io.BufferedReader": "io.IOBase",
    "io.BufferedWriter": "io.IOBase",
    "io.FileIO": "io.IOBase",
    "io.RawIOBase": "io.IOBase",
    "io.BufferedIOBase": "io.IOBase",
    "io.TextIOBase": "io.IOBase",
    "threading._RLock": "threading.RLock",
    "multiprocessing.queues.Queue": "multiprocessing.Queue",
}

# Types whose attribute chains keep the type: `client.db.users.find_one` is a call on
# the MongoClient, `table = resource.Table("x")` is still a boto3 resource.
STICKY: frozenset[str] = frozenset({"pymongo.MongoClient", "boto3.Resource"})


def canonical(name: str) -> str:
    """The spelling of `name` the knowledge tables use (prefix aliases applied)."""
    if name in ALIASES:
        return ALIASES[name]
    head = name.rpartition(".")[0]
    while head:
        if head in ALIASES:
            return f"{ALIASES[head]}.{name[len(head) + 1:]}"
        head, _, _ = head.rpartition(".")
    return name
