"""`typed_share()`: how much of the public API is typed, per module and in total."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stackwise.config import Settings
from stackwise.rules.typing._public import api_index
from stackwise.rules.typing.collect import TypingFacts
from stackwise.structure._analyse import analyse

KINDS = ("parameters", "returns", "attributes")
_ITEM_KIND = {"parameter": "parameters", "return": "returns", "attribute": "attributes"}


@dataclass(frozen=True, slots=True)
class Share:
    """`typed` of `total` things are annotated."""

    typed: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        """Typed share in percent; 100 when there is nothing to type."""
        return 100.0 * self.typed / self.total if self.total else 100.0

    def __add__(self, other: Share) -> Share:
        return Share(self.typed + other.typed, self.total + other.total)

    def to_dict(self) -> dict[str, Any]:
        return {"typed": self.typed, "total": self.total, "percent": round(self.percent, 1)}


@dataclass(frozen=True, slots=True)
class ModuleShare:
    path: str
    module: str
    parameters: Share
    returns: Share
    attributes: Share

    @property
    def total(self) -> Share:
        return self.parameters + self.returns + self.attributes

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "module": self.module,
            "parameters": self.parameters.to_dict(),
            "returns": self.returns.to_dict(),
            "attributes": self.attributes.to_dict(),
            "total": self.total.to_dict(),
        }


@dataclass(frozen=True)
class TypedShareReport:
    """Modules sorted worst first (lowest typed share, then most untyped, then path)."""

    modules: tuple[ModuleShare, ...]
    root: str
    files_checked: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def parameters(self) -> Share:
        return sum((m.parameters for m in self.modules), Share())

    @property
    def returns(self) -> Share:
        return sum((m.returns for m in self.modules), Share())

    @property
    def attributes(self) -> Share:
        return sum((m.attributes for m in self.modules), Share())

    @property
    def total(self) -> Share:
        return self.parameters + self.returns + self.attributes

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files_checked": self.files_checked,
            "total": {
                "parameters": self.parameters.to_dict(),
                "returns": self.returns.to_dict(),
                "attributes": self.attributes.to_dict(),
                "total": self.total.to_dict(),
            },
            "modules": [m.to_dict() for m in self.modules],
        }


def typed_share(
    paths: Iterable[str | os.PathLike[str]] = (".",),
    *,
    settings: Settings | None = None,
    root: str | os.PathLike[str] | None = None,
) -> TypedShareReport:
    """The typed share of the public API under `paths` (the analysed code is never run).

    The public API is what the TYP rules check (see docs/typing.md): parameters (`self`/`cls`
    excepted), returns (`__init__` excepted) and attributes of public classes, counted apart.
    Raises `stackwise.config.ConfigError` for a bad configuration.
    """
    analysed = analyse(paths, rules=(TypingFacts,), settings=settings, root=root)
    modules: list[ModuleShare] = []
    for path, api in api_index(analysed.project).items():
        counts = {k: [0, 0] for k in KINDS}
        for item in api.items:
            c = counts[_ITEM_KIND[item.kind]]
            c[1] += 1
            c[0] += int(item.typed)
        modules.append(ModuleShare(path, api.module, *(Share(*counts[k]) for k in KINDS)))
    modules.sort(key=lambda m: (m.total.percent, -(m.total.total - m.total.typed), m.path))
    return TypedShareReport(tuple(modules), str(analysed.root), len(analysed.files),
                            tuple(analysed.warnings))
