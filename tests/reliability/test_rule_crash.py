"""A rule that raises on one file becomes one `SW001` that names the rule and the file (the
traceback only with `--verbose`); the other rules and the other files still report. A bug in the
engine itself on one file is one `SW001` for that file, never a crash."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from stackwise.cli import main
from stackwise.engine import extract, runner
from stackwise.engine.context import FileContext
from stackwise.engine.project import Project, ProjectReporter
from stackwise.rules._api import ProjectRule, Rule
from stackwise.rules.registry import FILE, PROJECT, manifest, ref

from .conftest import keyed, run_check, write_tree

FILES = {
    "pyproject.toml": "",
    "victim.py": "import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n    print('x')\n",
    "bystander.py": "import time\n\n\nasync def g() -> None:\n    time.sleep(2)\n",
}


class CrashOnPrint(Rule):
    """Raises on the `print` call in victim.py only."""

    code = "ZZZ901"
    name = "crash-on-print"
    summary = "test rule"
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            raise KeyError("a rule bug")


class CrashAtEnd(Rule):
    code = "ZZZ902"
    name = "crash-at-end"
    summary = "test rule"

    def end_file(self, ctx: FileContext) -> None:
        if ctx.path == "victim.py":
            raise ZeroDivisionError("at the end")


class CrashInInit(Rule):
    code = "ZZZ903"
    name = "crash-in-init"
    summary = "test rule"

    def __init__(self) -> None:
        raise RuntimeError("cannot even start")


class CrashDeep(Rule):
    """Recurses without end: a RecursionError is a rule bug like any other."""

    code = "ZZZ904"
    name = "crash-deep"
    summary = "test rule"
    node_types = (ast.Module,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        def down(n: int) -> int:
            return down(n + 1) + 1

        if ctx.path == "victim.py":
            down(0)


class ReportsWell(Rule):
    """A rule after the broken ones, still reporting."""

    code = "ZZZ905"
    name = "reports-well"
    summary = "test rule"
    node_types = (ast.AsyncFunctionDef,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        ctx.report(self, node, "an async function")


class CrashProject(ProjectRule):
    code = "ZZZ906"
    name = "crash-project"
    summary = "test rule"

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        raise ValueError("project-wide bug")


@pytest.fixture
def broken_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = (CrashOnPrint, CrashAtEnd, CrashInInit, CrashDeep, ReportsWell)
    refs = (*manifest(), *(ref(r, FILE) for r in extra), ref(CrashProject, PROJECT))
    monkeypatch.setattr(runner, "_manifest", lambda store: refs)


def _sw001(findings: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.code == "SW001":
            out.setdefault(f.path, []).append(f.message)
    return out


@pytest.mark.usefixtures("broken_rules")
@pytest.mark.parametrize("jobs", [1, 2])
def test_rule_crashes_are_findings_and_the_rest_reports(tmp_path: Path, jobs: int) -> None:
    files = dict(FILES)
    if jobs == 2:  # enough files for two worker processes
        files.update({f"more/m{i}.py": FILES["bystander.py"] for i in range(30)})
    root = write_tree(tmp_path / "p", files)
    result = run_check(root, jobs=jobs)
    crashes = _sw001(result.findings)
    victim = crashes.pop("victim.py")
    for code, what in (("ZZZ901", "KeyError: 'a rule bug'"), ("ZZZ902", "ZeroDivisionError"),
                       ("ZZZ903", "cannot even start"), ("ZZZ904", "RecursionError")):
        assert any(f"internal error in rule {code}" in m and what in m for m in victim), victim
    assert not any("Traceback" in m for m in victim)
    # the constructor bug hits every file; the project rule's is reported once
    assert all(any("ZZZ903" in m for m in ms) for ms in crashes.values())
    project_wide = [m for ms in _sw001(result.findings).values() for m in ms if "ZZZ906" in m]
    assert len(project_wide) == 1 and "project-wide bug" in project_wide[0]
    # every real rule and the healthy test rule still report, in the broken file too
    found = {(f.path, f.line, f.code) for f in result.findings}
    assert {("victim.py", 5, "ASY100"), ("victim.py", 4, "ZZZ905"),
            ("bystander.py", 5, "ASY100"), ("bystander.py", 4, "ZZZ905")} <= found


@pytest.mark.usefixtures("broken_rules")
def test_traceback_only_with_verbose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "p", FILES)
    assert main(["check", str(root), "--no-cache"]) == 1
    quiet = capsys.readouterr().out
    assert "SW001" in quiet and "ZZZ901" in quiet and "victim.py" in quiet
    assert "Traceback" not in quiet
    assert main(["check", str(root), "--no-cache", "--verbose"]) == 1
    loud = capsys.readouterr().out
    assert "Traceback" in loud and 'raise KeyError("a rule bug")' in loud


@pytest.mark.usefixtures("broken_rules")
def test_a_rule_crash_can_be_silenced(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    result = run_check(root, ignore=["SW001"])
    assert not _sw001(result.findings)
    assert ("victim.py", 5, "ASY100") in {(f.path, f.line, f.code) for f in result.findings}


def test_an_engine_bug_on_one_file_is_one_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    real = extract.Extractor._fact

    def buggy(self: extract.Extractor, node: ast.AST, cls: type) -> None:
        if self.ctx.path == "victim.py" and cls is ast.Call:
            raise AttributeError("engine bug")
        real(self, node, cls)

    monkeypatch.setattr(extract.Extractor, "_fact", buggy)
    result = run_check(root)
    crashes = _sw001(result.findings)
    assert list(crashes) == ["victim.py"]
    assert "internal error in stackwise while analysing this file" in crashes["victim.py"][0]
    assert ("bystander.py", 5, "ASY100") in {(f.path, f.line, f.code) for f in result.findings}


def test_a_reading_bug_is_one_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "p", FILES)
    real = runner.content_digest

    def buggy(data: bytes) -> str:
        if b"print" in data:
            raise MemoryError
        return real(data)

    monkeypatch.setattr(runner, "content_digest", buggy)
    result = run_check(root)
    assert list(_sw001(result.findings)) == ["victim.py"]
    assert ("bystander.py", 5, "ASY100") in {(f.path, f.line, f.code) for f in result.findings}


def test_a_linker_bug_keeps_the_per_file_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    expected = {(f.path, f.line, f.code) for f in run_check(root).findings}

    def broken_link(*args: Any, **kw: Any) -> Project:
        raise TypeError("linker bug")

    monkeypatch.setattr(Project, "link", broken_link)
    result = run_check(root)
    found = {(f.path, f.line, f.code) for f in result.findings}
    assert {x for x in expected if x[2] == "ASY100"} <= found
    (message,) = [m for ms in _sw001(result.findings).values() for m in ms]
    assert "linking" in message and "TypeError" in message


def test_worker_failure_falls_back_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {**FILES, **{f"more/m{i}.py": FILES["bystander.py"] for i in range(30)}}
    root = write_tree(tmp_path / "p", files)
    expected = keyed(run_check(root).findings)

    def no_pool(*args: Any, **kw: Any) -> Any:
        raise OSError(24, "Too many open files")

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    result = run_check(root, jobs=2)
    assert keyed(result.findings) == expected
    assert any("parallel analysis failed" in w for w in result.warnings)
