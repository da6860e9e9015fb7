"""ASY100: a blocking call directly inside an `async def`."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import ASYNC_DEF, Rule
from stackwise.rules.aio._knowledge import (
    FILE_WRAPPERS,
    LIBRARIES,
    OFFLOAD_WRAPPERS,
    library_of,
    lookup,
    render,
)
from stackwise.rules.fastapi._detect import is_async_endpoint


class BlockingCallInAsync(Rule):
    """
    ## What it does
    Finds calls that block the thread made directly in the body of an `async def`: HTTP with
    `requests`, `urllib`, `urllib3` or a sync `httpx` client; `time.sleep`; `subprocess`,
    `os.system`, `os.spawn*` and `os.wait*`; file and path I/O (`open`, `pathlib.Path`
    methods, `os` and `os.path` file functions, `shutil`); sync database and cache drivers
    (sqlite3, psycopg2, sync psycopg, pymysql, MySQLdb, pymongo, sync redis, SQLAlchemy's sync
    `Session`/`Engine`); boto3 clients; blocking socket and DNS calls; `input()`; thread locks,
    `Thread.join`, `queue.Queue.get` and `concurrent.futures` `.result()`. Your own blocking
    functions can be added with `[tool.stackwise] blocking-functions`.

    Names are resolved through imports and aliases (`import requests as r`,
    `from time import sleep`), annotations (`client: httpx.Client`) and simple assignments
    (`f = open(p)`; `f.read()`), so a local variable that happens to be called `requests` is
    not mistaken for the library. Not reported: calls inside a nested `def` or `lambda` (they
    do not run in the coroutine's body), functions only passed by reference
    (`await asyncio.to_thread(requests.get, url)`), an `await`ed call on an object whose type
    was inferred or on a name nothing in the file binds (the `await` says it is something async
    we could not see, such as a `sessionmaker(class_=AsyncSession)` session), the `open()` handed
    to `trio.wrap_file` / `anyio.wrap_file`, and the forms that do not wait:
    `lock.acquire(blocking=False)`, `q.get(block=False)`, `thread.join(timeout=0)`, a socket
    after `sock.setblocking(False)` or inside `try: ... except BlockingIOError`, and
    `future.result()` after `future.done()`.

    The advice names the replacement in the async library the file uses (asyncio, trio or
    anyio). In an `async def` FastAPI route or dependency the same call is reported as `FAS200`
    instead, once, with FastAPI's other fix (declare the endpoint with plain `def`).

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
    `await asyncio.to_thread(blocking_function, arg)` (pass the function and its arguments,
    not the result of calling it).
    """

    code = "ASY100"
    name = "blocking-call-in-async"
    summary = "Blocking call inside `async def`: use the async library or offload it"
    severity = Severity.ERROR
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    requires_text: ClassVar[tuple[str, ...]] = ("async",)  # only async code is checked
    requires_match: ClassVar[str] = ASYNC_DEF

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async:
            return
        assert isinstance(node, ast.Call)
        target = ctx.call_target(node)
        if target is None:
            return
        entry = lookup(target, ctx.settings.blocking_functions)
        if entry is None or not self.in_scope(ctx):
            return
        parent = ctx.parent(node)
        if isinstance(parent, ast.Await) and not _imported_root(node.func, ctx):
            return
        if _does_not_wait(node, target) or _made_nonblocking(node, entry.category, ctx):
            return
        outer = _enclosing_call(node, parent, ctx)
        if outer in FILE_WRAPPERS:
            return
        written = ast.unparse(node.func)
        shown = written if len(written) < 60 else target
        library = library_of({lib for lib in LIBRARIES if ctx.imports(lib)})
        if outer is not None and (
            outer in OFFLOAD_WRAPPERS or outer in ctx.settings.offload_wrappers
            or outer.endswith(".run_in_executor")
        ):
            wrapper = outer.rsplit(".", 1)[-1] if outer.endswith(".run_in_executor") else outer
            ctx.report(self, node, (
                f"blocking call `{shown}()` runs on the event loop before `{wrapper}` gets its "
                f"result; pass the function and its arguments instead: "
                f"`{render('await {to_thread}', shown, library)}({shown}, ...)`"))
            return
        ctx.report(self, node, f"blocking call `{shown}()` in async function; "
                               f"{entry.advice(shown, library)}")

    def in_scope(self, ctx: FileContext) -> bool:
        """Whether this rule reports in the current function: FAS200 (a subclass) takes the
        async FastAPI routes and dependencies, where the message also offers `def`."""
        return not is_async_endpoint(ctx)


def _is_false(expr: ast.expr | None) -> bool:
    """`False`, `0` or `0.0` written as a literal."""
    return isinstance(expr, ast.Constant) and expr.value in (False, 0) and (
        expr.value is not None)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _does_not_wait(call: ast.Call, target: str) -> bool:
    """The arguments ask for the non-waiting form: `lock.acquire(blocking=False)`,
    `q.get(block=False)`, `thread.join(timeout=0)`, `future.result(timeout=0)`."""
    method = target.rpartition(".")[2]
    if target.startswith("threading.") and method == "acquire":
        return _is_false(_argument(call, 0, "blocking")) or _is_false(
            _argument(call, 1, "timeout"))
    if target.startswith(("queue.", "multiprocessing.Queue.")) and method == "get":
        return _is_false(_argument(call, 0, "block")) or _is_false(_argument(call, 1, "timeout"))
    if method in ("join", "wait", "result", "exception") and target.startswith(
        ("threading.", "concurrent.futures.Future.", "multiprocessing.Process.")
    ):
        return _is_false(_argument(call, 0, "timeout"))
    return False


# Calls on the same object, earlier in the same function, that show it will not wait: a socket
# put in non-blocking mode, a future whose state is checked first.
_NONBLOCKING_EVIDENCE: dict[str, frozenset[str]] = {
    "socket": frozenset({"setblocking", "settimeout"}),
    "future": frozenset({"done", "cancelled", "add_done_callback"}),
}


def _made_nonblocking(call: ast.Call, category: str, ctx: FileContext) -> bool:
    evidence = _NONBLOCKING_EVIDENCE.get(category)
    if category == "socket" and _catches_blocking_io_error(call, ctx):
        return True
    func = call.func
    if evidence is None or not (
        isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
    ):
        return False
    receiver = func.value.id
    scope = ctx.function_scope
    if scope is None:
        return False
    for node in ast.walk(scope.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in evidence
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == receiver
            and (node.lineno, node.col_offset) < (call.lineno, call.col_offset)
            and (node.func.attr not in ("setblocking", "settimeout")
                 or (bool(node.args) and _is_false(node.args[0])))
        ):
            return True
    return False


def _catches_blocking_io_error(call: ast.Call, ctx: FileContext) -> bool:
    """The call sits in a `try` that handles `BlockingIOError`: the socket does not wait."""
    child: ast.AST = call
    parent = ctx.parent(call)
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
        if isinstance(parent, ast.Try | ast.TryStar) and child in parent.body:
            for handler in parent.handlers:
                if handler.type is not None and any(
                    isinstance(n, ast.Name | ast.Attribute)
                    and (n.id if isinstance(n, ast.Name) else n.attr) == "BlockingIOError"
                    for n in ast.walk(handler.type)
                ):
                    return True
        child, parent = parent, ctx.parent(parent)
    return False


def _imported_root(func: ast.expr, ctx: FileContext) -> bool:
    """Whether the name `func` starts with is bound by an import (`os` in `os.path.isfile`,
    `sleep` after `from time import sleep`), rather than a variable whose type we inferred or a
    name nothing binds."""
    while isinstance(func, ast.Attribute):
        func = func.value
    if not isinstance(func, ast.Name) or ctx.scope is None:
        return False
    binding = ctx.resolver.lookup(func.id, ctx.scope)
    return binding is not None and binding.kind == "import"


def _enclosing_call(node: ast.Call, parent: ast.AST | None, ctx: FileContext) -> str | None:
    """The callee of the call `node` is a direct positional argument of, if any."""
    if not (isinstance(parent, ast.Call) and node in parent.args):
        return None
    target = ctx.call_target(parent)
    if target is None and isinstance(parent.func, ast.Attribute) and (
        parent.func.attr == "run_in_executor"
    ):
        return "loop.run_in_executor"  # a loop we could not name
    return target
