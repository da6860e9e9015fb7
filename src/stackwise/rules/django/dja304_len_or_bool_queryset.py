"""DJA304: `len(queryset)` or `if queryset:` used only to count or to test for emptiness."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._models import checked_functions, graph_for


class LenOrBoolOfQueryset(ProjectRule):
    """
    ## What it does
    Finds `len(qs)`, `bool(qs)`, `if qs:`, `if not qs:` and `while qs:` on a queryset of a
    project model whose rows are not used anywhere else in the function: the rows are fetched
    only to be counted or to test whether there are any.

    When the same queryset is also iterated, returned or passed on, `len()`/`bool()` are the
    right call (they fill the queryset's cache, which the later use reads), and nothing is
    reported.

    ## Why it matters
    `len(qs)` and `if qs:` load every matching row into Python objects. `qs.count()` runs
    `SELECT COUNT(*)` and `qs.exists()` stops at the first row: the difference is one number
    versus the whole table.

    ## Example
    ```python
    def has_open_orders(user):
        orders = Order.objects.filter(user=user, status="open")
        if orders:
            return True
        return len(Order.objects.filter(user=user)) > 10
    ```

    ## Use instead
    ```python
    def has_open_orders(user):
        if Order.objects.filter(user=user, status="open").exists():
            return True
        return Order.objects.filter(user=user).count() > 10
    ```
    """

    code = "DJA304"
    name = "django-len-or-bool-of-queryset"
    summary = "len(qs)/if qs: loads every row: use qs.count() / qs.exists()"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = graph_for(project)
        if not graph.models:
            return
        for fq, path, fact in checked_functions(graph):
            if fact["async"]:
                continue  # in async code DJA302 reports the same line
            for test in fact.get("tests", ()):
                if test["other_uses"]:
                    continue
                ops = [op for op, _ in test["qs"]["ops"]]
                if "list" in ops[:-1] or "[]" in ops:
                    continue  # a slice or a list built earlier: a bounded, deliberate fetch
                resolved = graph.resolve(test["qs"], path, fq)
                if resolved is None:
                    continue  # a custom manager method may return anything (a bool, a row)
                model = resolved.model
                shown = test["name"] or ""
                name = model.rsplit(".", 1)[-1]
                line, col, end_line, end_col = test["pos"]
                if test["kind"] == "len":
                    msg = (f"`len()` on this `{name}` queryset fetches every row only to count "
                           f"them; use `{shown}.count()`")
                else:
                    msg = (f"testing this `{name}` queryset for truth fetches every row only to "
                           f"see if there is one; use `{shown}.exists()`")
                report.report(self, path, line, col, msg, end_line=end_line,
                              end_column=end_col, function=fq)
