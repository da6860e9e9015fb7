"""DJA300: a loop over a queryset reads a relation the queryset did not load (N+1 queries)."""

from __future__ import annotations

from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._drf import LIST_VIEWS, Read, serializer_model, serializer_reads
from stackwise.rules.django._models import (
    Coverage,
    Graph,
    PathIssue,
    Resolved,
    checked_functions,
    graph_for,
    is_test_or_migration,
    short,
    walk_path,
)


def where(resolved: Resolved, path: str) -> str:
    """How a message names the place a queryset is built."""
    fn = f" in `{short(resolved.function)}`" if resolved.function else ""
    if resolved.path == path:
        return f"line {resolved.line}{fn}"
    return f"{resolved.path}:{resolved.line}{fn}"


def frames(*chain: Frame) -> tuple[Frame, ...]:
    """The chain without repeated frames (a queryset built on the loop's own line)."""
    out: list[Frame] = []
    for f in chain:
        if not out or out[-1] != f:
            out.append(f)
    return tuple(out)


def advice(issue: PathIssue) -> str:
    if issue.kind == "select":
        return f"add `.select_related(\"{issue.lookup}\")` to it"
    if issue.kind == "prefetch":
        return f"add `.prefetch_related(\"{issue.lookup}\")` to it"
    return f"add `\"{issue.lookup}\"` to its `.only()` (or drop it from `.defer()`)"


class NPlusOneQuery(ProjectRule):
    """
    ## What it does
    Finds loops over a queryset (`for` loops, comprehensions, `list(qs)`) whose body reads,
    from each row, a relation the queryset did not load: a forward `ForeignKey` or
    `OneToOneField` (or a reverse one-to-one) without `select_related()`, a reverse foreign key
    or many-to-many manager (`author.book_set.all()`, `book.tags.all()`) without
    `prefetch_related()`, or a field deferred by `.only()`/`.defer()`.

    The model graph is built from the project's models in every app: fields whose target is a
    class, `"app.Model"`, `"Model"` or `"self"`, `related_name` (with `%(class)s`), the default
    `<model>_set`, abstract bases, multi-table inheritance and proxies. Querysets are followed
    through assignments and `.filter()`/`.order_by()`/`.exclude()`/`.all()` chains, custom
    managers and querysets (a manager whose `get_queryset()` already calls
    `select_related()` covers its rows), `select_related()` with no arguments, `Prefetch(...)`,
    and the `get_queryset()`/`queryset`/`model` of class-based views. Only querysets of models
    defined in the project are checked, only known relations are reported, and tests and
    migrations are skipped.

    Rows are also read where no loop is written:

    * Django REST framework: a list view (`ListAPIView`, `ModelViewSet`, ... with
      `serializer_class` and `queryset`/`get_queryset()`) or `Serializer(qs, many=True)`
      whose serializer reads a relation per row: nested serializers (recursively, `many=True`
      included), `source="author.name"`, `SerializerMethodField` methods reading
      `obj.author.name` or `obj.reviews.all()`, and many-to-many fields listed in `Meta.fields`.
      The finding sits on the queryset and names every serializer field that needs it.
    * The admin: a `list_display` method reading `obj.fk.attr` or `obj.children.all()` per row,
      unless `list_select_related`, an overridden `get_queryset()`, or a foreign key named
      directly in `list_display` (Django then calls `select_related()`) covers it.

    ## Why it matters
    Each read of an unloaded relation runs one query. A page listing 50 books that shows each
    book's author runs 51 queries instead of one; the cost grows with the data and never shows
    up in a test with three rows.

    ## Example
    ```python
    def catalogue(request):
        books = Book.objects.filter(published=True)
        rows = [(book.title, book.author.name) for book in books]
    ```

    ## Use instead
    ```python
    def catalogue(request):
        books = Book.objects.filter(published=True).select_related("author")
        rows = [(book.title, book.author.name) for book in books]
    ```
    Use `prefetch_related("tags")` for reverse and many-to-many relations.
    """

    code = "DJA300"
    name = "django-n-plus-one"
    summary = "Relation read per row of a queryset: add select_related()/prefetch_related()"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        graph = graph_for(project)
        if not graph.models:
            return
        for fq, path, fact in checked_functions(graph):
            for loop in fact.get("loops", ()):
                self._loop(graph, report, path, fq, loop)
        for admin, model in sorted(self._admins(graph).items()):
            self._admin(graph, report, admin, model)
        self._drf(graph, report)

    def _drf(self, graph: Graph, report: ProjectReporter) -> None:
        """Serializers fed by list views (`serializer_class` + `queryset`/`get_queryset()`)
        and by `Serializer(qs, many=True)` in functions."""
        for q in sorted(graph.classes):
            path, fact = graph.classes[q]
            ser = fact.get("attrs", {}).get("serializer_class") or graph.class_attr(
                q, "serializer_class")
            if not ser or is_test_or_migration(path):
                continue
            if not graph.foreign_bases(q) & LIST_VIEWS:
                continue
            if any("get_serializer_class" in graph.classes[c][1].get("methods", ())
                   for c in graph.mro(q)):
                continue  # the serializer depends on the request
            ser_q = graph.resolve_class(ser, path)
            resolved = graph.resolve({"root": ["getqs", q], "ops": [], "line": fact["line"]},
                                     path, "")
            if ser_q is None or resolved is None:
                continue
            self._serialized(graph, report, ser_q, resolved, path, fact["line"], q,
                             f"the `{q.rsplit('.', 1)[-1]}` list")
        for fq, path, ffact in checked_functions(graph):
            for ser, desc, where_at in ffact.get("serialized", ()):
                ser_q = graph.resolve_class(ser, path)
                resolved = graph.resolve(desc, path, fq)
                if ser_q is None or resolved is None:
                    continue
                self._serialized(graph, report, ser_q, resolved, path, where_at[0], fq,
                                 f"`{short(fq)}`", where_at)

    def _serialized(self, graph: Graph, report: ProjectReporter, ser_q: str, resolved: Resolved,
                    path: str, line: int, function: str, who: str,
                    at: list[int] | None = None) -> None:
        reads = serializer_reads(graph, ser_q)
        if reads is None or resolved.cov.rows != "instances":
            return
        ser_model = serializer_model(graph, ser_q)
        if ser_model is not None and ser_model not in graph.mro(resolved.model):
            return  # the serializer is for another model: not understood
        model = resolved.model.rsplit(".", 1)[-1]
        found: dict[str, tuple[PathIssue, Read]] = {}
        for read in reads:
            issue = walk_path(graph, resolved.model, resolved.cov, list(read.path))
            if issue is not None and issue.kind in ("select", "prefetch"):
                found.setdefault(issue.lookup, (issue, read))
        if not found:
            return
        # one finding per queryset, naming every serializer field that needs a relation
        selects = [k for k, (i, _) in found.items() if i.kind == "select"]
        prefetches = [k for k, (i, _) in found.items() if i.kind == "prefetch"]
        fixes = []
        if selects:
            fixes.append(".select_related(" + ", ".join(f'"{k}"' for k in selects) + ")")
        if prefetches:
            fixes.append(".prefetch_related(" + ", ".join(f'"{k}"' for k in prefetches) + ")")
        fields = "; ".join(f"`{read.field}` ({read.file}:{read.line}) reads "
                           f"`{lookup.replace('__', '.')}`"
                           for lookup, (_, read) in found.items())
        report_path, report_line = (path, line) if at is not None else (
            resolved.path, resolved.line)
        first = next(iter(found.values()))[1]
        report.report(
            self, report_path, report_line, at[1] if at is not None else 1,
            f"N+1 query: serializer fields read relations for each row of the `{model}` "
            f"queryset of {who} (built at {where(resolved, report_path)}): {fields}; add "
            f"`{''.join(fixes)}` to it",
            end_line=at[2] if at is not None else 0, end_column=at[3] if at else 0,
            function=function,
            chain=frames(Frame(resolved.path, resolved.line,
                               short(resolved.function or function)),
                         Frame(path, line, short(function)),
                         Frame(first.file, first.line, first.field)))

    @staticmethod
    def _admins(graph: Graph) -> dict[str, str]:
        """ModelAdmin class -> the model it is registered for."""
        out: dict[str, str] = {}
        for q in sorted(graph.classes):
            path, fact = graph.classes[q]
            for m in fact.get("attrs", {}).get("registers", ()):
                model = graph.resolve_class(m, path)
                if model in graph.models:
                    out[q] = model
        for path, m, a in graph.registered:
            model = graph.resolve_class(m, path)
            admin = graph.resolve_class(a, path)
            if model in graph.models and admin is not None:
                out.setdefault(admin, model)
        return out

    def _admin(self, graph: Graph, report: ProjectReporter, admin: str, model: str) -> None:
        """`list_display` methods of a ModelAdmin that read a relation of each row."""
        path, fact = graph.classes[admin]
        if is_test_or_migration(path):
            return
        columns = graph.class_attr(admin, "list_display")
        reads = fact.get("attrs", {}).get("row_reads", {})
        if not isinstance(columns, list) or not reads:
            return
        cov = Coverage()
        chosen = graph.class_attr(admin, "list_select_related")
        if chosen is True:
            cov.select_all = True
        elif isinstance(chosen, list):
            cov.apply_related("select_related", [c if c != "?" else "?" for c in chosen])
        elif any(isinstance(c, str) and (rel := graph.relation(model, c)) is not None
                 and rel.kind in ("fk", "o2o") for c in columns):
            cov.select_all = True  # Django then calls select_related() on the changelist
        elif chosen is not None and chosen is not False:
            return
        if not graph.admin_queryset_ops(admin, cov):
            return
        name = admin.rsplit(".", 1)[-1]
        done: set[str] = set()
        for column in columns:
            if column not in reads:
                continue
            entry = reads[column]
            for acc_path, line, col, ends, store in entry["acc"]:
                if store:
                    continue
                issue = walk_path(graph, model, cov, acc_path)
                if issue is None or issue.kind not in ("select", "prefetch") or (
                        issue.lookup in done):
                    continue
                done.add(issue.lookup)
                end_line, end_col = ends[issue.index]
                upto = issue.index + 1
                if issue.kind == "prefetch" and upto < len(acc_path):
                    upto += 1
                shown = ".".join([entry["var"], *[p for p in acc_path[:upto] if p != "*"]])
                fix = (f"add `list_select_related = [\"{issue.lookup}\"]` to `{name}`"
                       if issue.kind == "select" else
                       f"override `{name}.get_queryset()` to add "
                       f"`.prefetch_related(\"{issue.lookup}\")`")
                report.report(
                    self, path, line, col,
                    f"N+1 query in the admin list: `{shown}` in the `list_display` column "
                    f"`{column}` runs one query per row of the `{model.rsplit('.', 1)[-1]}` "
                    f"changelist; {fix}",
                    end_line=end_line, end_column=end_col, function=f"{admin}.{column}",
                    chain=frames(Frame(path, fact["line"], name),
                                 Frame(path, entry["line"], f"{name}.{column}"),
                                 Frame(path, line, f"{name}.{column}")))

    def _loop(self, graph: Graph, report: ProjectReporter, path: str, fq: str,
              loop: dict[str, Any]) -> None:
        resolved = graph.resolve(loop["qs"], path, fq)
        if resolved is None or resolved.cov.rows != "instances":
            return
        done: set[str] = set()
        model = resolved.model.rsplit(".", 1)[-1]
        for acc_path, line, col, ends, store in loop["acc"]:
            if store:
                acc_path = acc_path[:-1]  # `row.author = x` reads nothing of the author
            issue = walk_path(graph, resolved.model, resolved.cov, acc_path)
            if issue is None or issue.kind == "query" or issue.lookup in done:
                continue
            done.add(issue.lookup)
            end_line, end_col = ends[issue.index]
            upto = issue.index + 1
            if issue.kind == "prefetch" and upto < len(acc_path) and acc_path[upto].endswith(
                    "()"):
                upto += 1  # `book.tags.all()`
            shown = ".".join([loop["var"], *[p for p in acc_path[:upto] if p != "*"]])
            if issue.kind == "deferred":
                what = (f"`{shown}` was deferred on the `{model}` queryset built at "
                        f"{where(resolved, path)} and is loaded by one query per row")
            elif issue.kind == "select":
                what = (f"N+1 query: `{shown}` is loaded by one query per row of the `{model}` "
                        f"queryset built at {where(resolved, path)}")
            else:
                what = (f"N+1 query: `{shown}` runs one query per row of the `{model}` "
                        f"queryset built at {where(resolved, path)}")
            chain = frames(
                Frame(resolved.path, resolved.line, short(resolved.function or fq)),
                Frame(path, loop["loop"][0], short(fq)),
                Frame(path, line, short(fq)),
            )
            report.report(self, path, line, col, f"{what}; {advice(issue)}",
                          end_line=end_line, end_column=end_col, function=fq, chain=chain)
