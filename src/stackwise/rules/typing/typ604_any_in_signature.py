"""TYP604: `Any` as a parameter or return type of the public API (information)."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.typing._public import api_index


class AnyInPublicSignature(ProjectRule):
    """
    ## What it does
    Points out `Any` used as the whole type of a parameter or a return of a public function or
    method (or as a member of its top-level union: `Any | None`). `Any` nested in a container
    (`dict[str, Any]`, the usual type of decoded JSON) is not reported, nor are `*args: Any` and
    `**kwargs: Any`, the usual way to forward arguments. This is information, not an error.

    ## Why it matters
    `Any` switches type checking off for the value in both directions: a caller may pass
    anything, and whatever it gets back may be used as anything. In a public signature that
    hides mistakes in every caller.

    ## Example
    ```python
    def load(source: Any) -> Any:
        ...
    ```

    ## Use instead
    A precise type, a union, a `TypeVar` for "returns what it was given", or `object` for
    "accepts anything, uses nothing of it":
    ```python
    def load(source: str | Path | IO[bytes]) -> Config:
        ...
    ```
    """

    code = "TYP604"
    name = "any-in-public-signature"
    summary = "`Any` in a public signature: use a precise type, a TypeVar or `object`"
    severity = Severity.INFO

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path, api in api_index(project).items():
            for item in api.items:
                if not item.any or item.star:
                    continue
                what = f"parameter `{item.name}`" if item.kind == "parameter" else "return type"
                report.report(
                    self, path, item.line, item.column,
                    f"`Any` as the {what} of public `{item.shown_owner}`; use a precise type, "
                    "a TypeVar, or `object`",
                    end_line=item.end_line, end_column=item.end_column, function=item.owner,
                )
