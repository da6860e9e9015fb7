"""What a Django REST framework serializer reads from each row, and which views feed it rows.

A serializer's reads are attribute paths from its instance, the same shape the loop analysis
produces (`["author", "name"]`, `["tags", "all()", "*", "owner"]`), gathered from nested
serializers (recursively, with `many=True`), `source="fk.attr"`, `SerializerMethodField`
methods (`get_x(self, obj)` reading `obj.fk.attr` or iterating `obj.children.all()`), and
many-to-many or reverse relations listed in `Meta.fields` (rendered as primary keys, one query
per row). A serializer with `Meta.depth` or anything not understood yields None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackwise.rules.django._models import TO_MANY, Graph

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
    if meta.get("depth"):
        return None
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
            names = [f for m in graph.model_mro(model) for f, fd in m.fields.items()
                     if fd.kind == "m2m"]
        mpath, mfact = graph.classes[q]
        for f in names:
            if f in declared:
                continue
            rel = graph.relation(model, f)
            if rel is not None and rel.kind in TO_MANY:
                out.append(Read((f, "all()", "*"), mpath, mfact["line"], f"{name}.{f}"))
    return out


def serializer_model(graph: Graph, q: str) -> str | None:
    model = _meta(graph, q).get("model")
    found = graph.resolve_class(model) if model else None
    return found if found in graph.models else None
