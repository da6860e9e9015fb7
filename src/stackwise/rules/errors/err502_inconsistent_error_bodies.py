"""ERR502: exception handlers of one project return JSON error bodies of different shapes."""

from __future__ import annotations

from collections import Counter

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule


def _shape(keys: list[str]) -> str:
    return "{" + ", ".join(f'"{k}"' for k in keys) + "}"


class InconsistentErrorBodies(ProjectRule):
    """
    ## What it does
    Collects the JSON objects the project's exception handlers send
    (`@app.exception_handler` and `add_exception_handler` in FastAPI, `@app.errorhandler`,
    `@bp.app_errorhandler` and `register_error_handler` in Flask), as the set of their
    top-level keys: `JSONResponse(content={...})`, `jsonify({...})`, `jsonify(error=...)`,
    `return {...}, 500`. When the handlers use more than one shape and one shape is used by
    more handlers than any other, each body of another shape is reported with the majority
    shape. Without a clear majority (two shapes used equally often) nothing is reported.

    ## Why it matters
    A client has to find the error message somewhere: if a 404 says `{"detail": ...}`, a 409
    `{"error": ...}` and a 500 `{"code": ..., "message": ...}`, every client grows a chain of
    guesses and still shows "undefined" for the case nobody tested. One shape, documented once,
    is the contract.

    ## Example
    ```python
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"error": str(exc)})
    ```

    ## Use instead
    One shape with a stable, programmatic code, a human message and optional details:
    ```python
    def error_body(code: str, message: str, details: list[dict] | None = None) -> dict:
        return {"code": code, "message": message, "details": details or []}

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content=error_body("conflict", str(exc)))
    ```
    """

    code = "ERR502"
    name = "inconsistent-error-bodies"
    summary = "Error handlers return different JSON shapes: use one `{code, message, details}`"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        # (path, line, col, end_line, end_col, function, shape)
        bodies: list[tuple[str, int, int, int, int, str, str]] = []
        for path in sorted(project.files):
            for line, col, end_line, end_col, function, keys in project.files[path].extra.get(
                    "err.body", ()):
                bodies.append((path, line, col, end_line, end_col, function, _shape(keys)))
        shapes = Counter(body[6] for body in bodies)
        if len(shapes) < 2:
            return
        (majority, count), (_, runner_up) = shapes.most_common(2)
        if count < 2 or count == runner_up:
            return
        total = sum(shapes.values())
        for path, line, col, end_line, end_col, function, shape in bodies:
            if shape == majority:
                continue
            report.report(
                self, path, line, col,
                f"error body {shape} differs from the shape the other exception handlers "
                f"return, {majority} ({count} of {total}); return one shape everywhere, "
                'ideally {"code": ..., "message": ..., "details": ...}',
                end_line=end_line, end_column=end_col, function=function,
            )
