"""The per-file test facts the TST project rules read (pytest tests are never imported or run).

Key `tst.file` in `FileFacts.extra`, one dict per file whose name looks like a test module
(`test*.py`, `*_test.py`) or a `conftest.py`:

* `async_tests`: `[name, class_name, line, col, end_col, marks, fixtures, other_decorators]` for
  every `async def test*` at module level or in a `Test*` class without bases; `marks` are the
  `pytest.mark.X` names on the function, its class and the module's `pytestmark`;
  `other_decorators` is true when a decorator other than a pytest mark or `mock.patch` wraps
  it (it may run the coroutine itself).
* `clients`: `[test, line, col, end_line, end_col, shown]` for an ASGI app client built inside a
  test function around a module-level or imported app (`TestClient(app)`,
  `AsyncClient(transport=ASGITransport(app=app))`).
* `network`: `[test, line, col, end_line, end_col, shown, host]` for an HTTP call or client made
  inside a test with a literal URL to a host that is not local.
* `mocks`: the file imports an HTTP-mocking library (respx, responses, pytest_httpx, ...).

Key `tst.hooks` (every file): `[name, relevant]` for each module-level `pytest_*` hook that may
change how tests run (`pytest_pyfunc_call` always; `pytest_collection_modifyitems` and friends
when their body mentions markers, asyncio, anyio, trio or coroutines).
"""

from __future__ import annotations

import ast
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from stackwise.engine.context import FileContext
from stackwise.engine.scope import Scope
from stackwise.rules._api import FactCollector

FILE_KEY = "tst.file"
HOOKS_KEY = "tst.hooks"

_HOOKS_ALWAYS = frozenset({"pytest_pyfunc_call"})
_HOOKS_MAYBE = frozenset({
    "pytest_collection_modifyitems", "pytest_pycollect_makeitem", "pytest_runtest_call",
    "pytest_itemcollected", "pytest_generate_tests", "pytest_runtest_setup",
})
_HOOK_WORDS = re.compile(r"add_marker|asyncio|anyio|trio|coroutine|run_until_complete|twisted")
_HARMLESS_DECORATORS = ("pytest.mark.", "unittest.mock.patch", "mock.patch")
MOCK_MODULES = frozenset({
    "respx", "responses", "requests_mock", "pytest_httpx", "httpretty", "vcr", "pytest_recording",
    "aioresponses", "pook", "betamax", "pytest_socket", "unittest.mock", "mock", "pytest_mock",
})
_MOCK_FIXTURES = frozenset({
    "httpx_mock", "requests_mock", "respx_mock", "responses", "mocker", "monkeypatch",
    "aioresponses", "vcr", "vcr_cassette", "httpserver",
})
APP_CLIENTS = frozenset({"fastapi.testclient.TestClient", "starlette.testclient.TestClient"})
_HTTPX_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient"})
_ASGI_TRANSPORTS = frozenset({"httpx.ASGITransport", "httpx.WSGITransport"})
_HTTP_FUNCS = frozenset(
    f"{lib}.{verb}" for lib in ("requests", "httpx")
    for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
) | frozenset({"urllib.request.urlopen"})
_HTTP_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "request", "stream",
})
_HTTP_SESSIONS = frozenset({
    "requests.Session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient",
    "aiohttp.ClientSession",
})
_LOCAL_SUFFIXES = (".test", ".invalid", ".localhost", ".local", ".internal", ".example",
                   "example.com", "example.org", "example.net")  # RFC 2606 names


def is_test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test") or name.endswith("_test.py")


def real_host(url: str) -> str | None:
    """The host of an absolute http(s) URL when it is a real, non-local internet host."""
    if not url.startswith(("http://", "https://")):
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    if (not host or "." not in host or host.endswith(_LOCAL_SUFFIXES)
            or host in ("localhost", "testserver") or host.replace(".", "").isdigit()
            or ":" in host or "{" in host):
        return None  # no dot: a compose service or test alias; IPs and reserved names: local
    return host


def _url_text(node: ast.expr | None) -> str | None:
    """The literal text of a URL argument (an f-string up to its first placeholder)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text += part.value
            else:
                text += "{"
                break
        return text
    return None


class TestingFacts(FactCollector):
    code = "TST"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Module, ast.Call)

    def __init__(self) -> None:
        self.clients: list[list[Any]] = []
        self.network: list[list[Any]] = []
        self.test_file = False
        self.mock_tests: set[str] = set()  # tests that take a mocking fixture or decorator

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Module):
            self._module(node, ctx)
        elif self.test_file:
            assert isinstance(node, ast.Call)
            self._call(node, ctx)

    def end_file(self, ctx: FileContext) -> None:
        if self.test_file:
            ctx.facts.extra.setdefault(FILE_KEY, [{}])
            data: dict[str, Any] = ctx.facts.extra[FILE_KEY][0]
            data["clients"] = self.clients
            data["network"] = self.network

    # -- module level -----------------------------------------------------------------------------

    def _marks(self, exprs: list[ast.expr], ctx: FileContext) -> list[str]:
        out: list[str] = []
        stack = list(exprs)
        while stack:
            expr = stack.pop()
            if isinstance(expr, ast.List | ast.Tuple):
                stack.extend(expr.elts)
                continue
            target = expr.func if isinstance(expr, ast.Call) else expr
            name = ctx.qualname(target) if isinstance(target, ast.Name | ast.Attribute) else None
            if name and name.startswith("pytest.mark."):
                out.append(name.split(".")[2])
        return out

    def _pytestmark(self, body: list[ast.stmt], ctx: FileContext) -> list[str]:
        marks: list[str] = []
        for stmt in body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if stmt.value is not None and any(
                    isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets
                ):
                    marks += self._marks([stmt.value], ctx)
        return marks

    def _module(self, module: ast.Module, ctx: FileContext) -> None:
        hooks: list[list[Any]] = []
        for stmt in module.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and (
                stmt.name in _HOOKS_ALWAYS or stmt.name in _HOOKS_MAYBE
            ):
                text = ast.unparse(stmt)
                relevant = stmt.name in _HOOKS_ALWAYS or bool(_HOOK_WORDS.search(text))
                hooks.append([stmt.name, relevant])
        if hooks:
            ctx.add_fact(HOOKS_KEY, hooks)
        name = ctx.path.rsplit("/", 1)[-1]
        if not (is_test_module(ctx.path) or name == "conftest.py"):
            return
        self.test_file = True
        module_marks = self._pytestmark(module.body, ctx)
        tests: list[list[Any]] = []
        for stmt in module.body:
            if isinstance(stmt, ast.AsyncFunctionDef | ast.FunctionDef):
                self._test(stmt, "", module_marks, tests, ctx)
            elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
                if stmt.bases or stmt.keywords:
                    continue  # unittest.IsolatedAsyncioTestCase, Django's TestCase...: they run
                class_marks = module_marks + self._marks(stmt.decorator_list, ctx) \
                    + self._pytestmark(stmt.body, ctx)
                for item in stmt.body:
                    if isinstance(item, ast.AsyncFunctionDef | ast.FunctionDef):
                        self._test(item, stmt.name, class_marks, tests, ctx)
        mocks = any(
            imp.target == m or imp.target.startswith(m + ".")
            for imp in ctx.facts.imports for m in MOCK_MODULES
        )
        ctx.add_fact(FILE_KEY, {"async_tests": tests, "mocks": mocks})

    def _test(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        class_name: str,
        marks: list[str],
        tests: list[list[Any]],
        ctx: FileContext,
    ) -> None:
        if not fn.name.startswith("test"):
            return
        args = fn.args
        fixtures = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        other = False
        for deco in fn.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = ctx.qualname(target) if isinstance(target, ast.Name | ast.Attribute) else None
            if name is None or not name.startswith(_HARMLESS_DECORATORS):
                other = True
            if name is not None and name.split(".")[0] in ("respx", "responses", "vcr", "pook"):
                self.mock_tests.add(fn.name)
            if name == "pytest.mark.vcr":
                self.mock_tests.add(fn.name)
        if set(fixtures) & _MOCK_FIXTURES:
            self.mock_tests.add(fn.name)
        if not isinstance(fn, ast.AsyncFunctionDef):
            return
        line = fn.lineno
        col = ctx.source.char_column(line, fn.col_offset)
        tests.append([fn.name, class_name, line, col, col + len("async def ") + len(fn.name),
                      sorted(set(marks + self._marks(fn.decorator_list, ctx))), fixtures, other])

    # -- calls inside tests -------------------------------------------------------------------------

    def _test_scope(self, ctx: FileContext) -> Scope | None:
        """The test function the current node is directly in, if any."""
        scope = ctx.function_scope
        if scope is None or not isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        if not scope.node.name.startswith("test"):
            return None
        parent = scope.parent
        if parent is None:
            return None
        if parent.kind == "class":
            cls = parent.node
            if not (isinstance(cls, ast.ClassDef) and cls.name.startswith("Test")):
                return None
            parent = parent.parent
        return scope if parent is not None and parent.kind == "module" else None

    def _call(self, call: ast.Call, ctx: FileContext) -> None:
        scope = self._test_scope(ctx)
        if scope is None:
            return
        assert isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef)
        test = scope.node.name
        target = ctx.call_target(call)
        if target is None:
            return
        src = ctx.source
        end_line = call.end_lineno or call.lineno
        where = [call.lineno, src.char_column(call.lineno, call.col_offset), end_line,
                 src.char_column(end_line, call.end_col_offset or 0)]
        shown = ast.unparse(call.func)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if target in APP_CLIENTS or (target in _HTTPX_CLIENTS and self._asgi(keywords, ctx)):
            app = call.args[0] if call.args else keywords.get("app")
            transport = keywords.get("transport")
            if app is None and isinstance(transport, ast.Call):
                app = transport.args[0] if transport.args else next(
                    (k.value for k in transport.keywords if k.arg == "app"), None)
            if isinstance(app, ast.Name | ast.Attribute) and self._shared(app, scope, ctx):
                self.clients.append([test, *where, f"{shown}({ast.unparse(app)})"])
            return
        if test in self.mock_tests:
            return
        url: str | None = None
        if target in _HTTPX_CLIENTS and "transport" not in keywords and "app" not in keywords:
            url = _url_text(keywords.get("base_url"))
        elif target in _HTTP_FUNCS or (
            target.rpartition(".")[0] in _HTTP_SESSIONS
            and target.rpartition(".")[2] in _HTTP_METHODS
        ):
            args = call.args
            if target.endswith(".request") and len(args) >= 2:
                url = _url_text(args[1])
            elif args and not target.endswith(".request"):
                url = _url_text(args[0])
            else:
                url = _url_text(keywords.get("url"))
        host = real_host(url) if url is not None else None
        if host is not None:
            self.network.append([test, *where, shown, host])

    @staticmethod
    def _asgi(keywords: dict[str, ast.expr], ctx: FileContext) -> bool:
        if "app" in keywords:
            return True
        transport = keywords.get("transport")
        return isinstance(transport, ast.Call) and ctx.call_target(transport) in _ASGI_TRANSPORTS

    @staticmethod
    def _shared(app: ast.expr, scope: Scope, ctx: FileContext) -> bool:
        """The app is the project's, not one the test builds for itself."""
        root = app
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        local = ctx.resolver.bindings(scope).get(root.id)
        return local is None  # bound in the test (a parameter, an assignment): its own app
