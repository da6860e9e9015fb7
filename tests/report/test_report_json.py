"""The `json` format: a stable, sorted list of findings that reads back into the same objects."""

from __future__ import annotations

import itertools
import json

from stackwise.findings import Finding
from stackwise.report import render
from stackwise.rules._meta import RuleMeta

FIELDS = [
    "code",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "severity",
    "function",
    "chain",
]


def test_round_trip(
    direct: Finding, chained: Finding, awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    out = render([chained, awkward, direct], "json", rules=rules)
    data = json.loads(out)
    assert [item["path"] for item in data] == ["app/api.py", "app/db.py", awkward.path]
    assert [list(item) for item in data] == [FIELDS] * 3
    back = [Finding.from_dict(item) for item in data]
    assert back[0] == direct and back[1] == chained
    # end_line/end_column are filled in ("same as start"); everything a user sees is kept.
    assert back[2].message == awkward.message and back[2].path == awkward.path
    assert data[1]["chain"] == [
        {"path": "app/api.py", "line": 14, "function": "app.api.handler"},
        {"path": "app/users.py", "line": 7, "function": "app.users.load_user"},
    ]
    assert data[2]["end_line"] == 3 and data[2]["end_column"] == 9


def test_byte_identical_whatever_the_input_order(
    direct: Finding, chained: Finding, awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    twin = Finding(direct.path, direct.line, direct.column, "ASY099", "same place, other code")
    findings = [direct, chained, awkward, twin]
    outputs = {render(list(p), "json", rules=rules) for p in itertools.permutations(findings)}
    assert len(outputs) == 1
    out = outputs.pop()
    assert out.endswith("]\n") and out.isascii()
    assert out.startswith('[\n  {\n    "code": "ASY099",')


def test_empty(rules: dict[str, RuleMeta]) -> None:
    assert render([], "json", rules=rules) == "[]\n"
