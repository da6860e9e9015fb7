"""DJA302: the synchronous Django ORM used in an `async def` (directly or through a helper)."""

from __future__ import annotations

from collections import deque
from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._models import (
    Graph,
    checked_functions,
    graph_for,
    is_test_or_migration,
    short,
    shown_chain,
)

OFFLOAD = frozenset({"asgiref.sync.sync_to_async", "channels.db.database_sync_to_async"})
_ASYNC_NAME = {"get": "aget", "first": "afirst", "last": "alast", "count": "acount",
               "exists": "aexists", "create": "acreate", "get_or_create": "aget_or_create",
               "update_or_create": "aupdate_or_create", "update": "aupdate",
               "delete": "adelete", "aggregate": "aaggregate", "in_bulk": "ain_bulk",
               "earliest": "aearliest", "latest": "alatest", "bulk_create": "abulk_create",
               "bulk_update": "abulk_update", "iterator": "aiterator", "contains": "acontains",
               "explain": "aexplain", "save": "asave", "refresh_from_db": "arefresh_from_db"}


def describe(graph: Graph, entry: list[Any]) -> tuple[str, str] | None:
    """(what is written, what to write instead) for one ORM evaluation, or None when it is not
    about a project model."""
    kind = entry[0]
    if kind == "inst":
        model = graph.resolve_class(entry[1])
        if model is None or model not in graph.models:
            return None
        method = entry[2]
        alt = _ASYNC_NAME.get(method, "a" + method)
        return f"`{entry[4]}.{method}()`", f"`await {entry[4]}.{alt}()`"
    desc = entry[1]
    what = entry[2]
    if kind == "iter" or what in ("len()", "list()", "sorted()", "tuple()", "reversed()",
                                  "bool()"):
        # the value must be a queryset: custom manager methods must be known to return one
        resolved = graph.resolve(desc)
        model = resolved.model if resolved is not None else None
    else:
        model = graph.root_model(desc)
    if model is None:
        return None
    name = model.rsplit(".", 1)[-1]
    if kind == "iter":
        return f"iterating a `{name}` queryset", "`async for` over it"
    if what in ("len()", "list()", "sorted()", "tuple()", "reversed()"):
        return (f"`{what[:-2]}()` of a `{name}` queryset",
                "`[x async for x in qs]` (or `await qs.acount()` for a count)")
    if what == "bool()":
        return f"testing a `{name}` queryset for emptiness", "`await qs.aexists()`"
    method = what[:-2]
    alt = _ASYNC_NAME.get(method)
    return f"`{shown_chain(model, desc)}`", f"`await ...{alt}()`" if alt else "`sync_to_async`"


class SyncOrmInAsync(ProjectRule):
    """
    ## What it does
    Finds the synchronous Django ORM used in an `async def`: `.get()`, `.first()`, `.count()`,
    `.exists()`, `.create()`, `.save()`, iterating a queryset, `list(qs)`, `len(qs)`,
    `if qs:` ... on querysets and instances of the project's models, and calls from an
    `async def` to a synchronous function of the project that does so, at any depth (the
    finding carries the call chain). Calls through `sync_to_async(...)` or
    `database_sync_to_async(...)`, and functions decorated with them, are fine.

    ## Why it matters
    Django refuses to run the synchronous ORM in a thread with a running event loop: the
    request fails with `SynchronousOnlyOperation` at run time, on the first request that
    takes that path, not at import or in a sync test.

    ## Example
    ```python
    async def book_detail(request, pk):
        book = Book.objects.get(pk=pk)
        return JsonResponse({"title": book.title})
    ```

    ## Use instead
    ```python
    async def book_detail(request, pk):
        book = await Book.objects.aget(pk=pk)
        return JsonResponse({"title": book.title})
    ```
    Use the `a`-prefixed methods (`aget`, `afirst`, `acount`, `aexists`, `acreate`, `asave`),
    `async for` to iterate, or wrap a synchronous helper: `await sync_to_async(helper)(...)`.
    """

    code = "DJA302"
    name = "django-sync-orm-in-async"
    summary = "Sync ORM in async code: use aget()/asave()/async for, or sync_to_async()"
    severity = Severity.ERROR

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = graph_for(project)
        if not graph.models:
            return
        # sync functions that use the ORM: qualname -> (path, line, description)
        blocking: dict[str, tuple[str, int, str]] = {}
        for fq, path, fact in checked_functions(graph):
            for entry in fact.get("orm", ()):
                found = describe(graph, entry)
                if found is None:
                    continue
                line, col, end_line, end_col = entry[3]
                if fact["async"]:
                    what, alt = found
                    report.report(
                        self, path, line, col,
                        f"sync ORM in async function: {what} raises SynchronousOnlyOperation "
                        f"at run time; use {alt} or `sync_to_async`",
                        end_line=end_line, end_column=end_col, function=fq)
                elif fq not in blocking and self._callable(project, fq):
                    blocking[fq] = (path, line, found[0])
        self._transitive(project, report, blocking)

    @staticmethod
    def _callable(project: Project, fq: str) -> bool:
        entry = project.functions.get(fq)
        if entry is None:
            return False
        fn = entry[1]
        return not fn.is_async and not any(d in OFFLOAD for d in fn.decorators)

    def _transitive(self, project: Project, report: ProjectReporter,
                    blocking: dict[str, tuple[str, int, str]]) -> None:
        step: dict[str, tuple[int, str | None]] = {q: (v[1], None) for q, v in blocking.items()}
        queue: deque[str] = deque(sorted(blocking))
        callers = project.callers
        while queue:
            callee = queue.popleft()
            for caller, call in callers.get(callee, ()):
                if caller in step or not self._callable(project, caller):
                    continue
                step[caller] = (call.line, callee)
                queue.append(caller)
        for path, fn in project.iter_functions():
            if not fn.is_async or is_test_or_migration(path):
                continue
            for call in fn.calls:
                target = project.call_target(call)
                if target is None or target not in step or call.awaited:
                    continue
                chain: list[Frame] = [Frame(path, call.line, short(fn.qualname))]
                current: str | None = target
                last = target
                seen: set[str] = set()
                while current is not None and current not in seen:
                    seen.add(current)
                    last = current
                    line, nxt = step[current]
                    chain.append(Frame(project.functions[current][0], line, short(current)))
                    current = nxt
                end = chain[-1]
                if last not in blocking:
                    continue
                what = blocking[last][2]
                first = project.short_name(target)
                report.report(
                    self, path, call.line, call.column,
                    f"`{call.display}()` runs the sync ORM ({what} at {end.path}:{end.line}) "
                    f"inside an async function, which raises SynchronousOnlyOperation; call it "
                    f"as `await sync_to_async({first})(...)` or make it async",
                    end_line=call.end_line, end_column=call.end_column,
                    function=fn.qualname, chain=tuple(chain))
