"""django-import-export resources and django-tables2 tables for DJA300: what they read from each
row, and the querysets that feed them.

A resource reads, per row: `Field(attribute="author__name")`, a `ForeignKeyWidget` field (the
related row, then its `field`), a `ManyToManyWidget` field (`tags.all()`), `"author__name"` and
many-to-many names in `Meta.fields`, and what `dehydrate_<field>(self, obj)` reads. A plain
foreign key in `Meta.fields` is exported as `author_id` (no query). Its rows come from the
changelist of an admin that names it in `resource_class(es)`, from `Resource().export(qs)`, or,
for `Resource().export()`, from its `get_queryset()` (`Meta.model.objects.all()` by default); a
resource overriding `filter_export()` or `iter_queryset()` chooses its own rows and is skipped.

A table reads, per row: `Column(accessor="author__name")` (or `"author.name"`, `A(...)`),
columns named `"author__name"` in `Meta.fields`, foreign keys shown as text (the related row and
what its `__str__` reads), many-to-many columns, and what `render_<column>(self, record)` reads.
Its rows come from a `SingleTableView`/`SingleTableMixin` (`table_class` with `queryset`,
`model` or `get_queryset()`, unless `get_table_data()`/`table_data` replaces them), or from
`Table(qs)` in a function. Only querysets that can be seen are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stackwise.findings import Frame
from stackwise.rules.django._admin import admins, changelist
from stackwise.rules.django._drf import Read
from stackwise.rules.django._models import (
    TO_MANY,
    Coverage,
    Graph,
    Hit,
    PathIssue,
    Resolved,
    checked_functions,
    deep_issues,
    deepest,
    is_test_or_migration,
    short,
    str_reads,
)

_RESOURCE = "import_export."
_TABLE = "django_tables2."
# resource methods that can replace the rows given to `export()`
_REPLACE_ROWS = frozenset({"filter_export", "iter_queryset", "export", "export_resource"})
_TABLE_VIEWS = ("django_tables2.views.SingleTableView", "django_tables2.views.SingleTableMixin",
                "django_tables2.SingleTableView", "django_tables2.SingleTableMixin")


def _meta(graph: Graph, q: str) -> tuple[str | None, Any, list[str]]:
    """(model, Meta.fields, Meta.exclude) of a resource or table, through its bases."""
    model: str | None = None
    fields: Any = None
    exclude: list[str] = []
    for c in graph.mro(q):
        fact = graph.classes[c][1]
        meta = fact.get("meta", {})
        if model is None and meta.get("model"):
            model = graph.resolve_class(meta["model"], graph.classes[c][0])
        if fields is None and "fields" in meta:
            fields = meta["fields"]
        ex = fact.get("listing", {}).get("exclude")
        if not exclude and ex is not None:
            exclude = ex if isinstance(ex, list) else ["?"]
    return (model if model in graph.models else None), fields, exclude


def _declared(graph: Graph, q: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Class-level calls through the hierarchy: name -> (file, callee, keywords)."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for c in reversed(graph.mro(q)):
        path, fact = graph.classes[c]
        kw = fact.get("kw", {})
        for name, callee, *_rest in fact.get("calls", ()):
            out[name] = (path, callee, kw.get(name, {}))
    return out


def _methods(graph: Graph, q: str) -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for c in reversed(graph.mro(q)):
        path, fact = graph.classes[c]
        for name, entry in fact.get("row_methods", {}).items():
            out[name] = (path, entry)
    return out


def _split(lookup: str) -> list[str]:
    return lookup.replace(".", "__").split("__")


def _line(graph: Graph, q: str) -> tuple[str, int]:
    path, fact = graph.classes[q]
    return path, fact.get("listing", {}).get("fields_line") or fact["line"]


# -- what a resource or a table reads -----------------------------------------------------------


def resource_reads(graph: Graph, q: str, model: str) -> list[Read]:
    name = q.rsplit(".", 1)[-1]
    _, fields, exclude = _meta(graph, q)
    if "?" in exclude:
        return []
    listed = [f for f in fields if f != "?"] if isinstance(fields, list) else None
    out: list[Read] = []
    shown: list[str] = []
    for field, (path, callee, kw) in _declared(graph, q).items():
        if field in exclude or (listed is not None and field not in listed) or not (
                callee.startswith(_RESOURCE) or kw):
            continue
        shown.append(field)
        attribute = kw.get("attribute") or kw.get("positional")
        if not attribute or attribute == "?":
            continue
        base = _split(attribute)
        widget, key = kw.get("widget", ["", "pk"])
        if widget.endswith("ManyToManyWidget"):
            base += ["all()", "*"]
        elif widget.endswith("ForeignKeyWidget") and key not in ("pk", "?"):
            base += _split(key)
        out.append(Read(tuple(base), path, kw.get("line", 0), f"{name}.{field}"))
    path, line = _line(graph, q)
    for field in listed or ():
        if field in exclude:
            continue
        shown.append(field)
        if field in _declared(graph, q):
            continue
        if "__" in field:
            out.append(Read(tuple(_split(field)), path, line, f"{name}.{field}"))
            continue
        rel = graph.relation(model, field)
        if rel is not None and rel.kind in ("m2m", "rev_m2m", "rev_fk"):
            out.append(Read((field, "all()", "*"), path, line, f"{name}.{field}"))
    return out + _method_reads(graph, q, name, shown, "dehydrate_")


def table_reads(graph: Graph, q: str, model: str) -> list[Read]:
    name = q.rsplit(".", 1)[-1]
    _, fields, exclude = _meta(graph, q)
    if "?" in exclude:
        return []
    out: list[Read] = []
    shown: list[str] = []

    def column(field: str, accessor: str, callee: str, path: str, line: int) -> None:
        label = f"{name}.{field}"
        base = _split(accessor)
        rel = _last_relation(graph, model, base)
        if callee.endswith("ManyToManyColumn") or (rel is not None and rel.kind in TO_MANY):
            out.append(Read((*base, "all()", "*"), path, line, label))
            return
        out.append(Read(tuple(base), path, line, label))
        if rel is not None and rel.kind in ("fk", "o2o") and rel.target and (
                callee.endswith((".Column", "LinkColumn")) or not callee):
            shown = f"{label}` through `{rel.target.rsplit('.', 1)[-1]}.__str__"
            out.extend(Read((*base, *p), file, ln, shown)
                       for p, file, ln in str_reads(graph, rel.target))

    declared = _declared(graph, q)
    for field, (path, callee, kw) in declared.items():
        if field in exclude or not callee.startswith(_TABLE) or kw.get("accessor") == "?":
            continue
        shown.append(field)
        column(field, kw.get("accessor") or field, callee, path, kw.get("line", 0))
    path, line = _line(graph, q)
    for field in fields if isinstance(fields, list) else ():
        if field == "?" or field in exclude or field in declared:
            continue
        shown.append(field)
        column(field, field, "", path, line)
    return out + _method_reads(graph, q, name, shown, "render_")


def _method_reads(graph: Graph, q: str, name: str, shown: list[str], prefix: str) -> list[Read]:
    """What the per-column methods read from each row: `dehydrate_<field>` of a resource,
    `render_<column>` of a table (writes to the row are not reads)."""
    methods = _methods(graph, q)
    out: list[Read] = []
    for field in shown:
        found = methods.get(f"{prefix}{field}")
        if found is not None:
            mpath, entry = found
            out += [Read(tuple(p), mpath, ln, f"{name}.{prefix}{field}")
                    for p, ln, _c, _e, store in entry["acc"] if not store]
    return out


def _last_relation(graph: Graph, model: str, path: list[str]) -> Any:
    cur: str | None = model
    rel = None
    for el in path:
        if cur is None:
            return None
        rel = graph.relation(cur, el)
        if rel is None:
            return None
        cur = rel.target
    return rel


# -- where their rows come from -----------------------------------------------------------------


def _issues(graph: Graph, model: str, cov: Coverage,
            reads: list[Read]) -> dict[str, tuple[PathIssue, Read]]:
    """The lookups to add for `reads`, deepest along each path (`book__shelf`, not `book` then
    `book__shelf`), with the first read that needs each."""
    found: dict[str, tuple[PathIssue, Read]] = {}
    for read in reads:
        for issue in deep_issues(graph, model, cov, list(read.path)):
            found.setdefault(issue.lookup, (issue, read))
    keep = deepest({k: v[0] for k, v in found.items()})
    return {k: v for k, v in found.items() if k in keep}


def _fields_text(found: dict[str, tuple[PathIssue, Read]]) -> str:
    return "; ".join(f"`{read.field}` ({read.file}:{read.line}) reads "
                     f"`{lookup.replace('__', '.')}`" for lookup, (_, read) in found.items())


def _fix(found: dict[str, tuple[PathIssue, Read]]) -> str:
    selects = [k for k, (i, _) in found.items() if i.kind == "select"]
    prefetches = [k for k, (i, _) in found.items() if i.kind == "prefetch"]
    out = ""
    if selects:
        out += ".select_related(" + ", ".join(f'"{k}"' for k in selects) + ")"
    if prefetches:
        out += ".prefetch_related(" + ", ".join(f'"{k}"' for k in prefetches) + ")"
    return out


def _queryset_hit(graph: Graph, kind: str, q: str, reads: list[Read], resolved: Resolved,
                  at: tuple[str, int, int, int, int], function: str, who: str) -> Hit | None:
    model = _meta(graph, q)[0]
    if resolved.cov.rows != "instances" or model is None or model not in graph.mro(
            resolved.model):
        return None  # values() rows, or rows of another model: not understood
    found = _issues(graph, resolved.model, resolved.cov, reads)
    if not found:
        return None
    path, line, col, end_line, end_col = at
    built = (f"line {resolved.line}" if resolved.path == path else
             f"{resolved.path}:{resolved.line}")
    if resolved.function:
        built += f" in `{short(resolved.function)}`"
    mname = resolved.model.rsplit(".", 1)[-1]
    first = next(iter(found.values()))[1]
    chain: list[Frame] = []
    for f in (Frame(resolved.path, resolved.line, short(resolved.function or function)),
              Frame(path, line, short(function)),
              Frame(first.file, first.line, first.field.split("`")[0])):
        if not chain or (chain[-1].path, chain[-1].line) != (f.path, f.line):
            chain.append(f)
    return Hit(path, line, col,
               f"N+1 query: {kind} `{q.rsplit('.', 1)[-1]}` reads relations for each row of the "
               f"`{mname}` queryset of {who} (built at {built}): {_fields_text(found)}; add "
               f"`{_fix(found)}` to it", function, tuple(chain), end_line, end_col)


def _own_queryset(graph: Graph, q: str, model: str) -> Resolved | None:
    """What `Resource.export()` without a queryset exports: `get_queryset()`."""
    for c in graph.mro(q):
        if "get_queryset" not in graph.classes[c][1].get("methods", ()):
            continue
        found = graph.functions.get(f"{c}.get_queryset")
        ret = found[1].get("ret") if found else None
        if found is None or ret is None:
            return None
        if ret["root"][0] == "super":
            desc = {"root": ["mgr", model, "objects"], "ops": ret["ops"], "line": ret["line"]}
        else:
            desc = ret
        return graph.resolve(desc, found[0], f"{c}.get_queryset")
    path, fact = graph.classes[q]
    return graph.resolve({"root": ["mgr", model, "objects"], "ops": [], "line": fact["line"]},
                         path, "")


def _admin_export_hits(graph: Graph, resources: dict[str, list[Read]]) -> Iterator[Hit]:
    """Resources an import-export admin exports: the rows are its changelist's."""
    for admin, model in sorted(admins(graph).items()):
        path, fact = graph.classes[admin]
        named: dict[str, Any] = {}
        for c in graph.mro(admin):
            named = graph.classes[c][1].get("listing", {})
            if "resource_class" in named:
                break
        if is_test_or_migration(path) or not named.get("resource_class"):
            continue
        if any("get_export_queryset" in graph.classes[c][1].get("methods", ())
               for c in graph.mro(admin)):
            continue  # the export's rows are chosen in code we do not follow
        cl = changelist(graph, admin, model)
        if cl is None:
            continue
        name = admin.rsplit(".", 1)[-1]
        for written in named["resource_class"]:
            res = graph.resolve_class(written, path)
            reads = resources.get(res or "")
            if res is None or not reads or _meta(graph, res)[0] not in graph.mro(model):
                continue
            found = _issues(graph, model, cl.cov, reads)
            if not found:
                continue
            selects = [k for k, (i, _) in found.items() if i.kind == "select"]
            prefetches = [k for k, (i, _) in found.items() if i.kind == "prefetch"]
            fixes = []
            if selects:
                looks = "`" + ", ".join(f'"{k}"' for k in selects) + "`"
                fixes.append(f"add {looks} to the `select_related()` in `{name}.get_queryset()`"
                             if cl.own_select else f"add {looks} to `{name}.list_select_related`")
            if prefetches:
                fixes.append(f"override `{name}.get_queryset()` to add `.prefetch_related("
                             + ", ".join(f'"{k}"' for k in prefetches) + ")`")
            first = next(iter(found.values()))[1]
            rname = res.rsplit(".", 1)[-1]
            yield Hit(first.file, first.line, 1,
                      f"N+1 query in the admin export: resource `{rname}` reads relations for "
                      f"each row of the `{model.rsplit('.', 1)[-1]}` changelist `{name}` "
                      f"exports: {_fields_text(found)}; {' and '.join(fixes)}",
                      first.field, (Frame(path, fact["line"], name),
                                    Frame(first.file, first.line, first.field)))


def export_hits(graph: Graph) -> Iterator[Hit]:
    """Resources and tables whose rows' relations are read without being loaded."""
    resources: dict[str, list[Read]] = {}
    tables: dict[str, list[Read]] = {}
    for q in sorted(graph.classes):
        path, fact = graph.classes[q]
        if "bases" not in fact or is_test_or_migration(path):
            continue
        bases = graph.foreign_bases(q)
        is_resource = any(b.startswith(_RESOURCE) and b.endswith("Resource") for b in bases)
        is_table = any(b.startswith(_TABLE) and b.endswith("Table") for b in bases)
        if not (is_resource or is_table):
            continue
        model = _meta(graph, q)[0]
        if model is None:
            continue
        if is_resource:
            if any(_REPLACE_ROWS & set(graph.classes[c][1].get("methods", ()))
                   for c in graph.mro(q)):
                continue  # the rows exported are chosen in code we do not follow
            resources[q] = resource_reads(graph, q, model)
        else:
            tables[q] = table_reads(graph, q, model)
    yield from _admin_export_hits(graph, resources)
    yield from _view_table_hits(graph, tables)
    for fq, path, ffact in checked_functions(graph):
        for kind, callee, desc, pos in ffact.get("listed", ()):
            cls = graph.resolve_class(callee, path)
            pool = resources if kind == "export" else tables
            if cls is None or not pool.get(cls):
                continue
            model = _meta(graph, cls)[0]
            assert model is not None
            resolved = (graph.resolve(desc, path, fq) if desc is not None
                        else _own_queryset(graph, cls, model))
            if resolved is None:
                continue
            hit = _queryset_hit(graph, "resource" if kind == "export" else "table", cls,
                                pool[cls], resolved, (path, *pos), fq, f"`{short(fq)}`")
            if hit is not None:
                yield hit


def _view_table_hits(graph: Graph, tables: dict[str, list[Read]]) -> Iterator[Hit]:
    for q in sorted(graph.classes):
        path, fact = graph.classes[q]
        if "bases" not in fact or is_test_or_migration(path):
            continue
        if not any(b in _TABLE_VIEWS for b in graph.foreign_bases(q)):
            continue
        mro = graph.mro(q)
        if any({"get_table_data", "get_table", "get_table_class"} & set(
                graph.classes[c][1].get("methods", ())) or "table_data" in graph.classes[c][1]
               .get("listing", {}) for c in mro):
            continue
        written = None
        for c in mro:
            written = graph.classes[c][1].get("listing", {}).get("table_class")
            if written:
                break
        table = graph.resolve_class(written[0], path) if written else None
        if table is None or not tables.get(table):
            continue
        if any("get_queryset" in graph.classes[c][1].get("methods", ()) for c in mro):
            desc = {"root": ["getqs", q], "ops": [], "line": fact["line"]}
        else:
            desc = {"root": ["attr", q, "queryset"], "ops": [], "line": fact["line"]}
        resolved = graph.resolve(desc, path, "")
        if resolved is None:
            continue
        hit = _queryset_hit(graph, "table", table, tables[table], resolved,
                            (resolved.path, resolved.line, 1, 0, 0), q,
                            f"the `{q.rsplit('.', 1)[-1]}` view")
        if hit is not None:
            yield hit
