"""The per-file half of template checks: which views render which templates with which querysets.

Contributes `django.templates` facts (plain data), one entry per:

* class with template attributes (`template_name`, `context_object_name`,
  `template_name_suffix`, `paginate_by`) or a `get_context_data()` that adds querysets:
  `{"k": "view", "q", "line", "attrs", "ctx"}`;
* call of `render()`, `TemplateResponse()` or `render_to_string()` with a literal template name
  and a context whose entries are querysets or single objects:
  `{"k": "render", "fn", "line", "col", "tpl", "ctx"}`;
* settings module assigning `TEMPLATES = [{"DIRS": [...]}]` (or `TEMPLATE_DIRS`) with folders
  built from `__file__`: `{"k": "dirs", "dirs": [[levels up from the file, [parts]], ...]}`.

A context entry is `[kind, queryset description, line]`: kind "qs" for rows, "one" for an object
fetched with `.get()`/`get_object_or_404()` (its queryset is described). A key
`get_context_data()` sets once in each branch of an `if`/`elif`/`else` is `["alt", [entry or
None, ...]]`: the template is checked with each branch's value.
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar

from stackwise.engine.context import FileContext
from stackwise.engine.known_types import canonical
from stackwise.engine.scope import Scope, child_nodes, walk
from stackwise.rules._api import FactCollector
from stackwise.rules.django._extract import EVALUATING, QS, _Function, analysed, names_scope
from stackwise.rules.django._models import is_test_or_migration
from stackwise.rules.django._syntax import node_lines

TEMPLATES = "django.templates"
# a context entry set in exclusive branches: [ALTERNATIVES, [entry or None per branch]]
ALTERNATIVES = "alt"

RENDERERS = {
    # callee -> (index of the template name, index of the context) among positional arguments
    "django.shortcuts.render": (1, 2),
    "django.shortcuts.render_to_response": (0, 1),
    "django.template.response.TemplateResponse": (1, 2),
    "django.template.response.SimpleTemplateResponse": (0, 1),
    "django.template.loader.render_to_string": (0, 1),
}
_VIEW_ATTRS = ("template_name", "context_object_name", "template_name_suffix")
_ONE = frozenset({"get", "first", "last", "latest", "earliest"})
_HINTS = ("render", "TemplateResponse")


def _str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class TemplateFacts(FactCollector):
    """Contributes `django.templates` facts for the template half of DJA300."""

    code = "DJA"
    name = "django-template-facts"
    summary = "collects Django template facts"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (
        ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)
    # files importing Django, and settings modules (which often import nothing from it)
    requires_text: ClassVar[tuple[str, ...]] = ("django", "TEMPLATES", "TEMPLATE_DIRS")

    def __init__(self) -> None:
        self._django: bool | None = None
        self._in_tests = False
        self._settings = False
        self._assigns: dict[str, ast.expr] = {}

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if self._django is None:
            self._django = ctx.imports("django")
            self._in_tests = is_test_or_migration(ctx.path)  # views there are not checked
            # settings modules often import nothing from Django: their TEMPLATES still count
            text = ctx.source.text
            self._settings = "TEMPLATES" in text or "TEMPLATE_DIRS" in text
        if isinstance(node, ast.Assign):
            if self._settings and ctx.scope is not None and ctx.scope.kind == "module":
                self._module_assign(ctx, node)
            return
        if not self._django or self._in_tests:
            return
        outer = ctx.scope
        assert outer is not None
        if isinstance(node, ast.ClassDef):
            fact = _view_fact(ctx, node)
            if fact is not None:
                ctx.add_fact(TEMPLATES, fact)
            return
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if not any(h in line for line in node_lines(ctx, node) for h in _HINTS):
            return
        for fact in _render_facts(ctx, node, outer):
            ctx.add_fact(TEMPLATES, fact)

    # -- settings ---------------------------------------------------------------------------------

    def _module_assign(self, ctx: FileContext, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        self._assigns[name] = node.value
        if name not in ("TEMPLATES", "TEMPLATE_DIRS"):
            return
        dirs: list[ast.expr] = []
        if name == "TEMPLATE_DIRS" and isinstance(node.value, ast.List | ast.Tuple):
            dirs = list(node.value.elts)
        elif isinstance(node.value, ast.List | ast.Tuple):
            for conf in node.value.elts:
                if not isinstance(conf, ast.Dict):
                    continue
                for k, v in zip(conf.keys, conf.values, strict=True):
                    if _str(k) == "DIRS" and isinstance(v, ast.List | ast.Tuple):
                        dirs += v.elts
        out = [d for d in (self._path(e, 0) for e in dirs) if d is not None]
        if out:
            ctx.add_fact(TEMPLATES, {"k": "dirs", "dirs": out})

    def _path(self, e: ast.expr, depth: int) -> list[Any] | None:
        """`BASE_DIR / "templates"` -> [levels up from this file, ["templates"]], or None."""
        if depth > 12:
            return None
        if isinstance(e, ast.Name):
            if e.id == "__file__":
                return [0, []]
            value = self._assigns.get(e.id)
            return self._path(value, depth + 1) if value is not None else None
        if isinstance(e, ast.Attribute) and e.attr == "parent":
            inner = self._path(e.value, depth + 1)
            return self._up(inner)
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Div):
            inner = self._path(e.left, depth + 1)
            part = _str(e.right)
            return self._join(inner, [part]) if part is not None else None
        if not isinstance(e, ast.Call):
            return None
        func = e.func
        fname = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if fname in ("resolve", "absolute", "expanduser") and isinstance(func, ast.Attribute):
            return self._path(func.value, depth + 1)
        if fname == "joinpath" and isinstance(func, ast.Attribute):
            parts = [_str(a) for a in e.args]
            return self._join(self._path(func.value, depth + 1), parts)
        if fname in ("Path", "str", "abspath", "realpath", "normpath") and len(e.args) == 1:
            return self._path(e.args[0], depth + 1)
        if fname == "dirname" and len(e.args) == 1:
            return self._up(self._path(e.args[0], depth + 1))
        if fname == "join" and e.args and isinstance(func, ast.Attribute) and isinstance(
                func.value, ast.Attribute) and func.value.attr == "path":
            return self._join(self._path(e.args[0], depth + 1), [_str(a) for a in e.args[1:]])
        return None

    @staticmethod
    def _up(value: list[Any] | None) -> list[Any] | None:
        if value is None:
            return None
        ups, parts = value
        if parts:
            return [ups, parts[:-1]]
        return [ups + 1, []]

    @staticmethod
    def _join(value: list[Any] | None, more: list[str | None]) -> list[Any] | None:
        if value is None or any(p is None for p in more):
            return None
        parts = list(value[1])
        for p in more:
            assert p is not None
            for piece in p.split("/"):
                if piece in ("", "."):
                    continue
                if piece == ".." or piece.startswith(("/", "\\")) or ":" in piece:
                    return None
                parts.append(piece)
        return [value[0], parts]


# -- class-based views --------------------------------------------------------------------------


def _view_fact(ctx: FileContext, node: ast.ClassDef) -> dict[str, Any] | None:
    outer = ctx.scope
    assert outer is not None
    qual = f"{outer.qualname}.{node.name}"
    attrs: dict[str, Any] = {}
    ctx_entries: dict[str, Any] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name):
            name, value = stmt.targets[0].id, stmt.value
            if name in _VIEW_ATTRS:
                attrs[name] = _str(value) if _str(value) is not None else "?"
            elif name == "paginate_by":
                attrs[name] = not (isinstance(value, ast.Constant) and value.value is None)
        elif isinstance(stmt, ast.FunctionDef) and stmt.name == "get_context_data":
            scope = Scope("class", node, qual, outer)
            ctx_entries = _context_data(ctx, stmt, scope)
    if not attrs and not ctx_entries:
        return None
    return {"k": "view", "q": qual, "line": node.lineno, "attrs": attrs, "ctx": ctx_entries}


def _context_data(ctx: FileContext, node: ast.FunctionDef, scope: Scope) -> dict[str, Any]:
    """Querysets `get_context_data()` adds: `context["k"] = qs`, `context.update(k=qs)`,
    `super().get_context_data(k=qs, **kwargs)`."""
    fn, _fact = analysed(ctx, node, scope)
    sets: dict[str, list[tuple[ast.expr, ast.AST]]] = {}
    for sub in walk(node):
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(
                sub.targets[0], ast.Subscript):
            key = _str(sub.targets[0].slice)
            if key is not None:
                sets.setdefault(key, []).append((sub.value, sub))
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and (
                sub.func.attr in ("update", "get_context_data")):
            for key, value in _call_pairs(sub):
                sets.setdefault(key, []).append((value, sub))
    out: dict[str, Any] = {}
    parents: dict[ast.AST, ast.AST] | None = None
    for key, found in sets.items():
        if len(found) == 1:
            out[key] = _entry(ctx, fn, node, found[0][0])
            continue
        if parents is None:
            parents = {c: n for n in walk(node) for c in child_nodes(n)}
        if _exclusive([where for _, where in found], parents):
            # set once in each branch of an `if`: each branch's value, as alternatives
            out[key] = [ALTERNATIVES, [_entry(ctx, fn, node, value) for value, _ in found]]
        else:
            out[key] = None  # set twice on one path: which value reaches the template is unclear
    return out


def _exclusive(nodes: list[ast.AST], parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether no two of `nodes` can run on one path: for every pair, the innermost statement
    holding both is an `if` with one in its body and the other in its `else` (an `elif`)."""
    def path(n: ast.AST) -> list[ast.AST]:
        out = [n]
        while out[-1] in parents:
            out.append(parents[out[-1]])
        return out[::-1]

    paths = [path(n) for n in nodes]
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            k = 0
            while k < min(len(a), len(b)) and a[k] is b[k]:
                k += 1
            if k == 0 or k >= min(len(a), len(b)):
                return False
            top = a[k - 1]
            if not isinstance(top, ast.If):
                return False
            sides = {id(c) for c in top.body}, {id(c) for c in top.orelse}
            if not ((id(a[k]) in sides[0] and id(b[k]) in sides[1]) or (
                    id(a[k]) in sides[1] and id(b[k]) in sides[0])):
                return False
    return True


# -- render() calls -----------------------------------------------------------------------------


def _dict_pairs(node: ast.Dict) -> list[tuple[str, ast.expr]]:
    out: list[tuple[str, ast.expr]] = []
    for k, v in zip(node.keys, node.values, strict=True):
        key = _str(k) if k is not None else None
        if key is not None:
            out.append((key, v))
    return out


def _call_pairs(call: ast.Call) -> list[tuple[str, ast.expr]]:
    """The keys a call like `context.update(k=v, **extra)` or `.update({"k": v})` sets."""
    pairs = [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    for arg in call.args:
        if isinstance(arg, ast.Dict):
            pairs += _dict_pairs(arg)
    return pairs


def _render_facts(ctx: FileContext, node: ast.FunctionDef | ast.AsyncFunctionDef,
                  outer: Scope) -> list[dict[str, Any]]:
    calls: list[tuple[ast.Call, str, ast.expr | None]] = []
    scope = names_scope(node, outer)  # resolve names as `_Function` will
    for sub in walk(node):
        if not isinstance(sub, ast.Call):
            continue
        callee = canonical(ctx.resolver.qualname(sub.func, scope) or "")
        spec = RENDERERS.get(callee)
        if spec is None:
            continue
        t_at, c_at = spec
        names = ("template_name", "context") if callee.endswith("render_to_string") else (
            "template", "context")
        tpl = sub.args[t_at] if len(sub.args) > t_at else next(
            (kw.value for kw in sub.keywords if kw.arg in (names[0], "template_name")), None)
        context = sub.args[c_at] if len(sub.args) > c_at else next(
            (kw.value for kw in sub.keywords if kw.arg == names[1]), None)
        name = _str(tpl)
        if name is not None:
            calls.append((sub, name, context))
    if not calls:
        return []
    fn, _fact = analysed(ctx, node, outer)
    out: list[dict[str, Any]] = []
    for call, name, context in calls:
        pairs = _context_pairs(node, context)
        entries = {key: _entry(ctx, fn, node, value) for key, value in pairs}
        entries = {k: v for k, v in entries.items() if v is not None}
        if not entries:
            continue
        out.append({"k": "render", "fn": fn.qualname, "line": call.lineno,
                    "col": ctx.source.char_column(call.lineno, call.col_offset) + 1,
                    "tpl": name, "ctx": entries})
    return out


def _context_pairs(func: ast.AST, context: ast.expr | None) -> list[tuple[str, ast.expr]]:
    """The literal keys of a context: a dict display, `dict(k=v)`, or a local dict variable
    filled in the function (`context = {...}`, `context["k"] = v`, `context.update(...)`)."""
    if context is None:
        return []
    if isinstance(context, ast.Dict):
        return _dict_pairs(context)
    if isinstance(context, ast.Call) and isinstance(context.func, ast.Name) and (
            context.func.id == "dict") and not context.args:
        return [(kw.arg, kw.value) for kw in context.keywords if kw.arg]
    if not isinstance(context, ast.Name):
        return []
    var = context.id
    pairs: list[tuple[str, ast.expr]] = []
    for sub in walk(func):
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
            t = sub.targets[0]
            if isinstance(t, ast.Name) and t.id == var:
                if isinstance(sub.value, ast.Dict):
                    pairs += _dict_pairs(sub.value)
                elif isinstance(sub.value, ast.Call) and isinstance(sub.value.func, ast.Name) and (
                        sub.value.func.id == "dict"):
                    pairs += [(kw.arg, kw.value) for kw in sub.value.keywords if kw.arg]
            elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and (
                    t.value.id == var) and _str(t.slice) is not None:
                key = _str(t.slice)
                assert key is not None
                pairs.append((key, sub.value))
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and (
                sub.func.attr == "update" and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id == var):
            pairs += _call_pairs(sub)
    # a key set twice may hold either value: not known
    seen: dict[str, int] = {}
    for key, _ in pairs:
        seen[key] = seen.get(key, 0) + 1
    return [(k, v) for k, v in pairs if seen[k] == 1]


def _entry(ctx: FileContext, fn: _Function, func: ast.AST, value: ast.expr) -> list[Any] | None:
    """[kind, queryset description, line] for a context value, or None when unknown."""
    if isinstance(value, ast.Name):
        assigned = [sub.value for sub in walk(func) if isinstance(sub, ast.Assign)
                    and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name)
                    and sub.targets[0].id == value.id]
        if len(assigned) == 1:
            one = _one(ctx, fn, assigned[0])
            if one is not None:
                return one
    else:
        one = _one(ctx, fn, value)
        if one is not None:
            return one
    desc = fn.qs(value)
    if desc is None or any(op in EVALUATING for op, _ in desc["ops"]):
        return None
    return ["qs", desc, getattr(value, "lineno", 0)]


def _one(ctx: FileContext, fn: _Function, value: ast.expr) -> list[Any] | None:
    """`Book.objects.get(...)`, `qs.first()`, `get_object_or_404(Book, ...)`: the object's
    queryset."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    desc: QS | None = None
    if isinstance(func, ast.Attribute) and func.attr in _ONE:
        desc = fn.qs(func.value)
    elif value.args and canonical(ctx.resolver.qualname(func, fn.scope) or "") == (
            "django.shortcuts.get_object_or_404"):
        arg = value.args[0]
        desc = fn.qs(arg)
        if desc is None and isinstance(arg, ast.Name | ast.Attribute):
            q = ctx.resolver.qualname(arg, fn.scope)
            if q and q.rsplit(".", 1)[-1][:1].isupper() and not q.startswith("builtins."):
                desc = {"root": ["mgr", canonical(q), "_default_manager"], "ops": [],
                        "line": value.lineno}
    if desc is None or any(op in EVALUATING for op, _ in desc["ops"]):
        return None
    return ["one", desc, value.lineno]
