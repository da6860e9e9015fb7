"""FAS207: `BackgroundTasks.add_task` given long work that a restart would lose."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule

_RETRY_DECORATORS = frozenset({
    "tenacity.retry", "backoff.on_exception", "backoff.on_predicate", "retrying.retry",
    "retry.retry", "stamina.retry", "async_retrying.retry",
})


class LongBackgroundTask(ProjectRule):
    """
    ## What it does
    Finds `background_tasks.add_task(func, ...)` (FastAPI's or Starlette's `BackgroundTasks`)
    where `func`, a function of the project followed across modules, or a function it calls
    directly, does work that is long or must not be lost:

    * it sleeps (`time.sleep`, `asyncio.sleep`): polling, waiting, back-off;
    * it loops forever (`while True`);
    * it makes network calls in a loop (HTTP with `requests`/`httpx`/`aiohttp`, sockets,
      boto3, SMTP);
    * it retries (`@tenacity.retry`, `@backoff.on_exception`, `@stamina.retry`).

    A single email or a single HTTP call is what `BackgroundTasks` is for and is not reported.

    ## Why it matters
    Background tasks run in the web worker's process after the response is sent. Nothing
    persists them: a deploy, a crash or an autoscaler scaling down loses every task in flight,
    with no record that it existed and no retry. Long tasks also hold the worker's resources
    and delay its graceful shutdown.

    ## Example
    ```python
    @router.post("/exports")
    async def start_export(req: ExportIn, background_tasks: BackgroundTasks) -> ExportOut:
        background_tasks.add_task(export_to_partner, req.account_id)
        return ExportOut(status="started")

    def export_to_partner(account_id: int) -> None:
        for page in pages(account_id):
            requests.post(PARTNER_URL, json=page)   # minutes of network calls
    ```

    ## Use instead
    Put the work on a persistent queue that survives restarts and retries failures
    (Celery, ARQ, RQ, Dramatiq, or your cloud's task queue):
    ```python
    @router.post("/exports")
    async def start_export(req: ExportIn) -> ExportOut:
        job = export_to_partner.delay(req.account_id)   # a Celery task
        return ExportOut(status="queued", job_id=job.id)
    ```
    """

    code = "FAS207"
    name = "long-work-in-background-tasks"
    summary = "Long/retrying work in `BackgroundTasks`: use a persistent queue (Celery, ARQ, RQ)"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        long: dict[str, tuple[str, int]] = {}
        for path in sorted(project.files):
            for function, reason, line in project.files[path].extra.get("fas.long", ()):
                long.setdefault(function, (reason, line))
        for path in sorted(project.files):
            for fact in project.files[path].extra.get("fas.add_task", ()):
                caller, task, line, col, end_line, end_col, shown = fact
                target = project.resolve(task)
                if target is None or target not in project.functions:
                    continue
                found = self._why(project, long, target)
                if found is None:
                    continue
                reason, chain = found
                report.report(
                    self, path, line, col,
                    f"background task `{shown}` {reason}; `BackgroundTasks` run inside the web "
                    "process and are lost on a restart or crash: send it to a persistent queue "
                    "(Celery, ARQ, RQ, Dramatiq)",
                    end_line=end_line, end_column=end_col, function=caller, chain=chain,
                )

    @staticmethod
    def _why(
        project: Project, long: dict[str, tuple[str, int]], target: str
    ) -> tuple[str, tuple[Frame, ...]] | None:
        path, fn = project.functions[target]
        retry = next((d for d in fn.decorators if d in _RETRY_DECORATORS), None)
        if retry is not None:
            return f"retries (`@{retry}`)", (Frame(path, fn.line, project.short_name(target)),)
        if target in long:
            reason, line = long[target]
            return reason, (Frame(path, line, project.short_name(target)),)
        for call in fn.calls:  # one level down: a function the task calls directly
            callee = project.call_target(call)
            if callee is None or callee == target or callee not in long:
                continue
            reason, line = long[callee]
            callee_path = project.functions[callee][0]
            return (
                f"calls `{call.display}()`, which {reason}",
                (Frame(path, call.line, project.short_name(target)),
                 Frame(callee_path, line, project.short_name(callee))),
            )
        return None
