"""TYP602: a public class attribute whose type nothing in the class declares or tells."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.typing._public import api_index
from stackwise.rules.typing.collect import PARAM_PREFIX


class UntypedPublicAttribute(ProjectRule):
    """
    ## What it does
    Reports a public attribute of a public class, assigned in `__init__` (`self.x = ...`) or at
    class level, that has no annotation anywhere in the class (`x: T` in the body,
    `self.x: T = ...` in a method) or in a project base class, and whose value does not tell its
    type either: `None`, or an empty `[]`/`{}`/`()`/`list()`/`dict()`/`set()`. An attribute
    assigned from an annotated parameter (`self.name = name` with `name: str`), a literal or a
    call is typed by inference and is not reported; one assigned from an unannotated parameter
    is reported by `TYP600` on the parameter (annotating it types both), and counted untyped by
    `stackwise types`.

    Classes whose hierarchy leaves the project (Enum, NamedTuple, TypedDict, Django and
    SQLAlchemy models, pydantic models, any third-party base) are not checked: their base class
    types their fields.

    ## Why it matters
    Attributes are API as much as methods are: callers read `client.timeout` and
    `job.result`. An attribute first set to `None` is inferred as `None` by mypy (assigning the
    real value later is an error) and as "partially unknown" by pyright; callers get no help.

    ## Example
    ```python
    class Job:
        def __init__(self, name: str) -> None:
            self.name = name          # fine: `name: str`
            self.result = None        # TYP602: what will it hold?
            self.errors = []          # TYP602
    ```

    ## Use instead
    ```python
    class Job:
        result: Report | None
        errors: list[str]

        def __init__(self, name: str) -> None:
            self.name = name
            self.result = None
            self.errors = []
    ```
    """

    code = "TYP602"
    name = "untyped-public-attribute"
    summary = "Public attribute with no declared type: declare it in the class body (`x: T`)"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path, api in api_index(project).items():
            for item in api.items:
                if item.kind != "attribute" or item.typed:
                    continue
                if item.shown.startswith(PARAM_PREFIX):
                    continue  # TYP600 reports the parameter; annotating it types both
                cls = item.shown_owner
                report.report(
                    self, path, item.line, item.column,
                    f"public attribute `{cls}.{item.name}` has no declared type (assigned "
                    f"{item.shown}); declare it in the class body: `{item.name}: <type>`",
                    end_line=item.end_line, end_column=item.end_column,
                )
