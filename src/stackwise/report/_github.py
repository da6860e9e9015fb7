"""The `github` format: GitHub Actions workflow commands that become annotations on a pull request."""

from __future__ import annotations

from collections.abc import Sequence

from stackwise.findings import Finding, Severity
from stackwise.report._common import relative_posix, sort_findings, span

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message the way the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (`file=...`, `title=...`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(finding: Finding) -> str:
    where = span(finding)
    props = [("file", relative_posix(finding.path))]
    if where.line:
        props.append(("line", str(where.line)))
        if where.column:
            props.append(("col", str(where.column)))
        props.append(("endLine", str(where.end_line)))
        if where.end_column:
            props.append(("endColumn", str(where.end_column)))
    props.append(("title", f"stackwise {finding.code}"))
    message = finding.message
    for frame in finding.chain:
        function = frame.function or "<module>"
        message += f"\nvia {relative_posix(frame.path)}:{frame.line} in {function}"
    command = _COMMAND.get(finding.severity, "warning")
    properties = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{command} {properties}::{escape_data(message)}"


def render_github(findings: Sequence[Finding], *, warnings: Sequence[str] = ()) -> str:
    """One workflow command per line; run warnings become `::warning` lines without a file."""
    lines = [_annotation(finding) for finding in sort_findings(findings)]
    lines.extend(f"::warning title=stackwise::{escape_data(w)}" for w in warnings)
    return "".join(line + "\n" for line in lines)
