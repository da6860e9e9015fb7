"""What the advisor returns: recommendations with reasons, the factor table, the layout, mismatches."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackwise.advise.answers import Answers
from stackwise.advise.knowledge import Principle


@dataclass(frozen=True)
class Rejected:
    """An alternative the rule considered and turned down."""

    option: str
    label: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"option": self.option, "label": self.label, "why": self.why}


@dataclass(frozen=True)
class Recommendation:
    """The outcome of one decision, traceable to the rule and principle that produced it."""

    decision: str
    section: str
    title: str
    choice: str
    label: str
    rule: str
    principle: Principle
    reasons: tuple[str, ...]
    rejected: tuple[Rejected, ...]
    details: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    always: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "section": self.section,
            "title": self.title,
            "choice": self.choice,
            "label": self.label,
            "rule": self.rule,
            "principle": {
                "id": self.principle.id,
                "title": self.principle.title,
                "text": self.principle.text,
            },
            "reasons": list(self.reasons),
            "rejected": [r.to_dict() for r in self.rejected],
            "details": {k: v if isinstance(v, str) else list(v) for k, v in self.details.items()},
            "always": list(self.always),
        }


@dataclass(frozen=True)
class FactorRow:
    """A row of the framework factor table, with what this case needs from it."""

    id: str
    label: str
    values: Mapping[str, str]
    need: str
    favours: tuple[str, ...]
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "values": dict(self.values),
            "this_case": self.need,
            "favours": list(self.favours),
            "rule": self.rule,
        }


@dataclass(frozen=True)
class TreeEntry:
    path: str
    note: str = ""


@dataclass(frozen=True)
class NewOptions:
    """Exactly the options `stackwise new` needs to scaffold what was recommended."""

    name: str | None
    framework: str
    kind: str
    layout: str
    size: str
    db: str
    worker: str
    admin: bool
    drf: bool
    channels: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "framework": self.framework,
            "kind": self.kind,
            "layout": self.layout,
            "size": self.size,
            "db": self.db,
            "worker": self.worker,
            "admin": self.admin,
            "drf": self.drf,
            "channels": self.channels,
        }

    def command(self) -> str:
        """The `stackwise new` command line; `<name>` stands in when no name was given."""
        parts = ["stackwise", "new", shlex.quote(self.name) if self.name else "<name>"]
        for key in ("framework", "kind", "layout", "size", "db", "worker"):
            parts += [f"--{key}", str(getattr(self, key))]
        parts += [f"--{flag}" for flag in ("admin", "drf", "channels") if getattr(self, flag)]
        return " ".join(parts)


@dataclass(frozen=True)
class Signal:
    """Something the repository scanner observed, with where it saw it."""

    subjects: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    libs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "subjects": list(self.subjects),
            "evidence": list(self.evidence),
            "libs": list(self.libs),
        }


@dataclass(frozen=True)
class Inference:
    """Answers read from a repository, the evidence for each, and the raw signals behind them."""

    root: str
    answers: Answers
    evidence: Mapping[str, tuple[str, ...]]
    signals: Mapping[str, Signal]
    summary: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "answers": {k: v for k, v in self.answers.to_dict().items() if k != "name"},
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "signals": {k: v.to_dict() for k, v in sorted(self.signals.items())},
            "summary": dict(self.summary),
        }


@dataclass(frozen=True)
class Mismatch:
    """Where a repository departs from the recommendation, how to migrate, which checks find it."""

    id: str
    severity: str
    title: str
    message: str
    migrate: str
    checks: tuple[str, ...]
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "migrate": self.migrate,
            "checks": list(self.checks),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Advice:
    """The full recommendation for one set of answers."""

    answers: Answers
    assumed: tuple[str, ...]
    notes: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    factors: tuple[FactorRow, ...]
    tree: tuple[TreeEntry, ...]
    new: NewOptions
    inference: Inference | None = None
    mismatches: tuple[Mismatch, ...] = ()

    def get(self, decision: str) -> Recommendation | None:
        """The recommendation for a decision id, or None if the decision did not apply."""
        for rec in self.recommendations:
            if rec.decision == decision:
                return rec
        return None

    def choice(self, decision: str) -> str | None:
        rec = self.get(decision)
        return rec.choice if rec else None

    @property
    def command(self) -> str:
        return self.new.command()

    def tree_text(self) -> str:
        """The layout as an indented tree, one path per line."""
        return render_tree(self.tree)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (`stackwise advise --format json`)."""
        out: dict[str, Any] = {
            "answers": {k: v for k, v in self.answers.to_dict().items() if k != "name"},
            "assumed": list(self.assumed),
            "notes": list(self.notes),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "factors": [f.to_dict() for f in self.factors],
            "layout_tree": [{"path": e.path, "note": e.note} for e in self.tree],
            "new": self.new.to_dict(),
            "command": self.command,
        }
        if self.inference is not None:
            out["inferred"] = self.inference.to_dict()
            out["mismatches"] = [m.to_dict() for m in self.mismatches]
        return out


def render_tree(entries: tuple[TreeEntry, ...]) -> str:
    """Draw paths ("a/b.py", "a/c/") as a tree with box-drawing connectors and notes."""
    root: dict[str, Any] = {}
    notes: dict[tuple[str, ...], str] = {}
    for entry in entries:
        parts = tuple(p for p in entry.path.split("/") if p)
        is_dir = entry.path.endswith("/")
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            name = part + "/" if (not last or is_dir) else part
            node = node.setdefault(name, {})
        if entry.note:
            key = parts[:-1] + ((parts[-1] + "/",) if is_dir else (parts[-1],))
            notes[key] = entry.note

    lines: list[str] = []

    def walk(node: dict[str, Any], prefix: str, path: tuple[str, ...]) -> None:
        names = list(node)
        for i, name in enumerate(names):
            last = i == len(names) - 1
            here = (*path, name)
            note_key = (*(p.rstrip("/") for p in here[:-1]), name)
            note = notes.get(note_key, "")
            connector = "└── " if last else "├── "
            lines.append(f"{prefix}{connector}{name}" + (f"  # {note}" if note else ""))
            walk(node[name], prefix + ("    " if last else "│   "), here)

    walk(root, "", ())
    return "\n".join(lines)
