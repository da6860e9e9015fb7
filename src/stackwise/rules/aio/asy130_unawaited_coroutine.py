"""ASY130: a project coroutine function called in async code and never awaited."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.aio._knowledge import library_of_imports, render

# Decorators that keep a coroutine function a coroutine function.
_TRANSPARENT = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "functools.wraps", "typing.override",
    "typing_extensions.override", "abc.abstractmethod",
})


class UnawaitedCoroutine(ProjectRule):
    """
    ## What it does
    Finds a statement inside an `async def` that calls one of the project's own coroutine
    functions and throws the result away: no `await`, not assigned, not passed to
    `asyncio.create_task`, `gather` or a task group.

    Calls are resolved across the project: functions imported from other modules or
    re-exported by a package, methods through `self` and the class hierarchy. Only calls that
    resolve to an `async def` of the project are reported: not a decorated one whose
    decorator might change what it returns, not an async generator (calling one builds an
    iterator, not a coroutine), and not a call whose value is kept (`task = audit()`) or handed
    on (`asyncio.gather(audit())`, `tg.create_task(audit())`).

    ## Why it matters
    Calling a coroutine function only creates a coroutine object; nothing in its body runs.
    The line looks like it sends the email or saves the order, and silently does nothing
    (Python prints "coroutine ... was never awaited" at best, in a log nobody reads).

    ## Example
    ```python
    async def place_order(order: Order) -> None:
        await orders.save(order)
        notify_warehouse(order)   # async def notify_warehouse(...)
    ```

    ## Use instead
    ```python
    async def place_order(order: Order) -> None:
        await orders.save(order)
        await notify_warehouse(order)
    ```
    or, to run it in the background, keep a reference to
    `asyncio.create_task(notify_warehouse(order))` (with trio or anyio, start it in a nursery
    or task group: `tg.start_soon(notify_warehouse, order)`).
    """

    code = "ASY130"
    name = "unawaited-coroutine"
    summary = "Coroutine called without `await`: add `await` or schedule it as a task"
    severity = Severity.ERROR
    async_reach = True  # reports on calls in async functions, reads what they reach

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path, fn in project.iter_functions():
            if not fn.is_async:
                continue
            library = library_of_imports(i.target for i in project.files[path].imports)
            for call in fn.calls:
                if not call.statement or call.awaited:
                    continue
                target = project.call_target(call)
                if target is None:
                    continue
                callee = project.functions[target][1]
                if not callee.is_async or callee.is_generator:
                    continue
                if any(d not in _TRANSPARENT for d in callee.decorators):
                    continue
                report.report(
                    self, path, call.line, call.column,
                    f"coroutine `{call.display}()` is called but never awaited, so its body "
                    f"never runs; add `await`, or run it in the background with "
                    f"{render('{spawn}', call.display, library)}",
                    end_line=call.end_line, end_column=call.end_column, function=fn.qualname,
                )
