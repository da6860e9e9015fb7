"""How a project is laid out, inferred from its module names alone (nothing is parsed).

* kind: `script` (no package: one module or a few loose ones), `medium-app` (a package at the
  root of the project) or `src-layout` (packages under `src/`);
* style: `by-layer` (the app package's children are layers: `routes/`, `services/`,
  `models/`...), `by-feature` (its children are features, each holding its own layers:
  `users/router.py`, `users/service.py`...), `mixed` (both), or `flat` (no layers recognised);
* the layers recognised and where (`api`, `dependencies`, `services`, `repositories`, `models`,
  `schemas`, and `core` for what every layer may import: core, config, settings, db, utils...).

The same inference gives each module its layer and feature, which LAY700/LAY701 check when the
project declares no contract of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# folder or module name -> layer
LAYER_WORDS: dict[str, str] = {
    **dict.fromkeys(("api", "apis", "routes", "route", "routers", "router", "views", "view",
                     "endpoints", "controllers", "controller"), "api"),
    **dict.fromkeys(("dependencies", "deps"), "dependencies"),
    **dict.fromkeys(("services", "service", "usecases", "use_cases"), "services"),
    **dict.fromkeys(("repositories", "repository", "crud", "dal"), "repositories"),
    **dict.fromkeys(("models", "entities"), "models"),
    **dict.fromkeys(("schemas", "schema", "serializers", "dto", "dtos"), "schemas"),
    **dict.fromkeys(("core", "config", "configs", "settings", "conf", "common", "shared",
                     "utils", "util", "lib", "db", "database", "exceptions", "errors",
                     "constants"), "core"),
}
# layers that tell a layout's style (core does not: every layout has one)
STYLE_LAYERS = ("api", "dependencies", "services", "repositories", "models", "schemas")
# top-level folders that are not the application
_NOT_APP = frozenset({
    "tests", "test", "testing", "docs", "doc", "examples", "example", "scripts", "benchmarks",
    "migrations", "alembic", "build", "dist", "tools", "bin",
})
_MAX_DESCENT = 3


@dataclass(frozen=True, slots=True)
class LayerEvidence:
    """A layer and the modules (packages or files) that were recognised as it."""

    layer: str
    modules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Feature:
    """A feature package and the layers found inside it."""

    name: str
    package: str
    layers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Layout:
    kind: str  # "script" | "medium-app" | "src-layout" | "empty"
    style: str  # "by-layer" | "by-feature" | "mixed" | "flat"
    packages: tuple[str, ...]  # the top-level application packages
    app_root: str  # the package whose children are layers or features ('' for several)
    layers: tuple[LayerEvidence, ...]
    features: tuple[Feature, ...]
    evidence: tuple[str, ...]  # one line per fact the verdict rests on

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape printed by `stackwise layout --format json`."""
        return {
            "kind": self.kind,
            "style": self.style,
            "packages": list(self.packages),
            "app_root": self.app_root,
            "layers": [{"layer": e.layer, "modules": list(e.modules)} for e in self.layers],
            "features": [{"name": f.name, "package": f.package, "layers": list(f.layers)}
                         for f in self.features],
            "evidence": list(self.evidence),
        }

    def layer_of(self, module: str) -> tuple[str | None, str | None]:
        """(layer, feature package) of a module, by the inferred layout (None when neither)."""
        if self.style == "flat":
            return None, None
        for feature in self.features:
            if module == feature.package:
                return None, feature.package
            if module.startswith(feature.package + "."):
                word = module[len(feature.package) + 1:].split(".")[0]
                return LAYER_WORDS.get(word), feature.package
        prefix = self.app_root + "." if self.app_root else ""
        if prefix and not module.startswith(prefix):
            return None, None
        word = module[len(prefix):].split(".")[0]
        if not prefix and word not in self.packages:
            return None, None
        return LAYER_WORDS.get(word), None


def layer_word(name: str) -> str | None:
    return LAYER_WORDS.get(name)


class _Tree:
    def __init__(self, modules: Iterable[tuple[str, str, bool]]) -> None:
        self.children: dict[str, dict[str, bool]] = {}  # module -> child name -> is package
        self.paths: dict[str, str] = {}
        self.packages: set[str] = set()
        for module, path, is_package in modules:
            if not module:
                continue
            self.paths[module] = path
            if is_package:
                self.packages.add(module)
            parent, _, name = module.rpartition(".")
            kids = self.children.setdefault(parent, {})
            kids[name] = kids.get(name, False) or is_package
        for module in list(self.paths):  # packages only seen through their children
            parts = module.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i - 1])
                kids = self.children.setdefault(parent, {})
                kids[parts[i - 1]] = True
                self.packages.add(".".join(parts[:i]))

    def kids(self, module: str) -> dict[str, bool]:
        return self.children.get(module, {})

    def shown(self, module: str) -> str:
        path = self.paths.get(module)
        if path is None:
            return module.replace(".", "/") + "/"
        if path.endswith("/__init__.py"):
            return path[: -len("__init__.py")]
        return path


def _join(root: str, name: str) -> str:
    return f"{root}.{name}" if root else name


def infer_layout(modules: Iterable[tuple[str, str, bool]]) -> Layout:
    """The layout of a project from (module name, display path, is package) of its files."""
    tree = _Tree(
        (m, path, is_pkg) for m, path, is_pkg in modules
        if not any(part in _NOT_APP for part in path.split("/")[:-1])
    )
    top = tree.kids("")
    packages = sorted(n for n, is_pkg in top.items() if is_pkg and n not in _NOT_APP)
    if not tree.paths:
        return Layout("empty", "flat", (), "", (), (), ("no Python files",))
    # a package inside another one's folder without being its subpackage (a project template,
    # vendored code) is not an application package of its own
    folders = {p: tree.shown(p) for p in packages}
    packages = [p for p in packages if not any(
        other != p and folders[p].startswith(folders[other]) for other in packages)]
    if not packages:
        loose = sorted(n for n in top if n not in _NOT_APP)
        return Layout("script", "flat", (), "", (), (), (
            f"no package, {len(loose)} top-level module(s): {', '.join(loose[:8])}",))
    in_src = [p for p in packages if folders[p].split("/")[0] == "src"]
    kind = "src-layout" if in_src else "medium-app"
    evidence = [f"package {folders[p]}" for p in packages]
    if kind == "src-layout":
        evidence.insert(0, "packages live under src/")
    root = packages[0] if len(packages) == 1 else ""
    for _ in range(_MAX_DESCENT):  # `proj/app/{api,services}`: the app is one level down
        if not root:
            break
        kids = tree.kids(root)
        if any(layer_word(k) in STYLE_LAYERS for k in kids):
            break
        subs = [k for k, is_pkg in kids.items() if is_pkg and layer_word(k) is None
                and k not in _NOT_APP]
        if len(subs) != 1:
            break
        root = _join(root, subs[0])
        evidence.append(f"the application is in {tree.shown(root)}")
    style, layers, features, found = _style(tree, root, packages)
    if style == "flat":
        # one package deeper down holds the layers (`lnbits/core/`, `pkg/_internal/server/`)
        inner = _layered_packages(tree, root) if root else []
        if len(inner) == 1:
            evidence.append(f"the layered application is in {tree.shown(inner[0])}")
            root = inner[0]
            style, layers, features, found = _style(tree, root, packages)
    return Layout(kind, style, tuple(packages), root, layers, features,
                  tuple(evidence + found))


def _layered_packages(tree: _Tree, root: str) -> list[str]:
    """The top-most packages below `root` with two or more layers among their children."""
    out: list[str] = []
    frontier = [root]
    for _ in range(_MAX_DESCENT):
        nxt: list[str] = []
        for package in frontier:
            for k, is_pkg in sorted(tree.kids(package).items()):
                if not is_pkg or k in _NOT_APP:
                    continue
                full = _join(package, k)
                if len(_feature_layers(tree, full)) >= 2:
                    out.append(full)
                elif layer_word(k) not in STYLE_LAYERS:
                    nxt.append(full)
        if out:
            return out
        frontier = nxt
    return out


def _feature_layers(tree: _Tree, package: str) -> list[str]:
    """The style layers named among a package's children (what makes it a feature)."""
    found = {layer_word(k) for k in tree.kids(package)}
    return [layer for layer in STYLE_LAYERS if layer in found]


def _style(
    tree: _Tree, root: str, packages: list[str]
) -> tuple[str, tuple[LayerEvidence, ...], tuple[Feature, ...], list[str]]:
    children = tree.kids(root) if root else {p: True for p in packages}
    by_layer: dict[str, list[str]] = {}
    features: list[Feature] = []
    evidence: list[str] = []
    for name in sorted(children):
        full = _join(root, name)
        word = layer_word(name)
        if word is not None:
            by_layer.setdefault(word, []).append(full)
            continue
        if not children[name] or name in _NOT_APP or name.startswith("_"):
            continue
        inner = _feature_layers(tree, full)
        if inner:
            features.append(Feature(name, full, tuple(inner)))
            continue
        # a container of features: app/modules/users/, app/apps/billing/
        nested = [
            Feature(k, _join(full, k), tuple(_feature_layers(tree, _join(full, k))))
            for k, is_pkg in sorted(tree.kids(full).items()) if is_pkg
        ]
        nested = [f for f in nested if f.layers]
        if len(nested) >= 2:
            features.extend(nested)
            evidence.append(f"{tree.shown(full)} holds features")
    strong = [f for f in features if len(f.layers) >= 2]
    kinds = {w for w in by_layer if w in STYLE_LAYERS}
    if len(features) >= 2 and strong:
        style = "mixed" if len(kinds) >= 2 else "by-feature"
    elif len(kinds) >= 2:
        style = "mixed" if strong else "by-layer"
    else:
        style = "flat"
    if style in ("by-layer", "flat"):
        features = []  # a package with one layer inside a by-layer app is not a feature
    layer_modules: dict[str, list[str]] = {k: list(v) for k, v in by_layer.items()}
    for f in features:
        for k in tree.kids(f.package):
            word = layer_word(k)
            if word is not None:
                layer_modules.setdefault(word, []).append(_join(f.package, k))
    layers = tuple(
        LayerEvidence(layer, tuple(sorted(layer_modules[layer])))
        for layer in (*STYLE_LAYERS, "core") if layer in layer_modules
    )
    for name in sorted(by_layer):
        for full in by_layer[name]:
            evidence.append(f"{tree.shown(full)} -> layer {name}")
    for f in features:
        evidence.append(f"{tree.shown(f.package)} -> feature {f.name} "
                        f"({', '.join(f.layers)})")
    if style == "flat":
        evidence.append("no layer folders or modules recognised (routes, services, models, "
                        "schemas, repositories...)")
    return style, layers, tuple(features), evidence
