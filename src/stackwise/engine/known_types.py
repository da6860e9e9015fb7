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
    "httpx2.Client": "httpx2.Client",
    "httpx2.AsyncClient": "httpx2.AsyncClient",
    "urllib3.ProxyManager": "urllib3.ProxyManager",
    "urllib3.proxy_from_url": "urllib3.ProxyManager",
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "http.client.HTTPConnection.getresponse": "http.client.HTTPResponse",
    "http.client.HTTPSConnection.getresponse": "http.client.HTTPResponse",
    "http.client.HTTPSConnection": "http.client.HTTPSConnection",
    "socket.socket": "socket.socket",
    "socket.create_server": "socket.socket",
    "socket.fromfd": "socket.socket",
    "threading.Lock": "threading.Lock",
    "threading.RLock": "threading.RLock",
    "threading.Thread": "threading.Thread",
    "queue.Queue": "queue.Queue",
    "subprocess.run": "subprocess.CompletedProcess",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session.query": "sqlalchemy.orm.Query",
    "sqlalchemy.orm.Session.begin": "sqlalchemy.orm.SessionTransaction",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.SessionFactory",
    "sqlalchemy.orm.SessionFactory": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.SessionFactory.begin": "sqlalchemy.orm.Session",
    "sqlalchemy.Engine.execution_options": "sqlalchemy.Engine",
    "psycopg_pool.ConnectionPool.connection": "psycopg.Connection",
    "psycopg2.pool.SimpleConnectionPool.getconn": "psycopg2.connection",
    "psycopg2.pool.ThreadedConnectionPool.getconn": "psycopg2.connection",
    "pymongo.MongoClient.get_database": "pymongo.MongoClient",
    "pymongo.MongoClient.get_collection": "pymongo.MongoClient",
    "boto3.resource": "boto3.Resource",
    "boto3.Session.resource": "boto3.Resource",
    "redis.Redis": "redis.Redis",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "redis.asyncio.Redis": "redis.asyncio.Redis",
}
# Query-building methods of a legacy SQLAlchemy `Query` return the query.
for _method in ("filter filter_by order_by limit offset join outerjoin options where group_by "
                "having distinct with_entities select_from execution_options").split():
    RETURNS[f"sqlalchemy.orm.Query.{_method}"] = "sqlalchemy.orm.Query"
# Path-building methods of pathlib.Path return a path.
for _method in ("cwd home resolve absolute joinpath with_name with_suffix with_stem expanduser "
                "relative_to").split():
    RETURNS[f"pathlib.Path.{_method}"] = "pathlib.Path"
RETURNS["pathlib.Path"] = "pathlib.Path"

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
    "io.BufferedRandom": "io.IOBase",
    "threading._RLock": "threading.RLock",
    "multiprocessing.queues.Queue": "multiprocessing.Queue",
    "httpx2._client.Client": "httpx2.Client",
    "httpx2._client.AsyncClient": "httpx2.AsyncClient",
    "urllib3.poolmanager.ProxyManager": "urllib3.ProxyManager",
    "urllib3.connectionpool.ConnectionPool": "urllib3.ConnectionPool",
    "urllib3.request.RequestMethods": "urllib3.RequestMethods",
    "urllib3._request_methods.RequestMethods": "urllib3.RequestMethods",
    "http.client.HTTPResponse": "http.client.HTTPResponse",
    "sqlalchemy.orm.query.Query": "sqlalchemy.orm.Query",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "psycopg.Cursor": "psycopg.Cursor",
    "psycopg.cursor.Cursor": "psycopg.Cursor",
    "psycopg_pool.pool.ConnectionPool": "psycopg_pool.ConnectionPool",
    "MySQLdb.connections.Connection": "pymysql.Connection",
    "pymongo.database.Database": "pymongo.MongoClient",
    "pymongo.collection.Collection": "pymongo.MongoClient",
    "pymongo.synchronous.mongo_client.MongoClient": "pymongo.MongoClient",
    "pymongo.synchronous.collection.Collection": "pymongo.MongoClient",
    "pymongo.synchronous.database.Database": "pymongo.MongoClient",
    "botocore.client.BaseClient": "boto3.Client",
    "mypy_boto3_s3.S3Client": "boto3.Client",
    "mypy_boto3_s3.client.S3Client": "boto3.Client",
    "mypy_boto3_sqs.SQSClient": "boto3.Client",
    "mypy_boto3_dynamodb.DynamoDBClient": "boto3.Client",
    "socket.SocketType": "socket.socket",
    "asyncio.BaseEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
    "uvloop.Loop": "asyncio.AbstractEventLoop",
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures.ProcessPoolExecutor",
    # a name nothing in the file binds, spelled like a well-known one (snippets, star imports)
    "Optional": "typing.Optional",
    "Union": "typing.Union",
    "typing_extensions.Optional": "typing.Optional",
    "typing_extensions.Union": "typing.Union",
    "typing_extensions.Annotated": "typing.Annotated",
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
