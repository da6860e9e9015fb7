"""Project structure reports: the typed share of the public API, and the project's layout.

    from stackwise.structure import detect_layout, typed_share
    report = typed_share(["src"])
    print(report.total.percent, [(m.path, m.total.percent) for m in report.modules])
    layout = detect_layout(".")
    print(layout.kind, layout.style, [layer.layer for layer in layout.layers])
"""

from stackwise.rules.layers._layout import Feature, LayerEvidence, Layout
from stackwise.structure._layouts import detect_layout
from stackwise.structure._types import ModuleShare, Share, TypedShareReport, typed_share

__all__ = [
    "Feature",
    "LayerEvidence",
    "Layout",
    "ModuleShare",
    "Share",
    "TypedShareReport",
    "detect_layout",
    "typed_share",
]
