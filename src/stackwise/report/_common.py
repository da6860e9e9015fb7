"""Helpers shared by the report formats: ordering, spans, paths and counts."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from stackwise.findings import Finding


def _sort_key(finding: Finding) -> tuple[object, ...]:
    # (path, line, column, code) is the documented order; the rest only breaks ties so that the
    # output never depends on the order the engine produced the findings in.
    return (
        finding.path,
        finding.line,
        finding.column,
        finding.code,
        finding.end_line,
        finding.end_column,
        finding.message,
        str(finding.severity),
        finding.function,
        finding.chain,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings in report order: by path, line, column, then code."""
    return sorted(findings, key=_sort_key)


@dataclass(frozen=True)
class Span:
    """Where a finding sits, 1-based; 0 means "not known" (see `span`)."""

    line: int
    column: int
    end_line: int
    end_column: int


def span(finding: Finding) -> Span:
    """The finding's region with the "0 means same as start" convention resolved.

    `line`/`column` are 0 when the finding has no usable position. `end_line` is the start line
    when not given. `end_column` stays 0 unless the finding names a real end after its start:
    a consumer then highlights from the start to the end of `end_line`.
    """
    line = max(finding.line, 0)
    column = max(finding.column, 0) if line else 0
    end_line = max(finding.end_line, line) if line else 0
    end_column = 0
    if column and finding.end_column > 0 and (end_line, finding.end_column) > (line, column):
        end_column = finding.end_column
    return Span(line, column, end_line, end_column)


def relative_posix(path: str) -> str:
    """The path as a POSIX path relative to the working directory when it lies inside it.

    Paths outside the working directory stay absolute; `./` prefixes and doubled separators go.
    """
    pure = PurePath(path)
    if pure.is_absolute():
        try:
            pure = PurePath(os.path.relpath(pure, Path.cwd()))
        except (OSError, ValueError):  # no working directory, or another drive on Windows
            return pure.as_posix()
        if pure.parts[:1] == ("..",):
            return PurePath(path).as_posix()
    return pure.as_posix()


def code_counts(findings: Sequence[Finding]) -> list[tuple[str, int]]:
    """(code, count) pairs, most frequent first, ties by code."""
    counts = Counter(f.code for f in findings)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def plural(count: int, word: str) -> str:
    """`1 finding`, `3 findings`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
