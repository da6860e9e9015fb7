"""DJA300 in templates: links views to the templates they render and finds per-row reads there.

Views come from `collect_templates` facts and the model graph: `ListView`s (`object_list`,
`<model>_list`, `context_object_name`, `page_obj`), `DetailView`/`UpdateView`/`DeleteView`
(`object`, `<model>`, `context_object_name`), querysets `get_context_data()` adds, and
`render()`-like calls whose context holds querysets or single objects. Templates are found the
way Django's loaders look for them: the literal `DIRS` of the settings first, then each app's
`templates/` folder (an app is a package holding `models.py`, `apps.py` or `views.py`); a name
found in two apps and in no `DIRS` folder is ambiguous and skipped. Templates are read with
`Project.read_text`, parsed with `_templates`, and walked with the context: `{% for %}` loops,
`{% with %}` and `{% include %}` aliases, `{% regroup %}`. A read from each row of a queryset
(`{{ book.author.name }}`, `{% for t in book.tags.all %}`) that the queryset did not load is a
`Hit`; so is a read from each row of an object's related manager (`{% for c in
object.comments.all %}{{ c.author }}`). Anything not understood is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackwise.findings import Frame
from stackwise.rules.django._models import (
    TO_MANY,
    TO_ONE,
    Coverage,
    Graph,
    Hit,
    PathIssue,
    Resolved,
    is_test_or_migration,
    short,
    walk_path,
)
from stackwise.rules.django._template_tags import bind, tag_index
from stackwise.rules.django._templates import Expr, Node, Var, parse
from stackwise.rules.django.collect_templates import ALTERNATIVES, TEMPLATES

_LIST_VIEWS = frozenset({"django.views.generic.ListView", "django.views.generic.list.ListView"})
_OBJECT_VIEWS = {
    "django.views.generic.DetailView": "_detail",
    "django.views.generic.detail.DetailView": "_detail",
    "django.views.generic.UpdateView": "_form",
    "django.views.generic.edit.UpdateView": "_form",
    "django.views.generic.DeleteView": "_confirm_delete",
    "django.views.generic.edit.DeleteView": "_confirm_delete",
}
# methods whose override makes the context or the template of a generic view unknown
_LIST_OVERRIDES = frozenset({"get_template_names", "get", "get_context_object_name"})
_OBJECT_OVERRIDES = frozenset({"get_template_names", "get", "get_object",
                               "get_context_object_name"})
# attributes a template calls without parentheses that are queryset methods
_CALLED = frozenset({"all", "count", "exists", "first", "last", "none", "iterator", "values",
                     "values_list", "distinct", "order_by", "reverse"})
_ROW_FILTERS = frozenset({"slice"})  # filters that keep the rows of a sequence as they are
_MAX_INCLUDE_DEPTH = 6


@dataclass(frozen=True)
class Source:
    """A context variable holding querysets rows (`many`) or one object fetched by a queryset."""

    name: str  # as the template names it
    model: str
    cov: Coverage
    many: bool
    resolved: Resolved
    model_only: str  # the view's short name when it sets only `model` (no queryset to edit)
    frames: tuple[Frame, ...]  # the view, then where its queryset is built

    def fix(self, method: str, lookup: str) -> str:
        if self.model_only:
            model = self.model.rsplit(".", 1)[-1]
            return (f"set `queryset = {model}.objects.{method}(\"{lookup}\")` on "
                    f"`{self.model_only}` ({self.resolved.path}:{self.resolved.line})")
        return f"add `.{method}(\"{lookup}\")` to the queryset at {self.where()}"

    def where(self) -> str:
        r = self.resolved
        fn = f" (in `{short(r.function)}`)" if r.function else ""
        return f"{r.path}:{r.line}{fn}"


@dataclass(frozen=True)
class Binding:
    """What a template name holds: rows of a source, one row, a page or regrouped rows."""

    src: Source
    path: tuple[str, ...]  # from a row of the source (from the object for a single source)
    kind: str  # row | rows | page | groups | group
    label: str = ""  # how the template spells the rows a `row` comes from


Env = dict[str, Binding | None]


@dataclass(frozen=True)
class _At:
    """Where the walk is: the template's path, the names it was loaded by (includes last) and
    the `{% include %}` tags that led there (innermost first)."""

    path: str
    names: tuple[str, ...]
    via: tuple[Frame, ...]


def _convert(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Template lookups as `walk_path` elements: `tags.all.0` -> `tags`, `all()`, `[]`."""
    return tuple("[]" if p.isdecimal() else (p + "()" if p in _CALLED else p) for p in parts)


class _Templates:
    """Finds and parses templates; every file read goes through `Project.read_text`."""

    def __init__(self, graph: Graph, dirs: list[str]) -> None:
        self.project = graph.project
        self.dirs = dirs
        files = graph.project.files
        apps: set[str] = set()
        for path in files:
            parts = path.split("/")
            if parts[-1] in ("models.py", "apps.py", "views.py"):
                folder = "/".join(parts[:-1])
            elif parts[-2:] in (["models", "__init__.py"], ["views", "__init__.py"]):
                folder = "/".join(parts[:-2])
            else:
                continue
            if folder and f"{folder}/__init__.py" in files:
                apps.add(folder)
        self.apps = sorted(apps)
        self._found: dict[str, tuple[str, list[Node]] | None] = {}

    def find(self, name: str) -> tuple[str, list[Node]] | None:
        """(path, nodes) of the template Django would load for `name`, or None."""
        if name in self._found:
            return self._found[name]
        self._found[name] = None
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            return None
        hit: tuple[str, str] | None = None
        for d in self.dirs:
            path = f"{d}/{name}" if d else name
            text = self.project.read_text(path)
            if text is not None:
                hit = (path, text)
                break
        if hit is None:
            hits = []
            for app in self.apps:
                path = f"{app}/templates/{name}"
                text = self.project.read_text(path)
                if text is not None:
                    hits.append((path, text))
            if len(hits) != 1:
                return None  # not found, or found in two apps (the order of INSTALLED_APPS
                # decides, and we do not know it)
            hit = hits[0]
        nodes = parse(hit[1])
        found = (hit[0], nodes) if nodes is not None else None
        self._found[name] = found
        return found


class TemplateChecker:
    """Walks the templates each view renders with what its context holds."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.views: dict[str, dict[str, Any]] = {}
        self.renders: list[tuple[str, dict[str, Any]]] = []
        dirs: list[str] = []
        for path in sorted(graph.project.files):
            for entry in graph.project.files[path].extra.get(TEMPLATES, ()):
                kind = entry["k"]
                if kind == "view":
                    self.views.setdefault(entry["q"], entry)
                elif kind == "render" and not is_test_or_migration(path):
                    self.renders.append((path, entry))
                elif kind == "dirs":
                    for ups, parts in entry["dirs"]:
                        d = _settings_dir(path, ups, parts)
                        if d is not None and d not in dirs:
                            dirs.append(d)
        self.templates = _Templates(graph, dirs)
        self.hits: list[Hit] = []
        self._done: set[tuple[str, int, int]] = set()
        self._tags: dict[str, tuple[str, str, dict[str, Any]]] | None = None  # see tag_index
        self._tag_fixes: set[tuple[str, int, str]] = set()
        self._fixes: set[tuple[str, str, str]] = set()

    # -- views -------------------------------------------------------------------------------

    def run(self) -> list[Hit]:
        graph = self.graph
        for q in sorted(graph.classes):
            path, fact = graph.classes[q]
            if is_test_or_migration(path):
                continue
            bases = graph.foreign_bases(q)
            if bases & _LIST_VIEWS:
                self._list_view(q, path, fact)
            else:
                suffixes = {_OBJECT_VIEWS[b] for b in bases if b in _OBJECT_VIEWS}
                if len(suffixes) == 1:
                    self._object_view(q, path, fact, suffixes.pop())
        for path, entry in self.renders:
            self._render(path, entry)
        return self.hits

    def _methods(self, q: str) -> set[str]:
        out: set[str] = set()
        for c in self.graph.mro(q):
            out.update(self.graph.classes[c][1].get("methods", ()))
        return out

    def _attr(self, q: str, name: str) -> Any:
        for c in self.graph.mro(q):
            entry = self.views.get(c)
            if entry is not None and name in entry["attrs"]:
                return entry["attrs"][name]
        return None

    def _view_source(self, q: str, path: str,
                     fact: dict[str, Any]) -> tuple[Resolved, str] | None:
        graph = self.graph
        resolved = graph.resolve({"root": ["getqs", q], "ops": [], "line": fact["line"]}, path,
                                 "")
        if resolved is None or resolved.cov.rows != "instances" or (
                resolved.model not in graph.models):
            return None
        model_only = ""
        for c in graph.mro(q):
            cfact = graph.classes[c][1]
            if "get_queryset" in cfact.get("methods", ()):
                break
            attrs = cfact.get("attrs", {})
            if "queryset" in attrs:
                break
            if "model" in attrs:
                model_only = c.rsplit(".", 1)[-1]
                break
        return resolved, model_only

    def _template_names(self, q: str, resolved: Resolved, suffix: str) -> list[str] | None:
        names: list[str] = []
        chosen = self._attr(q, "template_name")
        if chosen == "?":
            return None
        if chosen:
            names.append(chosen)
        own = self._attr(q, "template_name_suffix")
        if own == "?":
            return None
        model = self.graph.models[resolved.model]
        names.append(f"{model.label}/{model.name.lower()}{own or suffix}.html")
        return names

    def _generic_view(
        self, q: str, path: str, fact: dict[str, Any], overrides: frozenset[str], suffix: str,
    ) -> tuple[Resolved, str, list[str], Frame, tuple[Frame, ...], str | None] | None:
        """What a generic list or detail view renders from: its queryset (and the view's name
        when it only sets `model`), its template names, its frame and the frames of the
        queryset, and its literal `context_object_name`; None when that cannot be known."""
        if self._methods(q) & overrides:
            return None
        found = self._view_source(q, path, fact)
        if found is None:
            return None
        resolved, model_only = found
        names = self._template_names(q, resolved, suffix)
        if names is None:
            return None
        view = Frame(path, fact["line"], short(q))
        frames = _frames(view, Frame(resolved.path, resolved.line,
                                     short(resolved.function or q)))
        chosen = self._attr(q, "context_object_name")
        return resolved, model_only, names, view, frames, None if chosen == "?" else chosen

    def _list_view(self, q: str, path: str, fact: dict[str, Any]) -> None:
        found = self._generic_view(q, path, fact, _LIST_OVERRIDES, "_list")
        if found is None:
            return
        resolved, model_only, names, view, frames, chosen = found
        env: Env = {}
        model_name = self.graph.models[resolved.model].name.lower()
        for name in ("object_list", chosen or f"{model_name}_list"):
            src = Source(name, resolved.model, resolved.cov, True, resolved, model_only, frames)
            env[name] = Binding(src, (), "rows")
        if self._attr(q, "paginate_by"):
            src = Source("page_obj", resolved.model, resolved.cov, True, resolved, model_only,
                         frames)
            env["page_obj"] = Binding(src, (), "page")
        more = self._extra_context(q, path, env, view)
        for each in (env, *more):
            self._render_names(names, each, view)

    def _object_view(self, q: str, path: str, fact: dict[str, Any], suffix: str) -> None:
        found = self._generic_view(q, path, fact, _OBJECT_OVERRIDES, suffix)
        if found is None:
            return
        resolved, model_only, names, view, frames, chosen = found
        env: Env = {}
        for name in ("object", chosen or self.graph.models[resolved.model].name.lower()):
            src = Source(name, resolved.model, resolved.cov, False, resolved, model_only, frames)
            env[name] = Binding(src, (), "row")
        more = self._extra_context(q, path, env, view)
        for each in (env, *more):
            self._render_names(names, each, view)

    def _extra_context(self, q: str, path: str, env: Env, view: Frame) -> list[Env]:
        """What the `get_context_data()` of the view and its bases add (the first one wins),
        and, for a key set in exclusive branches, one more context per branch's value."""
        seen: set[str] = set()
        branches: list[tuple[str, list[Binding]]] = []
        for c in self.graph.mro(q):
            entry = self.views.get(c)
            if entry is None:
                continue
            cpath = self.graph.classes[c][0]
            for key, value in entry["ctx"].items():
                if key in seen:
                    continue
                seen.add(key)
                fn = f"{c}.get_context_data"
                if value is not None and value[0] == ALTERNATIVES:
                    env[key] = None
                    found = [self._binding(key, v, cpath, fn, view) for v in value[1]]
                    branches.append((key, [b for b in found if b is not None]))
                else:
                    env[key] = self._binding(key, value, cpath, fn, view)
        del path
        return [{**env, key: b} for key, found in branches for b in found]

    def _binding(self, key: str, value: list[Any] | None, path: str, fn: str,
                 view: Frame) -> Binding | None:
        if value is None:
            return None
        kind, desc, _line = value
        resolved = self.graph.resolve(desc, path, fn)
        if resolved is None or resolved.cov.rows != "instances" or (
                resolved.model not in self.graph.models):
            return None
        frames = _frames(view, Frame(resolved.path, resolved.line,
                                     short(resolved.function or fn)))
        src = Source(key, resolved.model, resolved.cov, kind == "qs", resolved, "", frames)
        return Binding(src, (), "rows" if kind == "qs" else "row")

    def _render(self, path: str, entry: dict[str, Any]) -> None:
        fn = entry["fn"]
        view = Frame(path, entry["line"], short(fn))
        env: Env = {}
        for key, value in sorted(entry["ctx"].items()):
            env[key] = self._binding(key, value, path, fn, view)
        if any(b is not None for b in env.values()):
            self._render_names([entry["tpl"]], env, view)

    def _render_names(self, names: list[str], env: Env, view: Frame) -> None:
        if not any(b is not None for b in env.values()):
            return
        for name in names:
            found = self.templates.find(name)
            if found is not None:
                path, nodes = found
                self._walk(nodes, env, _At(path, (name,), ()))
                return

    # -- templates ----------------------------------------------------------------------------

    def _walk(self, nodes: list[Node], env: Env, at: _At) -> None:
        for node in nodes:
            tag = node.tag
            if tag == "for":
                seq = node.reads[0]
                self._reads([seq], env, at)
                row = self._iterate(seq, env)
                inner = dict(env)
                inner["forloop"] = None
                for n in node.names:
                    inner[n] = None
                if row is not None and len(node.names) == 1:
                    inner[node.names[0]] = row
                self._walk(node.body, inner, at)
                self._walk(node.other, env, at)
            elif tag == "with":
                self._reads(node.reads, env, at)
                inner = dict(env)
                for i, n in enumerate(node.names):
                    inner[n] = self._alias(node.reads[i], env) if i < len(node.reads) else None
                self._walk(node.body, inner, at)
            elif tag == "ifchanged":
                self._reads(node.reads, env, at)
                # with arguments, the body runs once per distinct value, not once per row
                body_env = {k: (None if node.reads and b is not None and _per_row(b) else b)
                            for k, b in env.items()}
                self._walk(node.body, body_env, at)
                self._walk(node.other, env, at)
            elif tag == "include":
                self._reads(node.reads, env, at)
                self._include(node, env, at)
            elif tag == "regroup":
                self._regroup(node, env, at)
            elif tag == "call":
                self._tag_call(node, env, at)
            else:
                self._reads(node.reads, env, at)
                for n in node.names:
                    env[n] = None
                self._walk(node.body, env, at)
                self._walk(node.other, env, at)

    def _include(self, node: Node, env: Env, at: _At) -> None:
        if not node.arg or node.arg in at.names or len(at.names) > _MAX_INCLUDE_DEPTH:
            return
        inner: Env = {} if node.flag else dict(env)
        for i, n in enumerate(node.names):
            inner[n] = self._alias(node.reads[i], env)
        if not any(b is not None for b in inner.values()):
            return
        found = self.templates.find(node.arg)
        if found is None:
            return
        path, nodes = found
        frame = Frame(at.path, node.line, at.names[-1])
        self._walk(nodes, inner, _At(path, (*at.names, node.arg), (frame, *at.via)))

    def _tag_call(self, node: Node, env: Env, at: _At) -> None:
        """`{% show_changes last_changes %}`: a template tag of the project that loops over a
        parameter reads relations from each row of what the template passes it."""
        if self._tags is None:
            self._tags = tag_index(self.graph)
        found = self._tags.get(node.arg)
        if found is None:
            return
        fq, path, fact = found
        bound = bind(fact, node)
        if bound is None:
            return
        call = Frame(at.path, node.line, at.names[-1])
        for loop in fact.get("ploops", ()):
            expr = bound.get(loop["param"])
            row = self._iterate(expr, env) if expr is not None and not loop["ops"] else None
            if row is None or not row.src.many:
                continue
            src = row.src
            for acc_path, line, col, ends, store in loop["acc"]:
                if store:
                    acc_path = acc_path[:-1]
                issue = walk_path(self.graph, src.model, src.cov, [*row.path, *acc_path])
                index = issue.index - len(row.path) if issue is not None else -1
                if issue is None or issue.kind == "query" or index < 0:
                    continue
                place = (path, line, col)
                once = (path, int(loop["loop"][0]), issue.lookup)  # one fix covers the loop
                if place in self._done or once in self._tag_fixes:
                    continue
                self._done.add(place)
                self._tag_fixes.add(once)
                self.hits.append(self._tag_hit(node, at, call, fq, path, loop, acc_path,
                                               issue, index, line, col, ends[index], src))

    def _tag_hit(self, node: Node, at: _At, call: Frame, fq: str, path: str,
                 loop: dict[str, Any], acc_path: list[str], issue: PathIssue, index: int,
                 line: int, col: int, end: list[int], src: Source) -> Hit:
        upto = index + 1
        if issue.kind == "prefetch" and upto < len(acc_path) and acc_path[upto].endswith("()"):
            upto += 1
        shown = ".".join([loop["var"], *[p for p in acc_path[:upto] if p != "*"]])
        model = src.model.rsplit(".", 1)[-1]
        passed = (f"the `{model}` rows of `{src.name}` that `{{% {node.arg} %}}` gets at "
                  f"{at.path}:{node.line}")
        if issue.kind == "deferred":
            message = (f"`{shown}` was deferred on {passed} and is loaded by one query per row; "
                       f"add `\"{issue.lookup}\"` to the `.only()` of the queryset at "
                       f"{src.where()} (or drop it from `.defer()`)")
        else:
            method = "select_related" if issue.kind == "select" else "prefetch_related"
            verb = "is loaded by one query" if issue.kind == "select" else "runs one query"
            message = (f"N+1 query: `{shown}` {verb} per row of {passed}; "
                       f"{src.fix(method, issue.lookup)}")
        # from the queryset and the view to the tag call, then into the tag's loop
        chain = _frames(*reversed(src.frames), *reversed(at.via), call,
                        Frame(path, loop["loop"][0], short(fq)), Frame(path, line, short(fq)))
        return Hit(path, line, col, message, fq, chain, end[0], end[1])

    def _regroup(self, node: Node, env: Env, at: _At) -> None:
        seq = node.reads[0]
        self._reads([seq], env, at)
        row = self._iterate(seq, env)
        name = node.names[0]
        if row is None:
            env[name] = None
            return
        by = node.reads[1].var if len(node.reads) > 1 else None
        if by is not None:
            # `{% regroup books by author.name as x %}` reads `author.name` from every row
            start = by.columns[0][0]
            self._read(row, Var(("", *by.parts), by.line, ((start, start), *by.columns)), at)
        env[name] = Binding(row.src, row.path, "groups", row.label)

    def _iterate(self, seq: Expr, env: Env) -> Binding | None:
        """The binding of the loop variable of `{% for x in seq %}`, when rows are known."""
        var = seq.var
        if var is None or any(name not in _ROW_FILTERS for name, _ in seq.filters):
            return None
        b = env.get(var.name)
        if b is None:
            return None
        parts = _convert(var.parts[1:])
        label = ".".join(var.parts)
        if b.kind == "rows" and not parts:
            return Binding(b.src, (*b.path, "*") if b.path else (), "row", label)
        if b.kind == "page" and parts in ((), ("object_list",)):
            return Binding(b.src, (), "row", label)
        if b.kind == "groups" and not parts:
            return Binding(b.src, b.path, "group", label)
        if b.kind == "group" and parts == ("list",):
            return Binding(b.src, b.path, "row", label)
        if b.kind == "row" and len(parts) >= 2 and parts[-1] == "all()":
            return Binding(b.src, (*b.path, *parts, "*"), "row", label)
        return None

    def _alias(self, expr: Expr, env: Env) -> Binding | None:
        """What `{% with x=expr %}` binds `x` to."""
        var = expr.var
        if var is None or expr.filters:
            return None
        b = env.get(var.name)
        if b is None:
            return None
        parts = _convert(var.parts[1:])
        if not parts:
            return b
        if b.kind != "row" or any(p.endswith("()") for p in parts[:-1]) or parts[-1] == "[]":
            return None
        kind = "rows" if parts[-1] == "all()" else "row"
        if parts[-1].endswith("()") and kind != "rows":
            return None
        return Binding(b.src, (*b.path, *parts), kind, b.label)

    def _reads(self, exprs: list[Expr], env: Env, at: _At) -> None:
        for e in exprs:
            for var in e.reads():
                b = env.get(var.name)
                if b is not None and b.kind == "row":
                    self._read(b, var, at)

    def _read(self, b: Binding, var: Var, at: _At) -> None:
        """Report `var` (read from row binding `b`) when it runs a query per row."""
        rest = _convert(var.parts[1:])
        full = (*b.path, *rest)
        src = b.src
        graph = self.graph
        if src.many:
            issue = walk_path(graph, src.model, src.cov, list(full))
            if issue is None or issue.kind == "query" or issue.index < len(b.path):
                return
            kind, lookup, index = issue.kind, issue.lookup, issue.index - len(b.path)
            to_one = kind == "select"
            if kind == "select" and _through_many(graph, src.model, lookup):
                kind = "prefetch"
        else:
            found = self._single(src, full, len(b.path))
            if found is None:
                return
            kind, lookup, index, to_one = found
        upto = index + 1
        if not to_one and upto < len(rest) and rest[upto].endswith("()"):
            upto += 1  # `book.tags.all`
        # one finding per place, and per template, rows and lookup (one fix covers them all,
        # and a template several views render is reported for the first of them)
        place = (at.path, var.line, var.columns[0][0])
        once = (at.path, src.name, lookup)
        if place in self._done or once in self._fixes:
            return
        self._done.add(place)
        self._fixes.add(once)
        shown = ".".join(p for p in var.parts[:upto + 1] if p)
        rows = f"`{b.label}`" if b.label else f"`{src.name}`"
        model = src.model.rsplit(".", 1)[-1]
        if kind == "deferred":
            fix = (f"add `\"{lookup}\"` to the `.only()` of the queryset at {src.where()} "
                   f"(or drop it from `.defer()`)")
            message = (f"N+1 query in template: `{shown}` was deferred on the `{model}` "
                       f"queryset of `{src.name}` and is loaded by one query per row of {rows}; "
                       f"{fix}")
        else:
            method = "select_related" if kind == "select" else "prefetch_related"
            verb = "is loaded by one query" if to_one else "runs one query"
            whose = "" if src.many else f" (the `{model}` in `{src.name}`)"
            message = (f"N+1 query in template: `{shown}` {verb} per row of {rows}{whose}; "
                       f"{src.fix(method, lookup)}")
        start = var.columns[0][0]
        end = var.columns[min(upto, len(var.columns) - 1)][1]
        self.hits.append(Hit(
            at.path, var.line, start, message, "",
            _frames(Frame(at.path, var.line, at.names[-1]), *at.via, *src.frames),
            var.line, end))

    def _single(self, src: Source, full: tuple[str, ...],
                prefix_len: int) -> tuple[str, str, int, bool] | None:
        """For rows of a related manager of one object (`object.comments.all`): (kind, lookup,
        index in the read, whether it is a to-one hop) of the first hop that runs a query per
        row, or None."""
        if "*" not in full:
            return None
        k = full.index("*")
        head = full[:k]
        if len(head) < 2 or head[-1] != "all()":
            return None
        graph = self.graph
        cur = src.model
        look = ""
        fresh = False
        rel = None
        for el in head[:-1]:
            rel = graph.relation(cur, el)
            if rel is None or rel.target is None:
                return None
            look = f"{look}__{el}" if look else el
            if not src.cov.covers(look, to_one=rel.kind in TO_ONE):
                fresh = True
            cur = rel.target
        if rel is None or rel.kind not in TO_MANY:
            return None
        if not fresh:  # the rows come from a prefetch: what it loads counts
            issue = walk_path(graph, src.model, src.cov, list(full))
            if issue is None or issue.kind not in ("select", "prefetch") or issue.index <= k:
                return None
            return ("prefetch", issue.lookup, issue.index - prefix_len,
                    issue.kind == "select")
        base = graph.resolve({"root": ["mgr", cur, "_default_manager"], "ops": [], "line": 0})
        if base is None or base.cov.rows != "instances":
            return None
        issue = walk_path(graph, cur, base.cov, list(full[k + 1:]))
        if issue is None or issue.kind not in ("select", "prefetch"):
            return None
        at = k + 1 + issue.index - prefix_len
        if at < 0:
            return None
        return "prefetch", f"{look}__{issue.lookup}", at, issue.kind == "select"


def _per_row(b: Binding) -> bool:
    return b.kind == "row" and (b.src.many or "*" in b.path)


def _through_many(graph: Graph, model: str, lookup: str) -> bool:
    """Whether a `__` lookup crosses a to-many relation (then only prefetch_related() loads
    it)."""
    cur: str | None = model
    for el in lookup.split("__")[:-1]:
        if cur is None:
            return True
        rel = graph.relation(cur, el)
        if rel is None or rel.kind in TO_MANY:
            return True
        cur = rel.target
    return False


def _settings_dir(settings_path: str, ups: int, parts: list[str]) -> str | None:
    """The project-relative folder `ups` levels above a settings file, joined with `parts`."""
    base = settings_path.split("/")
    if ups < 1 or ups > len(base):
        return None
    kept = base[: len(base) - ups] if ups else base
    out = [*kept, *parts]
    return "/".join(out)


def _frames(*chain: Frame) -> tuple[Frame, ...]:
    out: list[Frame] = []
    for f in chain:
        if not out or out[-1] != f:
            out.append(f)
    return tuple(out)


def template_hits(graph: Graph) -> list[Hit]:
    """Every per-row read of an unloaded relation in the templates the project's views render."""
    return TemplateChecker(graph).run()
