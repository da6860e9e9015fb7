"""Property-based tests: whatever the input, stackwise never raises, says the same thing twice,
and a file it cannot analyse is at most one `SW000`.

Strategies, fastest first: arbitrary bytes and Python-flavoured bytes; real code (the fixtures)
with random edits; backend-like modules built from statements the rules care about (imports,
aliases, async and sync functions, classes, decorators, offloads); whole small projects checked
cold, cached and warm; and modules generated from Python's grammar by `hypothesmith` (slow to
generate, so fewer of them).

`STACKWISE_FUZZ_EXAMPLES` sets the total number of examples, shared between the strategies
(`make fuzz` sets 100000 and draws new random examples each run). Without it the normal suite runs
a few thousand, derandomized so that CI is repeatable.
"""

from __future__ import annotations

import ast
import os
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stackwise import Settings, check
from stackwise.engine.extract import analyse_source
from stackwise.rules.registry import file_rules

from .conftest import keyed, write_tree

_TOTAL = int(os.environ.get("STACKWISE_FUZZ_EXAMPLES", "0") or 0)
_LONG = _TOTAL > 0

# share of the total for each strategy in a long run; examples in the normal suite
_PLAN = {
    "bytes": (0.35, 1200),
    "bytes-as-files": (0.02, 150),
    "fragments": (0.25, 600),
    "mutations": (0.25, 500),
    "modules": (0.10, 300),
    "projects": (0.02, 60),
    "grammar": (0.01, 40),
}


def _examples(name: str) -> int:
    share, default = _PLAN[name]
    return max(10, int(_TOTAL * share)) if _LONG else default


def _settings(name: str) -> Callable[[Any], Any]:
    return settings(
        max_examples=_examples(name),
        deadline=None,
        database=None,
        derandomize=not _LONG,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


SETTINGS = Settings()
RULES = file_rules()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _analyse(data: bytes) -> dict[str, Any]:
    return analyse_source(data, "m.py", "m", False, SETTINGS, RULES)


def _lines(data: bytes) -> int:
    text = data.decode("utf-8", "replace")
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _invariants(data: bytes) -> dict[str, Any]:
    """Analyse twice; both the same; at most one SW000 and then nothing else; no SW001; every
    finding inside the file."""
    first = _analyse(data)
    second = _analyse(data)
    assert first == second, "the same bytes gave two different answers"
    findings = first["findings"]
    codes = [f[4] for f in findings]
    assert "SW001" not in codes, [f[5] for f in findings if f[4] == "SW001"]
    if "SW000" in codes:
        assert codes == ["SW000"], findings
        assert first["facts"] is None
    n_lines = _lines(data)
    for line, col, end_line, end_col, *_ in findings:
        assert 1 <= line <= n_lines and col >= 1, (line, col, n_lines)
        assert (end_line, end_col) >= (line, col) or end_line == 0
    return first


# -- bytes ----------------------------------------------------------------------------------------

FRAGMENTS = [
    b"def ", b"async ", b"await ", b"class ", b"import ", b"from ", b" as ", b"lambda", b":",
    b"(", b")", b"[", b"]", b"{", b"}", b",", b".", b"=", b"*", b"**", b"@", b"->", b"\n", b"\r",
    b"\r\n", b"\t", b" ", b"    ", b"\x0c", b"\x00", b"\\\n", b"#", b"'", b'"', b"'''", b"f'{",
    b"}'", b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n", b"# coding: utf-8\n",
    b"# coding: nope\n", b"\xe9", b"\xff", b"\xc3\xa9", b"\xed\xa0\x80", b"time.sleep(1)",
    b"requests.get(u)", b"open(p)", b"asyncio.run(m())", b"x", b"self", b"return", b"yield",
    b"if ", b"else", b"for ", b" in ", b"with ", b"try:", b"except", b"match ", b"case ",
    b"type ", b"1", b"0x", b"1e", b"# stackwise: ignore[", b"# noqa: ASY100", b"\xe2\x80\xae",
]


@_settings("bytes")
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data: bytes) -> None:
    _invariants(data)


@_settings("fragments")
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=80).map(b"".join))
def test_python_flavoured_bytes(data: bytes) -> None:
    _invariants(data)


@_settings("bytes-as-files")
@given(st.binary(max_size=2000) | st.lists(st.sampled_from(FRAGMENTS), max_size=60).map(b"".join))
def test_bytes_written_as_a_py_file(data: bytes) -> None:
    """The whole pipeline, with a witness file whose finding must survive."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp), {
            "pyproject.toml": "",
            "fuzzed.py": data,
            "witness.py": "import time\nasync def w() -> None:\n    time.sleep(1)\n",
        })
        result = check([root], root=root, use_cache=False, jobs=1)
        witness = [(f.line, f.code) for f in result.findings if f.path == "witness.py"]
        assert witness == [(3, "ASY100")]
        fuzzed = [f.code for f in result.findings if f.path == "fuzzed.py"]
        assert "SW001" not in fuzzed
        assert fuzzed.count("SW000") <= 1 and (fuzzed == ["SW000"] or "SW000" not in fuzzed)
        assert result.warnings == []


# -- real code, randomly edited ---------------------------------------------------------------------


def _corpus() -> list[bytes]:
    sources = sorted(FIXTURES.rglob("*.py"))
    return [p.read_bytes() for p in sources if p.stat().st_size < 20_000] or [b"x = 1\n"]


CORPUS = _corpus()


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        n = len(data)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace", "swap-lines"]))
        if op == "delete":
            del data[i:j]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(FRAGMENTS))
        elif op == "duplicate":
            data[i:i] = data[i:j]
        elif op == "replace" and i < n:
            data[i] = draw(st.integers(0, 255))
        elif op == "swap-lines":
            lines = bytes(data).split(b"\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@_settings("mutations")
@given(mutants())
def test_real_code_with_random_edits(data: bytes) -> None:
    _invariants(data)


# -- backend-like modules ---------------------------------------------------------------------------

CALLEES = [
    "time.sleep", "requests.get", "requests.Session().get", "httpx.Client().post", "open",
    "subprocess.run", "os.system", "asyncio.run", "asyncio.sleep", "asyncio.to_thread",
    "asyncio.get_event_loop().run_in_executor", "loop.run_until_complete", "sleep", "get", "helper",
    "self.client.get", "self.helper", "cls.make", "Path('x').read_text", "sqlite3.connect",
    "socket.create_connection", "hashlib.pbkdf2_hmac", "json.loads", "run_in_threadpool",
    "sync_to_async(helper)", "print", "len", "session.execute", "db.query", "fh.read",
    "anyio.to_thread.run_sync", "super().handle", "client.stream", "redis.Redis().get", "x.y.z",
    "f()()", "(lambda: 1)", "[0][0]", "getattr(x, 'y')",
]
IMPORTS = [
    "import time", "import requests", "import httpx", "import asyncio", "import subprocess",
    "import os", "from time import sleep", "from requests import get", "import requests as rq",
    "from pathlib import Path", "import sqlite3", "import socket", "import hashlib",
    "from fastapi import FastAPI", "from starlette.concurrency import run_in_threadpool",
    "from asgiref.sync import sync_to_async", "import anyio", "from . import sibling",
    "from .sibling import helper", "from ..up import thing", "from typing import TYPE_CHECKING",
    "from sqlalchemy.orm import Session", "import redis", "from django.db import models",
    "from flask import Flask", "import json", "from m import *", "import a.b.c as abc",
]
NAMES = ["a", "b", "x", "client", "session", "data", "resp", "loop", "app", "db", "self", "fh",
         "helper", "get", "sleep", "requests", "time", "cls", "_", "type", "match"]
ATOMS = [*NAMES, "1", "0", "None", "True", "'s'", "b''", "f'{x}'", "...", "[]", "{}", "-1.5"]

exprs = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(CALLEES), st.lists(inner, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, st.sampled_from(["+", "/", "and", "or", "==", "<", "is not", "%"]),
                  inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"(await {e})"),
        inner.map(lambda e: f"(lambda: {e})"),
        inner.map(lambda e: f"({e}).attr"),
        inner.map(lambda e: f"[{e} for x in range(3)]"),
        inner.map(lambda e: f"({e} if x else None)"),
        inner.map(lambda e: f"(y := {e})"),
        st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
        inner.map(lambda e: f"{{'k': {e}}}"),
        inner.map(lambda e: f'f"{{ {e} }}"'),
        inner.map(lambda e: f"{e}[0]"),
    ),
    max_leaves=5,
)

simple_statements = st.one_of(
    st.tuples(st.sampled_from(NAMES), exprs).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(st.sampled_from(NAMES), exprs).map(lambda t: f"self.{t[0]} = {t[1]}"),
    st.tuples(st.sampled_from(NAMES), exprs).map(lambda t: f"{t[0]}: {t[0].title()} = {t[1]}"),
    exprs,
    exprs.map(lambda e: f"return {e}"),
    exprs.map(lambda e: f"yield {e}"),
    exprs.map(lambda e: f"await {e}"),
    st.sampled_from(IMPORTS),
    st.sampled_from(["pass", "global x", "nonlocal x", "del x", "raise", "break", "continue",
                     "x += 1", "assert x, 'm'", "get = requests.get", "sleep = time.sleep",
                     "client = httpx.Client()", "self.client = requests.Session()",
                     "__all__ = ['a']", "app = FastAPI()", "loop = asyncio.get_event_loop()"]),
)


def _block(header: str, body: list[str]) -> str:
    return header + "\n" + textwrap.indent("\n".join(body) or "pass", "    ")


statements = st.recursive(
    simple_statements,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["def", "async def"]), st.sampled_from([*NAMES, "handler"]),
                  st.lists(inner, min_size=1, max_size=4)).map(
            lambda t: _block(f"{t[0]} {t[1]}(self, a=None, *args, b: int = 1, **kw) -> None:",
                             t[2])),
        st.tuples(st.sampled_from(["@app.get('/x')", "@staticmethod", "@classmethod",
                                   "@sync_to_async", "@contextlib.contextmanager", "@property",
                                   "@functools.lru_cache", "@pytest.mark.asyncio"]),
                  st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: t[0] + "\n" + _block("async def decorated(request):", t[1])),
        st.tuples(st.sampled_from(["C", "Service", "Repo"]),
                  st.sampled_from(["", "(Base)", "(models.Model)", "(Generic[T])"]),
                  st.lists(inner, min_size=1, max_size=4)).map(
            lambda t: _block(f"class {t[0]}{t[1]}:", t[2])),
        st.tuples(exprs, st.lists(inner, min_size=1, max_size=3),
                  st.lists(inner, max_size=2)).map(
            lambda t: _block(f"if {t[0]}:", t[1]) + ("\n" + _block("else:", t[2]) if t[2] else "")),
        st.tuples(st.sampled_from(["for x in", "async for x in", "while", "with", "async with"]),
                  exprs, st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: _block(f"{t[0]} {t[1]}{' as fh' if 'with' in t[0] else ''}:", t[2])),
        st.tuples(st.lists(inner, min_size=1, max_size=3),
                  st.lists(inner, min_size=1, max_size=2)).map(
            lambda t: _block("try:", t[0]) + "\n" + _block("except Exception as e:", t[1])),
        st.lists(inner, min_size=1, max_size=3).map(
            lambda b: _block("if TYPE_CHECKING:", b)),
        st.tuples(exprs, st.lists(inner, min_size=1, max_size=2)).map(
            lambda t: _block(f"match {t[0]}:", [_block("case [a, *rest]:", t[1]),
                                                _block("case _:", ["pass"])])),
    ),
    max_leaves=8,
)

# imports first, then anything, then a coroutine whose body is anything: most modules then have
# calls in async code for the rules to look at
modules = st.tuples(
    st.lists(st.sampled_from(IMPORTS), max_size=5),
    st.lists(statements, max_size=4),
    st.lists(st.one_of(statements, st.tuples(st.sampled_from(CALLEES), exprs).map(
        lambda t: f"{t[0]}({t[1]})")), min_size=1, max_size=5),
).map(lambda t: "\n".join([*t[0], *t[1], _block("async def handler(request):", t[2])]) + "\n")


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.slow
@_settings("modules")
@given(modules)
def test_generated_backend_modules(source: str) -> None:
    assume(_parses(source))
    result = _invariants(source.encode())
    assert all(f[4] != "SW000" for f in result["findings"]), result["findings"]
    assert result["facts"] is not None


def test_the_module_strategy_makes_findings() -> None:
    """A guard on the strategy itself: it must reach the rules, not only the parser."""
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(modules)
    def collect(source: str) -> None:
        if _parses(source):
            seen.update(f[4] for f in _analyse(source.encode())["findings"])

    collect()
    assert {"ASY100"} <= seen, seen


# -- projects: cold, cached, warm, edited -----------------------------------------------------------


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    n = draw(st.integers(2, 4))
    files: dict[str, str] = {"pyproject.toml": "[tool.stackwise]\n", "pkg/__init__.py": ""}
    for i in range(n):
        lines = ["import time", "import requests"]
        for j in draw(st.lists(st.integers(0, n - 1), max_size=3)):
            lines.append(f"from pkg.m{j} import f{j}, C{j}")
        lines.append(f"def f{i}(x=None):")
        for call in draw(st.lists(st.sampled_from(
                [f"f{k}(x)" for k in range(n)] + ["time.sleep(1)", "requests.get(x)", "x",
                                                  f"C{i}().run()", "asyncio.to_thread(f0)"]),
                min_size=1, max_size=4)):
            lines.append(f"    {call}")
        lines.append(f"class C{i}:")
        lines.append("    def run(self):")
        lines.append(f"        return f{draw(st.integers(0, n - 1))}()")
        lines.append(f"async def h{i}():")
        for call in draw(st.lists(st.sampled_from(
                [f"f{k}()" for k in range(n)] + [f"C{k}().run()" for k in range(n)]
                + ["await asyncio.sleep(0)", "time.sleep(1)  # stackwise: ignore[ASY100]"]),
                min_size=1, max_size=3)):
            lines.append(f"    {call}")
        files[f"pkg/m{i}.py"] = "import asyncio\n" + "\n".join(lines) + "\n"
    extra = draw(statements)
    files["pkg/free.py"] = extra + "\n"
    return files


@pytest.mark.slow
@_settings("projects")
@given(projects(), st.integers(0, 3), st.sampled_from([b"\n# edited\n", b"\nx = 1\n", b"\x00"]))
def test_projects_cold_cached_warm_and_edited(
    files: dict[str, str], victim: int, edit: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "p", files)
        cache = Path(tmp) / "cache"
        plain = keyed(check([root], root=root, use_cache=False, jobs=1).findings)
        cold = check([root], root=root, cache_dir=cache, jobs=1)
        warm = check([root], root=root, cache_dir=cache, jobs=1)
        assert keyed(cold.findings) == plain == keyed(warm.findings)
        assert warm.analysed == 0
        assert not any(f.code == "SW001" for f in cold.findings)
        target = root / "pkg" / f"m{victim % (len(files) - 3)}.py"
        target.write_bytes(target.read_bytes() + edit)
        edited = check([root], root=root, cache_dir=cache, jobs=1)
        assert edited.analysed == 1
        assert keyed(edited.findings) == keyed(check([root], root=root, use_cache=False,
                                                     jobs=1).findings)


# -- Python's grammar (hypothesmith) -----------------------------------------------------------------


@pytest.mark.slow
@_settings("grammar")
@given(st.deferred(lambda: __import__("hypothesmith").from_grammar()))
def test_modules_from_the_python_grammar(source: str) -> None:
    data = source.encode("utf-8", "surrogatepass")
    result = _invariants(data)
    if _parses(source):
        assert all(f[4] != "SW000" for f in result["findings"]), result["findings"]
