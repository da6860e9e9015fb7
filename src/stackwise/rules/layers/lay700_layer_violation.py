"""LAY700: a module imports a module of a layer above its own."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.layers._contracts import contracts, module_imports


class LayerViolation(ProjectRule):
    """
    ## What it does
    Gives every module a layer and reports an import that points up: a lower layer importing a
    higher one. The layers come from `[tool.stackwise] layers` when the project declares them
    (top first; a layer may import only the layers after it), otherwise from the layout
    (`stackwise layout` shows what was recognised):

    * api (`routes`, `routers`, `api`, `views`, `endpoints`) -> `dependencies` -> `services` ->
      repositories (`repositories`, `crud`) -> `models`: each may import the ones after it;
    * `schemas` may be imported from every layer, and import no api, dependencies or services
      module;
    * core (`core`, `config`, `settings`, `db`, `utils`...) is importable by all and not checked;
    * in a by-feature layout the same order holds inside and across features
      (`users/models.py` may not import `users/router.py`).

    Tests and migrations belong to no layer. Every import counts, including imports inside functions and under `if TYPE_CHECKING:`: a
    lazy or type-only import still makes the lower layer depend on the upper one (import cycles,
    `LAY702`, count only the imports that run at import time).

    ## Why it matters
    Dependencies that point one way are what let a layer be changed, tested or reused without
    the ones above it: services that import routes cannot run in a worker without the web
    framework, and models that import services drag business logic into migrations. Upward
    imports are also where import cycles come from.

    ## Example
    ```python
    # app/models/order.py
    from app.services.pricing import price_for    # LAY700: models -> services

    class Order(Base):
        def total(self) -> Decimal:
            return price_for(self)
    ```

    ## Use instead
    Move what both need down (to models or core), or let the upper layer pass it in:
    ```python
    # app/services/pricing.py
    def order_total(order: Order) -> Decimal:
        return sum(price_for(line) for line in order.lines)
    ```
    """

    code = "LAY700"
    name = "layer-imports-upward"
    summary = "A layer imports a layer above it: move the shared code down or invert the call"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        c = contracts(project)
        declared = bool(c.declared_layers)
        seen: set[tuple[str, int, str]] = set()
        for path, ff, imp, target in module_imports(project, c):
            mine = c.layer(ff.module)
            theirs = c.layer(target) if mine is not None else None
            if mine is None or theirs is None or not c.violates(mine, theirs):
                continue
            if (path, imp.line, target) in seen:
                continue
            seen.add((path, imp.line, target))
            where = "in [tool.stackwise] layers" if declared else "by the inferred layout"
            report.report(
                self, path, imp.line, imp.column,
                f"{mine} module `{ff.module}` imports `{target}` from layer {theirs}, above "
                f"it {where}; move what it needs down to {mine} or below, or have {theirs} "
                "pass it in",
            )
