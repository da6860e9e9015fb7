"""With only the ASY rules selected, files the async code cannot reach are read and checked to
parse, not analysed; the findings are the same as when every file is analysed, cold or warm,
whatever an earlier run happened to analyse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackwise.engine import extract, runner
from stackwise.rules._api import ASYNC_DEF

from ..reliability.conftest import keyed, project_files, write_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# A project whose async route reaches blocking code through every way the linker resolves a
# call: a module function, a re-export in a package `__init__`, a star import in one, a method
# inherited from a base class in another module, and a class call (its `__init__`).
SHOP: dict[str, str] = {
    "pyproject.toml": "[tool.stackwise]\n",
    "shop/__init__.py": "",
    "shop/api.py": (
        "from shop import services\n"
        "from shop.lib import load\n"
        "from shop.helpers import starred\n"
        "from shop.models import Report\n"
        "from shop import twice\n"
        "\n"
        "\n"
        "async def route() -> None:\n"
        "    services.build()\n"
        "    load()\n"
        "    starred()\n"
        "    Report().render()\n"
        "    Report.make()\n"
        "    twice.f()\n"
    ),
    "shop/services.py": (
        "from shop.util import read\n"
        "\n"
        "\n"
        "def build() -> str:\n"
        "    return read()\n"
    ),
    "shop/util.py": "def read() -> str:\n    return 'harmless'\n",
    "shop/lib/__init__.py": "from shop.lib.files import load\n",
    "shop/lib/files.py": "def load() -> str:\n    return open('x').read()\n",
    "shop/helpers/__init__.py": "from shop.helpers.impl import *\n",
    "shop/helpers/impl.py": (
        "import time\n"
        "__all__ = ['starred']\n"
        "\n"
        "\n"
        "def starred() -> None:\n"
        "    time.sleep(1)\n"
    ),
    "shop/base.py": (
        "import subprocess\n"
        "\n"
        "\n"
        "class Base:\n"
        "    def __init__(self) -> None:\n"
        "        subprocess.run(['true'])\n"
        "\n"
        "    def render(self) -> None:\n"
        "        open('t').read()\n"
        "\n"
        "    @classmethod\n"
        "    def make(cls) -> None:\n"
        "        cls().render()\n"
    ),
    "shop/models.py": "from shop.base import Base\n\n\nclass Report(Base):\n    pass\n",
    # nothing async reaches these
    "shop/unrelated.py": "import time\n\n\ndef nap() -> None:\n    time.sleep(5)\n",
    "shop/mentions.py": (  # says `async`, has no `async def`
        "from asgiref.sync import sync_to_async\n\n\ndef wrap(f):\n    return sync_to_async(f)\n"),
    "shop/odd.py": "import time\n\n\nasync \\\n  def odd() -> None:\n    time.sleep(1)\n",
    "shop/broken.py": "def broken(:\n",
    "shop/module_nonlocal.py": "nonlocal x\n",  # parses, yet `symtable` rejects it
    # two files claim the module `shop.twice`: it is not resolved, with or without reach,
    # though only the first has async code (and is analysed at once)
    "shop/twice.py": "async def g() -> None:\n    pass\n\n\ndef f() -> None:\n    open('a').read()\n",
    "shop/twice/__init__.py": "def f() -> None:\n    open('b').read()\n",
}


def _check(root: Path, **kw: Any) -> Any:
    kw.setdefault("use_cache", False)
    kw.setdefault("jobs", 1)
    return runner.check([root], root=root, select=["ASY"], **kw)


@pytest.fixture
def analysing_everything(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(runner, "_reach_needs", lambda *a: None)
    yield


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each run analyses in this process (jobs=1), in order."""
    seen: list[str] = []
    real = extract.analyse_source

    def spy(data: bytes, path: str, *args: Any, **kw: Any) -> Any:
        seen.append(path)
        return real(data, path, *args, **kw)

    monkeypatch.setattr(extract, "analyse_source", spy)
    return seen


def _full(root: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    with monkeypatch.context() as m:
        m.setattr(runner, "_reach_needs", lambda *a: None)
        return _check(root, **kw)


def test_only_what_async_code_reaches_is_analysed(tmp_path: Path, analysed: list[str]) -> None:
    root = write_tree(tmp_path / "p", SHOP)
    result = _check(root)
    assert sorted(set(analysed)) == [
        "shop/__init__.py",  # could re-export `services`: it is asked first
        "shop/api.py",  # async code
        "shop/base.py",
        "shop/broken.py",  # does not parse: analysed for the reason
        "shop/helpers/__init__.py", "shop/helpers/impl.py", "shop/lib/__init__.py",
        "shop/lib/files.py", "shop/models.py",
        "shop/module_nonlocal.py",  # symtable rejects it: analysed, to be sure it parses
        "shop/odd.py",  # an `async def` written over two lines
        "shop/services.py",
        "shop/twice.py", "shop/twice/__init__.py",  # both, to know the name is ambiguous
        "shop/util.py",
    ]  # not shop/unrelated.py nor shop/mentions.py: they parse and nothing reaches them
    assert result.files_checked == len(SHOP) - 1


def test_same_findings_as_analysing_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "p", SHOP)
    reach = keyed(_check(root).findings)
    assert reach == keyed(_full(root, monkeypatch).findings)
    codes = [(path, line, code) for path, line, _, code, _ in reach]
    assert codes == [  # not line 9: services.build() reaches util.read(), which is harmless
        ("shop/api.py", 10, "ASY101"),  # load, re-exported by shop.lib
        ("shop/api.py", 11, "ASY101"),  # starred, star-imported by shop.helpers
        ("shop/api.py", 12, "ASY101"),  # Base.render, inherited
        ("shop/api.py", 12, "ASY101"),  # Report() runs Base.__init__
        ("shop/api.py", 13, "ASY101"),  # Base.make, a classmethod
        # not line 14: twice.f() is one of two modules of one name
        ("shop/broken.py", 1, "SW000"),  # a syntax error is reported wherever it is
        ("shop/odd.py", 6, "ASY100"),
    ]


@pytest.mark.parametrize("fixture", sorted(
    p for p in (FIXTURES / "aio").iterdir() if p.is_dir() or p.suffix == ".py"))
def test_same_findings_on_the_async_fixtures(
        fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fixture if fixture.is_dir() else fixture.parent
    paths = [fixture]
    reach = runner.check(paths, root=root, select=["ASY"], use_cache=False, jobs=1)
    with monkeypatch.context() as m:
        m.setattr(runner, "_reach_needs", lambda *a: None)
        full = runner.check(paths, root=root, select=["ASY"], use_cache=False, jobs=1)
    assert keyed(reach.findings) == keyed(full.findings)
    assert reach.findings  # each fixture has findings to compare


def test_same_findings_on_two_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "p", project_files())
    reach = _check(root, jobs=2)
    assert keyed(reach.findings) == keyed(_full(root, monkeypatch, jobs=2).findings)
    assert {f.code for f in reach.findings} == {"ASY100", "ASY101"}


def test_warm_runs_follow_edits_into_files_skipped_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analysed: list[str]) -> None:
    root = write_tree(tmp_path / "p", SHOP)
    cache = tmp_path / "cache"

    def warm() -> list[tuple[str, int, int, str, str]]:
        result = keyed(_check(root, use_cache=True, cache_dir=cache).findings)
        assert result == keyed(_full(root, monkeypatch).findings)  # and equal to a cold one
        return result

    first = warm()
    assert not any("unrelated" in f[4] for f in first)
    # services now calls into a file nothing reached before: it is analysed, warm
    (root / "shop/services.py").write_text(
        "from shop.unrelated import nap\n\n\ndef build() -> str:\n    nap()\n    return ''\n")
    analysed.clear()
    second = warm()
    assert "shop/unrelated.py" in analysed
    assert ("shop/api.py", 9) in {(f[0], f[1]) for f in second}
    assert "nap" in next(f[4] for f in second if f[1] == 9)
    # an unchanged tree: nothing is analysed, the answer stays
    analysed.clear()
    assert keyed(_check(root, use_cache=True, cache_dir=cache).findings) == second
    assert analysed == []
    # the route stops calling it: the finding goes, and a later edit of the file changes nothing
    (root / "shop/api.py").write_text((root / "shop/api.py").read_text().replace(
        "    services.build()\n", ""))
    third = warm()
    assert not any("nap" in f[4] for f in third)
    (root / "shop/unrelated.py").write_text("def nap() -> None:\n    open('z').read()\n")
    assert warm() == third


def test_a_file_that_may_not_parse_is_analysed_and_reported_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "p", {
        "pyproject.toml": "[tool.stackwise]\n",
        "ok.py": "nonlocal x\n",  # `ast` accepts it: no finding
        "latin.py": b"# -*- coding: latin-1 -*-\nname = '\xe9'\n",
        "bad_bytes.py": b"name = '\xff'\n",
        "nul.py": b"x = 1\x00\n",
        "newer.py": "type Alias = int\n",
    })
    reach = keyed(_check(root).findings)
    assert reach == keyed(_full(root, monkeypatch).findings)
    assert {f[0] for f in reach} >= {"bad_bytes.py", "nul.py"}
    assert "ok.py" not in {f[0] for f in reach} and "latin.py" not in {f[0] for f in reach}


def test_a_bug_in_following_the_reach_falls_back_to_analysing_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stackwise.engine.project import Project

    root = write_tree(tmp_path / "p", SHOP)
    full = keyed(_full(root, monkeypatch).findings)

    def broken(self: Project) -> set[str]:
        raise RuntimeError("bug")

    monkeypatch.setattr(Project, "reach_from_async", broken)
    assert keyed(_check(root).findings) == full


def test_same_answer_whatever_the_discovery_order_and_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "p", {**project_files(), **{
        f"other/m{i}.py": f"import time\n\n\ndef f{i}() -> None:\n    time.sleep({i})\n"
        for i in range(30)}})
    reference = keyed(_check(root).findings)
    assert reference == keyed(_full(root, monkeypatch).findings)
    for seed, jobs in (("1", 2), ("2", 1), ("3", 2)):
        monkeypatch.setenv("STACKWISE_SHUFFLE_SEED", seed)
        assert keyed(_check(root, jobs=jobs).findings) == reference


@pytest.mark.parametrize(("text", "found"), [
    ("async def f(): ...", True),
    ("    async\tdef f(): ...", True),
    ("async \\\n    def f(): ...", True),  # a line continuation between the keywords
    ("async \\\r\ndef f(): ...", True),
    ("import asyncio\nasyncio.run(main())", False),
    ("from asgiref.sync import sync_to_async", False),
    ("async_def = 1", False),
    ("await x", False),
])
def test_async_def_is_found_however_it_is_written(text: str, found: bool) -> None:
    assert (re.search(ASYNC_DEF, text) is not None) is found
