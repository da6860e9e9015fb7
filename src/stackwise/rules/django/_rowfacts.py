"""Per-file facts about classes that read every row they list without a written loop.

Added to a class's `django.classes` fact (see `_extract.class_fact`) by `collect.DjangoFacts`:

* `str_reads`: attribute paths a model's `__str__` reads from `self` (`[["author", "name"],
  line]`), for the admin's changelist, `StringRelatedField` and tables that show a row or a
  foreign key as text.
* `kw`: keyword arguments of class-level calls that name what a column reads:
  `Field(attribute="author__name", widget=ForeignKeyWidget(Author, "name"))` (import-export),
  `Column(accessor="author.name")` (django-tables2), `StringRelatedField()`/`SlugRelatedField`.
* `row_methods`: what `dehydrate_<field>(self, obj)` (import-export) and
  `render_<column>(self, record)` (django-tables2) read from their row.
* `sc_choice`: the serializer classes a DRF `get_serializer_class()` returns, per `self.action`.
* `listing`: `resource_class(es)` of an import-export admin, `table_class` of a tables2 view,
  `Meta.exclude` of a table or resource.
* `registers_plain`: module-level `admin.site.register(Model)` without an admin class.
"""

from __future__ import annotations

import ast
from typing import Any

from stackwise.engine.context import FileContext
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Scope
from stackwise.rules.django._extract import _accesses, _kw, _str, _strings

_KEYWORDS = ("attribute", "accessor", "source", "slug_field")


def row_facts(ctx: FileContext, node: ast.ClassDef, outer: Scope, fact: dict[str, Any]) -> None:
    """Add the row-reading facts of class `node` to its `class_fact` (in place)."""
    res = ctx.resolver
    kw: dict[str, dict[str, Any]] = {}
    rows: dict[str, Any] = {}
    listing: dict[str, Any] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef):
            _method(ctx, stmt, outer, fact, rows)
            continue
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for sub in stmt.body:
                if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(
                        sub.targets[0], ast.Name):
                    if sub.targets[0].id == "exclude":
                        listing["exclude"] = _strings(sub.value)
                    elif sub.targets[0].id == "fields":
                        listing["fields_line"] = sub.lineno
            continue
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            continue
        name, value = stmt.targets[0].id, stmt.value
        if name == "list_display":
            listing["ld_line"] = stmt.lineno
        elif name == "table_data":
            listing["table_data"] = True
        if name in ("resource_class", "table_class") and isinstance(
                value, ast.Name | ast.Attribute):
            listing[name] = [canonical(res.qualname(value, outer) or "")]
        elif name == "resource_classes" and isinstance(value, ast.List | ast.Tuple):
            listing["resource_class"] = [canonical(res.qualname(v, outer) or "") if isinstance(
                v, ast.Name | ast.Attribute) else "" for v in value.elts]
        elif isinstance(value, ast.Call):
            entry = _keywords(ctx, value, outer)
            if entry:
                entry["line"] = stmt.lineno
                kw[name] = entry
    if kw:
        fact["kw"] = kw
    if rows:
        fact["row_methods"] = rows
    if listing:
        fact["listing"] = listing


def _keywords(ctx: FileContext, call: ast.Call, outer: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _KEYWORDS:
        v = _kw(call, key)
        if v is None:
            continue
        if isinstance(v, ast.Call) and v.args:  # `accessor=A("author__name")`
            v = v.args[0]
        s = _str(v)
        out[key] = s if s is not None else "?"
    widget = _kw(call, "widget")
    if isinstance(widget, ast.Call):
        callee = canonical(ctx.resolver.qualname(widget.func, outer) or "")
        field = widget.args[1] if len(widget.args) > 1 else _kw(widget, "field")
        out["widget"] = [callee, "pk" if field is None else (_str(field) or "?")]
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else (
        func.id if isinstance(func, ast.Name) else "")
    if "source" not in out and "slug_field" not in out and call.args and called == "Field":
        # `Field("author__name")`, `Column("Author", accessor=...)`: a positional first
        # argument is import-export's attribute (the verbose name for tables2)
        first = _str(call.args[0])
        if first is not None and "attribute" not in out:
            out["positional"] = first
    return out


def _method(ctx: FileContext, fn: ast.FunctionDef, outer: Scope, fact: dict[str, Any],
            rows: dict[str, Any]) -> None:
    args = [a.arg for a in fn.args.args]
    if fn.name == "__str__" and args:
        acc, _bare, _store = _accesses(ctx, args[0], list(fn.body))
        reads = [[p, line] for p, line, _c, _e, store in acc if not store]
        if reads:
            fact["str_reads"] = reads
    elif fn.name.startswith("dehydrate_") and len(args) >= 2:
        var = args[1]
    elif fn.name.startswith("render_") and "record" in args[1:]:
        var = "record"
    elif fn.name == "get_serializer_class":
        choice = _serializer_choice(ctx, fn, outer)
        if choice is not None:
            fact["sc_choice"] = choice
        return
    else:
        return
    if fn.name == "__str__":
        return
    acc, _bare, _store = _accesses(ctx, var, list(fn.body))
    if acc:
        rows[fn.name] = {"var": var, "acc": acc, "line": fn.lineno}


def _serializer_choice(ctx: FileContext, fn: ast.FunctionDef,
                       outer: Scope) -> list[list[Any]] | None:
    """[[condition, serializer], ...] in the order `get_serializer_class()` tests them.

    A condition is None (always), `[negated, [actions]]` for `self.action == "list"`,
    `self.action in ("list", ...)` and their negations, or "?" (anything else). A serializer is a
    qualified name, "default" (`self.serializer_class`, `super().get_serializer_class()`) or
    "?"."""
    if not fn.args.args:
        return None
    self_name = fn.args.args[0].arg
    bound = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(
        n.ctx, ast.Store)}

    def value(expr: ast.expr | None) -> str:
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and (
                expr.value.id == self_name):
            return "default" if expr.attr == "serializer_class" else "?"
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and (
                expr.func.attr == "get_serializer_class") and isinstance(
                    expr.func.value, ast.Call) and isinstance(expr.func.value.func, ast.Name) and (
                    expr.func.value.func.id == "super"):
            return "default"
        if isinstance(expr, ast.Name) and expr.id in bound:
            return "?"
        if isinstance(expr, ast.Name | ast.Attribute):
            return canonical(ctx.resolver.qualname(expr, outer) or "") or "?"
        return "?"

    def cond(test: ast.expr) -> Any:
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return "?"
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(left, ast.Constant) and isinstance(op, ast.Eq | ast.NotEq):
            left, right = right, left
        if not (isinstance(left, ast.Attribute) and left.attr == "action"
                and isinstance(left.value, ast.Name) and left.value.id == self_name):
            return "?"
        if isinstance(op, ast.Eq | ast.NotEq) and _str(right) is not None:
            return [isinstance(op, ast.NotEq), [_str(right)]]
        if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List
                                                             | ast.Set):
            names = [_str(e) for e in right.elts]
            if all(n is not None for n in names):
                return [isinstance(op, ast.NotIn), names]
        return "?"

    out: list[list[Any]] = []

    def block(stmts: list[ast.stmt]) -> bool:
        """False once the block always returns."""
        for stmt in stmts:
            if isinstance(stmt, ast.Return):
                out.append([None, value(stmt.value)])
                return False
            if isinstance(stmt, ast.If):
                c = cond(stmt.test)
                body = [s for s in stmt.body if not _is_docstring(s)]
                if len(body) == 1 and isinstance(body[0], ast.Return):
                    out.append([c, value(body[0].value)])
                else:
                    out.append(["?", "?"])
                if stmt.orelse and not block(stmt.orelse):
                    return False
                continue
            if _is_docstring(stmt) or isinstance(stmt, ast.Pass):
                continue
            out.append(["?", "?"])
            return False
        return True

    block(fn.body)
    return out or None


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def plain_register_fact(ctx: FileContext, node: ast.Call, scope: Scope) -> dict[str, Any] | None:
    """Module-level `admin.site.register(Book)` / `admin.site.register([Book, Author])`: the
    default `ModelAdmin`, whose changelist shows each row's `__str__`."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "register"
            and len(node.args) == 1 and not node.keywords):
        return None
    target = ctx.resolver.qualname(node.func.value, scope) or ""
    if not target.startswith("django.contrib.admin") and not (
            isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "site"
            and ctx.imports("django")):
        return None
    arg = node.args[0]
    items = arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg]
    models = [canonical(ctx.resolver.qualname(a, scope) or "") for a in items
              if isinstance(a, ast.Name | ast.Attribute)]
    models = [m for m in models if m]
    if not models:
        return None
    return {"q": f"<register-plain>{ctx.module}:{node.lineno}", "register_plain": models,
            "line": node.lineno}
