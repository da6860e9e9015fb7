"""What blocks the event loop, and what to use instead: the data behind the ASY rules.

Keys are fully qualified names as the engine resolves them (`requests.get`,
`httpx.Client.get`, `pathlib.Path.read_text`, `io.IOBase.read` for methods of file objects).
Each maps to a `Blocking` entry: a category and the async replacement or offload that fits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Blocking:
    category: str
    advice: str


_HTTP = "use httpx.AsyncClient (or aiohttp) and await it"
_SLEEP = "use `await asyncio.sleep(...)`"
_SUBPROCESS = "use `await asyncio.create_subprocess_exec(...)` (or anyio.run_process)"
_FILE = "use aiofiles or anyio, or offload with `await asyncio.to_thread(...)`"
_PATH = "use anyio.Path (or aiofiles.os), or offload with `await asyncio.to_thread(...)`"
_SQLITE = "use aiosqlite, or offload with `await asyncio.to_thread(...)`"
_PG = "use asyncpg or psycopg's AsyncConnection"
_MYSQL = "use aiomysql or asyncmy"
_MONGO = "use pymongo's AsyncMongoClient (or motor)"
_REDIS = "use redis.asyncio"
_SQLA = "use sqlalchemy.ext.asyncio.AsyncSession / AsyncEngine"
_BOTO = "use aioboto3/aiobotocore, or offload with `await asyncio.to_thread(...)`"
_SOCKET = "use asyncio streams (`asyncio.open_connection`) or loop.sock_* methods"
_DNS = "use `await loop.getaddrinfo(...)`"
_INPUT = "offload with `await asyncio.to_thread(input, ...)`"
_LOCK = "use asyncio.Lock / asyncio.Event / asyncio.Semaphore"
_JOIN = "offload with `await asyncio.to_thread(thread.join)`"
_QUEUE = "use asyncio.Queue, or offload with `await asyncio.to_thread(q.get)`"
_FUTURE = "await `asyncio.wrap_future(future)` instead of `.result()`"

BLOCKING: dict[str, Blocking] = {}


def _add(names: str, category: str, advice: str, prefix: str = "") -> None:
    for name in names.split():
        BLOCKING[prefix + name] = Blocking(category, advice)


_VERBS = "get post put patch delete head options request"
_add(_VERBS, "http", _HTTP, "requests.")
_add(_VERBS + " send", "http", _HTTP, "requests.Session.")
_add(_VERBS + " stream", "http", _HTTP, "httpx.")
_add(_VERBS + " send stream", "http", _HTTP, "httpx.Client.")
_add("urlopen urlretrieve", "http", _HTTP, "urllib.request.")
_add("urllib.request.OpenerDirector.open urllib.request.build_opener.open", "http", _HTTP)
_add("request", "http", _HTTP, "urllib3.")
_add("request urlopen request_encode_url request_encode_body", "http", _HTTP,
     "urllib3.PoolManager.")
_add("request urlopen", "http", _HTTP, "urllib3.HTTPConnectionPool.")
_add("request getresponse", "http", _HTTP, "http.client.HTTPConnection.")
_add("request getresponse", "http", _HTTP, "http.client.HTTPSConnection.")

_add("time.sleep", "sleep", _SLEEP)

_add("run call check_call check_output getoutput getstatusoutput Popen", "subprocess",
     _SUBPROCESS, "subprocess.")
_add("wait communicate", "subprocess", _SUBPROCESS, "subprocess.Popen.")
_add("system popen spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe "
     "posix_spawn posix_spawnp wait wait3 wait4 waitpid waitid", "subprocess", _SUBPROCESS,
     "os.")

_add("builtins.open io.open io.open_code os.fdopen codecs.open gzip.open bz2.open lzma.open",
     "file", _FILE)
_add("read readline readlines write writelines flush seek truncate readinto", "file", _FILE,
     "io.IOBase.")
_add("read_text read_bytes write_text write_bytes open iterdir glob rglob walk exists is_dir "
     "is_file is_symlink is_mount is_socket is_fifo is_block_device is_char_device stat lstat "
     "mkdir rmdir unlink rename replace touch chmod lchmod owner group samefile symlink_to "
     "hardlink_to readlink", "file", _PATH, "pathlib.Path.")
_add("listdir scandir walk fwalk stat lstat remove unlink rename renames replace rmdir "
     "removedirs mkdir makedirs chmod chown lchown link symlink readlink access utime truncate "
     "statvfs", "file", _PATH, "os.")
_add("exists lexists isfile isdir islink ismount getsize getmtime getatime getctime samefile",
     "file", _PATH, "os.path.")
_add("copy copy2 copyfile copyfileobj copymode copystat copytree move rmtree make_archive "
     "unpack_archive chown disk_usage", "file", _FILE, "shutil.")

_add("sqlite3.connect", "database", _SQLITE)
_add("execute executemany executescript commit rollback backup iterdump", "database", _SQLITE,
     "sqlite3.Connection.")
_add("execute executemany executescript fetchone fetchall fetchmany", "database", _SQLITE,
     "sqlite3.Cursor.")
_add("psycopg2.connect", "database", _PG)
_add("commit rollback", "database", _PG, "psycopg2.connection.")
_add("execute executemany fetchone fetchall fetchmany copy_expert copy_from copy_to callproc",
     "database", _PG, "psycopg2.cursor.")
_add("psycopg.connect psycopg.Connection.connect", "database", _PG)
_add("execute commit rollback", "database", _PG, "psycopg.Connection.")
_add("execute executemany fetchone fetchall fetchmany", "database", _PG, "psycopg.Cursor.")
_add("pymysql.connect MySQLdb.connect", "database", _MYSQL)
_add("commit rollback ping", "database", _MYSQL, "pymysql.Connection.")
_add("execute executemany fetchone fetchall fetchmany", "database", _MYSQL, "pymysql.Cursor.")
_add("execute scalars scalar commit flush get refresh merge rollback connection", "database",
     _SQLA, "sqlalchemy.orm.Session.")
_add("connect begin", "database", _SQLA, "sqlalchemy.Engine.")
_add("execute scalar scalars commit rollback exec_driver_sql", "database", _SQLA,
     "sqlalchemy.Connection.")

_REDIS_COMMANDS = (
    "get set mget mset setex setnx getset getdel getex delete exists expire expireat pexpire "
    "ttl pttl incr incrby incrbyfloat decr decrby append keys scan rename type unlink "
    "hget hset hmget hmset hgetall hdel hexists hincrby hkeys hvals hlen hscan "
    "lpush rpush lpop rpop lrange llen ltrim lrem lindex lset blpop brpop brpoplpush "
    "sadd srem smembers sismember scard spop srandmember sscan sunion sinter sdiff "
    "zadd zrem zrange zrevrange zrangebyscore zscore zincrby zcard zcount zrank zscan "
    "publish ping flushdb flushall dbsize info eval evalsha execute_command xadd xread "
    "xreadgroup xack xlen xrange pfadd pfcount setbit getbit bitcount"
)
_add(_REDIS_COMMANDS, "cache", _REDIS, "redis.Redis.")
_add("execute", "cache", _REDIS, "redis.Pipeline.")

_MONGO_OPS = (
    "find find_one insert_one insert_many update_one update_many replace_one delete_one "
    "delete_many aggregate count_documents estimated_document_count distinct bulk_write "
    "find_one_and_update find_one_and_replace find_one_and_delete create_index drop "
    "list_collection_names list_database_names command server_info"
)

_add("connect accept recv recv_into recvfrom recvfrom_into send sendall sendto sendfile makefile",
     "socket", _SOCKET, "socket.socket.")
_add("socket.create_connection", "socket", _SOCKET)
_add("getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr getfqdn getnameinfo", "dns",
     _DNS, "socket.")

_add("builtins.input", "input", _INPUT)
_add("threading.Lock.acquire threading.RLock.acquire threading.Semaphore.acquire "
     "threading.BoundedSemaphore.acquire threading.Event.wait threading.Condition.wait "
     "threading.Condition.wait_for threading.Barrier.wait", "lock", _LOCK)
_add("threading.Thread.join", "thread", _JOIN)
_add("get put join", "queue", _QUEUE, "queue.Queue.")
_add("get put join", "queue", _QUEUE, "queue.LifoQueue.")
_add("get put join", "queue", _QUEUE, "queue.PriorityQueue.")
_add("get put join", "queue", _QUEUE, "queue.SimpleQueue.")
_add("get put", "queue", _QUEUE, "multiprocessing.Queue.")
_add("concurrent.futures.Future.result concurrent.futures.wait "
     "concurrent.futures.Future.exception", "future", _FUTURE)

# Any method of these objects does I/O, except the few that only build something locally.
_ANY_METHOD: dict[str, tuple[str, str, frozenset[str]]] = {
    "boto3.Client": ("cloud", _BOTO, frozenset({
        "generate_presigned_url", "generate_presigned_post", "can_paginate", "get_paginator",
        "get_waiter", "close", "meta", "exceptions"})),
}
_MONGO_OPS_SET = frozenset(_MONGO_OPS.split())
_BOTO_RESOURCE_OPS = frozenset(
    "put_item get_item delete_item update_item query scan batch_write_item batch_get_item load "
    "reload upload_file download_file upload_fileobj download_fileobj put get delete copy "
    "send_message receive_messages".split())


def lookup(qualname: str, extra: dict[str, str] | None = None) -> Blocking | None:
    """The blocking entry for a resolved callee, or None."""
    if extra and qualname in extra:
        return Blocking("configured", extra[qualname])
    found = BLOCKING.get(qualname)
    if found is not None:
        return found
    head, _, method = qualname.rpartition(".")
    if head in _ANY_METHOD:
        category, advice, safe = _ANY_METHOD[head]
        if method not in safe and not method.startswith("_"):
            return Blocking(category, advice)
    if qualname.startswith("pymongo.MongoClient.") and method in _MONGO_OPS_SET:
        return Blocking("database", _MONGO)
    if qualname.startswith("boto3.Resource.") and method in _BOTO_RESOURCE_OPS:
        return Blocking("cloud", _BOTO)
    return None


@dataclass(frozen=True, slots=True)
class CpuHeavy:
    advice: str


_HASH = ("hash passwords in a worker: `await asyncio.to_thread(...)` or "
         "`loop.run_in_executor(process_pool, ...)`")
_COMPRESS = "compress in a worker: `await asyncio.to_thread(...)` or a process pool"

CPU_HEAVY: dict[str, CpuHeavy] = {}
for _name in ("hashlib.pbkdf2_hmac hashlib.scrypt bcrypt.hashpw bcrypt.checkpw bcrypt.kdf "
              "argon2.PasswordHasher.hash argon2.PasswordHasher.verify "
              "argon2.low_level.hash_secret argon2.low_level.hash_secret_raw "
              "argon2.low_level.verify_secret passlib.context.CryptContext.hash "
              "passlib.context.CryptContext.verify passlib.context.CryptContext.verify_and_update "
              "pwdlib.PasswordHash.hash pwdlib.PasswordHash.verify "
              "werkzeug.security.generate_password_hash werkzeug.security.check_password_hash "
              "django.contrib.auth.hashers.make_password "
              "django.contrib.auth.hashers.check_password").split():
    CPU_HEAVY[_name] = CpuHeavy(_HASH)
for _name in "bz2.compress bz2.decompress lzma.compress lzma.decompress".split():
    CPU_HEAVY[_name] = CpuHeavy(_COMPRESS)


def lookup_cpu(qualname: str) -> CpuHeavy | None:
    found = CPU_HEAVY.get(qualname)
    if found is not None:
        return found
    if qualname.startswith("passlib.hash.") and qualname.rsplit(".", 1)[-1] in (
        "hash", "verify", "encrypt"
    ):
        return CpuHeavy(_HASH)
    return None


# Calls that run their function argument off the event loop; decorating a function with one of
# these makes calling it non-blocking.
OFFLOAD_WRAPPERS = frozenset({
    "asyncio.to_thread",
    "anyio.to_thread.run_sync",
    "anyio.to_process.run_sync",
    "trio.to_thread.run_sync",
    "starlette.concurrency.run_in_threadpool",
    "fastapi.concurrency.run_in_threadpool",
    "asgiref.sync.sync_to_async",
    "channels.db.database_sync_to_async",
    "asyncer.asyncify",
})
