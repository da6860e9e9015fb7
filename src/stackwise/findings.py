"""What a check reports: findings, their severity and, for transitive ones, the call chain."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """How much a finding matters; `error` and `warning` fail a run, `info` does too unless filtered."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Frame:
    """One step of a call chain: a call site `path:line` inside `function`."""

    path: str
    line: int
    function: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "function": self.function}


@dataclass(frozen=True, order=True)
class Finding:
    """One diagnostic. Paths are as the user gave them (relative to the working directory)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    end_line: int = 0
    end_column: int = 0
    severity: Severity = Severity.WARNING
    chain: tuple[Frame, ...] = field(default=())
    function: str = ""
    """Qualified name of the function the finding sits in ('' at module level)."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of a finding (see docs/output.md)."""
        return {
            "code": self.code,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line or self.line,
            "end_column": self.end_column or self.column,
            "message": self.message,
            "severity": str(self.severity),
            "function": self.function,
            "chain": [f.to_dict() for f in self.chain],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            path=data["path"],
            line=data["line"],
            column=data["column"],
            code=data["code"],
            message=data["message"],
            end_line=data.get("end_line", 0),
            end_column=data.get("end_column", 0),
            severity=Severity(data.get("severity", "warning")),
            chain=tuple(Frame(**f) for f in data.get("chain", [])),
            function=data.get("function", ""),
        )
