"""Rules that cannot report on a run are not run at all: unselected rules, and rules whose
`requires_text` words are missing from a file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stackwise.engine import runner
from stackwise.engine.context import FileContext
from stackwise.rules._api import ASYNC_DEF
from stackwise.rules.aio.asy100_blocking_call import BlockingCallInAsync
from stackwise.rules.errors.err501_swallowed_exception import SwallowedException


def _explode(self: object, node: ast.AST, ctx: FileContext) -> None:
    raise RuntimeError("ran")


def _codes(root: Path, **kw: object) -> list[str]:
    result = runner.check([root], root=root, use_cache=False, jobs=1, **kw)  # type: ignore[arg-type]
    return sorted(f.code for f in result.findings)


@pytest.fixture
def exploding_asy100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BlockingCallInAsync, "visit", _explode)


@pytest.mark.usefixtures("exploding_asy100")
def test_a_rule_runs_only_on_files_with_its_words(tmp_path: Path) -> None:
    (tmp_path / "sync_only.py").write_text("import time\n\ndef f():\n    time.sleep(1)\n")
    assert _codes(tmp_path) == []
    (tmp_path / "aio.py").write_text("import time\n\nasync def g():\n    time.sleep(1)\n")
    assert _codes(tmp_path) == ["SW001"]  # it ran (and broke) where `async` is written


@pytest.mark.usefixtures("exploding_asy100")
def test_an_unselected_rule_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "aio.py").write_text(
        "import asyncio\nimport time\n\nasync def g():\n    time.sleep(1)\n"
        "    asyncio.run(g())\n")
    assert _codes(tmp_path, select=["ASY120"]) == ["ASY120"]
    assert _codes(tmp_path, ignore=["ASY100"]) == ["ASY120"]
    assert _codes(tmp_path, select=["ASY"]) == ["ASY120", "SW001"]


def test_word_lists_are_plain_words() -> None:
    """Each word is a non-empty str (bytes or an empty word would silently run or skip all)."""
    from stackwise.rules.registry import file_rules

    for rule in file_rules():
        assert all(isinstance(w, str) and w for w in rule.requires_text), rule
    assert SwallowedException.requires_text == ("except",)


@pytest.mark.parametrize(("text", "found"), [
    ("async def f(): ...", True),
    ("(async def", True),
    ("x = 1\nasync  def f(): ...", True),
    ("async\\\ndef f(): ...", True),  # a line continuation between the keywords
    ("async \\\r\n def f(): ...", True),
    ("xasync def", False),  # `async` must be a whole word
    ("_async def", False),
    ("async defx", False),
    ("async\ndef", False),  # a newline without a backslash ends the statement
    ("async with x:", False),
])
def test_async_def_pattern(text: str, found: bool) -> None:
    assert (re.search(ASYNC_DEF, text) is not None) is found
