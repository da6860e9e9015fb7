"""What a Django REST framework serializer reads from each row, and which views feed it rows.

A serializer's reads are attribute paths from its instance, the same shape the loop analysis
produces (`["author", "name"]`, `["tags", "all()", "*", "owner"]`), gathered from nested
serializers (recursively, with `many=True`), `source="fk.attr"`, `SerializerMethodField`
methods (`get_x(self, obj)` reading `obj.fk.attr` or iterating `obj.children.all()`), and
many-to-many or reverse relations listed in `Meta.fields` (rendered as primary keys, one query
per row), `StringRelatedField` (the related row and what its `__str__` reads),
`SlugRelatedField`, and the nested serializers `Meta.depth = N` builds (every relation in
`Meta.fields`, then every forward relation of the related models, N levels deep). Anything not
understood yields None. `list_serializer()` picks the serializer a list view renders, through a
`get_serializer_class()` that returns one class, or one per `self.action` in a viewset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackwise.rules.django._models import TO_MANY, Graph, str_reads

_SERIALIZER_BASES = ("rest_framework.serializers.",)
LIST_VIEWS = frozenset({
    "rest_framework.generics.ListAPIView", "rest_framework.generics.ListCreateAPIView",
    "rest_framework.viewsets.ModelViewSet", "rest_framework.viewsets.ReadOnlyModelViewSet",
    "rest_framework.mixins.ListModelMixin",
})


@dataclass(frozen=True)
class Read:
    """One path a serializer reads from each row, and the field that reads it."""

    path: tuple[str, ...]
    file: str
    line: int
    field: str  # `BookSerializer.author`


def is_serializer(graph: Graph, q: str) -> bool:
    return any(b.startswith(_SERIALIZER_BASES) for b in graph.foreign_bases(q))


def _meta(graph: Graph, q: str) -> dict[str, Any]:
    for c in graph.mro(q):
        meta = graph.classes[c][1].get("meta", {})
        if "model" in meta or "fields" in meta or "depth" in meta:
            return dict(meta)
    return {}


def serializer_reads(graph: Graph, q: str, depth: int = 0) -> list[Read] | None:
    """The paths serializer `q` reads from each instance it renders, or None when unsure."""
    if depth > 4 or q not in graph.classes or not is_serializer(graph, q):
        return None
    meta = _meta(graph, q)
    depth = meta.get("depth") or 0
    if depth is True:
        return None  # `depth = DEPTH`: not a number we can read
    name = q.rsplit(".", 1)[-1]
    declared: dict[str, tuple[str, list[Any]]] = {}
    reads_by_method: dict[str, tuple[str, dict[str, Any]]] = {}
    for c in reversed(graph.mro(q)):
        path, fact = graph.classes[c]
        for entry in fact.get("ser", ()):
            declared[entry[0]] = (path, entry)
        for method, reads in fact.get("attrs", {}).get("row_reads", {}).items():
            reads_by_method[method] = (path, reads)
    out: list[Read] = []
    for field_name, (path, entry) in declared.items():
        _, callee, source, many, method_name, line = entry
        label = f"{name}.{field_name}"
        if source == "*":
            continue
        base = tuple(source.split(".")) if source else (field_name,)
        nested = graph.resolve_class(callee, path)
        if nested is not None and is_serializer(graph, nested):
            prefix = (*base, "all()", "*") if many else base
            out.append(Read(prefix, path, line, label))
            inner = serializer_reads(graph, nested, depth + 1)
            if inner is None:
                continue
            out += [Read((*prefix, *r.path), r.file, r.line, r.field) for r in inner]
        elif callee.endswith("SerializerMethodField"):
            found = reads_by_method.get(method_name or f"get_{field_name}")
            if found is None:
                continue
            mpath, reads = found
            for acc_path, acc_line, _col, _ends, store in reads["acc"]:
                if not store:
                    out.append(Read(tuple(acc_path), mpath, acc_line, label))
        elif callee.endswith(("StringRelatedField", "SlugRelatedField")) or (
                many and callee.endswith("RelatedField")):
            # the related row is loaded (no primary-key shortcut), or one query per row
            prefix = (*base, "all()", "*") if many else base
            out.append(Read(prefix, path, line, label))
            target = _target(graph, serializer_model(graph, q), base)
            if callee.endswith("StringRelatedField") and target is not None:
                out += [Read((*prefix, *p), file, str_line, label)
                        for p, file, str_line in str_reads(graph, target)]
        elif source:
            out.append(Read(base, path, line, label))
    model = graph.resolve_class(meta.get("model", "")) if meta.get("model") else None
    fields = meta.get("fields")
    if model in graph.models and not meta.get("exclude"):
        assert model is not None
        names: list[str] = []
        if isinstance(fields, list):
            names = [f for f in fields if f != "?"]
        elif fields == "__all__":
            names = _forward(graph, model)
        mpath, mfact = graph.classes[q]
        for f in names:
            if f in declared:
                continue
            for p in _field_paths(graph, model, f, min(depth, 4), (), top=True):
                out.append(Read(p, mpath, mfact["line"], f"{name}.{f}"))
    return out


def _forward(graph: Graph, model: str) -> list[str]:
    """The relations `fields = "__all__"` includes: forward foreign keys, one-to-ones and
    many-to-manys."""
    return [f for m in graph.model_mro(model) for f, fd in m.fields.items()
            if fd.kind in ("fk", "o2o", "m2m")]


def _field_paths(graph: Graph, model: str, name: str, depth: int, prefix: tuple[str, ...],
                 top: bool = False) -> list[tuple[str, ...]]:
    """Paths a ModelSerializer field for relation `name` reads per row: to-many relations as
    primary keys (`tags.all()`), and with `depth` left, nested rows and their relations."""
    rel = graph.relation(model, name)
    if rel is None:
        return []
    if rel.kind in (TO_MANY if top else frozenset({"m2m"})):
        here = (*prefix, name, "all()", "*")
    elif rel.kind in ("fk", "o2o", "rev_o2o") and depth > 0:
        here = (*prefix, name)
    else:
        return []  # a foreign key rendered as its primary key needs no query
    out = [here]
    if depth > 0 and rel.target is not None and rel.kind in ("fk", "o2o", "rev_o2o", "m2m",
                                                             "rev_fk", "rev_m2m"):
        for f in _forward(graph, rel.target):
            if len(out) > 200:
                break
            out += _field_paths(graph, rel.target, f, depth - 1, here)
    return out


def _target(graph: Graph, model: str | None, path: tuple[str, ...]) -> str | None:
    """The model a path of relations from `model` ends at."""
    cur = model
    for el in path:
        rel = graph.relation(cur, el) if cur is not None else None
        if rel is None:
            return None
        cur = rel.target
    return cur


def list_serializer(graph: Graph, view: str) -> str | None:
    """The serializer class (as written) a list view renders its rows with, or None: its
    `serializer_class`, or what `get_serializer_class()` returns for the `list` action."""
    viewset = any(b.startswith("rest_framework.viewsets.") for b in graph.foreign_bases(view))
    mro = graph.mro(view)
    for i, c in enumerate(mro):
        fact = graph.classes[c][1]
        if "get_serializer_class" not in fact.get("methods", ()):
            continue
        if any("get_serializer_class" in graph.classes[d][1].get("methods", ())
               for d in mro[i + 1:]):
            return None  # `super()` may be another choice
        for cond, value in fact.get("sc_choice", [["?", "?"]]):
            if cond == "?":
                return None
            if cond is not None:
                negated, actions = cond
                if not viewset:
                    return None  # only viewsets have `self.action`
                if ("list" in actions) == negated:
                    continue
            if value == "?":
                return None
            if value != "default":
                return str(value)
            break
        break
    found = graph.class_attr(view, "serializer_class")
    return found if isinstance(found, str) and found else None


def serializer_model(graph: Graph, q: str) -> str | None:
    model = _meta(graph, q).get("model")
    found = graph.resolve_class(model) if model else None
    return found if found in graph.models else None
