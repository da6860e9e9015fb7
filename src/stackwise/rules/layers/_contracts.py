"""The layering contract of a project: declared in `[tool.stackwise]`, or inferred from its layout.

A declared contract wins over inference, separately for layers and for features:

```toml
[[tool.stackwise.layers]]          # top first: a layer may import the layers below it only
name = "api"
modules = ["app.api", "app.routes.*"]

[[tool.stackwise.layers]]
name = "services"
modules = ["app.services"]

[tool.stackwise.features]
packages = ["app.users", "app.orders"]   # or globs: ["app.modules.*"]
independent = false                       # true: features may not import each other at all
```

A module pattern without a wildcard means that module and everything under it; with one, it is
matched (fnmatch) against the module and each of its parent packages.

The inferred contract (`Layout`): api/routes/views -> dependencies -> services ->
repositories -> models, each may import the layers after it; schemas may be imported by every
layer but import no api, dependencies or services module; core/config/db/utils are importable by
all and not constrained.
"""

from __future__ import annotations

import fnmatch
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from stackwise.engine.facts import FileFacts, ImportFact
from stackwise.engine.project import Project
from stackwise.rules.layers._layout import LAYER_WORDS, Feature, Layout, infer_layout
from stackwise.rules.typing._public import module_role

RANK = {"api": 4, "dependencies": 3, "services": 2, "repositories": 1, "models": 0}
_ABOVE_SCHEMAS = frozenset({"api", "dependencies", "services"})


def matches(module: str, pattern: str) -> bool:
    if any(c in pattern for c in "*?["):
        parts = module.split(".")
        return any(fnmatch.fnmatchcase(".".join(parts[:i]), pattern)
                   for i in range(1, len(parts) + 1))
    return module == pattern or module.startswith(pattern + ".")


def feature_package(module: str, pattern: str) -> str | None:
    parts = module.split(".")
    wild = any(c in pattern for c in "*?[")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if (wild and fnmatch.fnmatchcase(prefix, pattern)) or prefix == pattern:
            return prefix
    return None


@dataclass
class Contracts:
    layout: Layout
    declared_layers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    declared_features: tuple[str, ...] = ()
    independent: bool = False
    _modules: dict[str, str | None] = field(default_factory=dict)  # import target -> module

    @property
    def features_declared(self) -> bool:
        return bool(self.declared_features)

    def feature(self, module: str) -> str | None:
        if self.declared_features:
            for pattern in self.declared_features:
                found = feature_package(module, pattern)
                if found is not None:
                    return found
            return None
        return self.layout.layer_of(module)[1]

    def layer(self, module: str) -> str | None:
        if self.declared_layers:
            for name, patterns in self.declared_layers:
                if any(matches(module, p) for p in patterns):
                    return name
            return None
        if self.declared_features:
            feature = self.feature(module)
            if feature is not None:
                if module == feature:
                    return None
                return LAYER_WORDS.get(module[len(feature) + 1:].split(".")[0])
        return self.layout.layer_of(module)[0]

    def violates(self, importer: str, imported: str) -> bool:
        """Whether a module of layer `importer` may not import one of layer `imported`."""
        if importer == imported:
            return False
        if self.declared_layers:
            order = [name for name, _ in self.declared_layers]
            return order.index(imported) < order.index(importer)
        if importer == "schemas":
            return imported in _ABOVE_SCHEMAS
        if importer in RANK and imported in RANK:
            return RANK[imported] > RANK[importer]
        return False

    def module_of(self, project: Project, target: str) -> str | None:
        """The project module an import target is in (its longest known prefix)."""
        if target in self._modules:
            return self._modules[target]
        parts = target.split(".")
        found = None
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in project.modules:
                found = candidate
                break
        self._modules[target] = found
        return found


_CACHE: tuple[weakref.ref[Project], Contracts] | None = None


def contracts(project: Project) -> Contracts:
    global _CACHE
    if _CACHE is not None and _CACHE[0]() is project:
        return _CACHE[1]
    layout = infer_layout(
        (ff.module, path, ff.is_package) for path, ff in sorted(project.files.items()))
    result = Contracts(layout)
    settings = project.settings
    if settings is not None and settings.layers:
        result.declared_layers = tuple(
            (str(t["name"]), tuple(str(m) for m in t["modules"])) for t in settings.layers)
    if settings is not None and settings.features:
        result.declared_features = tuple(str(p) for p in settings.features.get("packages", ()))
        result.independent = bool(settings.features.get("independent", False))
        packages = sorted({
            found for module in project.modules for pattern in result.declared_features
            if (found := feature_package(module, pattern)) is not None
        })
        result.layout = replace(layout, features=tuple(
            Feature(p.rsplit(".", 1)[-1], p, ()) for p in packages))
    _CACHE = (weakref.ref(project), result)
    return result


def module_imports(project: Project,
                   c: Contracts) -> Iterator[tuple[str, FileFacts, ImportFact, str]]:
    """(path, facts, import, the project module it imports) for every import of another
    project module, in a stable order; tests and migrations belong to no layer or feature."""
    for path in sorted(project.files):
        ff = project.files[path]
        if project.modules.get(ff.module) != path:
            continue
        if module_role(path, ff.module, ff.is_package) in ("test", "migration"):
            continue
        for imp in ff.imports:
            target = c.module_of(project, imp.target)
            if target is not None and target != ff.module:
                yield path, ff, imp, target
