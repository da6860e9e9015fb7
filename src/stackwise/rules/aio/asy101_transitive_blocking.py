"""ASY101: an `async def` calls project code that blocks, at any depth and across modules."""

from __future__ import annotations

from collections import deque

from stackwise.engine.facts import CallFact, FunctionFact
from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.aio._knowledge import OFFLOAD_WRAPPERS, library_of_imports, lookup, render

# A generator function's body runs when it is iterated, not when it is called; one decorated
# with these runs up to its `yield` as soon as it is entered with `with`.
_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager"})


class TransitiveBlockingCall(ProjectRule):
    """
    ## What it does
    Follows the project's call graph from every `async def` into the synchronous functions it
    calls (module functions, nested functions, methods through `self`/`cls` and the class
    hierarchy, functions imported from other modules or re-exported by a package, constructors)
    and reports a call whose callee, at any depth, makes a blocking call (the ones `ASY100`
    knows, plus `[tool.stackwise] blocking-functions`). The finding sits at the call inside the
    async function; its message and its `chain` give every step down to the blocking call.

    Not followed: calls made through an offload (`asyncio.to_thread(f)`,
    `loop.run_in_executor(None, f)`, `anyio.to_thread.run_sync(f)`, `run_in_threadpool(f)`,
    `sync_to_async(f)`, `functools.partial(f)` handed to one of those, or a wrapper in
    `[tool.stackwise] offload-wrappers`), which only pass the function along; functions
    decorated with one of those wrappers; an `await`ed call of a decorated function (its
    decorator made it awaitable); and generator functions, whose body runs when iterated, not
    when called (except `@contextmanager` ones).

    ## Why it matters
    Most blocking calls in async services are not written in the coroutine itself but a few
    helpers away: a route awaits nothing wrong, yet calls `build_report()`, which calls
    `read_template()`, which calls `open()`. A linter that only looks at the coroutine body
    misses all of them; the event loop stalls the same way.

    ## Example
    ```python
    # api/routes.py
    async def download(report_id: int) -> Response:
        data = build_report(report_id)  # ASY101: build_report -> read_template -> open()
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
    async_reach = True  # reports on calls in async functions, reads what they reach

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        settings = project.settings
        extra = settings.blocking_functions if settings is not None else {}
        wrappers = OFFLOAD_WRAPPERS | frozenset(
            settings.offload_wrappers if settings is not None else ())

        def runs_when_called(fn: FunctionFact) -> bool:
            """Calling `fn` runs its body on the caller's thread, there and then."""
            if fn.is_async or any(d in wrappers for d in fn.decorators):
                return False
            return not fn.is_generator or any(d in _CONTEXT_MANAGERS for d in fn.decorators)

        def blocking_entry(call: CallFact) -> bool:
            if call.target and lookup(call.target, extra) is not None:
                return True
            if extra:  # a configured project function, reached through a re-export
                return project.call_target(call) in extra
            return False

        # step[f] = (the call inside f that leads on, the function it calls or None when the
        # call itself blocks); found from the blocking calls back up the reverse call graph,
        # so each chain is a shortest one and cycles end by themselves
        step: dict[str, tuple[CallFact, str | None]] = {}
        queue: deque[str] = deque()
        for _path, fn in project.iter_functions():
            if not runs_when_called(fn):
                continue
            for call in fn.calls:
                if blocking_entry(call):
                    step[fn.qualname] = (call, None)
                    queue.append(fn.qualname)
                    break
        callers = project.callers
        while queue:
            callee = queue.popleft()
            for caller, call in callers.get(callee, ()):
                if caller in step or not runs_when_called(project.functions[caller][1]):
                    continue
                step[caller] = (call, callee)
                queue.append(caller)

        libraries: dict[str, str] = {}
        for path, fn in project.iter_functions():
            if not fn.is_async:
                continue
            library = libraries.get(path)
            if library is None:  # once per file, not per async function
                library = libraries[path] = library_of_imports(
                    i.target for i in project.files[path].imports)
            offload = render("await {to_thread}", "", library)
            for call in fn.calls:
                if call.target and lookup(call.target, extra) is not None:
                    continue  # the call itself is a known blocking call: ASY100 reports it
                target = project.call_target(call)
                if target is None:
                    continue
                if target in extra:  # declared blocking, reached through a re-export
                    report.report(
                        self, path, call.line, call.column,
                        f"`{call.display}()` is declared blocking (`{target}` in "
                        f"[tool.stackwise] blocking-functions); {extra[target]}",
                        end_line=call.end_line, end_column=call.end_column,
                        function=fn.qualname,
                    )
                    continue
                if target not in step:
                    continue
                callee_fn = project.functions[target][1]
                if not runs_when_called(callee_fn) or (call.awaited and callee_fn.decorators):
                    continue
                frames: list[Frame] = []
                leaf = self._chain(project, step, target, frames)
                chain_text = " -> ".join(f"{f.function} ({f.path}:{f.line})" for f in frames)
                if callee_fn.is_generator:
                    fix = (f"make `{callee_fn.name}` an `@asynccontextmanager` that awaits async "
                           "I/O, or offload the blocking work inside it")
                else:
                    fix = f"offload it with `{offload}({call.display}, ...)` or make that path async"
                report.report(
                    self, path, call.line, call.column,
                    f"`{call.display}()` blocks the event loop via {chain_text} -> "
                    f"`{leaf.display}()`; {fix}",
                    end_line=call.end_line, end_column=call.end_column,
                    function=fn.qualname, chain=tuple(frames),
                )

    @staticmethod
    def _chain(
        project: Project,
        step: dict[str, tuple[CallFact, str | None]],
        start: str,
        frames: list[Frame],
    ) -> CallFact:
        """Append a frame per function from `start` down (the function, and the line of its call
        that leads on: the last frame's line is the blocking call); return the blocking call."""
        current: str | None = start
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            call, nxt = step[current]
            frames.append(Frame(project.functions[current][0], call.line,
                                project.short_name(current)))
            if nxt is None:
                return call
            current = nxt
        raise AssertionError("call chain without a blocking end")
