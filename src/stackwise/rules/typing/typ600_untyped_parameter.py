"""TYP600: a parameter of a public function or method has no annotation."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.typing._public import api_index


class UntypedPublicParameter(ProjectRule):
    """
    ## What it does
    Reports a parameter without a type annotation in a function or method of the project's
    public API (`self` and `cls` excepted). "Public" is decided for the project, not per name:
    a module-level name of an importable package module (not a test, a migration or a script),
    listed in `__all__` when the module has one, else without a leading underscore; a name
    defined in a private module (`_impl.py`) counts when a public module re-exports it; a method
    counts when its class does. Locals, nested functions, private helpers, scripts and tests are
    left alone: type what others call.

    ## Why it matters
    A caller's type checker can only check the calls it makes against annotated parameters; an
    unannotated one is `Any`, so wrong arguments pass silently and editors cannot help. Inside a
    function, locals are inferred from those annotations, which is why the signature is the part
    worth typing.

    ## Example
    ```python
    # billing/invoices.py
    def total(lines, currency="EUR"):
        ...
    ```

    ## Use instead
    ```python
    def total(lines: list[InvoiceLine], currency: str = "EUR") -> Decimal:
        ...
    ```
    `stackwise types` shows how much of the public API is typed, module by module.
    """

    code = "TYP600"
    name = "untyped-public-parameter"
    summary = "Public function parameter without annotation: annotate it"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path, api in api_index(project).items():
            for item in api.items:
                if item.kind != "parameter" or item.typed:
                    continue
                star = "*" * item.star
                report.report(
                    self, path, item.line, item.column,
                    f"parameter `{star}{item.name}` of public `{item.shown_owner}` has no type "
                    f"annotation; annotate it: `{star}{item.name}: <type>`",
                    end_line=item.end_line, end_column=item.end_column, function=item.owner,
                )
