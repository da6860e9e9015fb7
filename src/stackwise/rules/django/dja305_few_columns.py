"""DJA305: a queryset whose rows are used for one or two fields only (info)."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._models import checked_functions, graph_for

_MIN_COLUMNS = 5  # below this, loading whole rows costs little


class FewColumnsUsed(ProjectRule):
    """
    ## What it does
    Finds loops over a queryset of a project model (with at least five columns) where each row
    is used only to read one or two plain fields: the row is never passed on, stored, saved or
    used through a relation or a method, and the queryset is not used elsewhere in the
    function. Querysets that already use `.only()`, `.defer()`, `.values()`,
    `.values_list()`, `select_related()` or `prefetch_related()` are left alone.

    ## Why it matters
    Every column of every row is fetched, sent over the network and turned into a model
    instance, to read one value. `values_list()` fetches just those columns and builds
    tuples, which is several times faster and lighter on big tables.

    ## Example
    ```python
    def export_emails():
        return [customer.email for customer in Customer.objects.filter(active=True)]
    ```

    ## Use instead
    ```python
    def export_emails():
        return list(Customer.objects.filter(active=True).values_list("email", flat=True))
    ```
    Use `.only("email")` when you still need model instances.
    """

    code = "DJA305"
    name = "django-few-columns-used"
    summary = "Rows used for one or two fields: fetch them with values_list() or only()"
    severity = Severity.INFO

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = graph_for(project)
        if not graph.models:
            return
        for fq, path, fact in checked_functions(graph):
            for loop in fact.get("loops", ()):
                if fact["async"] and loop["kind"] in ("for", "comp"):
                    continue  # DJA302 reports the sync iteration itself
                if loop["bare"] or loop["store"] or loop["iter_uses"] or not loop["acc"]:
                    continue
                resolved = graph.resolve(loop["qs"], path, fq)
                if resolved is None or resolved.cov.rows != "instances":
                    continue
                cov = resolved.cov
                if cov.select or cov.prefetch or cov.select_all or cov.unknown or (
                        cov.only is not None) or cov.defer:
                    continue
                if any(op in ("list", "[]", "union", "intersection", "difference", "extra")
                       for op in cov.ops):
                    continue
                model = resolved.model
                if graph.column_count(model) < _MIN_COLUMNS or not graph.fully_known(model):
                    continue
                fields: list[str] = []
                ok = True
                for acc_path, *_ in loop["acc"]:
                    if len(acc_path) != 1 or not graph.concrete_field(model, acc_path[0]):
                        ok = False
                        break
                    if acc_path[0] not in fields:
                        fields.append(acc_path[0])
                if not ok or not 1 <= len(fields) <= 2:
                    continue
                quoted = ", ".join(f'"{f}"' for f in fields)
                flat = ", flat=True" if len(fields) == 1 else ""
                used = " and ".join(f"`{f}`" for f in fields)
                line, col, end_line, end_col = loop["pos"]
                report.report(
                    self, path, line, col,
                    f"only {used} of each `{model.rsplit('.', 1)[-1]}` row "
                    f"{'is' if len(fields) == 1 else 'are'} used; fetch just "
                    f"{'that column' if len(fields) == 1 else 'those columns'} with "
                    f"`.values_list({quoted}{flat})` (or `.only({quoted})`)",
                    end_line=end_line, end_column=end_col, function=fq)
