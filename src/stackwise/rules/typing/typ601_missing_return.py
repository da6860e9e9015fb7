"""TYP601: a public function or method has no return annotation."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.typing._public import api_index


class MissingPublicReturn(ProjectRule):
    """
    ## What it does
    Reports a function or method of the project's public API (as `TYP600` decides it) that has
    no return annotation. `__init__` is exempt; the implementation behind `@overload`
    signatures and `@no_type_check` functions are not counted.

    ## Why it matters
    Without `-> T`, what the function returns is `Any` to every caller (mypy does not infer the
    return type of an unannotated function), so the mistakes made with the result are not found
    where they are made, and `mypy --strict` reports each caller instead.

    ## Example
    ```python
    class ReportService:
        def build(self, report_id: int):
            ...
    ```

    ## Use instead
    ```python
    class ReportService:
        def build(self, report_id: int) -> Report:
            ...
    ```
    A function that returns nothing is annotated `-> None`.
    """

    code = "TYP601"
    name = "missing-public-return-annotation"
    summary = "Public function without a return annotation: add `-> T` (`-> None` if nothing)"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path, api in api_index(project).items():
            for item in api.items:
                if item.kind != "return" or item.typed:
                    continue
                report.report(
                    self, path, item.line, item.column,
                    f"public `{item.shown_owner}` has no return annotation; add `-> <type>` "
                    "(`-> None` when it returns nothing)",
                    end_line=item.end_line, end_column=item.end_column, function=item.owner,
                )
