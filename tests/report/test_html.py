"""The `html` report: one self-contained page, findings with source and chains, the module graph."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stackwise import check
from stackwise.cli import main
from stackwise.findings import Finding, Frame, Severity
from stackwise.report import render
from stackwise.report.graph import GraphEdge, GraphModule, ProjectGraph, build_graph
from stackwise.rules._meta import RuleMeta
from stackwise.rules.registry import all_rules

FILES = {
    "pyproject.toml": '[project]\nname = "shop"\n',
    "app/__init__.py": "",
    "app/api/__init__.py": "",
    "app/api/routes.py": (
        "from app.services.reports import build_report\n"
        "\n"
        "\n"
        "async def report(report_id: int) -> bytes:\n"
        "    return build_report(report_id)\n"
    ),
    "app/services/__init__.py": "",
    "app/services/reports.py": (
        "import time\n"
        "\n"
        "from app.repositories.orders import load\n"
        "\n"
        "\n"
        "def build_report(report_id: int) -> bytes:\n"
        "    time.sleep(2)  # a slow renderer\n"
        "    return load(report_id)\n"
    ),
    "app/services/audit.py": "from app.services.users import greet\n",
    "app/services/users.py": "from app.services import audit\n\n\ndef greet() -> str:\n    return 'hi'\n",
    "app/repositories/__init__.py": "",
    "app/repositories/orders.py": (
        "from app.models.order import Order\n"
        "\n"
        "\n"
        "def load(report_id: int) -> bytes:\n"
        "    return bytes(Order().id)\n"
    ),
    "app/models/__init__.py": "",
    "app/models/order.py": (
        "from app.services.users import greet  # a model reaching up\n"
        "\n"
        "\n"
        "class Order:\n"
        "    id: int = 0\n"
    ),
    "tests/test_routes.py": "from app.api.routes import report\n",
}


def make_project(root: Path) -> Path:
    """A small layered app with a transitive blocking call, an upward import and a cycle."""
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


class _Page(HTMLParser):
    """Collects what the tests look at: finding rows, SVG nodes and edges, external URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.modules: list[dict[str, str | None]] = []
        self.edges: list[dict[str, str | None]] = []
        self.svgs = 0
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "tr" and "finding" in classes:
            self.rows.append(a)
        elif tag == "svg" and "graph" in classes:
            self.svgs += 1
        elif tag == "g" and "module" in classes:
            self.modules.append(a)
        elif tag == "path" and "edge" in classes:
            self.edges.append(a)
        for name in ("src", "href"):
            value = a.get(name)
            if value and not value.startswith("#"):
                self.urls.append(value)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "shop")


def test_cli_writes_one_self_contained_page(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["check", "--no-cache", "--format", "html", "-o", str(out), str(project)]) == 1
    page = out.read_text(encoding="utf-8")
    result = check([project], use_cache=False)
    found = parse(page)
    assert len(found.rows) == len(result.findings) >= 3
    assert [r["data-code"] for r in found.rows] == [f.code for f in result.findings]
    assert found.svgs == 1
    assert found.urls == []  # nothing to fetch at view time
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_findings_carry_source_lines_and_chains(project: Path) -> None:
    result = check([project], use_cache=False)
    page = render(result.findings, "html", rules=all_rules(), root=result.root)
    transitive = next(f for f in result.findings if f.code == "ASY101")
    assert transitive.chain
    row = page[page.index('data-code="ASY101"'):]
    row = row[: row.index("</tr>")]
    # the reported line, highlighted, and the chain's call sites with their own source lines
    assert "<mark>build_report(report_id)</mark>" in row
    assert '<ol class="chain">' in row
    assert "app/services/reports.py:7" in row and "time.sleep(2)" in row


def test_summary_by_code_and_by_module(project: Path) -> None:
    result = check([project], use_cache=False)
    page = render(result.findings, "html", rules=all_rules(), root=result.root,
                  files_checked=result.files_checked)
    assert 'id="rule-ASY101"' in page and 'id="rule-LAY700"' in page
    assert 'data-filter="app/models/order.py"' in page
    assert f"in {result.files_checked} files." in page


def test_graph_marks_violating_edges_red(project: Path) -> None:
    result = check([project], use_cache=False)
    graph = build_graph([project], root=result.root, findings=result.findings)
    page = render(result.findings, "html", rules=all_rules(), root=result.root, graph=graph)
    found = parse(page)
    names = {m["data-module"] for m in found.modules}
    assert {"app.api.routes", "app.services.reports", "app.models.order"} <= names
    assert not any(n and n.startswith("tests") for n in names)  # test modules left out
    layers = {m["data-module"]: m["data-layer"] for m in found.modules}
    assert layers["app.api.routes"] == "api" and layers["app.models.order"] == "models"
    red = [e for e in found.edges if "violation" in (e.get("class") or "")]
    assert red and all(e["stroke"] == "#d93025" for e in red)
    codes = {e["data-codes"] for e in red}
    assert "LAY700" in codes and "LAY702" in codes
    plain = [e for e in found.edges if "violation" not in (e.get("class") or "")]
    assert plain and all(e["stroke"] != "#d93025" for e in plain)


def test_build_graph_edges_and_violations(project: Path) -> None:
    result = check([project], use_cache=False)
    graph = build_graph([project], root=result.root, findings=result.findings)
    assert graph.contract == "inferred"
    assert graph.layers[:3] == ("api", "services", "repositories")
    edges = {(e.source, e.target): e for e in graph.edges}
    assert edges[("app.models.order", "app.services.users")].violations == ("LAY700",)
    assert edges[("app.models.order", "app.services.users")].sites == (("app/models/order.py", 1),)
    assert edges[("app.api.routes", "app.services.reports")].violations == ()
    assert edges[("app.services.audit", "app.services.users")].violations == ("LAY702",)
    assert edges[("app.services.users", "app.services.audit")].violations == ("LAY702",)
    assert any("test module" in n for n in graph.notes)
    assert graph.to_dict()["edges"]


def test_declared_layers_give_the_bands(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n'
        '[[tool.stackwise.layers]]\nname = "web"\nmodules = ["app.api"]\n\n'
        '[[tool.stackwise.layers]]\nname = "domain"\nmodules = ["app.services", "app.repositories",'
        ' "app.models"]\n', encoding="utf-8")
    result = check([project], use_cache=False)
    graph = build_graph([project], root=result.root, findings=result.findings)
    assert graph.contract == "declared"
    assert graph.layers == ("web", "domain", "")
    page = render(result.findings, "html", rules=all_rules(), root=result.root, graph=graph)
    assert 'data-layer="web"' in page and 'data-layer="domain"' in page


def test_big_projects_are_grouped_by_package() -> None:
    modules = tuple(GraphModule(f"app.feat{i}.mod{j}", f"app/feat{i}/mod{j}.py", "services")
                    for i in range(20) for j in range(10))
    edges = (GraphEdge("app.feat0.mod0", "app.feat1.mod0", (("app/feat0/mod0.py", 1),),
                       ("LAY701",)),
             GraphEdge("app.feat0.mod1", "app.feat0.mod2", (("app/feat0/mod1.py", 1),)))
    graph = ProjectGraph(modules, edges, ("services",), "inferred").grouped(max_nodes=50)
    assert len(graph.modules) == 20
    assert graph.modules[0] == GraphModule("app.feat0", "app/feat0/", "services", 10)
    # the edge inside one package disappears, the violating one between packages stays red
    assert graph.edges == (GraphEdge("app.feat0", "app.feat1", (("app/feat0/mod0.py", 1),),
                                     ("LAY701",)),)
    assert any("grouped by package" in n for n in graph.notes)


def test_everything_from_the_project_is_escaped(rules: dict[str, RuleMeta], tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("a = '<script>alert(1)</script>'\n", encoding="utf-8")
    nasty = Finding("x.py", 1, 5, "ASY100", "use <b>this</b> & \u202enot that\n<img src=x>",
                    severity=Severity.ERROR, function="f<g>",
                    chain=(Frame("x.py", 1, "<lambda>"),))
    page = render([nasty], "html", rules=rules, root=tmp_path)
    assert "<script>alert" not in page and "<img" not in page and "<b>this" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\u202e" not in page and "\\u202e" in page
    assert "&lt;lambda&gt;" in page
    assert len(parse(page).rows) == 1


def test_no_findings_and_no_graph(rules: dict[str, RuleMeta]) -> None:
    page = render([], "html", rules=rules, files_checked=3)
    assert "All checks passed in 3 files." in page
    assert parse(page).rows == [] and "No findings." in page
    assert "No picture of the modules" in page
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")


def test_unreadable_source_gives_no_snippet(rules: dict[str, RuleMeta], tmp_path: Path) -> None:
    gone = Finding("missing.py", 3, 1, "ASY100", "gone", severity=Severity.ERROR)
    page = render([gone], "html", rules=rules, root=tmp_path)
    assert len(parse(page).rows) == 1 and '<pre class="source">' not in page


def test_warnings_are_shown(rules: dict[str, RuleMeta]) -> None:
    page = render([], "html", rules=rules, warnings=["x.py: cannot read <oops>"])
    assert 'id="warnings"' in page and "cannot read &lt;oops&gt;" in page


def test_output_does_not_depend_on_finding_order(project: Path) -> None:
    result = check([project], use_cache=False)
    graph = build_graph([project], root=result.root, findings=result.findings)
    a = render(result.findings, "html", rules=all_rules(), root=result.root, graph=graph)
    b = render(list(reversed(result.findings)), "html", rules=all_rules(), root=result.root,
               graph=graph)
    assert a == b
