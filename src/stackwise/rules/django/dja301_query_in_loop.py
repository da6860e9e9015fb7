"""DJA301: a query issued once per iteration of a loop over a queryset or a list of ids."""

from __future__ import annotations

from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._models import (
    ALWAYS_QUERY,
    Graph,
    checked_functions,
    graph_for,
    short,
    shown_chain,
    walk_path,
)
from stackwise.rules.django._query_helpers import passed_query_helper
from stackwise.rules.django.dja300_n_plus_one import frames, where

_LOOKUP = frozenset({"get", "first", "last", "earliest", "latest", "aget", "afirst", "alast",
                     "aearliest", "alatest"})
_ROWS = frozenset({"filter", "exclude", "values", "values_list", "in_bulk", "ain_bulk"})
_COUNT = frozenset({"count", "exists", "aggregate", "acount", "aexists", "aaggregate",
                    "contains", "acontains"})
_WRITE = frozenset({"update", "delete", "aupdate", "adelete"})


def _advice(method: str, model: str, over: str) -> str:
    if method in _LOOKUP:
        return (f"load them all before the loop with `{model}.objects.in_bulk({over})` (or "
                "`filter(pk__in=...)`) and look each one up in the result")
    if method in _COUNT:
        return ("compute it for every item in one query: `.annotate(Count(...))` on the outer "
                "queryset, or one `.values(...).annotate(...)` before the loop")
    if method in _WRITE:
        return f"do it in one query: `{model}.objects.filter(pk__in=...).{method.lstrip('a')}(...)`"
    return ("fetch the rows for every item in one query before the loop "
            "(`filter(<field>__in=...)`) and group them, or `prefetch_related()` them")


def _prefetch(lookup: str) -> str:
    """The fix for a filtered related query per row: one prefetch of the filtered rows."""
    rel = lookup.rsplit("__", 1)[-1]
    return (f"prefetch the filtered rows once with `Prefetch(\"{lookup}\", queryset=..., "
            f"to_attr=\"{rel}_list\")` and read the list")


class QueryInLoop(ProjectRule):
    """
    ## What it does
    Finds ORM queries run once per iteration of a loop: `Model.objects.get()`, `.filter()`,
    `.count()`, `.exists()`, `.first()`, `.update()`... inside a loop (or comprehension) over a
    queryset or a list of ids, whose arguments use the loop variable; and related-manager
    queries such as `book.tags.filter(...)` or `author.book_set.count()`-style lookups that a
    `prefetch_related()` cannot serve (`.filter()`, `.exclude()`, `.order_by()`, `.get()`...)
    read from each row of a queryset. A custom queryset method of the related model's
    default manager called that way (`translation.change_set.content()`) is reported too, when
    the outer queryset did not prefetch the relation. So is a row's related manager passed to a
    helper of the project that returns it filtered (`self.type_filter(bundle.types)` with
    `def type_filter(self, qs): return qs.filter(...)`), when the result is iterated, listed,
    counted or tested in the loop, and every override of the method in project subclasses also
    returns `qs.<query method>(...)` or `super().type_filter(qs).<query method>(...)`. Only
    models defined in the project are considered; loops over `range()` or literal tuples are
    not.

    ## Why it matters
    Each iteration is a round trip to the database: 500 ids are 500 queries where one would
    do. It is the same cost as an N+1 on a relation, written by hand.

    ## Example
    ```python
    def authors_for(ids):
        return [Author.objects.get(pk=pk) for pk in ids]
    ```

    ## Use instead
    ```python
    def authors_for(ids):
        by_pk = Author.objects.in_bulk(ids)
        return [by_pk[pk] for pk in ids if pk in by_pk]
    ```
    Counts per row become `.annotate(Count("book"))` on the outer queryset; filtered related
    rows become `Prefetch("tags", queryset=Tag.objects.filter(...), to_attr="tag_list")`.
    """

    code = "DJA301"
    name = "django-query-in-loop"
    summary = "Query per loop iteration: use in_bulk(), filter(..__in=...), annotate() or prefetch"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = graph_for(project)
        if not graph.models:
            return
        for fq, path, fact in checked_functions(graph):
            for item in fact.get("in_loop", ()):
                self._manager_query(graph, report, path, fq, item)
            for loop in fact.get("loops", ()):
                self._related_query(graph, report, path, fq, loop)
                if "passes" in loop:
                    self._passed_query(graph, report, path, fq, loop)

    def _manager_query(self, graph: Graph, report: ProjectReporter, path: str, fq: str,
                       item: dict[str, Any]) -> None:
        method = item["qs"]["ops"][-1][0]
        if method not in _LOOKUP | _ROWS | _COUNT | _WRITE:
            return
        if any(op == "select_for_update" for op, _ in item["qs"]["ops"]):
            return  # locking one row at a time is deliberate
        model = graph.root_model(item["qs"])
        if model is None:
            return
        kind = item["iter"]
        if kind[0] == "qs":
            outer = graph.resolve(kind[1], path, fq)
            if outer is None:
                return
            over = f"each row of the `{outer.model.rsplit('.', 1)[-1]}` queryset"
            names = "..."
        elif kind[0] == "ids":
            over = f"each item of `{kind[1]}`"
            names = kind[1]
        else:
            return
        name = model.rsplit(".", 1)[-1]
        line, col, end_line, end_col = item["pos"]
        shown = shown_chain(model, item["qs"])
        report.report(
            self, path, line, col,
            f"query per loop iteration: `{shown}` runs once for {over} (loop at line "
            f"{item['loop'][0]}); {_advice(method, name, names)}",
            end_line=end_line, end_column=end_col, function=fq,
            chain=frames(Frame(path, item["loop"][0], short(fq)), Frame(path, line, short(fq))),
        )

    def _related_query(self, graph: Graph, report: ProjectReporter, path: str, fq: str,
                       loop: dict[str, Any]) -> None:
        resolved = graph.resolve(loop["qs"], path, fq)
        if resolved is None or resolved.cov.rows != "instances":
            return
        model = resolved.model.rsplit(".", 1)[-1]
        done: set[str] = set()
        for acc_path, line, col, ends, store in loop["acc"]:
            if store:
                acc_path = acc_path[:-1]  # `row.author = x` reads nothing of the author
            issue = walk_path(graph, resolved.model, resolved.cov, acc_path)
            if issue is None or issue.kind != "query" or issue.lookup in done:
                continue
            done.add(issue.lookup)
            end_line, end_col = ends[issue.index]
            shown = ".".join([loop["var"], *[p for p in acc_path[: issue.index + 1]
                                             if p != "*"]])
            # a custom queryset method (`change_set.content()`) is only reported where nothing
            # was prefetched: one of its branches may return the prefetched rows unchanged
            when = ", even when prefetched" if acc_path[issue.index] in ALWAYS_QUERY else ""
            report.report(
                self, path, line, col,
                f"query per row: `{shown}` runs a new query for each row of the `{model}` "
                f"queryset built at {where(resolved, path)}{when}; {_prefetch(issue.lookup)}",
                end_line=end_line, end_column=end_col, function=fq,
                chain=frames(Frame(resolved.path, resolved.line,
                                   short(resolved.function or fq)),
                             Frame(path, loop["loop"][0], short(fq)),
                             Frame(path, line, short(fq))),
            )

    def _passed_query(self, graph: Graph, report: ProjectReporter, path: str, fq: str,
                      loop: dict[str, Any]) -> None:
        """`self.type_filter(bundle.types)` in the loop over `bundle`, where the helper (and
        every override of it) returns its parameter with `.filter()`... applied."""
        resolved = graph.resolve(loop["qs"], path, fq)
        if resolved is None or resolved.cov.rows != "instances":
            return
        model = resolved.model.rsplit(".", 1)[-1]
        for item in loop["passes"]:
            helper = passed_query_helper(graph, fq, item)
            if helper is None:
                continue
            fn, param, op = helper
            issue = walk_path(graph, resolved.model, resolved.cov, [*item["path"], f"{op}()"])
            if issue is None or issue.kind != "query" or issue.index != len(item["path"]):
                continue
            line, col, end_line, end_col = item["call"]
            shown = item["shown"] if len(item["shown"]) <= 60 else f"{item['name']}(...)"
            hpath = graph.project.functions[fn][0]
            hline = graph.project.functions[fn][1].line
            at = "" if (resolved.path, resolved.line) == (path, loop["loop"][0]) else (
                f" (loop at line {loop['loop'][0]})")
            report.report(
                self, path, line, col,
                f"query per row: `{shown}` returns `{param}.{op}(...)` (`{short(fn)}` at "
                f"{hpath}:{hline}), a new query for each row of the `{model}` queryset built "
                f"at {where(resolved, path)}{at}, even when prefetched; {_prefetch(issue.lookup)}",
                end_line=end_line, end_column=end_col, function=fq,
                chain=frames(Frame(resolved.path, resolved.line,
                                   short(resolved.function or fq)),
                             Frame(path, loop["loop"][0], short(fq)),
                             Frame(path, line, short(fq)),
                             Frame(hpath, hline, short(fn))),
            )
