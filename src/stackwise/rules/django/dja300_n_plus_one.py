"""DJA300: a loop over a queryset reads a relation the queryset did not load (N+1 queries)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Frame, Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.django._admin import admin_hits
from stackwise.rules.django._drf import (
    LIST_VIEWS,
    Read,
    list_serializer,
    serializer_model,
    serializer_reads,
)
from stackwise.rules.django._exports import export_hits
from stackwise.rules.django._models import (
    Graph,
    Hit,
    PathIssue,
    Resolved,
    checked_functions,
    graph_for,
    is_test_or_migration,
    short,
    walk_path,
)
from stackwise.rules.django._param_loops import param_loop_hits
from stackwise.rules.django._template_views import template_hits


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
    the `get_queryset()`/`queryset`/`model` of class-based views, and the related manager of an
    object named like a model (`event.orders.filter(...)`, when `Event` is the only class of
    that name; a loop variable is left to its own loop), or of a row fetched with `.get()`
    without `prefetch_related()` (`event = Event.objects.get(pk=pk)`, then
    `event.orders.all()`). A custom queryset method called on a related manager
    (`componentlist.components.filter_access(user)`) is followed like `.all()` when it is a
    method of the related model's default manager or queryset class; on a loop row, only when
    the loop's queryset did not prefetch that relation (a branch of the method returning its
    rows unchanged would read the prefetch). `get_user_model()` and
    `ForeignKey(settings.AUTH_USER_MODEL)` are the model a literal `AUTH_USER_MODEL` names in
    the settings (unknown when no settings module, or several disagreeing ones, name it).
    Querysets unioned with `qs |= Model.objects.filter(...)` count what either side loads.
    Only querysets of models defined in the project are checked, only known relations are
    reported, and tests and migrations are skipped. Models built on a few well-known
    third-party bases whose managers add no `select_related()` (django-mptt's `MPTTModel` and
    `TreeManager`, django-polymorphic's `PolymorphicModel` and `PolymorphicManager`,
    django-scopes' `ScopedManager`) are followed like plain models, though not through those
    packages' own queryset methods (`get_cached_trees()`, `instance_of()`); a manager from
    any other package (django-model-utils' `InheritanceManager`...) leaves its model's
    querysets unknown.

    A table of filters keeps the rows it is given: `rows = FILTERS[status](rows)`, where every
    callable the subscript may give is a one-parameter lambda returning its parameter with
    row-keeping query methods (`filter()`, `exclude()`, `order_by()`, `select_related()`...),
    found in a dict, list or tuple literal, a comprehension over one, a local assigned once, a
    module constant or a class attribute no project subclass assigns again. What any of them
    selects counts as selected; a callable built by a call, a `def`, or `only()` leaves the
    rows unknown.

    Rows a custom queryset method hands out from a cached property are followed to the
    queryset that loaded them: `def filter_event(self, component, event): return
    component.addons_cache[event]`, where `addons_cache` is the only definition of that name
    in the project, a `@property`/`@cached_property` that fills a local container
    (`defaultdict(list)`, `{}`, `[]`) with the rows of one queryset loop
    (`result[key].append(row)`) and returns it. What the subscripted item yields must be those
    rows, constants or plain columns of them; any other value, a second loop, or another use
    of the container leaves the rows unknown.

    A loop row fetched again inside the loop (`o = Order.objects.select_for_update().get(
    pk=o.pk)`) is a fresh instance on every iteration: a foreign key read from it after that
    lookup is one more query per iteration unless the lookup itself uses `select_related()`.

    Rows are also read where no loop is written:

    * Helpers: a function or method that loops over one of its parameters (never rebound in
      its body) and reads a relation per row, when every call site in the project (tests
      aside) passes a queryset of a project model there (`order_rows(Order.objects.filter(
      ...))`). One call site passing anything else (a list, a queryset of a custom method we
      cannot read, `*args`), no call site at all, or a decorator that may call it otherwise
      keeps it silent (a `@register.simple_tag` is read through the templates that call it,
      below). The finding sits on the read and names the
      call site whose queryset lacks the relation.

    * Django REST framework: a list view (`ListAPIView`, `ModelViewSet`, ... with
      `serializer_class` and `queryset`/`get_queryset()`) or `Serializer(qs, many=True)`
      whose serializer reads a relation per row: nested serializers (recursively, `many=True`
      included), `source="author.name"`, `SerializerMethodField` methods reading
      `obj.author.name` or `obj.reviews.all()`, many-to-many fields listed in `Meta.fields`,
      `StringRelatedField` (with what the related model's `__str__` reads), `SlugRelatedField`,
      and the nested serializers `Meta.depth = N` builds. A `get_serializer_class()` that
      returns one class, or one per `self.action` in a viewset, is followed for `list`. The
      finding sits on the queryset and names every serializer field that needs it.
    * The admin: `list_display` columns that read a relation per row: methods reading
      `obj.fk.attr` or `obj.children.all()`, `"author__name"` lookups, a foreign key shown
      through a `__str__` that reads further, and `"__str__"` (the default `list_display`, also
      for `admin.site.register(Model)`) when the model's `__str__` reads a relation. What the
      changelist loads follows Django: the default manager and `get_queryset()`, then
      `list_select_related`, or, when it is `False`, `select_related()` for a foreign key
      named directly in `list_display` (`"author__name"` does not count).
    * django-import-export: a resource's `Field(attribute="author__name")`,
      `ForeignKeyWidget`/`ManyToManyWidget` fields, `"author__name"` and many-to-many names in
      `Meta.fields`, and `dehydrate_<field>()` methods, for the rows of an admin that exports
      it (its changelist), of `Resource().export(qs)`, or of its `get_queryset()`.
    * django-tables2: a table's `Column(accessor="author__name")`, `"author__name"`, foreign
      keys and many-to-many names in `Meta.fields`, and `render_<column>()` methods, for the
      queryset of a `SingleTableView`/`SingleTableMixin` or of `Table(qs)`.
    * Django templates: `{% for book in books %}` whose body reads `{{ book.author.name }}`
      or loops over `book.tags.all`, where `books` comes from a `ListView` (`object_list`,
      `<model>_list`, `context_object_name`, `page_obj`), from `get_context_data()`, or from a
      `render()`/`TemplateResponse()` context holding a queryset; and, for one object (a
      `DetailView`'s `object`, `get_object_or_404()`), loops over its related manager whose
      rows read a relation (`{% for c in object.comments.all %}{{ c.author }}`). Templates
      are found like Django finds them (literal `DIRS` in the settings, then each app's
      `templates/` folder) and parsed with a lexer that matches Django's; `{% include %}`,
      `{% with %}` and `{% regroup %}` are followed. A context key `get_context_data()` sets
      once in each branch of an `if`/`elif`/`else` is checked with each branch's queryset. The
      finding sits on the template line and names the queryset to fix. Inline suppression
      comments do not work in templates: use `per-file-ignores`.
    * Template tags of the project: an inclusion or simple tag (`@register.inclusion_tag`,
      `@register.simple_tag`, `takes_context` and `name=` understood) that loops over one of its
      parameters and reads a relation per row, called from a template with rows the view's
      context holds (`{% show_changes last_changes user=user %}`). The arguments bind to the
      parameters as Django binds them; the finding sits on the read in the tag and names the
      template line and the queryset to fix. A tag name two libraries define is skipped.

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
        graph.related_all = True  # `event.orders.all()` rows are followed (see Graph)
        graph.held_rows = True  # and rows handed out from a container property
        try:
            for fq, path, fact in checked_functions(graph):
                for loop in fact.get("loops", ()):
                    self._loop(graph, report, path, fq, loop)
                for item in fact.get("refetch", ()):
                    self._refetch(graph, report, path, fq, item)
            self._hits(report, admin_hits(graph))
            self._hits(report, export_hits(graph))
            self._hits(report, template_hits(graph))
            self._hits(report, param_loop_hits(graph))
            self._drf(graph, report)
        finally:
            graph.related_all = False
            graph.held_rows = False

    def _drf(self, graph: Graph, report: ProjectReporter) -> None:
        """Serializers fed by list views (`serializer_class` + `queryset`/`get_queryset()`)
        and by `Serializer(qs, many=True)` in functions."""
        for q in sorted(graph.classes):
            path, fact = graph.classes[q]
            if is_test_or_migration(path) or not graph.foreign_bases(q) & LIST_VIEWS:
                continue
            ser = list_serializer(graph, q)  # through get_serializer_class() for "list"
            if not ser:
                continue
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

    def _hits(self, report: ProjectReporter, hits: Iterable[Hit]) -> None:
        """Report what a helper module (admin, exports, tables) found."""
        for h in hits:
            report.report(self, h.path, h.line, h.col, h.message, end_line=h.end_line,
                          end_column=h.end_col, function=h.function, chain=h.chain)

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

    def _refetch(self, graph: Graph, report: ProjectReporter, path: str, fq: str,
                 item: dict[str, Any]) -> None:
        """The loop row fetched again with `.get()` inside the loop, then a foreign key of it
        read: one more query per iteration that `.select_related()` on that lookup saves (a
        prefetch on one row would cost the same query, so only joins are suggested)."""
        resolved = graph.resolve(item["qs"], path, fq)
        if resolved is None or resolved.cov.rows != "instances":
            return
        done: set[str] = set()
        var = item["var"]
        fetch_line = item["fetch"][0]
        for acc_path, line, col, ends, store in item["acc"]:
            if store:
                acc_path = acc_path[:-1]
            issue = walk_path(graph, resolved.model, resolved.cov, acc_path)
            if issue is None or issue.kind != "select" or issue.lookup in done:
                continue
            done.add(issue.lookup)
            end_line, end_col = ends[issue.index]
            shown = ".".join([var, *[p for p in acc_path[: issue.index + 1] if p != "*"]])
            chain = frames(
                Frame(path, item["loop"][0], short(fq)),
                Frame(path, fetch_line, short(fq)),
                Frame(path, line, short(fq)),
            )
            report.report(
                self, path, line, col,
                f"N+1 query: `{shown}` is loaded by one query per iteration of the loop at line "
                f"{item['loop'][0]}, because `{var}` is fetched again at line {fetch_line} "
                f"without it; add `.select_related(\"{issue.lookup}\")` to that lookup",
                end_line=end_line, end_column=end_col, function=fq, chain=chain)
