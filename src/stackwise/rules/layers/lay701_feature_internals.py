"""LAY701: one feature package imports another feature's internal modules."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.layers._contracts import contracts, module_imports


def public_surface(project: Project, package: str) -> set[str]:
    """The public names a feature package's `__init__.py` binds (defines or imports)."""
    path = project.modules.get(package)
    if path is None:
        return set()
    ff = project.files[path]
    if not ff.is_package:
        return set()
    return {name for name in ff.exports if not name.startswith("_")}


class FeatureInternalsImport(ProjectRule):
    """
    ## What it does
    In a by-feature layout, reports an import from one feature package of another feature's
    internals: `from app.orders.repository import OrderRepository` in `app/users/service.py`.
    Another feature may import the feature package itself and the public names its
    `__init__.py` binds (`from app.orders import OrderRepository` when `orders/__init__.py`
    imports it).

    Features are the packages of `[tool.stackwise.features] packages` when declared; otherwise
    the feature packages `stackwise layout` recognises, and then only features whose
    `__init__.py` already exposes public names are enforced (a feature with an empty
    `__init__.py` has no surface to go through yet, the "import modules by name" convention),
    and Django projects are not checked (Django apps import each other's `models` by design and
    may not import models in their `__init__.py`). Tests and migrations may import anything.
    With `independent = true`, any import between two features is reported, as in
    import-linter's "independence" contract.

    ## Why it matters
    A feature package is a unit that should be changeable on its own: its `__init__.py` is its
    contract, and its modules are free to move. Every import of a module inside it from outside
    is a dependency on its internals that makes the next refactoring break another feature.

    ## Example
    ```python
    # app/users/service.py
    from app.orders.repository import OrderRepository   # LAY701
    ```

    ## Use instead
    ```python
    # app/orders/__init__.py
    from app.orders.repository import OrderRepository

    __all__ = ["OrderRepository"]

    # app/users/service.py
    from app.orders import OrderRepository
    ```
    """

    code = "LAY701"
    name = "feature-internals-import"
    summary = "A feature imports another feature's internals: import its package's public names"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        c = contracts(project)
        if not c.layout.features and not c.features_declared:
            return
        if not c.features_declared:
            if c.layout.style not in ("by-feature", "mixed"):
                return
            if any(imp.target == "django" or imp.target.startswith("django.")
                   for ff in project.files.values() for imp in ff.imports):
                return  # Django apps import each other's `models` by design
        surfaces: dict[str, set[str]] = {}
        seen: set[tuple[str, int, str]] = set()
        for path, ff, imp, target in module_imports(project, c):
            mine = c.feature(ff.module)
            theirs = c.feature(target) if mine is not None else None
            if mine is None or theirs is None or theirs == mine:
                continue
            if theirs not in surfaces:
                surfaces[theirs] = public_surface(project, theirs)
            surface = surfaces[theirs]
            if c.independent:
                message = (f"feature `{mine}` imports `{imp.target}` from feature "
                           f"`{theirs}`, but features are declared independent; move the "
                           "shared code out of both features")
            else:
                if not c.features_declared and not surface:
                    continue
                rest = imp.target[len(theirs) + 1:] if imp.target != theirs else ""
                if not rest or ("." not in rest and rest in surface):
                    continue
                message = (f"`{imp.target}` is inside feature `{theirs}`; import what "
                           f"`{ff.module}` needs from `{theirs}` itself (export it in its "
                           "`__init__.py`)")
            key = (path, imp.line, theirs)
            if key in seen:
                continue
            seen.add(key)
            report.report(self, path, imp.line, imp.column, message)
