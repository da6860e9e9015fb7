"""Output formats of `stackwise check`: text for people, json for scripts, sarif/github for CI, html.

`render(findings, fmt, rules=...)` returns the whole report as one string; every format sorts the
findings by (path, line, column, code), so the output does not depend on the order they came in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from stackwise._lazy import lazy_attributes
from stackwise.findings import Finding
from stackwise.report._common import sort_findings
from stackwise.rules._meta import RuleMeta

if TYPE_CHECKING:
    from stackwise.report._github import render_github
    from stackwise.report._html import render_html
    from stackwise.report._json import render_json
    from stackwise.report._sarif import render_sarif, to_sarif
    from stackwise.report._text import render_text
    from stackwise.report.graph import ProjectGraph

# each format is imported when first used: a `check` in text does not load the html report
_LAZY = {
    "render_github": "stackwise.report._github",
    "render_html": "stackwise.report._html",
    "render_json": "stackwise.report._json",
    "render_sarif": "stackwise.report._sarif",
    "to_sarif": "stackwise.report._sarif",
    "render_text": "stackwise.report._text",
}

__getattr__ = lazy_attributes(__name__, _LAZY, globals())

__all__ = [
    "FORMATS",
    "render",
    "render_github",
    "render_html",
    "render_json",
    "render_sarif",
    "render_text",
    "sort_findings",
    "to_sarif",
]

FORMATS = ("text", "json", "sarif", "github", "html")


def render(
    findings: Sequence[Finding],
    fmt: str,
    *,
    rules: Mapping[str, RuleMeta],
    show_source: bool = False,
    statistics: bool = False,
    color: bool = False,
    files_checked: int = 0,
    warnings: Sequence[str] = (),
    graph: ProjectGraph | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """The report in format `fmt` (one of `FORMATS`), ending with a newline unless empty.

    `show_source`, `statistics`, `color` and `files_checked` shape the `text` format only;
    `warnings` (problems of the run itself, such as a file that could not be read) appear in
    `text`, `sarif` (as tool notifications) and `github` (as `::warning` lines), not in `json`,
    whose output is the list of findings alone. `html` also shows `warnings` and
    `files_checked`, draws `graph` (`report.graph.build_graph`) when given, and reads source
    lines from `root` (the project root the paths are relative to). Raises `ValueError` for an
    unknown format.
    """
    if fmt == "text":
        from stackwise.report._text import render_text

        return render_text(
            findings,
            rules=rules,
            show_source=show_source,
            statistics=statistics,
            color=color,
            files_checked=files_checked,
            warnings=warnings,
        )
    if fmt == "json":
        from stackwise.report._json import render_json

        return render_json(findings)
    if fmt == "sarif":
        from stackwise.report._sarif import render_sarif

        return render_sarif(findings, rules=rules, warnings=warnings)
    if fmt == "github":
        from stackwise.report._github import render_github

        return render_github(findings, warnings=warnings)
    if fmt == "html":
        from stackwise.report._html import render_html

        return render_html(findings, rules=rules, files_checked=files_checked,
                           warnings=warnings, graph=graph, root=root)
    raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")
