"""Shared helpers for the test suite."""

from __future__ import annotations

import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

_EXPECT = re.compile(r"(?:#|\{#)\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")


def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    """(path relative to root, line, code) for every `# expect: CODE[, CODE]` marker.

    Works in Python files (`# expect: ASY100`) and templates (`{# expect: DJA300 #}`)."""
    out: set[tuple[str, int, str]] = set()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        rel = path.name if root.is_file() else path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            m = _EXPECT.search(line)
            if m:
                for code in m.group(1).split(","):
                    out.add((rel, lineno, code.strip()))
    return out
