"""The Django model graph of a project, and what a queryset loads, built from per-file facts.

`Graph(project)` reads the facts `collect.DjangoFacts` contributed (see `_extract`): it finds
the models of every app (through abstract bases, multi-table inheritance and proxies), their
fields and the reverse accessors Django adds (`related_name`, `<model>_set`, one-to-one both
ways), their managers (custom `get_queryset()` included), and resolves a queryset description
to its model and to what it selects and prefetches. Anything it cannot be sure of resolves to
None, so the rules built on it stay silent rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stackwise.engine.project import Project
from stackwise.findings import Frame
from stackwise.rules.django._extract import AUTH_USER, CLASSES, DJANGO_API, FUNCTIONS, QS
from stackwise.rules.django._filter_tables import CLASS_ATTR
from stackwise.rules.django._held_rows import held_rows

# django-lifecycle's abstract model: `class LifecycleModel(LifecycleModelMixin, models.Model)`
_LIFECYCLE = ("django_lifecycle.LifecycleModel", "django_lifecycle.models.LifecycleModel")
# Well-known third-party model bases, managers and querysets whose `get_queryset()` adds no
# select_related()/prefetch_related() for the model's ordinary relations (read in their
# source): their models are followed like plain Django models. Their own queryset methods
# (`get_descendants()`, `get_cached_trees()`, `instance_of()`...) stay unknown, so a queryset
# built with one is not followed; a base or manager not listed here keeps its models silent.
THIRD_PARTY_MODELS = frozenset({
    # django-mptt 0.20: abstract; its `objects` is a TreeManager
    "mptt.models.MPTTModel",
    # django-polymorphic 4.11: abstract, adds `polymorphic_ctype` and a PolymorphicManager; the
    # child rows are fetched per child class with the same select_related() and prefetches
    "polymorphic.models.PolymorphicModel",
})
_SCOPED_MANAGER = ("django_scopes.ScopedManager", "django_scopes.manager.ScopedManager")
THIRD_PARTY_MANAGERS = frozenset({
    # TreeManager.get_queryset() only adds `order_by(tree_id, lft)`
    "mptt.managers.TreeManager", "mptt.querysets.TreeQuerySet",
    # PolymorphicManager.get_queryset() builds its queryset class (`instance_of()` on proxies)
    "polymorphic.managers.PolymorphicManager", "polymorphic.managers.PolymorphicQuerySet",
    "polymorphic.query.PolymorphicQuerySet",
    # django-scopes 2.1: `ScopedManager(organizer="event__organizer")` is a factory whose
    # manager's get_queryset() only adds `.filter()` on the active scope (or raises); a
    # manager class passed to it is followed instead (see Graph._fields)
    *_SCOPED_MANAGER,
})
MODEL_BASES = frozenset({
    "django.db.models.Model", "django.db.models.base.Model",
    "django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.AbstractBaseUser",
    "django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.PermissionsMixin",
    "django.contrib.sessions.base_session.AbstractBaseSession",
    "modelcluster.models.ClusterableModel",
    *_LIFECYCLE, *THIRD_PARTY_MODELS,
})
# bases that add no manager and no relation we would need to know about (django-lifecycle's
# mixin only adds hooks around save() and delete())
_PLAIN_MODEL_BASES = frozenset({"django.db.models.Model", "django.db.models.base.Model",
                                "modelcluster.models.ClusterableModel", "builtins.object",
                                *_LIFECYCLE, "django_lifecycle.LifecycleModelMixin",
                                "django_lifecycle.mixins.LifecycleModelMixin",
                                *THIRD_PARTY_MODELS})
MANAGER_BASES = frozenset({
    "django.db.models.Manager", "django.db.models.manager.Manager",
    "django.db.models.manager.BaseManager", "django.db.models.QuerySet",
    "django.db.models.query.QuerySet",
    # django.contrib.auth's user managers add create_user() and the like, no get_queryset()
    "django.contrib.auth.models.UserManager", "django.contrib.auth.models.BaseUserManager",
    "django.contrib.auth.base_user.BaseUserManager",
    *THIRD_PARTY_MANAGERS,
})
VIEW_PREFIXES = ("django.views.", "rest_framework.", "django.contrib.admin.")
APP_CONFIG = frozenset({"django.apps.AppConfig", "django.apps.config.AppConfig"})

_RELATED = {
    "ForeignKey": "fk", "OneToOneField": "o2o", "ManyToManyField": "m2m",
}
_THIRD_PARTY_FIELDS = {
    "django.contrib.contenttypes.fields.GenericForeignKey": "gfk",
    "django.contrib.contenttypes.fields.GenericRelation": "grel",
    "modelcluster.fields.ParentalKey": "fk",
    "modelcluster.fields.ParentalManyToManyField": "m2m",
    "mptt.fields.TreeForeignKey": "fk",
    "mptt.fields.TreeOneToOneField": "o2o",
    "mptt.fields.TreeManyToManyField": "m2m",
    "taggit.managers.TaggableManager": "tags",
    "modelcluster.contrib.taggit.ClusterTaggableManager": "tags",
}
TO_ONE = frozenset({"fk", "o2o", "rev_o2o", "gfk"})
TO_MANY = frozenset({"m2m", "rev_fk", "rev_m2m", "grel", "tags"})

# QuerySet methods that return a queryset of the same rows
TRANSPARENT = frozenset({
    "all", "filter", "exclude", "order_by", "distinct", "annotate", "alias", "reverse", "using",
    "select_for_update", "none", "iterator", "complex_filter", "extra", "union",
    "intersection", "difference", "[]", "list", "select_related", "prefetch_related", "only",
    "defer", "values", "values_list", "dates", "datetimes", "get_queryset",
})


@dataclass
class Field:
    name: str
    kind: str  # fk | o2o | m2m | gfk | grel | tags | rev_fk | rev_m2m | rev_o2o | field
    owner: str  # the model that declares it (for reverse accessors: the related model)
    target: str | None  # the related model's qualname, when known
    line: int = 0
    via: str = ""  # a reverse accessor: the forward field it comes from


@dataclass
class Model:
    q: str
    name: str
    path: str
    line: int
    label: str
    bases: list[str]  # project model bases
    foreign_bases: list[str]  # bases that are not project classes
    abstract: bool
    proxy: bool
    fields: dict[str, Field] = field(default_factory=dict)
    reverse: dict[str, Field] = field(default_factory=dict)
    managers: dict[str, list[Any]] = field(default_factory=dict)  # attr -> spec, in order


@dataclass
class Coverage:
    """What a queryset loads with its rows."""

    select: set[str] = field(default_factory=set)
    prefetch: set[str] = field(default_factory=set)
    select_all: bool = False
    unknown: bool = False  # a lookup we cannot read (a variable): assume everything
    rows: str = "instances"  # instances | values
    only: set[str] | None = None
    defer: set[str] = field(default_factory=set)
    ops: list[str] = field(default_factory=list)
    shared: set[str] = field(default_factory=set)
    """Relations that hold the same object on every row: the owner of a related manager's
    rows (`order.positions.all()` sets each `p.order` to `order`). Whatever is read through
    one is loaded once, on that object, not once per row."""

    def covers(self, lookup: str, to_one: bool = True) -> bool:
        if self.unknown:
            return True
        if to_one and self.select_all:
            return True
        prefix = lookup + "__"
        pool = (self.select | self.prefetch) if to_one else (self.prefetch | self.select)
        return any(x == lookup or x.startswith(prefix) for x in pool)

    def apply_related(self, method: str, args: Any, base: str = "") -> None:
        pool = self.select if method == "select_related" else self.prefetch
        if not isinstance(args, list):
            self.unknown = True
            return
        if method == "select_related" and not args:
            self.select_all = True
            return
        for a in args:
            if a is None:
                pool.clear()
                if method == "select_related":
                    self.select_all = False
            elif isinstance(a, str):
                pool.add(f"{base}__{a}" if base else a) if a != "?" else setattr(
                    self, "unknown", True)
            elif isinstance(a, dict) and "lookup" in a:
                if a.get("to_attr"):
                    continue  # rows land in another attribute; the manager is not prefetched
                look = f"{base}__{a['lookup']}" if base else a["lookup"]
                self.prefetch.add(look)
                inner = a.get("qs")
                if isinstance(inner, dict):
                    for name, inner_args in inner.get("ops", []):
                        if name in ("select_related", "prefetch_related"):
                            self.apply_related(name, inner_args, look)
            else:
                self.unknown = True


@dataclass
class Resolved:
    """A queryset resolved to its model: where it was built, what it loads."""

    model: str
    cov: Coverage
    path: str  # file where the queryset is built
    line: int
    function: str  # the function that builds it ('' for a class attribute)


class Graph:
    """Models, managers and view querysets of one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.classes: dict[str, tuple[str, dict[str, Any]]] = {}
        self.functions: dict[str, tuple[str, dict[str, Any]]] = {}
        self.aliases: dict[str, list[Any]] = {}  # module-level `M = X.from_queryset(Y)`
        self.registered: list[tuple[str, str, str]] = []  # (path, model, admin class)
        self.registered_plain: list[tuple[str, int, str]] = []  # (path, line, model)
        self.register_lines: dict[tuple[str, str, str], int] = {}
        auth_users: set[str] = set()
        for path in sorted(project.files):
            extra = project.files[path].extra
            for c in extra.get(CLASSES, ()):
                if "alias" in c:
                    self.aliases.setdefault(c["q"], c["alias"])
                elif "register" in c:
                    self.registered.append((path, c["register"][0], c["register"][1]))
                    self.register_lines[self.registered[-1]] = c.get("line", 0)
                elif "auth_user" in c:
                    if not is_test_or_migration(path):
                        auth_users.add(c["auth_user"])
                elif "register_plain" in c:
                    self.registered_plain += [(path, c["line"], m) for m in c["register_plain"]]
                else:
                    self.classes.setdefault(c["q"], (path, c))
            for f in extra.get(FUNCTIONS, ()):
                self.functions.setdefault(f["q"], (path, f))
        self._is_model: dict[str, bool] = {}
        self._class_names: dict[str, str | None] | None = None  # lower-case name -> the class
        # `owner.rel.all()` may read a prefetch the caller made: only DJA300 (reading relations
        # of the rows) follows it, not rules about the query itself
        self.related_all = False
        # rows a queryset method hands out from a container property are followed (DJA300)
        self.held_rows = False
        self._names: dict[str, list[str]] | None = None  # see names_index
        self._bases: dict[str, list[tuple[str, str | None]]] = {}
        self.models: dict[str, Model] = {}
        self._labels = self._app_labels()
        for q in sorted(self.classes):
            if self.is_model(q):
                self.models[q] = self._model(q)
        self._by_label: dict[tuple[str, str], str | None] = {}
        self._by_name: dict[str, str | None] = {}
        for m in self.models.values():
            key = (m.label.lower(), m.name.lower())
            self._by_label[key] = None if key in self._by_label else m.q
            n = m.name.lower()
            self._by_name[n] = None if n in self._by_name else m.q
        # `get_user_model()`: the model of the one literal `AUTH_USER_MODEL` the settings name
        # (several settings modules naming different models, or none, leave it unknown)
        one = next(iter(auth_users)) if len(auth_users) == 1 else ""
        if one.count(".") == 1:
            app, name = one.split(".")
            self._by_label[AUTH_USER] = self._by_label.get((app.lower(), name.lower()))
        for m in self.models.values():
            self._fields(m)
        for m in sorted(self.models.values(), key=lambda m: m.q):
            self._reverse(m)

    # -- classes ------------------------------------------------------------------------------

    def resolve_class(self, name: str, path: str = "") -> str | None:
        """The project class `name` refers to; `path` (the file it is written in) lets a bare
        name come from the file's star imports."""
        if not name:
            return None
        if name in self.classes:
            return name
        found = self.project.resolve_class(name)
        if found is None and path and "." not in name:
            facts = self.project.files.get(path)
            for star in facts.star_imports if facts is not None else ():
                found = self.project.resolve_class(f"{star}.{name}")
                if found is not None:
                    break
        return found if found in self.classes else None

    def bases(self, q: str) -> list[tuple[str, str | None]]:
        """(written base, project class or None) for each base of class `q`."""
        cached = self._bases.get(q)
        if cached is None:
            path, fact = self.classes[q]
            cached = [(b, self.resolve_class(b, path)) for b in fact["bases"]]
            self._bases[q] = cached
        return cached

    def mro(self, q: str) -> list[str]:
        """Project classes in (approximate) method resolution order."""
        out: list[str] = []
        stack = [q]
        while stack and len(out) < 64:
            cur = stack.pop()
            if cur in out or cur not in self.classes:
                continue
            out.append(cur)
            stack.extend(reversed([r for _, r in self.bases(cur) if r is not None]))
        return out

    def foreign_bases(self, q: str) -> set[str]:
        """Bases anywhere in the hierarchy that are not project classes."""
        out: set[str] = set()
        for c in self.mro(q):
            out.update(b for b, r in self.bases(c) if r is None)
        return out

    def is_model(self, q: str) -> bool:
        if q in self._is_model:
            return self._is_model[q]
        self._is_model[q] = False  # cycle guard
        fact = self.classes[q][1]
        result = False
        for b, rb in self.bases(q):
            if b in MODEL_BASES:
                result = True
                break
            if rb is not None and self.is_model(rb):
                result = True
                break
        if not result and any(b and r is None for b, r in self.bases(q)):
            # a third-party base (treebeard's MP_Node, ...) and Django model fields declared
            result = any(callee.startswith("django.db.models.") and callee.endswith(
                ("Field", "ForeignKey")) for _, callee, *_ in fact.get("calls", ()))
        self._is_model[q] = result
        return result

    def _app_labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for q in sorted(self.classes):
            fact = self.classes[q][1]
            attrs = fact.get("attrs", {})
            if "name" in attrs and "label" in attrs and any(
                    b in APP_CONFIG or r is not None for b, r in self.bases(q)):
                out.setdefault(attrs["name"], attrs["label"])
        return out

    def _model(self, q: str) -> Model:
        path, fact = self.classes[q]
        meta = fact.get("meta", {})
        module = self.project.files[path].module
        parts = module.split(".")
        if "models" in parts[1:]:
            app = ".".join(parts[: parts.index("models", 1)])
        else:
            app = ".".join(parts[:-1]) or module
        label = meta.get("app_label") or self._labels.get(app) or app.rsplit(".", 1)[-1]
        bases = [r for _, r in self.bases(q) if r is not None]
        return Model(
            q=q, name=fact["name"], path=path, line=fact["line"], label=label,
            bases=[b for b in bases if self.is_model(b)],
            foreign_bases=[b for b, r in self.bases(q) if r is None],
            abstract=bool(meta.get("abstract")), proxy=bool(meta.get("proxy")),
        )

    def field_kind(self, callee: str, depth: int = 0) -> str | None:
        if callee in _THIRD_PARTY_FIELDS:
            return _THIRD_PARTY_FIELDS[callee]
        if callee.startswith("django.db.models."):
            last = callee.rsplit(".", 1)[-1]
            if last in _RELATED:
                return _RELATED[last]
            if last.endswith("Field"):
                return "field"
            return None
        cls = self.resolve_class(callee)
        if cls is None or depth > 8:
            return None
        for b in self.classes[cls][1]["bases"]:
            kind = self.field_kind(b, depth + 1)
            if kind is not None:
                return kind
        return None

    def is_manager_class(self, callee: str) -> bool:
        if callee in MANAGER_BASES:
            return True
        if callee in self.aliases:
            return True
        cls = self.resolve_class(callee)
        return cls is not None and any(
            b in MANAGER_BASES or b in self.aliases for b in self.foreign_bases(cls))

    def model_for_target(self, owner: Model, target: list[str] | None) -> str | None:
        if target is None:
            return None
        kind, value = target
        if kind == "q" and value.endswith("settings.AUTH_USER_MODEL"):
            return self._by_label.get(AUTH_USER)  # `ForeignKey(settings.AUTH_USER_MODEL)`
        if kind == "q":
            found = self.resolve_class(value, owner.path)
            return found if found in self.models else None
        if value == "self":
            return owner.q
        if "." in value:
            label, name = value.rsplit(".", 1)
        else:
            label, name = owner.label, value
        found = self._by_label.get((label.lower(), name.lower()))
        if found is None and (label.lower(), name.lower()) not in self._by_label:
            found = self._by_name.get(name.lower())
        return found

    def _fields(self, m: Model) -> None:
        fact = self.classes[m.q][1]
        for name, callee, target, _rn, _rqn, line in fact.get("calls", ()):
            kind = self.field_kind(callee)
            if kind is not None:
                m.fields[name] = Field(name, kind, m.q, self.model_for_target(m, target), line)
            elif callee in _SCOPED_MANAGER and target is not None:
                # `ScopedManager(MyManager, organizer=...)`: a subclass of the manager passed
                m.managers[name] = ["cls", self.resolve_class(target[1], m.path) or target[1]] if (
                    target[0] == "q") else ["unknown", callee]
            elif self.is_manager_class(callee):
                m.managers[name] = ["cls", self.resolve_class(callee, m.path) or callee]
            elif callee.rsplit(".", 1)[-1].endswith(("Manager", "QuerySet")) and (
                    self.resolve_class(callee, m.path) is None):
                # a manager of a package not in THIRD_PARTY_MANAGERS (django-model-utils'
                # InheritanceManager...): what its get_queryset() loads is unknown. A factory
                # function of the project (pretix's `objects = ActivePositionManager(...)`) is
                # taken as a plain manager, as it always was: its body is not read
                known = self.project.resolve(callee) in self.project.functions
                m.managers[name] = ["plain"] if known else ["unknown", callee]
        for entry in fact.get("mgrs", ()):
            m.managers[entry[0]] = entry[1:]
        order = fact.get("order")
        if order:
            rank = {name: i for i, name in enumerate(order)}
            m.managers = dict(sorted(m.managers.items(), key=lambda kv: rank.get(kv[0], 0)))

    def _reverse(self, m: Model) -> None:
        """Add the accessors Django puts on the models `m`'s relations point to."""
        if m.abstract:
            return
        chain = [m.q]
        stack = list(m.bases)
        while stack:  # abstract ancestors: their fields are copied into `m`
            b = stack.pop(0)
            bm = self.models.get(b)
            if bm is None or not bm.abstract or b in chain:
                continue
            chain.append(b)
            stack.extend(bm.bases)
        for q in chain:
            fact = self.classes[q][1]
            owner = self.models[q]
            for name, callee, target, rn, _rqn, _line in fact.get("calls", ()):
                kind = self.field_kind(callee)
                if kind not in ("fk", "o2o", "m2m"):
                    continue
                tq = self.model_for_target(m if target == ["s", "self"] else owner, target)
                if tq is None or tq not in self.models:
                    continue
                if rn == "?":
                    continue
                if rn is not None:
                    rn = rn.replace("%(class)s", m.name.lower()).replace(
                        "%(app_label)s", m.label.lower()).replace(
                        "%(model_name)s", m.name.lower())
                    if rn.endswith("+") or "%(" in rn:
                        continue
                elif kind == "m2m" and tq == m.q:
                    continue  # symmetrical by default
                accessor = rn or (m.name.lower() if kind == "o2o" else m.name.lower() + "_set")
                rev_kind = {"fk": "rev_fk", "o2o": "rev_o2o", "m2m": "rev_m2m"}[kind]
                target_model = self.models[tq]
                if accessor in target_model.reverse:
                    target_model.reverse[accessor] = Field(accessor, "?", m.q, None)
                else:
                    target_model.reverse[accessor] = Field(accessor, rev_kind, m.q, m.q,
                                                           via=name)
        # multi-table inheritance: the parent gets a one-to-one accessor to the child
        if not m.proxy:
            for b in m.bases:
                parent = self.models.get(b)
                if parent is not None and not parent.abstract:
                    acc = m.name.lower()
                    parent.reverse.setdefault(acc, Field(acc, "rev_o2o", m.q, m.q))

    def model_mro(self, q: str) -> list[Model]:
        return [self.models[c] for c in self.mro(q) if c in self.models]

    def relation(self, model: str, attr: str) -> Field | None:
        """The relation `attr` names on `model` (forward or reverse), or None."""
        for m in self.model_mro(model):
            f = m.fields.get(attr)
            if f is not None:
                return f if f.kind != "field" else None
            r = m.reverse.get(attr)
            if r is not None:
                return r if r.kind != "?" else None
        return None

    def concrete_field(self, model: str, attr: str) -> bool:
        """Whether `attr` is a column of `model` (a plain field, `pk`, `id`, or `<fk>_id`)."""
        if attr in ("pk",):
            return True
        for m in self.model_mro(model):
            f = m.fields.get(attr)
            if f is not None:
                return f.kind == "field"
            if attr.endswith("_id"):
                fk = m.fields.get(attr[:-3])
                if fk is not None and fk.kind in ("fk", "o2o"):
                    return True
        return attr == "id" and not any(
            "id" in m.fields for m in self.model_mro(model))

    def column_count(self, model: str) -> int:
        return sum(1 for m in self.model_mro(model) for f in m.fields.values()
                   if f.kind in ("field", "fk", "o2o"))

    def fully_known(self, model: str) -> bool:
        """Whether every base of `model` is a project model or a plain Django base."""
        return all(b in _PLAIN_MODEL_BASES for m in self.model_mro(model)
                   for b in m.foreign_bases)

    # -- managers -----------------------------------------------------------------------------

    def manager(self, model: str, attr: str) -> list[Any] | None:
        """The manager spec of `Model.<attr>`, or None when it is not a known manager."""
        declared: list[tuple[str, list[Any]]] = []
        for m in self.model_mro(model):
            for name, spec in m.managers.items():
                declared.append((name, spec))
        for name, spec in declared:
            if name == attr:
                return spec
        if not self.fully_known(model):
            return None
        if attr == "_base_manager" or (attr in ("objects", "_default_manager") and not declared):
            return ["plain"]
        if attr == "_default_manager" and declared:
            return declared[0][1]
        return None

    def _manager_classes(self, spec: list[Any]) -> list[str] | None:
        """Project classes whose methods a manager (and its querysets) offer, in lookup order."""
        kind = spec[0]
        if kind == "plain":
            return []
        if kind not in ("cls", "fromqs", "asmgr"):
            return None  # ["unknown", callee]: a manager we know nothing about
        names: list[str] = []
        if kind == "cls":
            names = [spec[1]]
        elif kind == "fromqs":
            names = [spec[1], spec[2]]
        elif kind == "asmgr":
            names = [spec[1]]
        out: list[str] = []
        for n in names:
            if n in MANAGER_BASES:
                continue
            if n in self.aliases:
                sub = self._manager_classes(["fromqs", *self.aliases[n]])
                if sub is None:
                    return None
                out += sub
                continue
            cls = self.resolve_class(n)
            if cls is None:
                return None
            if not all(b in MANAGER_BASES for b in self.foreign_bases(cls)):
                return None
            out += self.mro(cls)
        return out

    def _method(self, owners: list[str], name: str) -> tuple[str, dict[str, Any]] | None:
        for c in owners:
            if name in self.classes[c][1].get("methods", ()):
                found = self.functions.get(f"{c}.{name}")
                if found is None:
                    return ("", {})  # defined, but returns nothing we can read
                return found
        return None

    def _base_ops(self, owners: list[str], depth: int) -> list[list[Any]] | None:
        """The ops the manager's `get_queryset()` adds (select_related in a custom manager)."""
        for i, c in enumerate(owners):
            if "get_queryset" not in self.classes[c][1].get("methods", ()):
                continue
            found = self.functions.get(f"{c}.get_queryset")
            ret = found[1].get("ret") if found else None
            if ret is None:
                return None
            if ret["root"][0] == "super":
                base = self._base_ops(owners[i + 1:], depth + 1) if depth < 8 else None
                return None if base is None else base + ret["ops"]
            if ret["root"][0] == "newqs" and self.resolve_class(ret["root"][1]) in owners:
                return list(ret["ops"])  # a fresh queryset of the manager's own class
            return None
        return []

    # -- querysets ----------------------------------------------------------------------------

    def resolve(self, desc: QS | None, path: str = "", function: str = "",
                depth: int = 0) -> Resolved | None:
        """The model and coverage of a queryset description, or None when unsure."""
        if desc is None or depth > 8:
            return None
        base = self._root(desc["root"], depth)
        if base is None:
            return None
        model, ops, owners, where = base
        if self.held_rows:
            held = held_rows(self, desc["ops"], owners, model, depth)
            if held is not None:
                return held
        cov = Coverage()
        if not self._apply(cov, ops + desc["ops"], owners, depth):
            return None
        if where is not None:
            path, line, function = where
        else:
            line = desc["line"]
        return Resolved(model, cov, path, line, function)

    def root_model(self, desc: QS | None) -> str | None:
        """The model a queryset description is rooted at (its methods need not be known)."""
        if desc is None:
            return None
        base = self._root(desc["root"], 0) if desc["root"][0] != "mgr" else None
        if base is not None:
            return base[0]
        root = desc["root"]
        if root[0] == "mgr":
            model = self.resolve_class(root[1])
            if model in self.models and self._is_manager_attr(model, root[2]):
                return model
        if root[0] == "label":
            found = self._by_label.get(self._label_key(root))
            if found is not None and self._is_manager_attr(found, root[3]):
                return found
        return None

    @staticmethod
    def _label_key(root: list[Any]) -> tuple[str, str]:
        if (root[1], root[2]) == AUTH_USER:
            return AUTH_USER
        return root[1].lower(), root[2].lower()

    def _is_manager_attr(self, model: str, attr: str) -> bool:
        return attr in ("objects", "_default_manager", "_base_manager") or any(
            attr in m.managers for m in self.model_mro(model))

    def _apply(self, cov: Coverage, ops: list[list[Any]], owners: list[str],
               depth: int) -> bool:
        for name, args in ops:
            if name in ("select_related", "prefetch_related"):
                cov.apply_related(name, args)
            elif name in ("values", "values_list", "dates", "datetimes"):
                cov.rows = "values"
            elif name == "only":
                if isinstance(args, list) and all(isinstance(a, str) and a != "?" for a in args):
                    cov.only = {a.split("__")[0] for a in args}
                else:
                    cov.unknown = True
            elif name == "defer":
                if isinstance(args, list) and all(isinstance(a, str) for a in args):
                    cov.defer |= {a for a in args if "__" not in a}
                else:
                    cov.unknown = True
            elif name == "known_related":  # rows a related manager links to its owner
                cov.select.update(args)
                cov.shared.update(args)
            elif name in TRANSPARENT:
                pass
            elif name == CLASS_ATTR:  # a filter table read from a class attribute
                if not self._class_attr_kept(args[0], args[1]):
                    return False
            else:
                found = self._method(owners, name)
                if found is None or not found[0] or depth > 8:
                    return False
                ret = _returned(found[1], args)
                if ret is None or ret["root"][0] not in ("self", "getqs", "super"):
                    return False
                if not self._apply(cov, ret["ops"], owners, depth + 1):
                    return False
            cov.ops.append(name)
        return True

    def _root(self, root: list[Any], depth: int) -> tuple[
            str, list[list[Any]], list[str], tuple[str, int, str] | None] | None:
        kind = root[0]
        if kind == "mgr":
            model = self.resolve_class(root[1])
            if model is None or model not in self.models:
                return None
            spec = self.manager(model, root[2])
            if spec is None:
                return None
            owners = self._manager_classes(spec)
            if owners is None:
                return None
            ops = self._base_ops(owners, depth)
            if ops is None:
                return None
            return model, ops, owners, None
        if kind == "label":
            found = self._by_label.get(self._label_key(root))
            if found is None:
                return None
            return self._root(["mgr", found, root[3]], depth + 1)
        if kind in ("getqs", "super") or (kind == "attr" and root[2] == "object_list"):
            return self._view_queryset(root[1], skip_first=kind == "super", depth=depth)
        if kind == "attr":
            return self._class_attr_queryset(root[1], depth)
        if kind == "viewmodel":
            model = self._class_attr(root[1], "model")
            if not model:
                return None
            return self._root(["mgr", model, root[2]], depth + 1)
        if kind in ("rel", "getrel"):
            if (kind == "getrel" or (len(root) > 3 and root[3])) and not self.related_all:
                return None
            if kind == "rel" and len(root) > 5:
                # a fresh query on a loop row's relation: the outer loop's model, else the name
                rows = self._loop_row_rows(root[4], root[2], depth, fresh=True) or (
                    self.related_rows(root[1], root[2]))
            elif kind == "rel" and len(root) > 4:
                rows = self._loop_row_rows(root[4], root[2], depth)
            elif kind == "rel":
                rows = self.related_rows(root[1], root[2])
            else:
                rows = self._got_rows(root[1], root[2])
            if rows is None:
                return None
            target, back = rows
            # a related manager is a subclass of the related model's default manager; the rows
            # of a reverse foreign key manager know their owner (`order.lines.all()`: each
            # line's `order` is the instance, no query)
            inner = self._root(["mgr", target, "_default_manager"], depth + 1)
            if inner is None:
                return None
            model, ops, owners, where = inner
            return model, [*ops, ["known_related", [back] if back else []]], owners, where
        return None

    def _got_rows(self, desc: QS, attr: str) -> tuple[str, str] | None:
        """`related_rows` for a row fetched with `.get()` from the queryset `desc`."""
        model = self.root_model(desc)
        return self._many_rows(model, attr) if model is not None else None

    def _loop_row_rows(self, outer: QS, attr: str, depth: int,
                       fresh: bool = False) -> tuple[str, str] | None:
        """`related_rows` for a custom queryset method called on the related manager `attr`
        of a loop row (`componentlist.components.filter_access(user)`): only when the loop's
        queryset is known and did not prefetch `attr`, so no prefetch can serve the call.
        `fresh`: a method that always queries (`.filter()`), whatever was prefetched."""
        loop = self.resolve(outer, depth=depth + 1)
        if loop is None or loop.cov.rows != "instances" or (
                not fresh and loop.cov.covers(attr, to_one=False)):
            return None
        return self._many_rows(loop.model, attr)

    def custom_queryset_method(self, model: str, name: str) -> bool:
        """Whether `name` is a method of `model`'s default manager (or its queryset class)
        defined in the project that returns a queryset built from the manager's own rows
        (so `row.<rel>.<name>()` on a related manager of `model` runs a query)."""
        inner = self._root(["mgr", model, "_default_manager"], 0)
        if inner is None:
            return False
        found = self._method(inner[2], name)
        if found is None or not found[0]:
            return False
        ret = found[1].get("ret")
        return ret is not None and ret["root"][0] in ("self", "getqs", "super") and (
            ret["root"][1] in inner[2]) and any(op != "none" for op, _ in ret["ops"])

    def related_rows(self, owner: str, attr: str) -> tuple[str, str] | None:
        """The model whose rows `<owner>.<attr>` holds, for an object named like a project model
        (`event.orders`, `self.request.event.orders`): the only class of the project with that
        name must be a model, and `attr` one of its to-many relations."""
        if self._class_names is None:
            self._class_names = {}
            for cq, (_path, fact) in self.classes.items():
                if "name" in fact:
                    key = fact["name"].lower()
                    self._class_names[key] = None if key in self._class_names else cq
        found = self._class_names.get(owner)
        model = self.models.get(found) if found is not None else None
        if model is None or model.abstract:
            return None
        return self._many_rows(model.q, attr)

    def _many_rows(self, model: str, attr: str) -> tuple[str, str] | None:
        """(related model, its foreign key back to `model` for a reverse FK, else "") when
        `attr` is a to-many relation of `model` with a known target."""
        rel = self.relation(model, attr)
        if rel is not None and rel.kind in ("m2m", "rev_fk", "rev_m2m") and rel.target:
            return rel.target, rel.via if rel.kind == "rev_fk" else ""
        return None

    def admin_queryset_ops(self, admin: str, cov: Coverage) -> bool:
        """Apply what an overridden `ModelAdmin.get_queryset()` adds; False when unknown."""
        for c in self.mro(admin):
            if "get_queryset" not in self.classes[c][1].get("methods", ()):
                continue
            found = self.functions.get(f"{c}.get_queryset")
            ret = found[1].get("ret") if found else None
            if ret is None or ret["root"][0] != "super":
                return False
            return self._apply(cov, ret["ops"], [], 0)
        return True

    def names_index(self) -> dict[str, list[str]]:
        """Every function and method of the project by its name (built when first asked)."""
        if self._names is None:
            self._names = {}
            for q, (_path, fn) in self.project.functions.items():
                self._names.setdefault(fn.name, []).append(q)
        return self._names

    def _class_attr_kept(self, cls: str, attr: str) -> bool:
        """Whether no project subclass of `cls` assigns the class attribute `attr` again."""
        project = self.project
        if cls not in project.classes:
            return False
        for klass in project.classes:
            if klass != cls and cls in project.mro(klass):
                found = self.classes.get(klass)
                if found is None or attr in found[1].get("order", ()):
                    return False
        return True

    def class_attr(self, cls: str, name: str) -> Any:
        return self._class_attr(cls, name)

    def _class_attr(self, cls: str, name: str) -> Any:
        for c in self.mro(cls):
            attrs = self.classes[c][1].get("attrs", {})
            if name in attrs:
                return attrs[name]
        return None

    def _is_view(self, cls: str) -> bool:
        return any(b.startswith(VIEW_PREFIXES) for b in self.foreign_bases(cls))

    def _class_attr_queryset(self, cls: str, depth: int) -> tuple[
            str, list[list[Any]], list[str], tuple[str, int, str] | None] | None:
        for c in self.mro(cls):
            attrs = self.classes[c][1].get("attrs", {})
            if "queryset" in attrs:
                desc = attrs["queryset"]
                inner = self._root(desc["root"], depth + 1)
                if inner is None:
                    return None
                model, ops, owners, where = inner
                path = self.classes[c][0]
                return model, ops + desc["ops"], owners, where or (path, desc["line"], "")
            if "model" in attrs:
                inner = self._root(["mgr", attrs["model"], "_default_manager"], depth + 1)
                if inner is None:
                    return None
                model, ops, owners, _ = inner
                path, fact = self.classes[c]
                return model, ops, owners, (path, fact["line"], "")
        return None

    def _view_queryset(self, cls: str, skip_first: bool, depth: int) -> tuple[
            str, list[list[Any]], list[str], tuple[str, int, str] | None] | None:
        if depth > 8 or cls not in self.classes:
            return None
        order = self.mro(cls)
        if skip_first:
            order = order[1:]
        for i, c in enumerate(order):
            if "get_queryset" not in self.classes[c][1].get("methods", ()):
                continue
            found = self.functions.get(f"{c}.get_queryset")
            ret = found[1].get("ret") if found else None
            if ret is None or found is None:
                return None
            path = found[0]
            if ret["root"][0] == "super":
                inner = self._view_queryset(c, True, depth + 1)
            else:
                inner = self._root(ret["root"], depth + 1)
            if inner is None:
                return None
            model, ops, owners, _ = inner
            del i
            return model, ops + ret["ops"], owners, (path, ret["line"], f"{c}.get_queryset")
        if not self._is_view(cls):
            return None
        return self._class_attr_queryset(cls, depth + 1)


@dataclass(frozen=True)
class Hit:
    """A finding a DJA300 helper module computed; the rule reports it."""

    path: str
    line: int
    col: int
    message: str
    function: str
    chain: tuple[Frame, ...]
    end_line: int = 0
    end_col: int = 0


def str_reads(graph: Graph, model: str) -> list[tuple[list[str], str, int]]:
    """(path, file, line) of what the `__str__` a model's rows use reads from `self`: the first
    class of its hierarchy that defines `__str__` (nothing when that is not a project class)."""
    for c in graph.mro(model):
        path, fact = graph.classes[c]
        if "__str__" in fact.get("methods", ()):
            return [(p, path, line) for p, line in fact.get("str_reads", ())]
    return []


@dataclass
class PathIssue:
    """Why reading a path from each row of a queryset runs a query per row."""

    kind: str  # select | prefetch | query (a new query on a related manager) | deferred
    lookup: str  # the `__` lookup to select/prefetch, or the deferred field
    index: int  # the path element to point at
    target: str | None  # the related model


_PREFETCH_CACHED = frozenset({"all()", "count()", "exists()"})
ALWAYS_QUERY = frozenset({
    "filter()", "exclude()", "get()", "order_by()", "values()", "values_list()", "annotate()",
    "aggregate()", "latest()", "earliest()", "in_bulk()", "distinct()", "select_related()",
    "prefetch_related()", "only()", "defer()",
    # `last()` reverses the queryset (a clone): a query even on prefetched rows. `first()` is
    # left out: on an ordered prefetched manager it reads the cache
    "last()",
})


# what writes through a related manager's queryset (`.all().delete()`): not a read to prefetch
_WRITES = frozenset({"delete()", "update()", "create()", "get_or_create()",
                     "update_or_create()", "bulk_create()", "bulk_update()"})


def walk_path(graph: Graph, model: str, cov: Coverage, path: list[str]) -> PathIssue | None:
    """The first hop of `path` (read from each row of a `model` queryset loading `cov`) that
    runs a query per row, or None."""
    cur: str | None = model
    look = ""
    i = 0
    many = False  # the path went through a to-many relation: only prefetch_related() loads on
    while i < len(path) and cur is not None:
        el = path[i]
        if el.endswith("()") or el in ("[]", "*"):
            return None
        rel = graph.relation(cur, el)
        if rel is None:
            if look == "" and not cov.unknown and graph.concrete_field(cur, el):
                deferred = el in cov.defer or (cov.only is not None and el not in cov.only
                                               and el not in ("pk", "id"))
                if deferred and (graph.relation(cur, el[:-3]) is None or not el.endswith("_id")):
                    return PathIssue("deferred", el, i, None)
            return None
        lookup = f"{look}__{el}" if look else el
        if lookup in cov.shared:
            return None  # one object for every row: what is read through it loads once
        if rel.kind in TO_ONE:
            if not cov.covers(lookup, to_one=not many) or (rel.kind == "gfk" and not cov.covers(
                    lookup, to_one=False) and not cov.unknown):
                return PathIssue("prefetch" if rel.kind == "gfk" or many else "select", lookup,
                                 i, rel.target)
            cur, look, i = rel.target, lookup, i + 1
            continue
        nxt = path[i + 1] if i + 1 < len(path) else None
        if nxt is None:
            return None
        if nxt in _PREFETCH_CACHED:
            if nxt == "all()" and i + 2 < len(path) and path[i + 2] in _WRITES:
                return None  # `row.rel.all().delete()`: a write per row, no prefetch helps
            if not cov.covers(lookup, to_one=False):
                return PathIssue("prefetch", lookup, i, rel.target)
            if nxt == "all()" and i + 2 < len(path) and path[i + 2] in ("*", "[]"):
                cur, look, i, many = rel.target, lookup, i + 3, True
                continue
            return None
        if nxt in ALWAYS_QUERY:
            return PathIssue("query", lookup, i + 1, rel.target)
        if nxt.endswith("()") and nxt[:-2] not in DJANGO_API and not nxt.startswith(
                "_") and rel.target and not cov.covers(
                lookup, to_one=False) and graph.custom_queryset_method(rel.target, nxt[:-2]):
            # `translation.change_set.content()`: a custom queryset method of the related
            # model's manager, on a relation the rows did not prefetch (a branch returning
            # the manager's queryset unchanged would read a prefetch)
            return PathIssue("query", lookup, i + 1, rel.target)
        return None
    return None


def deep_issues(graph: Graph, model: str, cov: Coverage, path: list[str]) -> list[PathIssue]:
    """Every select/prefetch `path` needs, hop after hop (`book`, then `book__shelf`), where
    `walk_path` stops at the first."""
    extra = Coverage(select=set(cov.select), prefetch=set(cov.prefetch),
                     select_all=cov.select_all, unknown=cov.unknown, rows=cov.rows,
                     only=cov.only, defer=cov.defer, shared=cov.shared)
    out: list[PathIssue] = []
    for _ in range(8):
        issue = walk_path(graph, model, extra, path)
        if issue is None or issue.kind not in ("select", "prefetch"):
            break
        (extra.select if issue.kind == "select" else extra.prefetch).add(issue.lookup)
        out.append(issue)
    return out


def deepest(lookups: dict[str, PathIssue]) -> list[str]:
    """The lookups to add: a deeper lookup of the same kind covers its prefix."""
    return [k for k, v in lookups.items()
            if not any(o.startswith(k + "__") and w.kind == v.kind for o, w in lookups.items())]


def _returned(fact: dict[str, Any], args: Any) -> QS | None:
    """What a custom queryset method returns for these call arguments: the branch a literal
    flag (or its default, when not passed) selects, else every branch merged."""
    ret: QS | None = fact.get("ret")
    flagged = fact.get("ret_if")
    if flagged is None or args == "?":
        return ret
    name, index, value, when_true, when_false = flagged
    if isinstance(args, dict):
        if name in args["kw"]:
            value = args["kw"][name]
        elif index < len(args["lit"]):
            value = args["lit"][index]
    chosen: QS | None = when_true if value else when_false
    return chosen


def shown_chain(model: str, desc: QS) -> str:
    """`Order.objects.filter().count()` for a queryset description rooted at a manager."""
    root = desc["root"]
    manager = root[2] if root[0] == "mgr" else (root[3] if root[0] == "label" else "objects")
    ops = "".join(f".{op}()" for op, _ in desc["ops"] if op not in ("[]", "list", CLASS_ATTR))
    return f"{model.rsplit('.', 1)[-1]}.{manager}{ops}"


def short(qualname: str) -> str:
    """`shop.views.BookList.get_queryset` -> `BookList.get_queryset`."""
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return ".".join(parts[-2:])
    return parts[-1]


def is_test_or_migration(path: str) -> bool:
    """Tests and migrations are not checked by the DJA rules."""
    parts = path.split("/")
    name = parts[-1]
    dirs = parts[:-1]
    if any(d in ("tests", "test", "testing", "migrations", "south_migrations") for d in dirs):
        return True
    return name.startswith("test_") or name.endswith(("_tests.py", "_test.py")) or name in (
        "tests.py", "conftest.py", "test.py")


_GRAPHS: dict[int, Graph] = {}


def checked_functions(graph: Graph) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(qualified name, path, facts) of every function outside tests and migrations, sorted."""
    for fq in sorted(graph.functions):
        path, fact = graph.functions[fq]
        if not is_test_or_migration(path):
            yield fq, path, fact


def graph_for(project: Project) -> Graph:
    """One graph per linked project, shared by the DJA rules of a run."""
    key = id(project)
    g = _GRAPHS.get(key)
    if g is None or g.project is not project:
        _GRAPHS.clear()
        g = Graph(project)
        _GRAPHS[key] = g
    return g
