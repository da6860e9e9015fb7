"""Project rules that read non-Python files (templates): findings there, and warm-cache reuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise.config import Settings
from stackwise.engine import runner
from stackwise.engine.project import Project, ProjectReporter
from stackwise.rules._api import ProjectRule
from stackwise.rules.registry import PROJECT, manifest, ref


class TemplateRule(ProjectRule):
    """Reports the first line of `app/templates/page.html` holding `BAD`."""

    code = "DJA300"
    name = "template-probe"
    summary = "test rule"
    severity = "warning"

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        text = project.read_text("app/templates/page.html")
        for n, line in enumerate((text or "").splitlines(), 1):
            if "BAD" in line:
                report.report(self, "app/templates/page.html", n, line.index("BAD") + 1,
                              "bad template line")
                return


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    refs = (*(r for r in manifest() if r.code != "DJA300"), ref(TemplateRule, PROJECT))
    monkeypatch.setattr(runner, "_manifest", lambda store: refs)
    (tmp_path / "app" / "templates").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "views.py").write_text("def view():\n    return 1\n")
    return tmp_path


def _run(root: Path, **kw: object) -> runner.CheckResult:
    settings = kw.pop("settings", Settings())
    return runner.check([root], root=root, settings=settings, jobs=1,  # type: ignore[arg-type]
                        cache_dir=root / ".cache", **kw)  # type: ignore[arg-type]


def _found(result: runner.CheckResult) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in result.findings if f.code == "DJA300"]


def test_a_finding_on_a_template_is_reported_with_its_path(project: Path) -> None:
    (project / "app/templates/page.html").write_text("ok\n{{ BAD }}\n")
    assert _found(_run(project)) == [("app/templates/page.html", 2, "DJA300")]


def test_a_warm_run_sees_a_template_edit(project: Path) -> None:
    page = project / "app/templates/page.html"
    page.write_text("{{ BAD }}\n")
    assert _found(_run(project)) == [("app/templates/page.html", 1, "DJA300")]
    warm = _run(project)
    assert warm.analysed == 0 and _found(warm) == [("app/templates/page.html", 1, "DJA300")]
    page.write_text("fine\n")  # no Python file changed
    assert _found(_run(project)) == []


def test_a_warm_run_sees_a_template_appear(project: Path) -> None:
    assert _found(_run(project)) == []
    (project / "app/templates/page.html").write_text("x\nx\nBAD\n")
    assert _found(_run(project)) == [("app/templates/page.html", 3, "DJA300")]


def test_per_file_ignores_and_selection_apply_to_templates(project: Path) -> None:
    (project / "app/templates/page.html").write_text("BAD\n")
    ignored = Settings(per_file_ignores={"app/templates/*.html": ("DJA300",)})
    assert _found(_run(project, settings=ignored)) == []
    assert _found(_run(project, select=["ASY"])) == []


@pytest.mark.parametrize("rel", ["../outside.html", "/etc/passwd", "app/../../x", "", "a//b"])
def test_read_text_never_leaves_the_root(tmp_path: Path, rel: str) -> None:
    (tmp_path / "outside.html").write_text("secret")
    root = tmp_path / "root"
    root.mkdir()
    project = Project.link({}, root=str(root))
    assert project.read_text(rel) is None


def test_read_text_gives_none_for_undecodable_or_oversized_files(tmp_path: Path) -> None:
    (tmp_path / "latin.html").write_bytes(b"caf\xe9")
    (tmp_path / "big.html").write_text("x" * 100)
    project = Project.link({}, Settings(max_file_size=50), root=str(tmp_path))
    assert project.read_text("latin.html") is None
    assert project.read_text("big.html") is None
    assert project.read_text("missing.html") is None
    assert set(project.inputs) == {"latin.html", "big.html", "missing.html"}
