"""The project's module graph for the HTML report: modules, their layer, imports, violating edges.

`build_graph()` reads the imports of every file with the engine's own pass (no rule runs, nothing
is imported or executed), links them to project modules, gives each module the layer LAY700 would
give it (the declared `[tool.stackwise] layers`, else the inferred layout), and marks the import
edges that a LAY700/LAY701/LAY702 finding reports.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackwise.findings import Finding

if TYPE_CHECKING:
    from stackwise.config import Settings
    from stackwise.engine.project import Project

# Codes whose findings sit on an import statement (LAY702 also lists the cycle's imports as its
# chain): an edge imported at one of those lines is drawn as a violation.
EDGE_CODES = ("LAY700", "LAY701", "LAY702")
INFERRED_ORDER = ("api", "dependencies", "services", "repositories", "models", "schemas", "core")
MAX_NODES = 90
"""Above this many modules the picture groups modules by package, deepest level first."""

# Used only when the layers package is not there: the first name below the top-level package.
_FALLBACK_WORDS = {
    **dict.fromkeys(("api", "routes", "routers", "views", "endpoints"), "api"),
    **dict.fromkeys(("services", "service"), "services"),
    **dict.fromkeys(("repositories", "repository", "crud"), "repositories"),
    **dict.fromkeys(("models",), "models"),
    **dict.fromkeys(("schemas", "schema"), "schemas"),
    **dict.fromkeys(("core", "config", "settings", "db", "utils"), "core"),
}
_TEST_DIRS = frozenset({"tests", "test", "testing"})


@dataclass(frozen=True)
class GraphModule:
    """A node: a module (or, in a grouped picture, a package standing for its modules)."""

    name: str
    path: str  # display path relative to the project root ('pkg/sub/' for a grouped package)
    layer: str  # '' when the module belongs to no layer
    members: int = 1  # modules it stands for


@dataclass(frozen=True)
class GraphEdge:
    """`source` imports `target`; `violations` are the LAY codes reported on those imports."""

    source: str
    target: str
    sites: tuple[tuple[str, int], ...]  # (path, line) of each import statement
    violations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectGraph:
    """What the architecture picture shows. `layers` are in drawing order, top first."""

    modules: tuple[GraphModule, ...]
    edges: tuple[GraphEdge, ...]
    layers: tuple[str, ...]
    contract: str  # "declared", "inferred" or "names"
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": list(self.layers),
            "contract": self.contract,
            "modules": [{"name": m.name, "path": m.path, "layer": m.layer, "members": m.members}
                        for m in self.modules],
            "edges": [{"source": e.source, "target": e.target,
                       "sites": [list(s) for s in e.sites], "violations": list(e.violations)}
                      for e in self.edges],
            "notes": list(self.notes),
        }

    def grouped(self, max_nodes: int = MAX_NODES) -> ProjectGraph:
        """The same picture with modules merged into their packages until it fits `max_nodes`."""
        graph = self
        while len(graph.modules) > max_nodes:
            depth = max(m.name.count(".") for m in graph.modules)
            if depth == 0:
                break
            graph = graph._merged_at(depth)
        if graph is not self:
            total = sum(m.members for m in self.modules)
            graph = replace(graph, notes=(*graph.notes,
                                          f"{total} modules, shown grouped by package"))
        return graph

    def _merged_at(self, depth: int) -> ProjectGraph:
        """Modules deeper than `depth` dots merged into their package at that depth."""
        def key(name: str) -> str:
            parts = name.split(".")
            return ".".join(parts[:depth]) if len(parts) > depth else name

        groups: dict[str, list[GraphModule]] = defaultdict(list)
        for m in self.modules:
            groups[key(m.name)].append(m)
        modules = []
        for name, members in sorted(groups.items()):
            if len(members) == 1 and members[0].name == name:
                modules.append(members[0])
                continue
            layer = Counter(m.layer for m in members).most_common(1)[0][0]
            folder = name.replace(".", "/") + "/"
            own = next((m for m in members if m.name == name), None)
            if own is not None and own.path.endswith("/__init__.py"):
                folder = own.path[: -len("__init__.py")]
            modules.append(GraphModule(name, folder, layer, sum(m.members for m in members)))
        merged: dict[tuple[str, str], tuple[list[tuple[str, int]], set[str]]] = {}
        for e in self.edges:
            pair = (key(e.source), key(e.target))
            if pair[0] == pair[1]:
                continue
            sites, codes = merged.setdefault(pair, ([], set()))
            sites.extend(e.sites)
            codes.update(e.violations)
        edges = tuple(GraphEdge(s, t, tuple(sorted(set(sites))), tuple(sorted(codes)))
                      for (s, t), (sites, codes) in sorted(merged.items()))
        return replace(self, modules=tuple(modules), edges=edges)


def is_test_path(path: str) -> bool:
    """Test modules import everything; the picture leaves them out."""
    parts = path.split("/")
    name = parts[-1]
    return (any(p in _TEST_DIRS for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def build_graph(
    paths: Sequence[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str],
    settings: Settings | None = None,
    config: str | os.PathLike[str] | None = None,
    findings: Iterable[Finding] = (),
) -> ProjectGraph:
    """The module graph of the Python files under `paths` in the project at `root`.

    Settings are read like `check` reads them (`config`, else the project's pyproject.toml)
    unless given. A file that cannot be read or parsed is simply not in the picture."""
    from stackwise.config import load_settings
    from stackwise.engine.discover import Discovery
    from stackwise.engine.extract import analyse_source
    from stackwise.engine.facts import FileFacts
    from stackwise.engine.project import Project
    from stackwise.rules.registry import all_rules

    top = Path(root).resolve()
    if settings is None:
        settings = load_settings(top, Path(config) if config else None, set(all_rules()))
    discovery = Discovery(top, settings)
    facts: dict[str, FileFacts] = {}
    for sf in discovery.files([Path(p) for p in paths] or [top]):
        try:
            if os.stat(sf.fs_path).st_size > settings.max_file_size:
                continue
            with open(sf.fs_path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        raw = analyse_source(data, sf.display, sf.module, sf.is_package, settings, ())["facts"]
        if raw is not None:
            facts[sf.display] = FileFacts.from_raw(raw)
    project = Project.link(facts, settings, root=str(top))
    return graph_of(project, findings)


def graph_of(project: Project, findings: Iterable[Finding] = ()) -> ProjectGraph:
    """The graph of a linked project, with the edges that `findings` report marked."""
    layer_of, module_of, order, contract = _contract(project)
    modules: list[GraphModule] = []
    skipped = 0
    for module, path in sorted(project.modules.items()):
        if is_test_path(path):
            skipped += 1
            continue
        modules.append(GraphModule(module, path, layer_of(module) or ""))
    shown = {m.name for m in modules}

    sites: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for module in shown:
        path = project.modules[module]
        for imp in project.files[path].imports:
            target = module_of(imp.target)
            if target is None or target == module or target not in shown:
                continue
            sites[(module, target)].add((path, imp.line))

    flagged: dict[tuple[str, int], set[str]] = defaultdict(set)
    for f in findings:
        if f.code not in EDGE_CODES:
            continue
        flagged[(f.path, f.line)].add(f.code)
        if f.code == "LAY702":
            for frame in f.chain:
                flagged[(frame.path, frame.line)].add(f.code)
    edges = []
    for (source, target), where in sorted(sites.items()):
        codes = set().union(*(flagged.get(s, set()) for s in where))
        edges.append(GraphEdge(source, target, tuple(sorted(where)), tuple(sorted(codes))))

    present = {m.layer for m in modules}
    layers = tuple(name for name in order if name in present)
    if "" in present:
        layers += ("",)
    notes = (f"{skipped} test module(s) left out",) if skipped else ()
    graph = ProjectGraph(tuple(modules), tuple(edges), layers, contract, notes)
    return graph.grouped()


def _contract(project: Project) -> tuple[Any, Any, tuple[str, ...], str]:
    """(layer of a module, project module of an import target, layer order, contract kind)."""
    def module_of(target: str) -> str | None:
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in project.modules:
                return candidate
        return None

    try:
        from stackwise.rules.layers._contracts import contracts
    except ImportError:  # the layers package is optional for the picture
        def by_name(module: str) -> str | None:
            parts = module.split(".")
            return _FALLBACK_WORDS.get(parts[1]) if len(parts) > 1 else None

        return by_name, module_of, INFERRED_ORDER, "names"
    c = contracts(project)
    if c.declared_layers:
        order = tuple(name for name, _ in c.declared_layers)
        return c.layer, module_of, order, "declared"
    return c.layer, module_of, INFERRED_ORDER, "inferred"
