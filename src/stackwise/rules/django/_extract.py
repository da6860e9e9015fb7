"""Per-file extraction of Django facts as plain data, for the DJA project rules.

Two kinds of facts, both marshal-able lists and dicts:

* `CLASSES`: one entry per class (bases, class-level calls such as model fields and managers,
  `Meta` options, the `model`/`queryset` attributes of views, `AppConfig` names and labels).
* `FUNCTIONS`: one entry per function that touches querysets: what it returns when that is a
  queryset, the loops over querysets with every attribute path read from the loop variable,
  ORM calls made per loop iteration, ORM evaluations (for async code) and `len()`/truth tests.

A queryset is described without knowing the models (that needs the whole project) as
`{"root": [...], "ops": [[method, args], ...], "line": n}`. Roots:
`["mgr", model_qualname, attr]` (`Book.objects`), `["getqs", class]` (`self.get_queryset()`),
`["super", class]` (`super().get_queryset()`), `["self", class]` (`self` inside a manager or
queryset method), `["attr", class, "queryset"]` (`self.queryset`), `["viewmodel", class, attr]`
(`self.model.objects`). Local variables are followed through assignments
(`qs = qs.filter(...)`). Anything else is not a queryset, which keeps the rules conservative.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stackwise.engine.context import FileContext
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Scope, child_nodes, import_target, walk
from stackwise.rules.django._filter_tables import table_ops
from stackwise.rules.django._held_rows import (
    HELD,
    ITEM,
    held_rows_fact,
    is_property,
    may_return_item,
    returned_item,
)
from stackwise.rules.django._syntax import SCOPES as _SCOPES
from stackwise.rules.django._syntax import node_lines, own_nodes
from stackwise.rules.django._syntax import stores as _stores
from stackwise.rules.django._template_tags import TAG, tag_fact

CLASSES = "django.classes"
# the label root of `get_user_model().objects`: resolved to the model `AUTH_USER_MODEL` names
AUTH_USER = ("@auth", "@user")
_GET_USER_MODEL = frozenset({"django.contrib.auth.get_user_model"})
FUNCTIONS = "django.functions"

QS = dict[str, Any]
Pos = list[int]  # [line, column, end_line, end_column], columns 1-based characters

# QuerySet methods whose arguments matter to the rules
_KEEP_ARGS = frozenset({"select_related", "prefetch_related", "only", "defer", "values",
                        "values_list"})
# methods that run a query and return something other than a queryset
EVALUATING = frozenset({
    "get", "first", "last", "count", "exists", "create", "get_or_create", "update_or_create",
    "update", "delete", "aggregate", "in_bulk", "earliest", "latest", "bulk_create",
    "bulk_update", "iterator", "contains", "explain",
})
# methods that, called once per loop iteration, run one query each time
PER_ITERATION = EVALUATING - {"iterator", "explain"} | frozenset({
    "filter", "exclude", "values", "values_list",
}) | frozenset("a" + m for m in EVALUATING if m not in ("iterator", "explain"))
_INSTANCE_SYNC = frozenset({"save", "delete", "refresh_from_db"})
# queryset methods that write: a per-row write is not served by a prefetch either way
_WRITES = frozenset({"update", "delete", "create", "get_or_create", "update_or_create",
                     "bulk_create", "bulk_update"})
_ONE_ROW = frozenset({"get", "first", "last", "earliest", "latest"})
_IDS_NAME = re.compile(r"^(?:\w+_)?(?:ids|pks|id_list|pk_list)$")
_BUILTIN_ROWS = frozenset({"builtins.list", "builtins.sorted", "builtins.tuple",
                           "builtins.reversed"})
# methods that, called on a related manager (`event.orders.filter()`), give a queryset of rows
_RELATED_QS = frozenset({"all", "filter", "exclude", "order_by", "select_related",
                         "prefetch_related", "only", "defer", "annotate", "distinct"})
# what Django's own managers and querysets define; any other public method called on a related
# manager (`componentlist.components.filter_access(user)`) may be a custom queryset method of
# the related model's default manager (the project rule checks it is one)
DJANGO_API = EVALUATING | PER_ITERATION | _RELATED_QS | _KEEP_ARGS | frozenset({
    "alias", "reverse", "using", "select_for_update", "none", "complex_filter", "extra",
    "union", "intersection", "difference", "dates", "datetimes", "raw", "add", "remove", "set",
    "clear", "aadd", "aremove", "aset", "aclear", "get_queryset", "db_manager", "as_manager",
    "get_prefetch_queryset", "get_prefetch_querysets", "check", "deconstruct",
})
_HINTS = ("get_queryset", "queryset", ".objects", "_manager", "prefetch_related",
              "select_related")


def relevant(ctx: FileContext) -> bool:
    """Whether a file may hold Django ORM code worth extracting (cheap text and import test).

    Files that import Django are; so are files that use querysets of models imported from
    elsewhere, and model modules that only star-import their abstract bases (Oscar's
    `models.py`): whether those classes are models is decided with the whole project."""
    text = ctx.source.text
    return any(word in text for word in RELEVANT_TEXT)


RELEVANT_TEXT = ("django", "rest_framework", "import_export", *_HINTS, "Model", "import *")
"""What makes a file `relevant()`: a file importing Django, DRF, django-tables2 or
import-export names it; the rest are the hints of querysets and models used from elsewhere.
Also the collector's `requires_text`, so it is not even dispatched nodes of other files."""


def pos(ctx: FileContext, node: ast.AST) -> Pos:
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    src = ctx.source
    return [line, src.char_column(line, getattr(node, "col_offset", 0)),
            end_line, src.char_column(end_line, getattr(node, "end_col_offset", None) or 0)]


def _str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


# -- classes ------------------------------------------------------------------------------------


def class_fact(ctx: FileContext, node: ast.ClassDef, outer: Scope) -> dict[str, Any]:
    """What one class says about itself: bases, class-level calls, Meta, view attributes."""
    res = ctx.resolver
    qual = f"{outer.qualname}.{node.name}"
    bases: list[str] = []
    for b in node.bases:
        if isinstance(b, ast.Subscript):
            b = b.value  # `models.Manager["Book"]` (django-stubs generics) is a Manager
        if isinstance(b, ast.Call) and isinstance(b.func, ast.Attribute) and (
                b.func.attr == "from_queryset" and b.args):
            # class PageManager(BaseManager.from_queryset(PageQuerySet)): both are bases
            bases.append(canonical(res.qualname(b.func.value, outer) or ""))
            bases.append(canonical(res.qualname(b.args[0], outer) or ""))
        else:
            bases.append(canonical(res.qualname(b, outer) or ""))
    calls: list[list[Any]] = []
    mgrs: list[list[Any]] = []
    fields: list[list[Any]] = []  # serializer-style fields: [name, callee, source, many, ...]
    attrs: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    methods: list[str] = []
    order: list[str] = []  # class attributes in source order (Django's default manager is the
    # first manager declared)
    cls_scope = Scope("class", node, qual, outer)
    for stmt in node.body:
        name: str | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name):
            name, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and (
                stmt.value is not None):
            name, value = stmt.target.id, stmt.value
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(stmt.name)
            continue
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta = _meta(stmt, ctx, outer)
            continue
        if name is None or value is None:
            continue
        order.append(name)
        if isinstance(value, ast.Call):
            entry = _class_call(ctx, name, value, outer, stmt.lineno)
            if entry is not None:
                calls.append(entry)
                source = _kw(value, "source")
                many = _kw(value, "many")
                method = _kw(value, "method_name")
                fields.append([name, entry[1], _str(source) if source is not None else None,
                               isinstance(many, ast.Constant) and many.value is True,
                               _str(method) if method is not None else None,
                               stmt.lineno])
            mgr = _manager_call(ctx, name, value, outer)
            if mgr is not None:
                mgrs.append(mgr)
        if name == "model" and isinstance(value, ast.Name | ast.Attribute):
            attrs["model"] = canonical(res.qualname(value, outer) or "")
        elif name == "queryset":
            desc = _Function.class_level_qs(ctx, value, cls_scope, qual)
            if desc is not None:
                attrs["queryset"] = desc
        elif name in ("name", "label") and _str(value) is not None:
            attrs[name] = _str(value)
        elif name == "serializer_class" and isinstance(value, ast.Name | ast.Attribute):
            attrs[name] = canonical(res.qualname(value, outer) or "")
        elif name == "list_display":
            attrs[name] = _strings(value)
        elif name == "list_select_related":
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                attrs[name] = value.value
            else:
                attrs[name] = _strings(value)
    registered = [canonical(res.qualname(a, outer) or "") for d in node.decorator_list
                  if isinstance(d, ast.Call) and (res.qualname(d.func, outer) or "").endswith(
                      "admin.register") for a in d.args]
    if registered:
        attrs["registers"] = registered
    serializer = any("Serializer" in b for b in bases)
    if "list_display" in attrs or serializer:
        # what each method reads from its row argument (`def author_name(self, obj)`)
        rows: dict[str, Any] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef) and len(stmt.args.args) >= 2 and (
                    not serializer or stmt.name.startswith("get_")):
                var = stmt.args.args[1].arg
                acc, _bare, _store = _accesses(ctx, var, list(stmt.body))
                if acc:
                    rows[stmt.name] = {"var": var, "acc": acc, "line": stmt.lineno}
        if rows:
            attrs["row_reads"] = rows
    out: dict[str, Any] = {"q": qual, "name": node.name, "line": node.lineno, "bases": bases}
    if calls:
        out["calls"] = calls
    if fields and serializer:
        out["ser"] = fields
    if mgrs:
        out["mgrs"] = mgrs
    if order:  # also what a subclass assigns again (a filter table's attribute)
        out["order"] = order
    if attrs:
        out["attrs"] = attrs
    if meta:
        out["meta"] = meta
    if methods:
        out["methods"] = methods
    return out


def _strings(value: ast.expr) -> list[str] | str:
    """A literal list/tuple of strings, or "?" (entries that are not strings become "?")."""
    if not isinstance(value, ast.List | ast.Tuple):
        return "?"
    return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "?"
            for v in value.elts]


def auth_user_fact(ctx: FileContext, node: ast.Assign) -> dict[str, Any] | None:
    """Module-level `AUTH_USER_MODEL = "accounts.User"` (a settings module)."""
    if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and (
            node.targets[0].id == "AUTH_USER_MODEL"):
        value = _str(node.value)
        return {"q": f"<auth-user>{ctx.module}", "auth_user": value if value else "?"}
    return None


def register_fact(ctx: FileContext, node: ast.Call, scope: Scope) -> dict[str, Any] | None:
    """Module-level `admin.site.register(Model, ModelAdmin)`."""
    res = ctx.resolver
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "register"
            and len(node.args) == 2):
        return None
    target = res.qualname(node.func.value, scope) or ""
    if "admin" not in target and not (isinstance(node.func.value, ast.Attribute)
                                      and node.func.value.attr == "site"):
        return None
    model = canonical(res.qualname(node.args[0], scope) or "")
    admin = canonical(res.qualname(node.args[1], scope) or "")
    if not model or not admin:
        return None
    return {"q": f"<register>{admin}", "register": [model, admin], "line": node.lineno}


def _meta(node: ast.ClassDef, ctx: FileContext, outer: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stmt in node.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            continue
        key = stmt.targets[0].id
        if key in ("abstract", "proxy") and isinstance(stmt.value, ast.Constant):
            out[key] = bool(stmt.value.value)
        elif key == "app_label" and _str(stmt.value) is not None:
            out[key] = _str(stmt.value)
        elif key == "model" and isinstance(stmt.value, ast.Name | ast.Attribute):
            out[key] = canonical(ctx.resolver.qualname(stmt.value, outer) or "")
        elif key == "fields":
            out[key] = _str(stmt.value) or _strings(stmt.value)
        elif key == "depth":
            v = stmt.value
            out[key] = v.value if isinstance(v, ast.Constant) and type(v.value) is int else True
        elif key == "exclude":
            out[key] = True
    return out


def _class_call(
    ctx: FileContext, name: str, call: ast.Call, outer: Scope, line: int
) -> list[Any] | None:
    """[attr, callee, target, related_name, related_query_name, line] for `attr = Callee(...)`."""
    callee = ctx.resolver.qualname(call.func, outer)
    if not callee and isinstance(call.func, ast.Name):
        # `objects = PageManager()` where `PageManager = Base.from_queryset(QS)` in this module
        b = ctx.resolver.lookup(call.func.id, outer)
        if b is not None and b.kind == "var" and b.value is not None:
            callee = f"{ctx.module}.{call.func.id}"
    if not callee:
        return None
    # the related model (`ForeignKey(to=...)`), or the manager class given to a manager
    # factory (django-scopes' `ScopedManager(_manager_class=...)`)
    target_node = call.args[0] if call.args else (_kw(call, "to") or _kw(call, "_manager_class"))
    target: list[str] | None = None
    if target_node is not None:
        s = _str(target_node)
        if s is not None:
            target = ["s", s]
        elif isinstance(target_node, ast.Name | ast.Attribute):
            q = ctx.resolver.qualname(target_node, outer)
            if q:
                target = ["q", canonical(q)]
    names: list[str | None] = []
    for key in ("related_name", "related_query_name"):
        v = _kw(call, key)
        names.append(None if v is None else (_str(v) if _str(v) is not None else "?"))
    return [name, canonical(callee), target, names[0], names[1], line]


def _manager_call(
    ctx: FileContext, name: str, call: ast.Call, outer: Scope
) -> list[Any] | None:
    """`Manager.from_queryset(QS)()` and `QS.as_manager()`."""
    res = ctx.resolver
    func = call.func
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and (
            func.func.attr == "from_queryset" and func.args):
        mgr = res.qualname(func.func.value, outer) or ""
        qs = res.qualname(func.args[0], outer) or ""
        return [name, "fromqs", canonical(mgr), canonical(qs)]
    if isinstance(func, ast.Attribute) and func.attr == "as_manager":
        qs = res.qualname(func.value, outer) or ""
        return [name, "asmgr", canonical(qs)]
    return None


def alias_fact(ctx: FileContext, node: ast.Assign, scope: Scope) -> dict[str, Any] | None:
    """Module-level `PageManager = BaseManager.from_queryset(PageQuerySet)`."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        return None
    value = node.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "from_queryset" and value.args):
        return None
    res = ctx.resolver
    mgr = canonical(res.qualname(value.func.value, scope) or "")
    qs = canonical(res.qualname(value.args[0], scope) or "")
    return {"q": f"{scope.qualname}.{node.targets[0].id}", "alias": [mgr, qs]}


# -- functions ----------------------------------------------------------------------------------


_DEFS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_NOT_LOCAL = frozenset({ast.Import, ast.ImportFrom, ast.Constant})


@dataclass
class _Body:
    """What one walk of a function's own body (outside nested scopes) finds."""

    names: set[str]  # parameters, assignment and loop targets, nested definitions
    self_name: str | None
    stored: set[str]  # what the body binds
    loads: list[ast.Name] = field(default_factory=list)  # every name read
    counted: list[ast.Name] = field(default_factory=list)  # receivers of `.count()`/`.exists()`
    nested: list[ast.AST] = field(default_factory=list)  # nested functions, classes, lambdas


def _counted(call: ast.Call) -> ast.Name | None:
    """`name` of `name.count()` / `name.exists()`."""
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in ("count", "exists") and isinstance(
            f.value, ast.Name):
        return f.value
    return None


def _locals(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> _Body:
    """Names a function binds (parameters, assignment and loop targets), its `self`, the names
    its own body binds (outside nested functions and classes) and the names it reads."""
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names = {a.arg for a in params}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    self_name: str | None = None
    first = [*args.posonlyargs, *args.args]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    if method and first and not static:
        self_name = first[0].arg
        names.discard(self_name)
    stack: list[ast.AST] = list(node.body)
    load = ast.Load
    body = _Body(names, self_name, set())
    stored, loads, nested = body.stored, body.loads, body.nested
    while stack:
        n = stack.pop()
        cls = n.__class__
        if cls is ast.Name:
            if n.ctx.__class__ is not load:  # type: ignore[attr-defined]
                stored.add(n.id)  # type: ignore[attr-defined]
            else:
                loads.append(n)  # type: ignore[arg-type]
            continue
        if cls in _DEFS:
            stored.add(n.name)  # type: ignore[attr-defined]
            nested.append(n)
            continue
        if cls is ast.Lambda:
            nested.append(n)
            continue
        if cls in _NOT_LOCAL:
            continue  # imports inside the function are resolved like module-level ones
        if cls is ast.Call:
            receiver = _counted(n)  # type: ignore[arg-type]
            if receiver is not None:
                body.counted.append(receiver)
        stack.extend(child_nodes(n))
    names |= stored
    if self_name is not None and self_name in stored:
        body.self_name = None  # `self` rebound: nothing is known about it
    return body


def _local_imports(ctx: FileContext,
                   node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    """`from .models import Book` written inside the function: name -> qualified name."""
    out: dict[str, str] = {}
    if not any("import" in line for line in node_lines(ctx, node)):
        return out
    for n in walk(node):
        if isinstance(n, ast.ImportFrom):
            base = import_target(n, ctx.module, ctx.is_package)
            for alias in n.names:
                if alias.name != "*" and base:
                    out[alias.asname or alias.name] = canonical(f"{base}.{alias.name}")
    return out


def _unbound_params(node: ast.FunctionDef | ast.AsyncFunctionDef,
                    self_name: str | None) -> frozenset[str]:
    """Parameters the body never rebinds (assignment, loop target, `del`, nested `def`)."""
    args = node.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    params.discard(self_name or "")
    if not params:
        return frozenset()
    for n in walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            params.discard(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
                n is not node):
            params.discard(n.name)
        elif isinstance(n, ast.Global | ast.Nonlocal):
            params.difference_update(n.names)
    return frozenset(params)


_HARMLESS_DECORATORS = frozenset({"staticmethod", "classmethod", "atomic"})


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> dict[str, Any]:
    """How call arguments bind to the parameters: positional names (with `self`), keyword-only
    names, the method kind, and whether a decorator may change how it is called."""
    args = node.args
    decos = []
    for d in node.decorator_list:
        f = d.func if isinstance(d, ast.Call) else d
        decos.append(f.attr if isinstance(f, ast.Attribute) else (
            f.id if isinstance(f, ast.Name) else "?"))
    kind = "function"
    if method:
        kind = "static" if "staticmethod" in decos else (
            "class" if "classmethod" in decos else "method")
    return {"pos": [a.arg for a in (*args.posonlyargs, *args.args)],
            "kwonly": [a.arg for a in args.kwonlyargs], "kind": kind,
            "decorated": any(d not in _HARMLESS_DECORATORS for d in decos)}


@dataclass(eq=False)
class _Loop:
    node: ast.AST
    vars: frozenset[str]
    var: str | None  # the row variable, when the iterable is rows (`for b in qs`, enumerate)
    iter: ast.expr
    body: list[ast.AST]
    qs: QS | None
    kind: str
    iter_kind: list[Any] = field(default_factory=list)


_LEAVES = frozenset({ast.Name, ast.Constant})
_SCOPE_CLASSES = frozenset(_SCOPES)
# what `_Function.run` acts on; `_walk` yields nothing else
_RUN_NODES = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Call, ast.If,
                        ast.While, ast.IfExp, ast.Assert, ast.UnaryOp})
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_WALK_SPECIAL = frozenset({ast.For, ast.AsyncFor, ast.If, *_COMPS})  # see `_Function._walk`


def _load_names(node: ast.AST) -> Iterator[ast.Name]:
    for sub in walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            yield sub


def enclosing(outer: Scope) -> Scope:
    """Where the names of a function defined in `outer` resolve, but for its own: a method's
    body does not see the names of its class body, so a class gives way to what holds it."""
    return outer.parent if outer.kind == "class" and outer.parent is not None else outer


def names_scope(node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope) -> Scope:
    """Where `_Function` resolves the names of a function defined in `outer`. A sync function's
    names resolve from the enclosing scope, whose bindings the engine already computed (its own
    bindings only matter for instance types, DJA302, in async code)."""
    if not isinstance(node, ast.AsyncFunctionDef):
        return enclosing(outer)
    return Scope("function", node, f"{outer.qualname}.{node.name}", outer, is_async=True,
                 class_qualname=outer.qualname if outer.kind == "class" else "")


class _Function:
    """Analyses one function body in source order, following local queryset variables."""

    def __init__(self, ctx: FileContext, node: ast.FunctionDef | ast.AsyncFunctionDef | None,
                 outer: Scope, class_q: str = "") -> None:
        self.ctx = ctx
        self.node = node
        self.class_scope = outer if outer.kind == "class" else None  # a method's class body
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        self.locals: set[str] = set()
        self._body = _Body(set(), None, set())
        self.imports: dict[str, str] = {}
        self.self_name: str | None = None
        if node is None:  # a class-level expression: names resolve in the enclosing scope
            self.class_q = class_q
            self.qualname = class_q
            self.scope = outer
        else:
            self.class_q = outer.qualname if outer.kind == "class" else ""
            self.qualname = f"{outer.qualname}.{node.name}"
            self.scope = names_scope(node, outer)
            self._body = _locals(node, bool(self.class_q))
            self.locals, self.self_name = self._body.names, self._body.self_name
            self.imports = _local_imports(ctx, node)
        self.env: dict[str, QS | None] = {}
        self.loops: list[dict[str, Any]] = []
        self.in_loop: list[dict[str, Any]] = []
        self.orm: list[list[Any]] = []
        self.tests: list[dict[str, Any]] = []
        self.serialized: list[list[Any]] = []
        self.listed: list[list[Any]] = []  # [kind, class, queryset or None, pos]
        self.returns: list[QS | None] = []
        self._seen_calls: set[ast.AST] = set()
        self._test_names: list[ast.Name] = []
        self._self_derived: set[ast.Name] = set()
        self._loop_names: set[str] = set()  # loop targets met so far (source order)
        self._params: set[str] | None = None
        self._none_names: set[str] = set()  # names last bound to a literal None (see _assign)
        self._user_names: set[str] = set()  # locals bound to `get_user_model()`
        # locals last bound to one row of a queryset (`event = Event.objects.get(pk=pk)`): the
        # queryset before `.get()`, so `event.orders.all()` knows nothing was prefetched
        self._got: dict[str, QS] = {}
        # parameters never rebound in the body: a loop over one of them is recorded in `ploops`
        # (resolved with the querysets the callers pass), and only there; found when a loop
        # over something that is not a known queryset first asks (see `loop_params`)
        self._loop_params: frozenset[str] | None = None if node is not None else frozenset()
        self._param_roots = False
        self.ploops: list[dict[str, Any]] = []
        self.argqs: list[list[Any]] = []  # calls passing querysets: [line, col, args, kwargs]
        self.refetch: list[dict[str, Any]] = []  # loop rows fetched again inside the loop
        self.row_loops: list[_Loop] = []  # the loops recorded in `loops`, as they were met
        # the queryset each loop row variable iterates (None: not a known queryset), for a
        # custom queryset method called on the row's related manager (see _related_manager)
        self._loop_rows: dict[str, QS | None] = {}
        self.assume: dict[str, bool] = {}  # a flag parameter's value for this pass

    def _param_rooted(self, e: ast.expr) -> bool:
        """Whether `e` (`rows`, `rows.filter(...)`) starts from a parameter's name."""
        while isinstance(e, ast.Call | ast.Attribute | ast.Subscript):
            e = e.func if isinstance(e, ast.Call) else e.value
        if not isinstance(e, ast.Name) or self.node is None:
            return False
        a = self.node.args
        return any(p.arg == e.id for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))

    @property
    def loop_params(self) -> frozenset[str]:
        if self._loop_params is None:
            node = self.node
            assert node is not None
            if any("nonlocal" in line or "global" in line for line in node_lines(self.ctx, node)):
                self._loop_params = _unbound_params(node, self.self_name)
            else:  # what `_locals` saw bound in the body: no nested scope can rebind them
                a = node.args
                self._loop_params = frozenset(
                    p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)
                    if p.arg not in self._body.stored and p.arg != self.self_name)
        return self._loop_params

    @classmethod
    def class_level_qs(cls, ctx: FileContext, value: ast.expr, scope: Scope,
                       class_q: str) -> QS | None:
        assert scope.parent is not None
        return cls(ctx, None, scope.parent, class_q).qs(value)

    # -- querysets ------------------------------------------------------------------------------

    def _args(self, method: str, call: ast.Call) -> Any:
        if method not in _KEEP_ARGS:
            if not call.args and not call.keywords:
                return None
            # `content(prefetch=True)`: literal flags pick a branch of a custom method
            values = [*call.args, *(kw.value for kw in call.keywords)]
            if all(isinstance(v, ast.Constant) and (v.value is None or isinstance(
                    v.value, bool)) for v in values) and all(kw.arg for kw in call.keywords):
                return {"lit": [a.value for a in call.args if isinstance(a, ast.Constant)],
                        "kw": {kw.arg: kw.value.value for kw in call.keywords
                               if kw.arg and isinstance(kw.value, ast.Constant)}}
            return "?"
        out: list[Any] = []
        for a in call.args:
            s = _str(a)
            if s is not None:
                out.append(s)
            elif isinstance(a, ast.Constant) and a.value is None:
                out.append(None)
            elif isinstance(a, ast.Call) and (
                    self.ctx.resolver.qualname(a.func, self.scope) or "").endswith("Prefetch"):
                lookup = _str(a.args[0]) if a.args else _str(_kw(a, "lookup"))
                inner = a.args[1] if len(a.args) > 1 else _kw(a, "queryset")
                to_attr = a.args[2] if len(a.args) > 2 else _kw(a, "to_attr")
                if lookup is None:
                    out.append("?")
                    continue
                out.append({"lookup": lookup,
                            "to_attr": _str(to_attr) if to_attr is not None else None,
                            "qs": self.qs(inner) if inner is not None else None})
            else:
                out.append("?")
        if method == "values_list" and any(
                kw.arg == "flat" for kw in call.keywords):
            out.append({"flat": True})
        if any(kw.arg is None for kw in call.keywords):
            out.append("?")
        return out

    def _is_user_model(self, node: ast.expr) -> bool:
        """`get_user_model()` (Django's, resolved through the imports)."""
        return isinstance(node, ast.Call) and not node.args and not node.keywords and (
            self.ctx.resolver.qualname(node.func, self.scope) or "") in _GET_USER_MODEL

    def _get_model(self, node: ast.expr) -> list[str] | None:
        """`Product = get_model("catalogue", "Product")` (Django's `apps.get_model`, Oscar's
        `get_model`) at module level: the model's app label and name; `User =
        get_user_model()`: `AUTH_USER` (the project rule reads `AUTH_USER_MODEL`)."""
        if not isinstance(node, ast.Name):
            return None
        b = self.ctx.resolver.lookup(node.id, self.scope)
        if b is None or b.kind != "var" or not isinstance(b.value, ast.Call):
            return None
        call = b.value
        if self._is_user_model(call):
            return list(AUTH_USER)
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name != "get_model":
            return None
        args = [_str(a) for a in call.args]
        if len(args) == 2 and args[0] and args[1]:
            return [args[0], args[1]]
        if len(args) == 1 and args[0] and args[0].count(".") == 1:
            return args[0].split(".")
        return None

    def _related_manager(self, owner: ast.expr, attr: str,
                         ops: list[list[Any]]) -> list[Any] | None:
        """`event.orders.filter(...)`, `self.request.event.orders.all()`: the related manager
        `attr` of an object named like a model (`event`), when a queryset method is called on
        it. `row.rel.all()` of a loop variable is left to its loop (its rows may have been
        prefetched); `row.rel.filter(...)` is a fresh query whatever the loop prefetched.

        A custom method (`componentlist.components.filter_access(user)`, not a name of
        Django's API) is treated like `.all()`: a branch of it may return the manager's
        queryset unchanged, which a prefetch serves. On a loop row it carries the loop's
        queryset, so the project rule follows its rows only when that did not prefetch `attr`."""
        if not ops or attr.startswith("_"):
            return None
        first = ops[-1][0]
        custom = first not in DJANGO_API and not first.startswith("_")
        if first not in _RELATED_QS and not custom:
            return None
        cached = first == "all" or custom  # may be served by a prefetch of the owner
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name):
            if custom and owner is root and root.id in self._loop_names:
                outer = self._loop_rows.get(root.id)
                return None if outer is None else ["rel", root.id.lower(), attr, False, outer]
            if (root.id in self._loop_names and cached) or (
                    owner is root and root.id == self.self_name):
                return None  # `row.rel` or `row.fk.rel` in a loop: the loop's rows decide
            if self._params is None:
                args = self.node.args if self.node is not None else None
                self._params = set() if args is None else {
                    a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
            got = self._got.get(root.id)
            if cached and owner is root and got is not None and (
                    root.id not in self._params and root.id not in self._loop_names):
                if any(op == "prefetch_related" for op, _ in got["ops"]):
                    return None
                # `event = Event.objects.get(pk=pk)` then `event.orders.all()`: nothing was
                # prefetched on that row, its related rows are a fresh query
                return ["getrel", got, attr]
            if cached and root.id != self.self_name and root.id not in self._params:
                return None  # `item = cp.item; item.addons.all()`: maybe a prefetch of `cp`'s
        else:
            return None
        if isinstance(owner, ast.Name):
            name = owner.id
        elif isinstance(owner, ast.Attribute):
            name = owner.attr
        else:
            return None
        if not cached and owner is root and root.id in self._loop_names:
            outer = self._loop_rows.get(root.id)
            if outer is not None:
                # `for bundle in category.bundles.exclude(...)` in the loop over `category`:
                # the relation of the outer loop's model, whatever the row is named
                return ["rel", name.lower(), attr, False, outer, True]
        # `.all()` first: may be served from a prefetch the caller made
        return ["rel", name.lower(), attr, cached]

    def _is_self_model(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "model" and self._is_self(
            node.value)

    def _is_self(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == self.self_name and bool(self.class_q)

    def qs(self, expr: ast.expr, spine: list[ast.AST] | None = None) -> QS | None:
        """The queryset `expr` evaluates to, or None."""
        ops: list[list[Any]] = []
        called: list[int] = []  # ops whose arguments are read once the root is known
        e: ast.expr = expr
        root: list[Any] | None = None
        base: QS | None = None
        for _ in range(64):
            if isinstance(e, ast.Call):
                f = e.func
                if isinstance(f, ast.Attribute) and f.attr == "get_queryset":
                    if self._is_self(f.value):
                        root = ["getqs", self.class_q]
                        break
                    if (isinstance(f.value, ast.Call) and isinstance(f.value.func, ast.Name)
                            and f.value.func.id == "super" and self.class_q):
                        root = ["super", self.class_q]
                        break
                if self.class_q and e.args and self._is_self_model(e.args[0]):
                    # `RevisionQuerySet(self.model, using=self._db)` in a manager
                    made = self.ctx.resolver.qualname(f, self.scope)
                    if made and made.rsplit(".", 1)[-1][:1].isupper():
                        root = ["newqs", canonical(made)]
                        break
                if isinstance(f, ast.Attribute):
                    called.append(len(ops))
                    ops.append([f.attr, e])
                    if spine is not None:
                        spine.append(e)
                    e = f.value
                    continue
                if isinstance(f, ast.Subscript) and len(e.args) == 1 and not e.keywords and (
                        not isinstance(e.args[0], ast.Starred)):
                    # `rows = FILTERS[status](rows)`: a table of filters keeps the rows
                    table = table_ops(self, f)
                    if table is not None:
                        ops.extend(reversed(table))
                        e = e.args[0]
                        continue
                if isinstance(f, ast.Name) and e.args and (
                        (len(e.args) == 1 and not e.keywords) or f.id == "sorted"):
                    callee = self.ctx.resolver.qualname(f, self.scope)
                    if callee in _BUILTIN_ROWS:
                        ops.append(["list", None])
                        e = e.args[0]
                        continue
                return None
            if isinstance(e, ast.Subscript):
                if not isinstance(e.slice, ast.Slice):
                    return None
                ops.append(["[]", None])
                e = e.value
                continue
            if isinstance(e, ast.Attribute):
                v = e.value
                if self._is_self(v):
                    if e.attr in ("queryset", "object_list"):
                        root = ["attr", self.class_q, e.attr]
                        break
                    return None
                if isinstance(v, ast.Attribute) and self._is_self(v.value) and v.attr == "model":
                    root = ["viewmodel", self.class_q, e.attr]
                    break
                if not e.attr.isupper() and (self._is_user_model(v) or (
                        isinstance(v, ast.Name) and v.id in self._user_names)):
                    root = ["label", *AUTH_USER, e.attr]  # the project's AUTH_USER_MODEL
                    break
                if isinstance(v, ast.Name | ast.Attribute) and not (
                        isinstance(v, ast.Name) and v.id in self.locals) and not e.attr.isupper():
                    q: str | None
                    by_label = self._get_model(v)
                    if by_label is not None:
                        root = ["label", *by_label, e.attr]
                        break
                    if isinstance(v, ast.Name) and v.id in self.imports:
                        q = self.imports[v.id]
                    else:
                        q = self.ctx.resolver.qualname(v, self.scope)
                    last = q.rsplit(".", 1)[-1] if q else ""
                    if q and last[:1].isupper() and not q.startswith("builtins."):
                        root = ["mgr", canonical(q), e.attr]
                        break
                rel = self._related_manager(v, e.attr, ops)
                if rel is not None:
                    root = rel
                    break
                return None
            if isinstance(e, ast.Name):
                if self._is_self(e) and ops:
                    root = ["self", self.class_q]
                    break
                if e.id in self.env:
                    base = self.env[e.id]
                    if base is None:
                        return None
                    break
                if self._param_roots and e.id in self.loop_params:
                    root = ["param", e.id]
                    break
                return None
            return None
        else:
            return None
        for i in called:
            ops[i][1] = self._args(ops[i][0], ops[i][1])
        ops.reverse()
        if any(op in EVALUATING for op, _ in ops[:-1]):
            return None  # `.get()` returned an instance (or a number): no longer a queryset
        if base is not None:
            return {"root": base["root"], "ops": base["ops"] + ops, "line": base["line"]}
        assert root is not None
        return {"root": root, "ops": ops, "line": getattr(expr, "lineno", 0)}

    # -- the walk -------------------------------------------------------------------------------

    def _walk(self) -> Iterator[tuple[ast.AST, tuple[_Loop, ...]]]:
        assert self.node is not None
        stack: list[tuple[ast.AST, tuple[_Loop, ...]]] = [
            (n, ()) for n in reversed(self.node.body)]
        while stack:
            node, loops = stack.pop()
            cls = node.__class__
            if cls in _RUN_NODES:
                yield node, loops
            if cls in _SCOPE_CLASSES:
                continue
            children: list[tuple[ast.AST, tuple[_Loop, ...]]] = []
            if cls not in _WALK_SPECIAL:  # names and constants hold nothing `run` looks at
                children = [(c, loops) for c in child_nodes(node) if c.__class__ not in _LEAVES]
            elif isinstance(node, ast.For | ast.AsyncFor):
                lp = self._make_loop(node, node.target, node.iter, list(node.body),
                                     "afor" if isinstance(node, ast.AsyncFor) else "for")
                inner = (*loops, lp)
                children = [(node.iter, loops), (node.target, inner)]
                children += [(b, inner) for b in node.body]
                children += [(b, loops) for b in node.orelse]
            elif isinstance(node, ast.If) and (taken := self._assumed(node.test)) is not None:
                # `if prefetch:` on a flag assumed for this pass (see `_flag_variants`)
                children = [(b, loops) for b in (node.body if taken else node.orelse)]
            elif isinstance(node, ast.If) and loops and _change_guard(node, loops[-1].vars):
                # runs once per distinct value of the row, not once per row
                children = [(node.test, loops)] + [(b, ()) for b in node.body]
                children += [(b, loops) for b in node.orelse]
            elif isinstance(node, _COMPS):
                gens = node.generators
                cur = loops
                for i, gen in enumerate(gens):
                    children.append((gen.iter, cur))
                    later: list[ast.AST] = list(gen.ifs)
                    for g2 in gens[i + 1:]:
                        later += [g2.iter, g2.target, *g2.ifs]
                    later += [node.key, node.value] if isinstance(node, ast.DictComp) else [
                        node.elt]
                    lp = self._make_loop(node, gen.target, gen.iter, later,
                                         "acomp" if gen.is_async else "comp")
                    cur = (*cur, lp)
                    children.append((gen.target, cur))
                    children += [(x, cur) for x in gen.ifs]
                if isinstance(node, ast.DictComp):
                    children += [(node.key, cur), (node.value, cur)]
                else:
                    children.append((node.elt, cur))
            else:
                children = [(c, loops) for c in child_nodes(node) if c.__class__ not in _LEAVES]
            stack.extend(reversed(children))

    def _assumed(self, test: ast.expr) -> bool | None:
        """The value of `flag` / `not flag` when this pass assumes one for the parameter."""
        if not self.assume:
            return None
        negate = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        name = test.operand if isinstance(test, ast.UnaryOp) and negate else test
        if not isinstance(name, ast.Name) or name.id not in self.assume:
            return None
        return self.assume[name.id] != negate

    def _make_loop(self, node: ast.AST, target: ast.expr, it: ast.expr, body: list[ast.AST],
                   kind: str) -> _Loop:
        names = frozenset(n.id for n in walk(target) if isinstance(n, ast.Name))
        self._loop_names |= names
        var: str | None = target.id if isinstance(target, ast.Name) else None
        rows = it
        if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id ==
                "enumerate" and it.args and isinstance(target, ast.Tuple)
                and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name)):
            rows = it.args[0]
            var = target.elts[1].id
        desc = self.qs(rows)
        for n in names:
            self._loop_rows[n] = desc if n == var else None
        if desc is None and var is not None and self._param_rooted(rows) and self.loop_params:
            self._param_roots = True
            try:
                pdesc = self.qs(rows)
            finally:
                self._param_roots = False
            if pdesc is not None:
                self._record_param_loop(node, var, it, body, pdesc, kind)
        lp = _Loop(node, names, var, it, body, desc, kind)
        lp.iter_kind = self._iter_kind(it, desc)
        if desc is not None and var is not None:
            self._record_loop(lp)
        if desc is not None and kind in ("for", "comp"):
            self.orm.append(["iter", desc, "for", pos(self.ctx, it)])
        return lp

    def _iter_kind(self, it: ast.expr, desc: QS | None) -> list[Any]:
        if desc is not None:
            return ["qs", desc]
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            return ["range"]
        if isinstance(it, ast.Tuple | ast.List | ast.Set) and all(
                isinstance(e, ast.Constant) for e in it.elts):
            return ["const"]
        last = it.attr if isinstance(it, ast.Attribute) else (
            it.id if isinstance(it, ast.Name) else "")
        if last and _IDS_NAME.match(last):
            return ["ids", last]
        return ["other"]

    def _record_loop(self, lp: _Loop) -> None:
        assert lp.var is not None
        self.row_loops.append(lp)
        acc, bare, store = _accesses(self.ctx, lp.var, lp.body)
        iter_name = lp.iter.id if isinstance(lp.iter, ast.Name) else None
        self.loops.append({
            "pos": pos(self.ctx, lp.iter), "loop": pos(self.ctx, lp.node), "var": lp.var,
            "qs": lp.qs, "acc": acc, "bare": bare, "store": store, "kind": lp.kind,
            "iter_name": iter_name,
        })
        # cheap text tests first: `helper(row.rel)` needs `(row.`, a re-fetch needs `row = `
        text = "\n".join(node_lines(self.ctx, lp.node))
        word = re.escape(lp.var)
        if re.search(rf"[(,=]\s*{word}\.", text):
            passes = self._passed_relations(lp)
            if passes:
                self.loops[-1]["passes"] = passes
        if re.search(rf"\b{word}\s*=(?!=)", text):
            self._record_refetch(lp)

    def _passed_relations(self, lp: _Loop) -> list[dict[str, Any]]:
        """`helper(row.rel)` / `self.helper(row.rel)` in the loop over `row`, whose result is
        evaluated there (iterated, listed, counted, tested): the project rule checks whether the
        helper returns `rel.filter(...)`, a new query per row."""
        var = lp.var
        assert var is not None
        if any(_stores(b, var) for b in lp.body):
            return []
        parents: dict[ast.AST, ast.AST] = {}
        if isinstance(lp.node, _COMPS):  # `[.. for row in rows for x in helper(row.rel)]`
            parents.update((gen.iter, gen) for gen in lp.node.generators)
        calls = [n for n in own_nodes(lp.body, parents) if isinstance(n, ast.Call)]
        out: list[dict[str, Any]] = []
        for call in calls:
            func = call.func
            on_self = isinstance(func, ast.Attribute) and self._is_self(func.value)
            if not (isinstance(func, ast.Name) or on_self) or not self._evaluated(call, parents):
                continue
            bound: list[tuple[int | str, ast.expr]] = [*enumerate(call.args)]
            bound += [(kw.arg, kw.value) for kw in call.keywords if kw.arg is not None]
            for key, arg in bound:
                path: list[str] = []
                e: ast.expr = arg
                while isinstance(e, ast.Attribute):
                    path.append(e.attr)
                    e = e.value
                if path and isinstance(e, ast.Name) and e.id == var:
                    p = pos(self.ctx, call)
                    out.append({"call": p, "arg": key, "path": path[::-1], "self": on_self,
                                "shown": ast.unparse(call), "name": ast.unparse(func)})
        return out

    def _evaluated(self, call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
        """Whether the value of `call` is evaluated where it stands: the iterable of a loop,
        the argument of `list()`/`len()`..., the receiver of `.count()`/`.first()`..., a test."""
        up = parents.get(call)
        if isinstance(up, ast.For | ast.comprehension):
            return up.iter is call
        if isinstance(up, ast.If | ast.While | ast.IfExp):
            return up.test is call
        if isinstance(up, ast.Call) and isinstance(up.func, ast.Name) and up.args == [call]:
            callee = self.ctx.resolver.qualname(up.func, self.scope)
            return callee in _BUILTIN_ROWS or callee in ("builtins.len", "builtins.bool",
                                                         "builtins.set")
        if isinstance(up, ast.Attribute) and up.attr in EVALUATING - _WRITES:
            top = parents.get(up)
            return isinstance(top, ast.Call) and top.func is up
        return False

    def _record_refetch(self, lp: _Loop) -> None:
        """`o = Order.objects.select_for_update().get(pk=o.pk)` in the loop over `o`: the row is
        fetched again on every iteration, and what the rest of that block reads from it is
        loaded by one more query each time unless the lookup selects it."""
        assert lp.var is not None
        found = _first_rebinding(lp.body, lp.var)
        if found is None:
            return
        block, i = found
        stmt = block[i]
        assert isinstance(stmt, ast.Assign)
        value = stmt.value
        root: ast.expr = value
        while isinstance(root, ast.Call | ast.Attribute):
            root = root.func if isinstance(root, ast.Call) else root.value
        if not isinstance(value, ast.Call) or (isinstance(root, ast.Name) and root.id in (
                self.env.keys() | self.locals)):
            return  # only a fresh `Model.objects...get()`: a local's binding may change in the loop
        got = self.qs(value)
        if got is None or not got["ops"] or got["ops"][-1][0] not in _ONE_ROW or (
                got["root"][0] not in ("mgr", "label")):
            return
        acc, _bare, _store = _accesses(self.ctx, lp.var, block[i + 1:])
        if acc:
            self.refetch.append({
                "qs": {"root": got["root"], "ops": got["ops"][:-1], "line": stmt.lineno},
                "fetch": pos(self.ctx, value), "loop": pos(self.ctx, lp.node), "var": lp.var,
                "acc": acc,
            })

    def _record_param_loop(self, node: ast.AST, var: str, it: ast.expr, body: list[ast.AST],
                           desc: QS, kind: str) -> None:
        """`for row in rows` where `rows` is a parameter: what each row reads, for the project
        rule to check against the querysets every caller passes."""
        acc, _bare, _store = _accesses(self.ctx, var, body)
        if acc and kind in ("for", "comp"):
            self.ploops.append({"param": desc["root"][1], "ops": desc["ops"],
                                "pos": pos(self.ctx, it), "loop": pos(self.ctx, node),
                                "var": var, "acc": acc})

    def _call_args(self, node: ast.Call) -> None:
        """Record a call that passes a queryset, so a callee looping over its parameter
        learns what its rows load (`export_rows(Order.objects.filter(...))`)."""
        if not node.args and not node.keywords:
            return
        args: list[QS | None] = []
        found = False
        for a in node.args:
            if isinstance(a, ast.Starred):
                return  # `f(*rows)`: which parameter gets what is not known
            d = self.qs(a) if isinstance(a, ast.Name | ast.Attribute | ast.Call
                                         | ast.Subscript) else None
            if d is not None and d["ops"] and d["ops"][-1][0] in EVALUATING:
                d = None
            found = found or d is not None
            args.append(d)
        kwargs: dict[str, QS | None] = {}
        for kw in node.keywords:
            if kw.arg is None:
                return  # `f(**options)`
            v = kw.value
            d = self.qs(v) if isinstance(v, ast.Name | ast.Attribute | ast.Call
                                         | ast.Subscript) else None
            if d is not None and d["ops"] and d["ops"][-1][0] in EVALUATING:
                d = None
            found = found or d is not None
            kwargs[kw.arg] = d
        if found:
            p = pos(self.ctx, node)
            self.argqs.append([p[0], p[1], args, kwargs])

    def run(self) -> dict[str, Any] | None:
        for node, loops in self._walk():
            if isinstance(node, ast.Assign):
                if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    self._assign(node.targets[0].id, node.value)
                else:
                    for t in node.targets:
                        for n in walk(t):
                            if isinstance(n, ast.Name):
                                self.env[n.id] = None
                                self._none_names.discard(n.id)
                                self._loop_rows.pop(n.id, None)
                                if isinstance(n.ctx, ast.Store):  # not `row.status = x`
                                    self._got.pop(n.id, None)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self._assign(node.target.id, node.value)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self._aug_assign(node.target.id, node)
            elif isinstance(node, ast.Return) and node.value is not None:
                self.returns.append(self.qs(node.value))
            elif isinstance(node, ast.Call):
                self._call(node, loops)
            elif isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
                self._truth(node.test)
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                self._truth(node.operand)
        return self._result()

    def _aug_assign(self, name: str, node: ast.AugAssign) -> None:
        """`qs |= Model.objects.filter(...)`: the union of two querysets of the same manager;
        what either side selects counts as selected (never more findings than either side)."""
        prev = self.env.get(name)
        self._none_names.discard(name)
        if isinstance(node.op, ast.BitOr) and isinstance(prev, dict):
            desc = self.qs(node.value)
            if desc is not None and desc["root"] == prev["root"] and not (
                    desc["ops"] and desc["ops"][-1][0] in EVALUATING):
                self.env[name] = {"root": prev["root"], "ops": prev["ops"] + desc["ops"],
                                  "line": prev["line"]}
                return
        self.env[name] = None

    def _assign(self, name: str, value: ast.expr) -> None:
        self._loop_rows.pop(name, None)
        got = self.qs(value) if isinstance(value, ast.Call) else None
        if got is not None and got["ops"] and got["ops"][-1][0] in _ONE_ROW and (
                got["root"][0] in ("mgr", "label")):
            self._got[name] = {"root": got["root"], "ops": got["ops"][:-1], "line": got["line"]}
        else:
            self._got.pop(name, None)
        if self._is_user_model(value):
            self._user_names.add(name)
        else:
            self._user_names.discard(name)
        if isinstance(value, ast.Constant) and value.value is None:
            # `changes = None` then `changes = Change.objects.filter(...)`: a loop over the
            # name cannot iterate None, so the None binding adds no rows of its own; a queryset
            # bound before it (another branch) is kept so what it selects still counts
            if not isinstance(self.env.get(name), dict):
                self.env[name] = None
                self._none_names.add(name)
            return
        sides = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        for side in sides:
            if isinstance(side, ast.Call | ast.Attribute | ast.Name | ast.Subscript):
                root: ast.expr = side
                while isinstance(root, ast.Call | ast.Attribute | ast.Subscript):
                    root = root.func if isinstance(root, ast.Call) else root.value
                if isinstance(root, ast.Name) and root.id == name:
                    self._self_derived.add(root)
        desc = self._either(value) if isinstance(value, ast.IfExp) else self.qs(value)
        if desc is None and self.node is not None and self.class_q and self._is_self(value):
            # `base = self` in a method (a queryset's, when the project rule applies it)
            desc = {"root": ["self", self.class_q], "ops": [], "line": value.lineno}
        if desc is not None and desc["ops"] and desc["ops"][-1][0] in EVALUATING:
            desc = None  # `order = Order.objects.get(...)`: an instance, not a queryset
        prev = self.env.get(name, "absent")
        if name in self._none_names:
            self._none_names.discard(name)
            prev = "absent"
        if desc is None:
            self.env[name] = None
        elif prev == "absent" or prev is None:
            self.env[name] = desc if prev == "absent" else None
        elif isinstance(prev, dict) and desc["root"] == prev["root"]:
            # `qs = qs.filter(...)` already carries prev's ops; a fresh assignment of the same
            # root (another branch) merges, so what either branch selects counts as selected
            if desc["line"] == prev["line"]:
                self.env[name] = desc
            else:
                self.env[name] = {"root": desc["root"], "ops": prev["ops"] + desc["ops"],
                                  "line": prev["line"]}
        else:
            self.env[name] = None

    def _either(self, value: ast.IfExp) -> QS | None:
        """`qs.filter(author=u) if u else qs.filter(author=None)`: either queryset, merged as
        two branches are (what either selects counts); unknown when a side limits columns."""
        a, b = self.qs(value.body), self.qs(value.orelse)
        if a is None or b is None or a["root"] != b["root"]:
            return None
        if any(op in EVALUATING or op in ("only", "defer") for op, _ in a["ops"] + b["ops"]):
            return None
        return {"root": a["root"], "ops": a["ops"] + b["ops"], "line": a["line"]}

    def _call(self, node: ast.Call, loops: tuple[_Loop, ...]) -> None:
        ctx = self.ctx
        func = node.func
        self._call_args(node)
        if isinstance(func, ast.Name) and node.args and len(node.args) == 1:
            callee = ctx.resolver.qualname(func, self.scope)
            arg = node.args[0]
            if callee == "builtins.len":
                desc = self.qs(arg)
                if desc is not None:
                    self.tests.append({"kind": "len", "qs": desc, "pos": pos(ctx, node),
                                       "name": self._name_of(arg)})
                    self.orm.append(["call", desc, "len()", pos(ctx, node)])
            elif callee == "builtins.bool":
                self._truth(arg)
            elif callee in _BUILTIN_ROWS:
                desc = self.qs(arg)
                if desc is not None:
                    self.orm.append(["call", desc, f"{func.id}()", pos(ctx, node)])
        if node.args and any(kw.arg == "many" and isinstance(kw.value, ast.Constant)
                             and kw.value.value is True for kw in node.keywords):
            # `BookSerializer(books, many=True)`: the serializer reads every row
            desc = self.qs(node.args[0])
            callee = ctx.resolver.qualname(func, self.scope) if desc is not None else None
            if desc is not None and callee:
                self.serialized.append([canonical(callee), desc, pos(ctx, node)])
        self._listed(node)
        if node in self._seen_calls or not isinstance(func, ast.Attribute):
            return
        spine: list[ast.AST] = []
        desc = self.qs(node, spine)
        if desc is not None and desc["ops"]:
            self._seen_calls.update(spine)
            last = desc["ops"][-1][0]
            if last in EVALUATING:
                self.orm.append(["call", desc, f"{last}()", pos(ctx, node)])
            if loops and last in PER_ITERATION and desc["root"][0] in ("mgr", "label"):
                self._query_in_loop(node, desc, loops)
            return
        if func.attr in _INSTANCE_SYNC and isinstance(func.value, ast.Name):
            t = ctx.resolver.qualname(func.value, self.scope)
            if t and func.value.id in self.locals:
                self.orm.append(["inst", t, func.attr, pos(ctx, node), func.value.id])

    def _listed(self, node: ast.Call) -> None:
        """`BookTable(qs)` (django-tables2) and `BookResource().export(qs)` (import-export):
        classes that read every row they are given; the project rule checks what they are."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "export" and isinstance(
                func.value, ast.Call):
            arg = node.args[0] if node.args else _kw(node, "queryset")
            made = func.value.func
            kind = "export"
        elif node.args and ((isinstance(func, ast.Name) and func.id.endswith("Table")) or (
                isinstance(func, ast.Attribute) and func.attr.endswith("Table"))):
            arg, made, kind = node.args[0], func, "table"
        else:
            return
        desc = self.qs(arg) if arg is not None else None
        if arg is not None and desc is None:
            return
        callee = self.ctx.resolver.qualname(made, self.scope)
        if callee:
            self.listed.append([kind, canonical(callee), desc, pos(self.ctx, node)])

    def _query_in_loop(self, node: ast.Call, desc: QS, loops: tuple[_Loop, ...]) -> None:
        used = {n.id for n in _load_names(node)}
        for lp in reversed(loops):
            if lp.vars & used:
                self.in_loop.append({"qs": desc, "pos": pos(self.ctx, node),
                                     "iter": lp.iter_kind, "loop": pos(self.ctx, lp.node),
                                     "var": sorted(lp.vars & used)[0]})
                return

    def _name_of(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            self._test_names.append(expr)
            return expr.id
        return None

    def _truth(self, test: ast.expr) -> None:
        if isinstance(test, ast.BoolOp):
            for v in test.values:
                self._truth(v)
            return
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return  # visited on its own
        if not isinstance(test, ast.Name | ast.Call | ast.Attribute | ast.Subscript):
            return
        desc = self.qs(test)
        if desc is None:
            return
        if desc["ops"] and desc["ops"][-1][0] in EVALUATING:
            return
        self.tests.append({"kind": "bool", "qs": desc, "pos": pos(self.ctx, test),
                           "name": self._name_of(test)})
        self.orm.append(["call", desc, "bool()", pos(self.ctx, test)])

    def _result(self) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        rets = self.returns
        if rets and all(r is not None for r in rets):
            first = rets[0]
            assert first is not None
            if all(r is not None and r["root"] == first["root"] for r in rets):
                ops: list[Any] = []
                for r in rets:
                    assert r is not None
                    ops += r["ops"]
                out["ret"] = {"root": first["root"], "ops": ops, "line": first["line"]}
        if self.loops or self.tests:
            uses = self._other_uses()
            for lp in self.loops:
                n = lp.pop("iter_name")
                lp["iter_uses"] = 0 if n is None else uses.get(n, 0) - 1
            for t in self.tests:
                n = t["name"]
                t["other_uses"] = 0 if n is None else uses.get(n, 0)
        else:
            for lp in self.loops:
                lp.pop("iter_name", None)
        if self.loops:
            out["loops"] = self.loops
        if self.in_loop:
            out["in_loop"] = self.in_loop
        if self.orm:
            # sync functions only matter to DJA302 as callees of async code: one op is enough
            out["orm"] = self.orm if self.is_async else self.orm[:1]
        if self.tests:
            out["tests"] = self.tests
        if self.serialized:
            out["serialized"] = self.serialized
        if self.listed:
            out["listed"] = self.listed
        if self.argqs:
            out["argqs"] = self.argqs
        if self.refetch:
            out["refetch"] = self.refetch
        if self.ploops:
            out["ploops"] = self.ploops
            assert self.node is not None
            out["sig"] = _signature(self.node, bool(self.class_q))
        if not out:
            return None
        assert self.node is not None
        out["q"] = self.qualname
        out["async"] = self.is_async
        out["line"] = self.node.lineno
        return out

    def _other_uses(self) -> dict[str, int]:
        """Per local name: loads that are not a len()/truth test, a `.count()`/`.exists()`
        call, or the right-hand side of `qs = qs.method(...)`."""
        allowed: set[int] = {id(n) for n in self._test_names}
        allowed |= {id(n) for n in self._self_derived}
        node = self.node
        assert node is not None
        body = self._body  # the own body's loads; nested scopes and the signature walked here
        loads = list(body.loads)
        allowed.update(id(n) for n in body.counted)
        rest: list[ast.AST] = [*body.nested, node.args, *node.decorator_list]
        if node.returns is not None:
            rest.append(node.returns)
        for top in rest:
            for sub in walk(top):
                if isinstance(sub, ast.Name):
                    if isinstance(sub.ctx, ast.Load):
                        loads.append(sub)
                elif isinstance(sub, ast.Call) and (receiver := _counted(sub)) is not None:
                    allowed.add(id(receiver))
        counts: dict[str, int] = {}
        for name in loads:
            if id(name) not in allowed:
                counts[name.id] = counts.get(name.id, 0) + 1
        return counts


# a function without any of these can hold no queryset we know how to follow
_FUNCTION_HINTS = (".objects", "get_queryset(", "self.queryset", "_manager", "object_list",
                   "self.model.", "return self.", "select_related", "prefetch_related",
                   "many=True", ".export(", "Table(")
# a loop over another row's related manager (`for o in event.orders.filter(...)`)
_RELATED_HINTS = (".all()", ".filter(", ".exclude(", ".order_by(")


def _loops_over_param(node: ast.FunctionDef | ast.AsyncFunctionDef, text: str) -> bool:
    """Cheap text test: `in <parameter>` appears (`for row in rows`, a comprehension)."""
    args = node.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self", "cls"}
    return bool(names) and any(m.group(1) in names for m in _IN_NAME.finditer(text))


_IN_NAME = re.compile(r"\bin (\w+)\b(?!\s*[\[(])")  # `in rows`, not `in rows[0]`


def function_fact(ctx: FileContext, node: ast.FunctionDef | ast.AsyncFunctionDef,
                  outer: Scope) -> dict[str, Any] | None:
    retq: dict[str, Any] | None = None
    item: list[Any] | None = None
    method = outer.kind == "class"
    if not isinstance(node, ast.AsyncFunctionDef):
        text = "\n".join(node_lines(ctx, node))
        if _RETURNS_METHOD.search(text):
            retq = _returns_query(node, method)
        if method and may_return_item(text):
            item = returned_item(node)  # `return component.addons_cache[event]`
        # `event.orders.filter(...)`: looped over here, or passed to a helper that loops
        if not any(h in text for h in _FUNCTION_HINTS) and not any(
                h in text for h in _RELATED_HINTS) and not (
                "for " in text and _loops_over_param(node, text)) and retq is None and (
                item is None):
            return None
    fn, fact = analysed(ctx, node, outer)
    if fact is not None and "ret" in fact and method:
        _flag_variants(ctx, node, outer, fact)
    held = held_rows_fact(fn) if method and is_property(node) else None
    if fact is not None and "ploops" in fact and not method:
        tag = tag_fact(node)  # an inclusion or simple tag looping over a parameter
        if tag is not None:
            fact[TAG] = tag
    if retq is not None or item is not None or held is not None:
        if fact is None:
            fact = {"q": f"{outer.qualname}.{node.name}", "async": False, "line": node.lineno}
        if retq is not None:
            fact["retq"] = retq
            fact["sig"] = _signature(node, method)
        if item is not None:
            fact[ITEM] = item
        if held is not None:
            fact[HELD] = held
    return fact


_ANALYSED = "django.analysed"  # `FileContext.shared` key: function node -> (_Function, fact)


def analysed(ctx: FileContext, node: ast.FunctionDef | ast.AsyncFunctionDef,
             outer: Scope) -> tuple[_Function, dict[str, Any] | None]:
    """The function's analysis, run once per file for every collector that asks (the Django
    facts, the template facts). `outer` is the scope the function is defined in; a class scope
    built apart from the engine's is the same class."""
    memo: dict[ast.AST, tuple[_Function, dict[str, Any] | None]] = ctx.shared.setdefault(
        _ANALYSED, {})
    found = memo.get(node)
    if found is None:
        fn = _Function(ctx, node, outer)
        found = memo[node] = (fn, fn.run())
    return found


# (starting with the literal word, which the regex engine then searches for fast)
_RETURNS_METHOD = re.compile(r"return\s+(?:super\(\)\.)?\w+(?:\([^)]*\))?\.\w+\(")
# queryset methods that return a new queryset and, applied to a related manager, always query
# (a prefetch of the relation cannot serve them)
_QUERY_OPS = frozenset({"filter", "exclude", "order_by", "values", "values_list", "annotate",
                        "distinct", "select_related", "prefetch_related", "only", "defer"})


def _returns_query(node: ast.FunctionDef, method: bool) -> dict[str, Any] | None:
    """`def type_filter(self, qs): return qs.filter(...)`: every `return` applies query methods
    to one parameter the body never rebinds, or to `super().<same method>(<the parameters>)`.
    {"param": name or None (super), "op": first method applied}; None for anything else."""
    if not node.body or not isinstance(node.body[-1], ast.Return):
        return None
    args = node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    self_name = positional[0] if method and positional else None
    params = frozenset({*positional, *(a.arg for a in args.kwonlyargs)} - {self_name or ""})
    last = node.body[-1]
    assert isinstance(last, ast.Return)
    if _query_on_param(last.value, node.name, params, positional[1 if method else 0:],
                       method) is None:
        return None  # the last `return` already fails with every parameter allowed
    unbound = _unbound_params(node, self_name)
    found: list[tuple[str | None, str]] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        n = stack.pop()
        if isinstance(n, _SCOPES):
            continue
        if isinstance(n, ast.Yield | ast.YieldFrom | ast.Await):
            return None
        if isinstance(n, ast.Return):
            got = _query_on_param(n.value, node.name, unbound, positional[1 if method else 0:],
                                  method)
            if got is None:
                return None
            found.append(got)
        stack.extend(child_nodes(n))
    if not found or len({p for p, _ in found}) != 1:
        return None
    return {"param": found[0][0], "op": found[-1][1]}


def _query_on_param(value: ast.expr | None, name: str, unbound: frozenset[str],
                    forwarded: list[str], method: bool) -> tuple[str | None, str] | None:
    """(parameter or None for `super().name(...)`, first method) of `param.filter(...)...`."""
    ops: list[str] = []
    e = value
    while isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
        ops.append(e.func.attr)
        inner = e.func.value
        if method and e.func.attr == name and isinstance(inner, ast.Call) and isinstance(
                inner.func, ast.Name) and inner.func.id == "super" and not inner.args:
            ops.pop()
            passed = [a.id if isinstance(a, ast.Name) else "" for a in e.args]
            if not ops or e.keywords or passed != forwarded or not all(
                    p in unbound for p in passed):
                return None
            return (None, ops[-1]) if all(op in _QUERY_OPS for op in ops) else None
        e = inner
    if not ops or not isinstance(e, ast.Name) or e.id not in unbound:
        return None
    if not all(op in _QUERY_OPS for op in ops):
        return None
    return e.id, ops[-1]


def _flag_variants(ctx: FileContext, node: ast.FunctionDef | ast.AsyncFunctionDef,
                   outer: Scope, fact: dict[str, Any]) -> None:
    """`def content(self, prefetch=False): ...; if prefetch: qs = qs.prefetch_related(...)`:
    the queryset returned for each value of the one flag parameter its top-level `if`s test,
    so a call with a literal (or none, the default) follows the branch it selects. Recorded
    as `ret_if`: [name, position after self, default, returned when true, when false]."""
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs:
        return
    params = args.args[1:]
    defaults: dict[str, Any] = {}
    for a, d in zip(params[len(params) - len(args.defaults):], args.defaults, strict=True):
        if isinstance(d, ast.Constant) and (d.value is None or isinstance(d.value, bool)):
            defaults[a.arg] = d.value
    tested: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, ast.If):
            t = stmt.test
            n = t.operand if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not) else t
            if isinstance(n, ast.Name) and n.id in defaults:
                tested.add(n.id)
    if len(tested) != 1:
        return
    (flag,) = tested
    if any(_stores(stmt, flag) for stmt in node.body):
        return  # rebound in the body: the test may not be the argument's value
    rets: list[Any] = []
    for value in (True, False):
        fn = _Function(ctx, node, outer)
        fn.assume = {flag: value}
        rets.append((fn.run() or {}).get("ret"))
    names = [a.arg for a in params]
    fact["ret_if"] = [flag, names.index(flag), defaults[flag], rets[0], rets[1]]


# -- attribute paths read from a loop variable ---------------------------------------------------


def _chain(node: ast.AST) -> tuple[ast.Name, list[tuple[str, ast.AST]], list[ast.AST]] | None:
    """`x.a.b()` -> (x, [("a", node), ("b()", node)], spine nodes), or None."""
    els: list[tuple[str, ast.AST]] = []
    spine: list[ast.AST] = []
    e: ast.AST = node
    for _ in range(64):
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            els.append((e.func.attr + "()", e.func))
            spine += [e, e.func]
            e = e.func.value
        elif isinstance(e, ast.Attribute):
            els.append((e.attr, e))
            spine.append(e)
            e = e.value
        elif isinstance(e, ast.Subscript):
            els.append(("[]", e))
            spine.append(e)
            e = e.value
        elif isinstance(e, ast.Name):
            if not els:
                return None
            spine.append(e)
            els.reverse()
            return e, els, spine
        else:
            return None
    return None


def _first_rebinding(body: list[ast.stmt] | list[ast.AST],
                     var: str) -> tuple[list[ast.AST], int] | None:
    """The block and index of the first statement (in source order) that binds `var`, when it
    is a plain `var = ...`; None when there is none or the first binding is of another kind."""
    for i, stmt in enumerate(body):
        if isinstance(stmt, _SCOPES):
            if getattr(stmt, "name", None) == var:
                return None
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name) and stmt.targets[0].id == var:
            return None if _stores(stmt.value, var) else (list(body), i)
        blocks = [getattr(stmt, f, None) for f in ("body", "orelse", "finalbody")]
        if isinstance(stmt, ast.Try | ast.TryStar):
            blocks[1:1] = [h.body for h in stmt.handlers]
        if isinstance(stmt, ast.Match):
            blocks = [c.body for c in stmt.cases]
        inner = [b for b in blocks if isinstance(b, list) and b]
        heads = [c for c in child_nodes(stmt) if not any(
            c in b for b in inner) and not isinstance(c, ast.ExceptHandler | ast.match_case)]
        if isinstance(stmt, ast.Try | ast.TryStar):
            heads += [h.type for h in stmt.handlers if h.type is not None]
            if any(h.name == var for h in stmt.handlers):
                return None
        if isinstance(stmt, ast.Match):
            heads += [c for case in stmt.cases for c in (case.pattern, case.guard) if c]
        if any(_stores(h, var) for h in heads):
            return None
        for b in inner:
            found = _first_rebinding(b, var)
            if found is not None:
                return found
            if any(_stores(s, var) for s in b):
                return None  # bound another way inside the block
    return None


def _change_guard(node: ast.If, aliases: dict[str, list[str]] | frozenset[str]) -> bool:
    """`if <name> != <row path>:` (possibly `or`-ed with more tests) whose body assigns
    `<name>`: a "changed since the last row" test, so the body runs once per distinct value."""
    test = node.test
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [
        test]
    assigned: set[str] | None = None  # names the body binds, once a test needs them
    for t in tests:
        if not (isinstance(t, ast.Compare) and len(t.ops) == 1
                and isinstance(t.ops[0], ast.NotEq | ast.IsNot)):
            continue
        sides = [t.left, t.comparators[0]]
        names = [s.id for s in sides if isinstance(s, ast.Name)]
        rows = [s for s in sides if not isinstance(s, ast.Name)]
        if len(names) != 1 or len(rows) != 1:
            continue
        if assigned is None:
            assigned = {sub.id for stmt in node.body for sub in walk(stmt)
                        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)}
        if names[0] not in assigned:
            continue
        ch = _chain(rows[0])
        if ch is not None and ch[0].id in aliases:
            return True
    return False


def _accesses(ctx: FileContext, var: str,
              body: list[ast.AST]) -> tuple[list[list[Any]], bool, bool]:
    """Every attribute path read from `var` (and from names that alias a path of it) in `body`:
    [[path, line, col, [end_line, end_col] per element]], whether `var` is used bare (passed,
    returned, stored), and whether an attribute of it is assigned."""
    aliases: dict[str, list[str]] = {var: []}
    seen: set[int] = set()
    acc: list[list[Any]] = []
    stores: list[tuple[ast.AST, list[str]]] = []
    bare = False
    store = False
    src = ctx.source
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            # a nested function or lambda may run later or never: its reads are not per row,
            # but the row escaping into it is a use
            for n in walk(node):
                if isinstance(n, ast.Name) and n.id in aliases:
                    bare = True
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            for t in targets:
                if isinstance(t, ast.Name) and t.id in aliases and t.id != var:
                    del aliases[t.id]
            if value is not None and len(targets) == 1 and isinstance(targets[0], ast.Name):
                ch = _chain(value) if not isinstance(value, ast.Name) else None
                if ch is not None and ch[0].id in aliases and not any(
                        el.endswith("()") for el, _ in ch[1]):
                    aliases[targets[0].id] = aliases[ch[0].id] + [el for el, _ in ch[1]]
                elif isinstance(value, ast.Name) and value.id in aliases:
                    aliases[targets[0].id] = list(aliases[value.id])
            if any(isinstance(t, ast.Name) and t.id == var for t in targets):
                break  # the loop variable is rebound: what follows is not about the row
        if isinstance(node, ast.If) and _change_guard(node, aliases):
            # `if last_id != row.event_id: ...; last_id = row.event_id`: the body runs once per
            # distinct value, not per row
            stack.extend(reversed([node.test, *node.orelse]))
            continue
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and isinstance(
                node.target, ast.Name):
            ch = _chain(node.iter)
            if ch is not None and ch[0].id in aliases:
                aliases[node.target.id] = aliases[ch[0].id] + [el for el, _ in ch[1]] + ["*"]
        if id(node) not in seen and isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
            ch = _chain(node)
            if ch is not None and ch[0].id in aliases:
                root, els, spine = ch
                seen.update(id(s) for s in spine)
                path = aliases[root.id] + [el for el, _ in els]
                ends = []
                for _, n in els:
                    end_line = getattr(n, "end_lineno", None) or root.lineno
                    ends.append([end_line, src.char_column(end_line, getattr(
                        n, "end_col_offset", None) or 0)])
                prefix = [[root.lineno, src.char_column(root.lineno, root.col_offset)]] * len(
                    aliases[root.id])
                is_store = isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                store = store or is_store
                if is_store:
                    stores.append((node, path))
                acc.append([path, root.lineno, src.char_column(root.lineno, root.col_offset),
                            prefix + ends, is_store])
        elif isinstance(node, ast.Name) and id(node) not in seen and node.id in aliases and (
                isinstance(node.ctx, ast.Load)):
            bare = True
        stack.extend(reversed(list(child_nodes(node))))
    if stores:
        acc = _drop_cached(body, acc, stores)
    return acc, bare, store


# what may skip the statements it holds: a store inside one of these only caches the relation for
# the reads inside it (`with` and `try` bodies run through)
_GUARDS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.IfExp, ast.BoolOp,
           ast.match_case, ast.comprehension, *_SCOPES)


def _drop_cached(body: list[ast.AST], acc: list[list[Any]],
                 stores: list[tuple[ast.AST, list[str]]]) -> list[list[Any]]:
    """`row.author = author` then `row.author.name`: Django caches the assigned object, so a
    read of that relation after the store, where the store surely ran, loads nothing."""
    parents: dict[ast.AST, ast.AST] = {}
    for top in body:
        for n in walk(top):
            for c in child_nodes(n):
                parents[c] = n
    spans: list[tuple[tuple[int, int], int, list[str]]] = []
    for node, path in stores:
        assign = parents.get(node)
        start = (getattr(assign, "end_lineno", None) or getattr(node, "end_lineno", 0) or 0,
                 getattr(assign, "end_col_offset", None) or 0)
        child, guard = node, parents.get(node)
        while guard is not None and not isinstance(guard, _GUARDS):
            child, guard = guard, parents.get(guard)
        if guard is None:  # straight in the loop body: until its end
            end = max(getattr(b, "end_lineno", None) or 0 for b in body)
        else:  # until the end of the block holding the store (not the `else` beside it)
            block = next((blk for f in ("body", "orelse", "finalbody")
                          if child in (blk := getattr(guard, f, None) or [])), None)
            if not isinstance(block, list):
                continue
            end = getattr(block[-1], "end_lineno", None) or 0
        spans.append((start, end, path))
    out = []
    for entry in acc:
        path, line, col, _ends, is_store = entry
        if not is_store and any(
                path[:len(sp)] == sp and (line, col) > start and line <= end
                for start, end, sp in spans):
            continue
        out.append(entry)
    return out
