"""Syntax newer than the Python running stackwise: one finding that names the construct, the
Python version it needs and how to run stackwise there; on a Python that knows the syntax, the
file is analysed like any other. The same tests run on every supported Python (CI: 3.11 and 3.13)
and decide from `sys.version_info` what this interpreter must say."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import run_check, write_tree

WITNESS = "import time\n\n\nasync def witness() -> None:\n    time.sleep(1)\n"

# (id, construct words the message must contain, version needed, source with a blocking call on
# line 3 that is reported once the file parses)
CASES: list[tuple[str, str, tuple[int, int], str]] = [
    ("type-alias", "`type` alias statement (PEP 695)", (3, 12),
     "import time\ntype UserId = int\nasync def f() -> None: time.sleep(1)\n"),
    ("generic-function", "generic function parameters (PEP 695)", (3, 12),
     "import time\ndef first[T](xs: list[T]) -> T: return xs[0]\n"
     "async def f() -> None: time.sleep(1)\n"),
    ("generic-class", "generic class parameters (PEP 695)", (3, 12),
     "import time\nclass Box[T]: pass\nasync def f() -> None: time.sleep(1)\n"),
    ("generic-async-def", "generic function parameters (PEP 695)", (3, 12),
     "import time\nasync def g[T](x: T) -> T: return x\nasync def f() -> None: time.sleep(1)\n"),
    ("fstring-backslash", "PEP 701", (3, 12),
     "import time\nx = f\"{'\\n'.join(['a', 'b'])}\"\nasync def f() -> None: time.sleep(1)\n"),
    ("fstring-same-quotes", "PEP 701", (3, 12),
     "import time\nx = f\"{ {'a': 1}[\"a\"] }\"\nasync def f() -> None: time.sleep(1)\n"),
    ("fstring-nested", "PEP 701", (3, 12),
     "import time\nx = f\"{f\"{f\"{1}\"}\"}\"\nasync def f() -> None: time.sleep(1)\n"),
    ("type-parameter-default", "type parameter defaults (PEP 696)", (3, 13),
     "import time\ndef first[T = int](xs: list[T]) -> T: return xs[0]\n"
     "async def f() -> None: time.sleep(1)\n"),
    ("except-without-parentheses", "PEP 758", (3, 14),
     "import time\ntry:\n    time.sleep(1)\nexcept ValueError, TypeError:\n    pass\n"),
    ("template-string", "template string (PEP 750)", (3, 14),
     "import time\nname = 'x'\ngreeting = t\"hello {name}\"\n"),
]


def _findings(tmp_path: Path, source: str) -> list[tuple[int, str, str]]:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS,
                                       "new.py": source})
    result = run_check(root)
    witness = [(f.line, f.code) for f in result.findings if f.path == "witness.py"]
    assert witness == [(5, "ASY100")], "the rest of the run must go on"
    return [(f.line, f.code, f.message) for f in result.findings if f.path == "new.py"]


@pytest.mark.parametrize(("construct", "needed", "source"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_newer_syntax(tmp_path: Path, construct: str, needed: tuple[int, int],
                      source: str) -> None:
    found = _findings(tmp_path, source)
    if sys.version_info[:2] >= needed:
        assert all(code != "SW000" for _, code, _ in found), found
        return
    assert len(found) == 1, found
    _, code, message = found[0]
    assert code == "SW000"
    need = f"{needed[0]}.{needed[1]}"
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert construct in message, message
    assert f"needs Python {need}+" in message, message
    assert f"running on Python {running}" in message, message
    assert f"`python{need} -m stackwise check`" in message, message


def test_the_construct_line_is_the_finding_line(tmp_path: Path) -> None:
    source = "import time\n\n\n\ntype Alias = list[int]\n"
    found = _findings(tmp_path, source)
    if sys.version_info >= (3, 12):
        assert found == []
    else:
        assert [(line, code) for line, code, _ in found] == [(5, "SW000")]


def test_a_plain_syntax_error_does_not_blame_the_python_version(tmp_path: Path) -> None:
    for source in ("def f(:\n    pass\n", "x = = 1\n", "class\n", "f'{}'\n", "type = (\n"):
        (found,) = _findings(tmp_path, source)
        assert found[1] == "SW000"
        assert "syntax error" in found[2]
        assert "needs Python" not in found[2], (source, found)


def test_names_that_look_like_new_keywords_are_plain_code(tmp_path: Path) -> None:
    # `type` and `match` are soft keywords: as names they parse on every supported Python
    source = ("import time\ntype = 1\nmatch = [type]\nt = print(type, match)\n"
              "async def f() -> None: time.sleep(1)\n")
    assert [(line, code) for line, code, _ in _findings(tmp_path, source)] == [(5, "ASY100")]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="needs a Python that parses PEP 695/701")
def test_newer_syntax_is_analysed_where_python_knows_it(tmp_path: Path) -> None:
    source = (
        "import time\n"
        "type Handler[T] = Callable[[T], None]\n"
        "class Repo[T]:\n"
        "    async def get[K](self, key: K) -> T:\n"
        "        time.sleep(1)\n"
        "        return f\"{'\\n'.join([\"a\"])}\"  # PEP 701\n"
    )
    assert [(line, code) for line, code, _ in _findings(tmp_path, source)] == [(5, "ASY100")]


def test_supported_range_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text("utf-8")
    assert "3.11" in docs and "3.13" in docs
    assert sys.version_info >= (3, 11), "stackwise supports Python 3.11 and newer"
