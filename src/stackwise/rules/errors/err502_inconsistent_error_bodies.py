"""ERR502: exception handlers of one project return JSON error bodies of different shapes."""

from __future__ import annotations

from collections import Counter

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule


def _shape(keys: frozenset[str]) -> str:
    return "{" + ", ".join(f'"{k}"' for k in sorted(keys)) + "}"


def _compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    """A client that reads one shape finds its keys in the other."""
    return a <= b or b <= a


class InconsistentErrorBodies(ProjectRule):
    """
    ## What it does
    Collects the JSON objects the project's exception handlers send
    (`@app.exception_handler` and `add_exception_handler` in FastAPI, `@app.errorhandler`,
    `@bp.app_errorhandler` and `register_error_handler` in Flask), as the set of their
    top-level keys: `JSONResponse(content={...})`, `jsonify({...})`, `jsonify(error=...)`,
    `return {...}, 500`. When the handlers use more than one shape and one shape is used by
    more handlers than any other, each body of another shape is reported with the majority
    shape. A shape that only adds keys to another (`{"detail", "status"}` beside
    `{"detail"}`) counts as the same: a client still finds what it reads. Without a clear
    majority (two shapes used equally often) nothing is reported, nor is a handler that
    itself returns two shapes (it picks one per client, on purpose).

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
        # handler (path, function) -> its bodies (line, col, end_line, end_col, keys)
        handlers: dict[tuple[str, str], list[tuple[int, int, int, int, frozenset[str]]]] = {}
        for path in sorted(project.files):
            for line, col, end_line, end_col, function, keys in project.files[path].extra.get(
                    "err.body", ()):
                handlers.setdefault((path, function), []).append(
                    (line, col, end_line, end_col, frozenset(keys)))
        # A handler that itself returns two shapes picks one per client on purpose (MLflow's
        # REST shape for its registry paths, `{"detail"}` elsewhere): leave it out.
        shape_of = {h: bodies[0][4] for h, bodies in handlers.items()
                    if len({b[4] for b in bodies}) == 1}
        shapes = set(shape_of.values())
        if len(shapes) < 2:
            return
        # Handlers whose shape a client reading `shape` can also read: the same keys, or
        # those keys plus extras (`{"detail", "status"}` next to `{"detail"}`).
        support = {shape: sum(1 for other in shape_of.values() if _compatible(shape, other))
                   for shape in shapes}
        exact = Counter(shape_of.values())
        majority = max(shapes, key=lambda s: (support[s], exact[s], -len(s), _shape(s)))
        rivals = [support[s] for s in shapes if not _compatible(majority, s)]
        if not rivals or support[majority] < 2 or support[majority] <= max(rivals):
            return  # all compatible, or no clear majority: nothing to call the outlier
        total = len(shape_of)
        for (path, function), shape in sorted(shape_of.items()):
            if _compatible(majority, shape):
                continue
            for line, col, end_line, end_col, _keys in handlers[(path, function)]:
                report.report(
                    self, path, line, col,
                    f"error body {_shape(shape)} differs from the shape the other exception "
                    f"handlers return, {_shape(majority)} ({support[majority]} of {total} "
                    "handlers); return one shape everywhere, ideally "
                    '{"code": ..., "message": ..., "details": ...}',
                    end_line=end_line, end_column=end_col, function=function,
                )
