"""Rule metadata: the public, stable description of a rule (code, name, docs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stackwise.findings import Severity

_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class RuleMeta:
    """Everything a report or a docs page needs to know about a rule."""

    code: str
    name: str
    summary: str
    severity: Severity
    family: str
    docs: str
    """Markdown with the sections: What it does / Why it matters / Example / Use instead."""

    def sections(self) -> dict[str, str]:
        """The docs split by `## Heading` (heading -> body)."""
        parts = _HEADING.split(self.docs)
        out: dict[str, str] = {}
        for i in range(1, len(parts) - 1, 2):
            out[parts[i].strip()] = parts[i + 1].strip()
        return out

    def markdown(self) -> str:
        """The rule's docs page."""
        return (
            f"# {self.code} {self.name}\n\n"
            f"*{self.summary}*  \nFamily: `{self.family}` · default severity: `{self.severity}`\n\n"
            f"{self.docs.strip()}\n"
        )
