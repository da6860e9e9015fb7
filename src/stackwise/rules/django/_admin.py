"""The Django admin changelist for DJA300: what it loads with its rows, and which `list_display`
columns read a relation of each row.

Columns that read per row: `list_display` methods (`def author_name(self, obj)`), `"author__name"`
lookups (Django 5.1+), foreign keys shown as text (`"author"`: the related row, then its
`__str__`), and `"__str__"` (the default `list_display`), whose reads come from the model's
`__str__`. What the changelist loads follows `ChangeList.get_queryset()`: the default manager,
`ModelAdmin.get_queryset()`, then, only when that did not call `select_related()` already,
`list_select_related` (`True`, a list, or, when it is `False`, `select_related()` for a foreign
key named directly in `list_display`; `"author__name"` is not a field of the model, so it does not
count, and `"author_id"` needs no join).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stackwise.findings import Frame
from stackwise.rules.django._models import (
    Coverage,
    Graph,
    Hit,
    PathIssue,
    deep_issues,
    deepest,
    is_test_or_migration,
    str_reads,
)

# admin bases whose changelist is Django's own (no other queryset, columns or joins)
_PLAIN_ADMIN = ("django.contrib.admin.", "import_export.admin.")
# methods that replace the changelist, its columns or its rows (`get_urls()` may drop the list)
_OWN_CHANGELIST = frozenset({"get_urls", "changelist_view", "get_changelist",
                             "get_changelist_instance", "get_list_display",
                             "get_list_select_related"})


@dataclass
class Changelist:
    """The rows an admin changelist lists."""

    cov: Coverage
    columns: list[str]
    own_select: bool  # `get_queryset()` (or the manager) calls select_related(): Django adds none
    chosen: Any  # list_select_related as written


@dataclass(frozen=True)
class Site:
    """Where an admin class is registered for a model."""

    model: str
    path: str  # the `admin.site.register(...)` call, or the decorated class
    line: int
    shared: bool  # the class is registered for more than one model


def admin_sites(graph: Graph) -> dict[str, Site]:
    """ModelAdmin class -> the (first) model it is registered for, and where."""
    out: dict[str, Site] = {}
    count: dict[str, int] = {}
    for q in sorted(graph.classes):
        path, fact = graph.classes[q]
        for m in fact.get("attrs", {}).get("registers", ()):
            model = graph.resolve_class(m, path)
            if model is not None and model in graph.models:
                count[q] = count.get(q, 0) + 1
                out.setdefault(q, Site(model, path, fact["line"], False))
    for key in graph.registered:
        path, m, a = key
        model = graph.resolve_class(m, path)
        admin = graph.resolve_class(a, path)
        if model is not None and model in graph.models and admin is not None:
            count[admin] = count.get(admin, 0) + 1
            out.setdefault(admin, Site(model, path, graph.register_lines.get(key, 0), False))
    return {q: Site(s.model, s.path, s.line, count[q] > 1) for q, s in out.items()}


def admins(graph: Graph) -> dict[str, str]:
    """ModelAdmin class -> the model it is registered for."""
    return {q: s.model for q, s in admin_sites(graph).items()}


def changelist(graph: Graph, admin: str | None, model: str) -> Changelist | None:
    """What the changelist of `admin` (None: the default `ModelAdmin`) loads, or None."""
    if admin is not None and (not all(
            b.startswith(_PLAIN_ADMIN) for b in graph.foreign_bases(admin)) or any(
                _OWN_CHANGELIST & set(graph.classes[c][1].get("methods", ()))
                for c in graph.mro(admin))):
        return None
    base = graph.resolve({"root": ["mgr", model, "_default_manager"], "ops": [], "line": 0})
    if base is None:
        return None
    cov = base.cov
    if admin is not None and not graph.admin_queryset_ops(admin, cov):
        return None
    written = graph.class_attr(admin, "list_display") if admin is not None else None
    if written is not None and not isinstance(written, list):
        return None
    columns = [c for c in written if c != "?"] if written is not None else ["__str__"]
    chosen = graph.class_attr(admin, "list_select_related") if admin is not None else None
    if "select_related" in cov.ops:
        return Changelist(cov, columns, True, chosen)
    if chosen is True:
        cov.select_all = True
    elif chosen is None or chosen is False:
        if any(rel.kind in ("fk", "o2o") for c in columns
               if (rel := graph.relation(model, c)) is not None):
            cov.select_all = True  # ChangeList.has_related_field_in_list_display()
    elif isinstance(chosen, list) and "?" not in chosen:
        if chosen:  # an empty list turns the automatic select_related() off
            cov.apply_related("select_related", chosen)
    else:
        return None
    return Changelist(cov, columns, False, chosen)


@dataclass(frozen=True)
class _Read:
    column: str
    path: list[str]
    line: int
    col: int
    ends: list[list[int]] | None  # per path element, for reads written in a method
    via: str  # how the column reads it, for the message
    where: tuple[str, int] | None  # a `__str__` read: its file and line


def _column_reads(graph: Graph, admin: str | None, model: str, column: str,
                  at: int) -> Iterator[_Read]:
    reads = graph.classes[admin][1].get("attrs", {}).get("row_reads", {}) if admin else {}
    if column in reads:
        entry = reads[column]
        for acc_path, line, col, ends, store in entry["acc"]:
            if not store:
                yield _Read(column, acc_path, line, col, ends, entry["var"], None)
        return
    if admin is not None and any(column in graph.classes[c][1].get("methods", ())
                                 for c in graph.mro(admin)):
        return  # a method of the admin whose reads are not known
    if column == "__str__":
        for path, file, line in str_reads(graph, model):
            yield _Read(column, path, at, 1, None, "self", (file, line))
        return
    if "__" in column:
        yield _Read(column, column.split("__"), at, 1, None, "obj", None)
        return
    rel = graph.relation(model, column)
    if rel is None or rel.kind not in ("fk", "o2o") or rel.target is None:
        return
    yield _Read(column, [column], at, 1, None, "obj", None)
    for path, file, line in str_reads(graph, rel.target):
        yield _Read(column, [column, *path], at, 1, None, "obj", (file, line))


def _target(graph: Graph, model: str, column: str) -> str:
    rel = graph.relation(model, column)
    return rel.target if rel is not None and rel.target else model


def _method_fix(issue: PathIssue, name: str, cl: Changelist) -> str:
    if issue.kind == "prefetch":
        return f"override `{name}.get_queryset()` to add `.prefetch_related(\"{issue.lookup}\")`"
    return _select_fix([issue.lookup], name, cl, None)


def _select_fix(lookups: list[str], name: str | None, cl: Changelist, model: str | None) -> str:
    looks = ", ".join(f'"{k}"' for k in lookups)
    if name is None or model is not None:
        return (f"register `{model}` with a `ModelAdmin` that sets "
                f"`list_select_related = [{looks}]`")
    if cl.own_select:
        return (f"add `{looks}` to the `select_related()` `{name}.get_queryset()` calls "
                f"(Django then ignores `list_select_related`)")
    if isinstance(cl.chosen, list) and cl.chosen:
        return f"add `{looks}` to `{name}.list_select_related`"
    return f"add `list_select_related = [{looks}]` to `{name}`"


def _hits(graph: Graph, admin: str | None, model: str, site: Site) -> Iterator[Hit]:
    cl = changelist(graph, admin, model)
    if cl is None:
        return
    name = admin.rsplit(".", 1)[-1] if admin is not None else None
    label = name or "admin.site.register"
    fact = graph.classes[admin][1] if admin is not None else {}
    path, at = (graph.classes[admin][0], fact["listing"]["ld_line"]) if admin is not None and (
        fact.get("listing", {}).get("ld_line")) else (site.path, site.line)
    mname = model.rsplit(".", 1)[-1]
    done: set[str] = set()
    found: dict[str, PathIssue] = {}
    parts: dict[str, list[str]] = {}  # how a column reads -> what it reads
    frames = [Frame(site.path, site.line, label)]
    for column in cl.columns:
        for read in _column_reads(graph, admin, model, column, at):
            every = deep_issues(graph, model, cl.cov, read.path)
            issues = [i for i in every if i.lookup not in done]
            if not issues:
                continue
            if read.ends is not None:  # a `list_display` method: one finding per relation
                assert admin is not None and name is not None
                issue = every[0]
                if issue.lookup in done:
                    continue
                done.add(issue.lookup)
                upto = issue.index + 1
                if issue.kind == "prefetch" and upto < len(read.path):
                    upto += 1
                shown = ".".join([read.via, *[p for p in read.path[:upto] if p != "*"]])
                end_line, end_col = read.ends[issue.index]
                mpath = graph.classes[admin][0]
                yield Hit(mpath, read.line, read.col,
                          f"N+1 query in the admin list: `{shown}` in the `list_display` column "
                          f"`{column}` runs one query per row of the `{mname}` changelist; "
                          f"{_method_fix(issue, name, cl)}",
                          f"{admin}.{column}",
                          (Frame(mpath, fact["line"], name),
                           Frame(mpath, fact.get("attrs", {}).get("row_reads", {}).get(
                               column, {}).get("line", read.line), f"{name}.{column}"),
                           Frame(mpath, read.line, f"{name}.{column}")),
                          end_line, end_col)
                continue
            for issue in issues:
                done.add(issue.lookup)
                found[issue.lookup] = issue
            issue = issues[-1]
            upto = issue.index + 1
            if issue.kind == "prefetch" and upto < len(read.path):
                upto += 1
            if read.where is not None:
                file, str_line = read.where
                skip = 0 if column == "__str__" else 1  # `author` then Author.__str__'s path
                tname = (model if skip == 0 else _target(graph, model, column)).rsplit(".", 1)[-1]
                inner = ".".join(["self", *[p for p in read.path[skip:upto] if p != "*"]])
                shows = (f"the column `\"{column}\"` shows each `{tname}` through"
                         if skip else "each row is shown through")
                key = f"{shows} `{tname}.__str__` ({file}:{str_line}), which reads"
                if not any(k.startswith(f"{shows} `{tname}.__str__`") for k in parts):
                    frames.append(Frame(file, str_line, f"{tname}.__str__"))
                key = next((k for k in parts if k.startswith(f"{shows} `{tname}.__str__`")), key)
                parts.setdefault(key, []).append(f"`{inner}`")
            else:
                shown = ".".join(["obj", *[p for p in read.path[:upto] if p != "*"]])
                parts.setdefault(f"the column `\"{column}\"` reads", []).append(f"`{shown}`")
    if not found:
        return
    keep = deepest(found)
    selects = [k for k in keep if found[k].kind == "select"]
    prefetches = [k for k in keep if found[k].kind == "prefetch"]
    fixes = []
    if selects:
        fixes.append(_select_fix(selects, name, cl, mname if site.shared or name is None
                                 else None))
    if prefetches:
        looks = ", ".join(f'"{k}"' for k in prefetches)
        fixes.append(f"override `{name}.get_queryset()` to add `.prefetch_related({looks})`"
                     if name is not None and not site.shared else
                     f"register `{mname}` with a `ModelAdmin` whose `get_queryset()` adds "
                     f"`.prefetch_related({looks})`")
    if (path, at) != (site.path, site.line):
        frames.append(Frame(path, at, label))
    yield Hit(path, at, 1,
              f"N+1 query in the admin list of `{mname}`: "
              f"{'; '.join(k + ' ' + ', '.join(v) for k, v in parts.items())}; one query per "
              f"row of the changelist; {' and '.join(fixes)}",
              admin or "", tuple(frames))


def admin_hits(graph: Graph) -> Iterator[Hit]:
    """Every `list_display` column of a registered admin (or of the default `ModelAdmin` of
    `admin.site.register(Model)`) that runs a query per row of the changelist."""
    for admin, site in sorted(admin_sites(graph).items()):
        path = graph.classes[admin][0]
        if not is_test_or_migration(path) and not is_test_or_migration(site.path):
            yield from _hits(graph, admin, site.model, site)
    for path, line, m in sorted(set(graph.registered_plain)):
        found = graph.resolve_class(m, path)
        if found is not None and found in graph.models and not is_test_or_migration(path):
            yield from _hits(graph, None, found, Site(found, path, line, False))
