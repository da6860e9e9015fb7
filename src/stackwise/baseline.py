"""Baselines for legacy code: record today's findings, report only new ones later.

A finding is matched by its code, path, enclosing function and a hash of its source line with
whitespace folded, never by line number, so code moving up or down does not resurrect old
findings. Matching counts duplicates: a baseline that holds two identical findings hides two.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from stackwise.findings import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a stackwise baseline."""


def _line_hash(root: Path, finding: Finding, cache: dict[str, list[str]]) -> str:
    lines = cache.get(finding.path)
    if lines is None:
        try:
            text = (root / finding.path).read_text(encoding="utf-8", errors="replace")
            lines = text.splitlines()
        except OSError:
            lines = []
        cache[finding.path] = lines
    line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    folded = " ".join(line.split())
    return hashlib.blake2b(folded.encode("utf-8", "replace"), digest_size=8).hexdigest()


def fingerprint(root: Path, finding: Finding, cache: dict[str, list[str]]) -> tuple[str, ...]:
    return (finding.code, finding.path, finding.function, _line_hash(root, finding, cache))


def write_baseline(path: Path, root: Path, findings: Sequence[Finding]) -> int:
    """Write the findings as a baseline; returns how many entries were written."""
    cache: dict[str, list[str]] = {}
    entries = [
        {"code": c, "path": p, "function": fn, "line_hash": h, "count": n}
        for (c, p, fn, h), n in sorted(
            Counter(fingerprint(root, f, cache) for f in findings).items())
    ]
    data = {"stackwise_baseline": BASELINE_VERSION, "findings": entries}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(findings)


def load_baseline(path: Path) -> Counter[tuple[str, ...]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a readable baseline: {exc}") from None
    if not isinstance(data, dict) or data.get("stackwise_baseline") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a stackwise baseline (version {BASELINE_VERSION})")
    out: Counter[tuple[str, ...]] = Counter()
    for entry in data.get("findings", []):
        try:
            key = (entry["code"], entry["path"], entry["function"], entry["line_hash"])
            out[key] += int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: damaged entry {entry!r}") from None
    return out


def filter_new(
    root: Path, findings: Sequence[Finding], baseline: Counter[tuple[str, ...]]
) -> list[Finding]:
    """The findings the baseline does not account for."""
    remaining = Counter(baseline)
    cache: dict[str, list[str]] = {}
    out: list[Finding] = []
    for f in findings:
        key = fingerprint(root, f, cache)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            out.append(f)
    return out
