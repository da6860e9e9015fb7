"""The `json` format: a sorted list of `Finding.to_dict()` objects, byte-for-byte deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence

from stackwise.findings import Finding
from stackwise.report._common import sort_findings


def render_json(findings: Sequence[Finding]) -> str:
    """The findings as a JSON list (`indent=2`, ASCII-only escapes, trailing newline).

    ASCII output keeps the bytes identical on every platform and safe to print to any console;
    any JSON reader gives back the original text.
    """
    data = [finding.to_dict() for finding in sort_findings(findings)]
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"
