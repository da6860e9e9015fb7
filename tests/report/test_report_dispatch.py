"""`render` dispatches by format name and refuses unknown ones."""

from __future__ import annotations

import pytest

from stackwise.findings import Finding
from stackwise.report import FORMATS, render
from stackwise.rules._meta import RuleMeta


def test_every_format_renders(direct: Finding, rules: dict[str, RuleMeta]) -> None:
    assert FORMATS == ("text", "json", "sarif", "github", "html")
    for fmt in FORMATS:
        out = render([direct], fmt, rules=rules)
        assert out.endswith("\n") and "ASY100" in out


def test_unknown_format(rules: dict[str, RuleMeta]) -> None:
    with pytest.raises(ValueError, match="choose one of: text, json, sarif, github"):
        render([], "xml", rules=rules)
