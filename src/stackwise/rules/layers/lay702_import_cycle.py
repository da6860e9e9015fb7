"""LAY702: project modules import each other in a cycle at import time."""

from __future__ import annotations

from collections import deque

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.layers._contracts import contracts

Edge = tuple[str, int, int]  # (target module, line, column) of the first import of it


def import_graph(project: Project) -> dict[str, dict[str, Edge]]:
    """module -> {imported project module: first import line} for imports that run at import
    time (module level, not under `if TYPE_CHECKING:`)."""
    c = contracts(project)
    graph: dict[str, dict[str, Edge]] = {}
    for module in sorted(project.modules):
        ff = project.files[project.modules[module]]
        out: dict[str, Edge] = {}
        for imp in ff.imports:
            if not imp.module_level or imp.type_checking:
                continue
            target = c.module_of(project, imp.target)
            if target is None or target == module or target in out:
                continue
            out[target] = (target, imp.line, imp.column)
        graph[module] = out
    return graph


def strongly_connected(graph: dict[str, dict[str, Edge]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components with more than one module, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return sorted(out)


def shortest_cycle(graph: dict[str, dict[str, Edge]], component: list[str]) -> list[str]:
    """The shortest cycle inside a strongly connected component (ties: smallest names)."""
    members = set(component)
    best: list[str] | None = None
    for start in component:  # sorted: the first module of the best cycle is the smallest
        limit = len(best) if best is not None else len(component)
        parent: dict[str, str] = {start: ""}
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        found: list[str] | None = None
        while queue and found is None:
            node, depth = queue.popleft()
            if depth >= limit:
                break
            for nxt in sorted(graph[node]):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while parent[path[-1]]:
                        path.append(parent[path[-1]])
                    found = list(reversed(path))
                    break
                if nxt not in parent:
                    parent[nxt] = node
                    queue.append((nxt, depth + 1))
        if found is not None and (best is None or len(found) < len(best)):
            best = found
            if len(best) == 2:
                break
    assert best is not None
    return best


class ImportCycle(ProjectRule):
    """
    ## What it does
    Finds groups of project modules that import each other in a cycle when they are imported
    (module-level imports; imports inside functions and under `if TYPE_CHECKING:` do not run at
    import time and are left out) and reports the shortest cycle of each group once, at the
    import in its first module, with the whole cycle as the chain.

    ## Why it matters
    A cycle works only as long as the modules happen to be imported in the right order and use
    each other's names late enough: the next import moved to the top of a file ends in
    `ImportError: cannot import name ... (most likely due to a circular import)` or in an
    attribute that is missing at import time. Cycles also mean the modules cannot be
    understood, tested or split apart one at a time.

    ## Example
    ```python
    # app/services/users.py
    from app.services.orders import open_orders

    # app/services/orders.py
    from app.services.users import get_user        # LAY702: users -> orders -> users
    ```

    ## Use instead
    Move what both need into a third module that imports neither, or make one side import
    lazily (inside the function) or only for typing:
    ```python
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from app.services.users import User
    ```
    """

    code = "LAY702"
    name = "import-cycle"
    summary = "Modules import each other in a cycle: move the shared code to a module of its own"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = import_graph(project)
        for component in strongly_connected(graph):
            cycle = shortest_cycle(graph, component)
            frames: list[Frame] = []
            for i, module in enumerate(cycle):
                nxt = cycle[(i + 1) % len(cycle)]
                _, line, _ = graph[module][nxt]
                frames.append(Frame(project.modules[module], line, module))
            first = cycle[0]
            _, line, column = graph[first][cycle[1]]
            shown = " -> ".join([*cycle, cycle[0]])
            more = len(component) - len(cycle)
            extra = f" ({more} more module(s) in the same tangle)" if more > 0 else ""
            report.report(
                self, project.modules[first], line, column,
                f"import cycle {shown}{extra}; move what they share into a module that imports "
                "neither, or import inside the function that needs it",
                chain=tuple(frames),
            )
