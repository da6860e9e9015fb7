"""ASY110: CPU-heavy work (password hashing, heavy compression) inside an `async def`."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.rules._api import ASYNC_DEF, Rule
from stackwise.rules.aio._knowledge import LIBRARIES, library_of, lookup_cpu


class CpuHeavyCallInAsync(Rule):
    """
    ## What it does
    Finds known CPU-heavy calls in the body of an `async def`: password hashing and
    verification (`hashlib.pbkdf2_hmac`, `hashlib.scrypt`, bcrypt, argon2, passlib, pwdlib,
    werkzeug's and Django's password hashers, `cryptography`'s PBKDF2 and scrypt key
    derivation) and `bz2`/`lzma` compression. Names are resolved through imports, aliases and
    annotations (`hasher: PasswordHasher`); passing the function to a worker
    (`await asyncio.to_thread(bcrypt.checkpw, ...)`) is not a call and is not reported.

    ## Why it matters
    These calls are slow on purpose (a password hash takes tens to hundreds of milliseconds)
    and hold the thread the whole time. Inside a coroutine that is the event loop's thread:
    every other request waits while one login is verified.

    ## Example
    ```python
    import bcrypt

    async def login(form: LoginForm) -> Token:
        user = await users.get(form.username)
        if not bcrypt.checkpw(form.password.encode(), user.password_hash):
            raise InvalidCredentials()
        return issue_token(user)
    ```

    ## Use instead
    ```python
    async def login(form: LoginForm) -> Token:
        user = await users.get(form.username)
        ok = await asyncio.to_thread(bcrypt.checkpw, form.password.encode(), user.password_hash)
        if not ok:
            raise InvalidCredentials()
        return issue_token(user)
    ```
    For sustained CPU work use a process pool (`loop.run_in_executor(ProcessPoolExecutor(),
    ...)`) or a task queue worker.
    """

    code = "ASY110"
    name = "cpu-heavy-call-in-async"
    summary = "CPU-heavy call inside `async def`: run it in a thread or process pool"
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
        entry = lookup_cpu(target)
        if entry is None:
            return
        written = ast.unparse(node.func)
        shown = written if len(written) < 60 else target
        library = library_of({lib for lib in LIBRARIES if ctx.imports(lib)})
        ctx.report(self, node, f"CPU-heavy call `{shown}()` in async function; "
                               f"{entry.advice(shown, library)}")
