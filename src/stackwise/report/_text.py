"""The human-readable `text` format: one `path:line:col: CODE message` line per finding, like ruff."""

from __future__ import annotations

import re
import tokenize
import unicodedata
from collections.abc import Mapping, Sequence

from stackwise.findings import Finding, Frame, Severity
from stackwise.report._common import code_counts, plural, sort_findings, span
from stackwise.rules._meta import RuleMeta

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_BLUE = "\x1b[34m"
_CYAN = "\x1b[36m"

_SEVERITY_COLOUR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _BLUE}

# Characters that must not reach a terminal as they are: C0/C1 controls (escape sequences),
# lone surrogates (unencodable) and bidirectional overrides ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

_INDENT = "    "


class _Style:
    """ANSI styling that collapses to plain text when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *codes: str) -> str:
        if not self.enabled or not codes or not text:
            return text
        return "".join(codes) + text + _RESET


def _safe(text: str) -> str:
    """`text` with characters that could corrupt a terminal shown as escapes."""
    return _UNSAFE.sub(lambda m: ascii(m.group())[1:-1], text)


def _message(text: str) -> str:
    """A message on one logical entry: continuation lines are indented under the first."""
    lines = re.split(r"\r\n|\r|\n", text)
    return ("\n" + _INDENT).join(_safe(line) for line in lines)


def _function(name: str) -> str:
    return _safe(name) if name else "<module>"


def _width(text: str) -> int:
    """Columns `text` takes in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Sources:
    """Source lines read on demand, once per file; unreadable files give no snippet."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._files:
            try:
                with tokenize.open(path) as fh:  # honours PEP 263 encoding cookies
                    self._files[path] = fh.read().split("\n")
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._files[path] = None
        lines = self._files[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def _snippet(finding: Finding, sources: _Sources, style: _Style) -> list[str]:
    """A ruff-like excerpt: the finding's first line with carets under the reported span."""
    where = span(finding)
    if not where.line:
        return []
    source = sources.line(finding.path, where.line)
    if source is None:
        return []
    source = _safe(source.rstrip())
    number = str(where.line)
    gutter = " " * len(number)
    bar = style("|", _CYAN)
    out = [f"{gutter} {bar}", f"{style(number, _CYAN)} {bar} {source}"]
    if where.column:
        start = min(where.column - 1, len(source))
        if where.end_column and where.end_line == where.line:
            stop = max(min(where.end_column - 1, len(source)), start + 1)
        elif where.end_line > where.line:
            stop = max(len(source), start + 1)
        else:
            stop = start + 1
        # Keep tabs as tabs so the carets line up with the source whatever the tab width.
        pad = "".join("\t" if ch == "\t" else " " * _width(ch) for ch in source[:start])
        carets = "^" * max(_width(source[start:stop]), 1)
        colour = _SEVERITY_COLOUR.get(finding.severity, _RED)
        out.append(f"{gutter} {bar} {pad}{style(carets + ' ' + finding.code, _BOLD, colour)}")
    out.append(f"{gutter} {bar}")
    return out


def _frame_line(frame: Frame, style: _Style) -> str:
    where = f"{_safe(frame.path)}:{frame.line}"
    return f"{_INDENT}{style('via', _DIM)} {where} in {_function(frame.function)}"


def _header(finding: Finding, style: _Style) -> str:
    colon = style(":", _CYAN)
    colour = _SEVERITY_COLOUR.get(finding.severity, _RED)
    return (
        f"{style(_safe(finding.path), _BOLD)}{colon}{finding.line}{colon}{finding.column}{colon} "
        f"{style(_safe(finding.code), _BOLD, colour)} {_message(finding.message)}"
    )


def _files_suffix(files_checked: int) -> str:
    return f" in {plural(files_checked, 'file')}" if files_checked > 0 else ""


def _summary(
    findings: Sequence[Finding], files_checked: int, style: _Style, *, detail: bool
) -> str:
    if not findings:
        files = f" ({plural(files_checked, 'file')})" if files_checked > 0 else ""
        return style(f"All checks passed{files}.", _BOLD, _GREEN)
    breakdown = ""
    if detail:
        breakdown = " (" + ", ".join(f"{n} {code}" for code, n in code_counts(findings)) + ")"
    text = f"Found {plural(len(findings), 'finding')}{breakdown}{_files_suffix(files_checked)}."
    return style(text, _BOLD)


def _statistics(
    findings: Sequence[Finding], rules: Mapping[str, RuleMeta], style: _Style
) -> list[str]:
    """One row per code, most frequent first: `count  CODE  rule-name` (like ruff --statistics)."""
    rows = code_counts(findings)
    if not rows:
        return []
    count_width = max(len(str(n)) for _, n in rows)
    code_width = max(len(code) for code, _ in rows)
    out = []
    for code, n in rows:
        meta = rules.get(code)
        name = meta.name if meta else ""
        line = f"{n:>{count_width}}  {style(_safe(code).ljust(code_width), _BOLD)}  {name}"
        out.append(line.rstrip())
    return out


def render_text(
    findings: Sequence[Finding],
    *,
    rules: Mapping[str, RuleMeta],
    show_source: bool = False,
    statistics: bool = False,
    color: bool = False,
    files_checked: int = 0,
    warnings: Sequence[str] = (),
) -> str:
    """The report a person reads in a terminal; always ends with a summary line.

    `files_checked` of 0 leaves the file count out of the summary.
    """
    style = _Style(color)
    ordered = sort_findings(findings)
    lines: list[str] = []
    if statistics:
        lines.extend(_statistics(ordered, rules, style))
    else:
        sources = _Sources()
        for finding in ordered:
            lines.append(_header(finding, style))
            lines.extend(_frame_line(frame, style) for frame in finding.chain)
            if show_source:
                lines.extend(_snippet(finding, sources, style))
                lines.append("")
    for warning in warnings:
        lines.append(f"{style('warning', _BOLD, _YELLOW)}: {_message(warning)}")
    lines.append(_summary(ordered, files_checked, style, detail=not statistics))
    return "\n".join(lines) + "\n"
