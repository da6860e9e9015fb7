"""What blocks the event loop, what is CPU-heavy, and what to use instead: the ASY rules' data.

Keys are fully qualified names as the engine resolves them (`requests.get`,
`httpx.Client.get`, `pathlib.Path.read_text`, `io.IOBase.read` for methods of file objects).
Each maps to a `Blocking` entry: a category and an advice template naming the async
replacement or the offload that fits. Templates are rendered for the async library the file
uses (asyncio, trio or anyio), with `{call}` standing for the callee as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The spelling of each building block of advice, per async library.
_LIBRARY_WORDS: dict[str, dict[str, str]] = {
    "asyncio": {
        "spawn": "`asyncio.create_task(...)` (keep a reference to the task)",
        "to_thread": "asyncio.to_thread",
        "sleep": "asyncio.sleep",
        "run_process": "asyncio.create_subprocess_exec(...)",
        "run_shell": "asyncio.create_subprocess_shell(...)",
        "open_file": "aiofiles.open(...)",
        "path": "anyio.Path (or aiofiles.os)",
        "sync": "asyncio.Lock / asyncio.Event / asyncio.Semaphore",
        "queue": "asyncio.Queue",
        "connect": "asyncio streams (`asyncio.open_connection`) or `loop.sock_*` methods",
        "getaddrinfo": "`await loop.getaddrinfo(...)`",
        "future": "`await asyncio.wrap_future(future)`",
        "wait": "`await asyncio.wait(...)` on `asyncio.wrap_future(...)` futures",
    },
    "trio": {
        "spawn": "`nursery.start_soon(...)`",
        "to_thread": "trio.to_thread.run_sync",
        "sleep": "trio.sleep",
        "run_process": "trio.run_process(...)",
        "run_shell": "trio.run_process(..., shell=True)",
        "open_file": "trio.open_file(...)",
        "path": "trio.Path",
        "sync": "trio.Lock / trio.Event / trio.Semaphore",
        "queue": "a memory channel (`trio.open_memory_channel`)",
        "connect": "`trio.open_tcp_stream(...)` or trio.socket",
        "getaddrinfo": "`await trio.socket.getaddrinfo(...)`",
        "future": "`await trio.to_thread.run_sync(future.result)`",
        "wait": "`await trio.to_thread.run_sync(concurrent.futures.wait, ...)`",
    },
    "anyio": {
        "spawn": "`task_group.start_soon(...)`",
        "to_thread": "anyio.to_thread.run_sync",
        "sleep": "anyio.sleep",
        "run_process": "anyio.run_process(...)",
        "run_shell": "anyio.run_process(...) with a command string",
        "open_file": "anyio.open_file(...)",
        "path": "anyio.Path",
        "sync": "anyio.Lock / anyio.Event / anyio.Semaphore",
        "queue": "a memory object stream (`anyio.create_memory_object_stream`)",
        "connect": "`anyio.connect_tcp(...)`",
        "getaddrinfo": "`await anyio.getaddrinfo(...)`",
        "future": "`await anyio.to_thread.run_sync(future.result)`",
        "wait": "`await anyio.to_thread.run_sync(concurrent.futures.wait, ...)`",
    },
}
LIBRARIES = tuple(_LIBRARY_WORDS)


def render(template: str, call: str, library: str = "asyncio") -> str:
    """Advice text for one finding: `{to_thread}` etc. spelled for `library`, `{call}` the
    callee as written (e.g. `shutil.rmtree`)."""
    words = _LIBRARY_WORDS.get(library, _LIBRARY_WORDS["asyncio"])
    return template.format(call=call, **words)


@dataclass(frozen=True, slots=True)
class Blocking:
    """A blocking callee: what kind of I/O it does and an advice template (see `render`)."""

    category: str
    template: str
    literal: bool = False  # configured advice: shown as written, not formatted

    def advice(self, call: str, library: str = "asyncio") -> str:
        if self.literal:
            return self.template
        return render(self.template, call, library)


_OFFLOAD = "offload it with `await {to_thread}({call}, ...)`"
_HTTP = "use httpx.AsyncClient (or aiohttp) and `await` it"
_HTTPX = "use httpx.AsyncClient and `await` it"
_HTTPX2 = "use httpx2.AsyncClient and `await` it"
_SLEEP = "use `await {sleep}(...)`"
_SUBPROCESS = "use `await {run_process}`"
_SHELL = "use `await {run_shell}`"
_PROC_WAIT = "start the process with `await {run_process}`, or " + _OFFLOAD
_OPEN = "use `{open_file}`, or " + _OFFLOAD
_FILE_METHOD = "open the file with `{open_file}` and `await` its methods, or " + _OFFLOAD
_PATH = "use {path}, or " + _OFFLOAD
_SHUTIL = _OFFLOAD
_SQLITE = "use aiosqlite, or " + _OFFLOAD
_PG2 = "use asyncpg, or psycopg 3's `AsyncConnection`"
_PG3 = "use psycopg's `AsyncConnection` / `AsyncConnectionPool` and `await` it"
_MYSQL = "use aiomysql or asyncmy"
_MONGO = "use pymongo's `AsyncMongoClient` (or motor) and `await` it"
_REDIS = "use `redis.asyncio.Redis` and `await` it"
_SQLA = "use `sqlalchemy.ext.asyncio` (`AsyncSession` / `AsyncEngine`) and `await` it"
_BOTO = "use aioboto3 / aiobotocore, or " + _OFFLOAD
_SOCKET = "use {connect}"
_DNS = "use {getaddrinfo}"
_INPUT = "offload it with `await {to_thread}(input, ...)`"
_LOCK = "use {sync}, or " + _OFFLOAD
_JOIN = _OFFLOAD
_QUEUE = "use {queue}, or " + _OFFLOAD
_FUTURE = "use {future}"
_FUTURES_WAIT = "use {wait}"

BLOCKING: dict[str, Blocking] = {}


def _add(names: str, category: str, template: str, prefix: str = "") -> None:
    for name in names.split():
        BLOCKING[prefix + name] = Blocking(category, template)


# -- HTTP -----------------------------------------------------------------------------------------
_VERBS = "get post put patch delete head options request"
_add(_VERBS, "http", _HTTP, "requests.")
_add(_VERBS + " send", "http", _HTTP, "requests.Session.")
_add(_VERBS + " stream", "http", _HTTPX, "httpx.")
_add(_VERBS + " send stream close", "http", _HTTPX, "httpx.Client.")
_add(_VERBS + " stream", "http", _HTTPX2, "httpx2.")
_add(_VERBS + " send stream close", "http", _HTTPX2, "httpx2.Client.")
_add("urlopen urlretrieve", "http", _HTTP, "urllib.request.")
_add("open", "http", _HTTP, "urllib.request.OpenerDirector.")
_add("request", "http", _HTTP, "urllib3.")
_add("request getresponse connect", "http", _HTTP, "http.client.HTTPConnection.")
_add("request getresponse connect", "http", _HTTP, "http.client.HTTPSConnection.")
_add("read readinto readline readlines", "http", _HTTP, "http.client.HTTPResponse.")

# -- sleeping ---------------------------------------------------------------------------------------
_add("time.sleep", "sleep", _SLEEP)

# -- processes ----------------------------------------------------------------------------------------
_add("run call check_call check_output getoutput getstatusoutput Popen", "subprocess",
     _SUBPROCESS, "subprocess.")
_add("wait communicate", "subprocess", _PROC_WAIT, "subprocess.Popen.")
_add("system popen", "subprocess", _SHELL, "os.")
_add("spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp",
     "subprocess", _SUBPROCESS, "os.")
_add("wait wait3 wait4 waitpid waitid", "subprocess", _PROC_WAIT, "os.")

# -- files and paths ----------------------------------------------------------------------------------
_add("builtins.open io.open io.open_code os.fdopen codecs.open gzip.open bz2.open lzma.open",
     "file", _OPEN)
_add("TemporaryFile NamedTemporaryFile mkstemp mkdtemp", "file", _OFFLOAD, "tempfile.")
_add("read_text read_bytes write_text write_bytes open iterdir glob rglob walk exists is_dir "
     "is_file is_symlink is_mount is_socket is_fifo is_block_device is_char_device is_junction "
     "stat lstat mkdir rmdir unlink rename replace touch chmod lchmod owner group samefile "
     "symlink_to hardlink_to readlink resolve", "file", _PATH,
     "pathlib.Path.")
_add("listdir scandir walk fwalk stat lstat remove unlink rename renames replace rmdir "
     "removedirs mkdir makedirs chmod chown lchown link symlink readlink access utime truncate "
     "statvfs sendfile", "file", _PATH, "os.")
_add("exists lexists isfile isdir islink ismount isjunction getsize getmtime getatime getctime "
     "samefile sameopenfile samestat realpath", "file", _PATH, "os.path.")
_add("copy copy2 copyfile copyfileobj copymode copystat copytree move rmtree make_archive "
     "unpack_archive chown disk_usage", "file", _SHUTIL, "shutil.")
_add("glob iglob", "file", _OFFLOAD, "glob.")

# -- databases and caches ---------------------------------------------------------------------------
_add("sqlite3.connect", "database", _SQLITE)
_add("execute executemany executescript commit rollback backup iterdump", "database", _SQLITE,
     "sqlite3.Connection.")
_add("execute executemany executescript fetchone fetchall fetchmany", "database", _SQLITE,
     "sqlite3.Cursor.")
_add("psycopg2.connect", "database", _PG2)
_add("commit rollback", "database", _PG2, "psycopg2.connection.")
_add("execute executemany fetchone fetchall fetchmany copy_expert copy_from copy_to callproc",
     "database", _PG2, "psycopg2.cursor.")
_add("getconn", "database", _PG2, "psycopg2.pool.SimpleConnectionPool.")
_add("getconn", "database", _PG2, "psycopg2.pool.ThreadedConnectionPool.")
_add("psycopg.connect psycopg.Connection.connect", "database", _PG3)
_add("execute commit rollback", "database", _PG3, "psycopg.Connection.")
_add("execute executemany fetchone fetchall fetchmany", "database", _PG3, "psycopg.Cursor.")
_add("connection getconn", "database", _PG3, "psycopg_pool.ConnectionPool.")
_add("pymysql.connect MySQLdb.connect", "database", _MYSQL)
_add("commit rollback ping", "database", _MYSQL, "pymysql.Connection.")
_add("execute executemany fetchone fetchall fetchmany", "database", _MYSQL, "pymysql.Cursor.")
_add("execute scalars scalar commit flush get refresh merge rollback connection", "database",
     _SQLA, "sqlalchemy.orm.Session.")
_add("all first one one_or_none scalar count delete update get", "database", _SQLA,
     "sqlalchemy.orm.Query.")
_add("connect begin execute", "database", _SQLA, "sqlalchemy.Engine.")
_add("execute scalar scalars commit rollback exec_driver_sql", "database", _SQLA,
     "sqlalchemy.Connection.")

_REDIS_COMMANDS = (
    "get set mget mset setex setnx getset getdel getex delete exists expire expireat pexpire "
    "ttl pttl incr incrby incrbyfloat decr decrby append keys scan scan_iter rename type unlink "
    "hget hset hmget hmset hgetall hdel hexists hincrby hkeys hvals hlen hscan "
    "lpush rpush lpop rpop lrange llen ltrim lrem lindex lset blpop brpop brpoplpush "
    "sadd srem smembers sismember scard spop srandmember sscan sunion sinter sdiff "
    "zadd zrem zrange zrevrange zrangebyscore zscore zincrby zcard zcount zrank zscan "
    "publish ping flushdb flushall dbsize info eval evalsha execute_command xadd xread "
    "xreadgroup xack xlen xrange pfadd pfcount setbit getbit bitcount"
)
_add(_REDIS_COMMANDS, "cache", _REDIS, "redis.Redis.")
_add("execute", "cache", _REDIS, "redis.Pipeline.")

_MONGO_OPS = frozenset((
    "find find_one insert_one insert_many update_one update_many replace_one delete_one "
    "delete_many aggregate count_documents estimated_document_count distinct bulk_write "
    "find_one_and_update find_one_and_replace find_one_and_delete create_index create_indexes "
    "drop drop_index list_indexes list_collection_names list_database_names command "
    "server_info watch"
).split())

# -- network ------------------------------------------------------------------------------------------
_add("connect connect_ex accept recv recv_into recvfrom recvfrom_into send sendall sendto "
     "sendfile makefile", "socket", _SOCKET, "socket.socket.")
_add("socket.create_connection", "socket", _SOCKET)
_add("getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr getfqdn getnameinfo", "dns",
     _DNS, "socket.")

# -- threads, queues, futures, the terminal ---------------------------------------------------------
_add("builtins.input", "input", _INPUT)
_add("threading.Lock.acquire threading.RLock.acquire threading.Semaphore.acquire "
     "threading.BoundedSemaphore.acquire threading.Event.wait threading.Condition.wait "
     "threading.Condition.wait_for threading.Barrier.wait", "lock", _LOCK)
_add("threading.Thread.join", "thread", _JOIN)
_add("multiprocessing.Process.join", "thread", _JOIN)
# `put` is left out: it only waits on a bounded queue that is full, and most queues are not
# bounded (`Queue()`), so reporting it would mostly be wrong.
for _queue in ("queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "queue.SimpleQueue"):
    _add("get join", "queue", _QUEUE, _queue + ".")
_add("get", "queue", _QUEUE, "multiprocessing.Queue.")
_add("concurrent.futures.Future.result concurrent.futures.Future.exception", "future", _FUTURE)
_add("concurrent.futures.wait", "future", _FUTURES_WAIT)
_add("shutdown", "future", _OFFLOAD, "concurrent.futures.ThreadPoolExecutor.")
_add("shutdown", "future", _OFFLOAD, "concurrent.futures.ProcessPoolExecutor.")

# Every method of these objects does I/O, except the few listed that only build something
# locally or report state.
_ANY_METHOD: dict[str, tuple[str, str, frozenset[str]]] = {
    "boto3.Client": ("cloud", _BOTO, frozenset({
        "generate_presigned_url", "generate_presigned_post", "can_paginate", "get_paginator",
        "get_waiter", "close", "meta", "exceptions"})),
    "io.IOBase": ("file", _FILE_METHOD, frozenset({
        "fileno", "isatty", "readable", "writable", "seekable", "tell", "detach",
        "getvalue", "getbuffer"})),  # the last two: in-memory files typed as `IO`
}
_URLLIB3_SAFE = frozenset({
    "connection_from_host", "connection_from_url", "connection_from_context",
    "connection_from_pool_key", "clear", "close"})
for _pool in ("urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool",
              "urllib3.ConnectionPool", "urllib3.RequestMethods"):
    _ANY_METHOD[_pool] = ("http", _HTTP, _URLLIB3_SAFE)

_BOTO_RESOURCE_OPS = frozenset(
    "put_item get_item delete_item update_item query scan batch_write_item batch_get_item load "
    "reload upload_file download_file upload_fileobj download_fileobj put get delete copy "
    "send_message receive_messages".split())


def lookup(qualname: str, extra: dict[str, str] | None = None) -> Blocking | None:
    """The blocking entry for a resolved callee, or None.

    `extra` is `[tool.stackwise] blocking-functions` (qualified name -> advice)."""
    if extra and qualname in extra:
        return Blocking("configured", extra[qualname], literal=True)
    found = BLOCKING.get(qualname)
    if found is not None:
        return found
    head, _, method = qualname.rpartition(".")
    if head in _ANY_METHOD:
        category, template, safe = _ANY_METHOD[head]
        if method not in safe and not method.startswith("_"):
            return Blocking(category, template)
    if qualname.startswith("pymongo.MongoClient.") and method in _MONGO_OPS:
        return Blocking("database", _MONGO)
    if qualname.startswith("boto3.Resource.") and method in _BOTO_RESOURCE_OPS:
        return Blocking("cloud", _BOTO)
    return None


# -- CPU-heavy calls ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuHeavy:
    """A CPU-heavy callee and an advice template (see `render`)."""

    template: str

    def advice(self, call: str, library: str = "asyncio") -> str:
        return render(self.template, call, library)


_HASH = ("run it in a worker thread: `await {to_thread}({call}, ...)` (password hashes "
         "release the GIL)")
_COMPRESS = ("run it in a worker: `await {to_thread}({call}, ...)`, or a process pool for "
             "large data")

CPU_HEAVY: dict[str, CpuHeavy] = {}
for _name in ("hashlib.pbkdf2_hmac hashlib.scrypt bcrypt.hashpw bcrypt.checkpw bcrypt.kdf "
              "argon2.PasswordHasher.hash argon2.PasswordHasher.verify "
              "argon2.low_level.hash_secret argon2.low_level.hash_secret_raw "
              "argon2.low_level.verify_secret passlib.context.CryptContext.hash "
              "passlib.context.CryptContext.verify passlib.context.CryptContext.verify_and_update "
              "pwdlib.PasswordHash.hash pwdlib.PasswordHash.verify "
              "pwdlib.PasswordHash.verify_and_update "
              "werkzeug.security.generate_password_hash werkzeug.security.check_password_hash "
              "django.contrib.auth.hashers.make_password "
              "django.contrib.auth.hashers.check_password "
              "cryptography.hazmat.primitives.kdf.pbkdf2.PBKDF2HMAC.derive "
              "cryptography.hazmat.primitives.kdf.pbkdf2.PBKDF2HMAC.verify "
              "cryptography.hazmat.primitives.kdf.scrypt.Scrypt.derive "
              "cryptography.hazmat.primitives.kdf.scrypt.Scrypt.verify").split():
    CPU_HEAVY[_name] = CpuHeavy(_HASH)
for _name in "bz2.compress bz2.decompress lzma.compress lzma.decompress".split():
    CPU_HEAVY[_name] = CpuHeavy(_COMPRESS)


def lookup_cpu(qualname: str) -> CpuHeavy | None:
    """The CPU-heavy entry for a resolved callee, or None."""
    found = CPU_HEAVY.get(qualname)
    if found is not None:
        return found
    if qualname.startswith("passlib.hash.") and qualname.rsplit(".", 1)[-1] in (
        "hash", "verify", "encrypt"
    ):
        return CpuHeavy(_HASH)
    return None


# -- offloading ---------------------------------------------------------------------------------------

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

# Calls that wrap an already opened file for async use: the `open()` passed to them is the
# deliberate, one-off part of that pattern.
FILE_WRAPPERS = frozenset({"trio.wrap_file", "anyio.wrap_file"})


def library_of_imports(targets: Iterable[str]) -> str:
    """`library_of` for a file's imported names (`ImportFact.target`s, e.g. `trio.sleep`)."""
    return library_of({t.split(".", 1)[0] for t in targets} & set(LIBRARIES))


def library_of(imported: set[str] | frozenset[str]) -> str:
    """The async library whose spelling advice should use, from a file's imported roots:
    trio or anyio when the file uses that and not asyncio, else asyncio."""
    if "asyncio" not in imported:
        if "trio" in imported:
            return "trio"
        if "anyio" in imported:
            return "anyio"
    return "asyncio"
