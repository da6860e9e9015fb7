"""ASY101: an `async def` calls project code that blocks, at any depth and across modules."""

from __future__ import annotations

from collections import deque

from stackwise.engine.facts import CallFact
from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.aio._knowledge import OFFLOAD_WRAPPERS, Blocking, lookup


class TransitiveBlockingCall(ProjectRule):
    """
    ## What it does
    Follows the project's call graph from every `async def` into the synchronous functions it
    calls (module functions, methods through `self`/`cls` and the class hierarchy, functions
    imported from other modules, constructors) and reports a call whose callee, at any depth,
    makes a blocking call (the ones `ASY100` knows). The finding sits at the call inside the
    async function and carries the whole chain down to the blocking call.

    Calls made through an offload (`asyncio.to_thread(f)`, `loop.run_in_executor(None, f)`,
    `anyio.to_thread.run_sync(f)`, `run_in_threadpool(f)`, `sync_to_async(f)`, or a wrapper in
    `[tool.stackwise] offload-wrappers`) are references, not calls, and are not followed; a
    function decorated with one of those wrappers is not blocking to call.

    ## Why it matters
    Most blocking calls in async services are not written in the coroutine itself but a few
    helpers away: a route awaits nothing wrong, yet calls `build_report()`, which calls
    `read_template()`, which calls `open()`. A linter that only looks at the coroutine body
    misses all of them; the event loop stalls the same way.

    ## Example
    ```python
    # api/routes.py
    async def download(report_id: int) -> Response:
        data = build_report(report_id)      # ASY101: open() reached via ...
        return Response(data)

    # services/report.py
    def build_report(report_id: int) -> bytes:
        return render(read_template("report.html"), report_id)

    # utils/files.py
    def read_template(name: str) -> str:
        with open(TEMPLATES / name) as fh:
            return fh.read()
    ```

    ## Use instead
    Offload the synchronous call as a whole, or make the chain async:
    ```python
    async def download(report_id: int) -> Response:
        data = await asyncio.to_thread(build_report, report_id)
        return Response(data)
    ```
    """

    code = "ASY101"
    name = "transitive-blocking-call-in-async"
    summary = "Async function calls project code that blocks: offload it or make it async"
    severity = Severity.ERROR

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        settings = project.settings
        extra = settings.blocking_functions if settings is not None else {}
        wrappers = OFFLOAD_WRAPPERS | frozenset(
            settings.offload_wrappers if settings is not None else ())

        def is_sync(qual: str) -> bool:
            fn = project.functions[qual][1]
            return not fn.is_async and not any(d in wrappers for d in fn.decorators)

        # step[f] = (call inside f, next function or None when the call itself blocks)
        step: dict[str, tuple[CallFact, str | None, Blocking | None]] = {}
        queue: deque[str] = deque()
        for path, fn in project.iter_functions():
            del path
            if not is_sync(fn.qualname):
                continue
            for call in fn.calls:
                entry = lookup(call.target, extra) if call.target else None
                if entry is not None:
                    step[fn.qualname] = (call, None, entry)
                    queue.append(fn.qualname)
                    break
        callers = project.callers
        while queue:
            callee = queue.popleft()
            for caller, call in callers.get(callee, ()):
                if caller in step or not is_sync(caller):
                    continue
                step[caller] = (call, callee, None)
                queue.append(caller)

        for path, fn in project.iter_functions():
            if not fn.is_async:
                continue
            for call in fn.calls:
                target = project.call_target(call)
                if target is None or target not in step or not is_sync(target):
                    continue
                frames, blocking_call, entry = self._chain(project, step, target)
                chain_text = " -> ".join(f"{f.path}:{f.line} {f.function}" for f in frames)
                first = project.short_name(target)
                report.report(
                    self, path, call.line, call.column,
                    f"blocking call `{blocking_call.display}()` reached via {chain_text}; "
                    f"offload it with `await asyncio.to_thread({first}, ...)` or make that path "
                    "async",
                    end_line=call.end_line, end_column=call.end_column,
                    function=fn.qualname, chain=tuple(frames),
                )

    @staticmethod
    def _chain(
        project: Project,
        step: dict[str, tuple[CallFact, str | None, Blocking | None]],
        start: str,
    ) -> tuple[list[Frame], CallFact, Blocking]:
        frames: list[Frame] = []
        current: str | None = start
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            call, nxt, entry = step[current]
            path = project.functions[current][0]
            frames.append(Frame(path, call.line, project.short_name(current)))
            if nxt is None:
                assert entry is not None
                return frames, call, entry
            current = nxt
        raise AssertionError("call chain without a blocking end")
