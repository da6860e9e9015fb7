"""FAS202: a dependency that returns a session/connection/client it opened, so nothing closes it."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.fastapi._resources import PER_REQUEST, a

_CACHED = frozenset({"functools.lru_cache", "functools.cache", "functools.cached_property",
                     "async_lru.alru_cache", "cachetools.cached"})


class DependencyNotClosed(ProjectRule):
    """
    ## What it does
    Finds a FastAPI dependency (a function used in `Depends(...)`/`Security(...)` anywhere in
    the project, followed across modules) that opens a resource (a database session or
    connection, an engine, an HTTP, Redis or MongoDB client) and `return`s it, instead of
    `yield`ing it from a `try/finally` or a `with` block.

    A dependency decorated with `functools.lru_cache`/`cache` is a deliberate singleton and is
    not reported.

    ## Why it matters
    FastAPI runs the code after `yield` once the response is sent; a returned object gets no
    such step. Each request then leaves an open session or connection behind until the garbage
    collector finds it: the pool runs dry under load ("QueuePool limit reached"), transactions
    stay open and hold locks, and clients leak sockets.

    ## Example
    ```python
    def get_db() -> Session:
        db = SessionLocal()
        return db

    @router.get("/orders")
    def list_orders(db: Session = Depends(get_db)) -> list[OrderOut]: ...
    ```

    ## Use instead
    ```python
    def get_db() -> Iterator[Session]:
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
    ```
    A client or an engine should not be made per request at all: create it once in the
    `lifespan` handler and have the dependency return that shared instance.
    """

    code = "FAS202"
    name = "dependency-returns-unclosed-resource"
    summary = "Dependency returns a resource it opened: `yield` it inside try/finally or `with`"
    severity = Severity.ERROR

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        injected: set[str] = set()
        for facts in project.files.values():
            for target in facts.extra.get("fas.depends", ()):
                injected.add(target)
                resolved = project.resolve(target)
                if resolved is not None:
                    injected.add(resolved)
        if not injected:
            return
        for path in sorted(project.files):
            for fact in project.files[path].extra.get("fas.returns_resource", ()):
                function, line, col, end_line, end_col, kind, shown = fact
                if function not in injected or function not in project.functions:
                    continue
                fn = project.functions[function][1]
                if fn.is_generator or any(d in _CACHED for d in fn.decorators):
                    continue
                if kind in PER_REQUEST:
                    fix = ("`yield` it inside `try/finally` or a `with` block, so FastAPI "
                           "closes it after the response")
                else:
                    fix = ("create it once in the `lifespan` handler and return that shared "
                           "instance, or `yield` it from a `with` block")
                report.report(
                    self, path, line, col,
                    f"dependency `{fn.name}` returns {a(kind)} (`{shown}()`) that nothing ever "
                    f"closes; {fix}",
                    end_line=end_line, end_column=end_col, function=function,
                )
