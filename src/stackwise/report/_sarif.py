"""The `sarif` format: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; `tool.driver.rules` lists a descriptor for every code that appears in the results, in
code order, so the log is small and each result's `ruleIndex` points into it. Findings with a
call chain carry `relatedLocations` (one per frame) and a `codeFlows` path that starts at the
finding (the call inside the async function) and follows the frames down to the blocking call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from stackwise._version import __version__
from stackwise.findings import Finding, Frame, Severity
from stackwise.report._common import relative_posix, sort_findings, span
from stackwise.rules._meta import RuleMeta

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/stackwise/"
SRCROOT = "%SRCROOT%"

LEVELS: Mapping[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def _text(text: str) -> dict[str, str]:
    return {"text": text}


def artifact_location(path: str) -> dict[str, str]:
    """A relative `uri` under `%SRCROOT%`, or an absolute `file:` URI for paths outside it."""
    posix = relative_posix(path)
    pure = PurePath(posix)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    # surrogateescape restores the bytes of file names that are not valid UTF-8
    return {"uri": quote(posix, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(line: int, column: int = 0, end_line: int = 0, end_column: int = 0) -> dict[str, int]:
    region = {"startLine": line}
    if column:
        region["startColumn"] = column
    if end_line:
        region["endLine"] = end_line
    if end_column:
        region["endColumn"] = end_column
    return region


def _finding_location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(finding.path)}
    where = span(finding)
    if where.line:
        physical["region"] = _region(where.line, where.column, where.end_line, where.end_column)
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.function:
        location["logicalLocations"] = [
            {"fullyQualifiedName": finding.function, "kind": "function"}
        ]
    return location


def _frame_location(frame: Frame) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(frame.path)}
    if frame.line > 0:
        physical["region"] = _region(frame.line)
    return {
        "physicalLocation": physical,
        "message": _text(f"in {frame.function or '<module>'}"),
    }


def _code_flow(finding: Finding) -> dict[str, Any]:
    """The call path: the finding (the call in the async function), then every frame in order,
    the last one being the blocking call itself."""
    first = _finding_location(finding)
    first["message"] = _text(finding.message)
    steps: list[dict[str, Any]] = [first]
    steps.extend(_frame_location(frame) for frame in finding.chain)
    return {
        "threadFlows": [
            {
                "locations": [
                    {
                        "location": step,
                        "nestingLevel": depth,
                        "executionOrder": depth + 1,
                        "kinds": ["call"],
                    }
                    for depth, step in enumerate(steps)
                ]
            }
        ]
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": _text(finding.message),
        "locations": [_finding_location(finding)],
    }
    if finding.chain:
        result["relatedLocations"] = [
            {"id": i, **_frame_location(frame)} for i, frame in enumerate(finding.chain, start=1)
        ]
        result["codeFlows"] = [_code_flow(finding)]
    return result


def _descriptor(code: str, meta: RuleMeta | None) -> dict[str, Any]:
    """A reportingDescriptor; GitHub shows `shortDescription`, `fullDescription` and `help`."""
    if meta is None:
        return {
            "id": code,
            "shortDescription": _text(code),
            "help": _text(f"{code} is not a rule this version of stackwise documents."),
        }
    docs = meta.docs.strip()
    what = meta.sections().get("What it does", "").strip()
    help_text = docs or meta.summary
    descriptor: dict[str, Any] = {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": _text(meta.summary),
        "fullDescription": _text(what or meta.summary),
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS.get(meta.severity, "warning")},
    }
    if meta.family:
        descriptor["properties"] = {"tags": [meta.family]}
    return descriptor


def to_sarif(
    findings: Sequence[Finding],
    *,
    rules: Mapping[str, RuleMeta],
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The SARIF log as plain data (what `render_sarif` serialises)."""
    ordered = sort_findings(findings)
    codes = sorted({finding.code for finding in ordered})
    index = {code: i for i, code in enumerate(codes)}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if warnings:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": _text(w)} for w in warnings
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "stackwise",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(code, rules.get(code)) for code in codes],
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index[finding.code]) for finding in ordered],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    findings: Sequence[Finding],
    *,
    rules: Mapping[str, RuleMeta],
    warnings: Sequence[str] = (),
) -> str:
    """The SARIF log as JSON text (`indent=2`, ASCII-only, trailing newline)."""
    return json.dumps(to_sarif(findings, rules=rules, warnings=warnings), indent=2) + "\n"
