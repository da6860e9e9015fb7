"""`detect_layout()`: what kind of project a tree is and how it is cut (by layer or feature)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from stackwise.config import Settings
from stackwise.rules.layers._contracts import feature_package
from stackwise.rules.layers._layout import Feature, LayerEvidence, Layout, infer_layout
from stackwise.structure._analyse import analyse


def detect_layout(
    path: str | os.PathLike[str] = ".",
    *,
    settings: Settings | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Layout:
    """The layout of the project at `path`, from its folders and module names (nothing is
    parsed). Declared layers and features (`[tool.stackwise]`) replace the inferred ones."""
    folder = Path(path)
    if root is None and folder.is_dir():
        root = folder  # the folder asked about is the project
    analysed = analyse([folder], settings=settings, root=root, parse=False)
    layout = infer_layout((sf.module, sf.display, sf.is_package) for sf in analysed.files)
    if layout.kind == "medium-app" and analysed.root.name == "src":
        layout = replace(layout, kind="src-layout",
                         evidence=("packages live under src/", *layout.evidence))
    if analysed.settings.layers:
        layout = replace(layout, layers=tuple(
            LayerEvidence(str(t["name"]), tuple(str(m) for m in t["modules"]))
            for t in analysed.settings.layers),
            evidence=(*layout.evidence, "layers declared in [tool.stackwise] layers (top first); "
                      "they replace the inferred ones"))
    declared = analysed.settings.features.get("packages") if analysed.settings.features else None
    if declared:
        packages = sorted({
            found for sf in analysed.files for pattern in declared
            if (found := feature_package(sf.module, pattern)) is not None
        })
        layout = replace(layout, features=tuple(
            Feature(p.rsplit(".", 1)[-1], p, ()) for p in packages),
            evidence=(*layout.evidence, "features declared in [tool.stackwise.features]"))
    return layout
