"""The `text` format: what a person sees in a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise.findings import Finding, Severity
from stackwise.report import render
from stackwise.rules._meta import RuleMeta


def test_findings_sorted_with_chain_and_summary(
    direct: Finding, chained: Finding, rules: dict[str, RuleMeta]
) -> None:
    out = render([chained, direct], "text", rules=rules, files_checked=12)
    assert out.splitlines() == [
        "app/api.py:12:5: ASY100 `time.sleep()` blocks the event loop",
        "app/db.py:40:12: ASY101 `requests.get()` blocks the event loop"
        " (reached from async `app.api.handler`)",
        "    via app/api.py:14 in app.api.handler",
        "    via app/users.py:7 in app.users.load_user",
        "Found 2 findings (1 ASY100, 1 ASY101) in 12 files.",
    ]
    assert out.endswith(".\n")


def test_summary_counts_most_frequent_first(direct: Finding, rules: dict[str, RuleMeta]) -> None:
    second = Finding("b.py", 1, 1, "ASY100", "again", severity=Severity.ERROR)
    other = Finding("a.py", 9, 1, "LAY200", "layer", severity=Severity.INFO)
    out = render([other, second, direct], "text", rules=rules, files_checked=1)
    assert out.splitlines()[0].startswith("a.py:9:1: LAY200")
    assert out.splitlines()[-1] == "Found 3 findings (2 ASY100, 1 LAY200) in 1 file."


def test_clean_run(rules: dict[str, RuleMeta]) -> None:
    assert render([], "text", rules=rules, files_checked=12) == "All checks passed (12 files).\n"
    assert render([], "text", rules=rules) == "All checks passed.\n"


def test_one_finding_is_singular(direct: Finding, rules: dict[str, RuleMeta]) -> None:
    out = render([direct], "text", rules=rules, files_checked=1)
    assert out.splitlines()[-1] == "Found 1 finding (1 ASY100) in 1 file."


def test_statistics_table(direct: Finding, chained: Finding, rules: dict[str, RuleMeta]) -> None:
    unknown = Finding("z.py", 1, 1, "XYZ999", "from a plugin")
    findings = [direct, chained, Finding("c.py", 2, 3, "ASY100", "again")]
    out = render([*findings, unknown], "text", rules=rules, statistics=True, files_checked=4)
    assert out.splitlines() == [
        "2  ASY100  blocking-sleep-in-async",
        "1  ASY101  transitive-blocking-call",
        "1  XYZ999",
        "Found 4 findings in 4 files.",
    ]


def test_statistics_clean(rules: dict[str, RuleMeta]) -> None:
    assert render([], "text", rules=rules, statistics=True) == "All checks passed.\n"


def test_multiline_message_indented_and_unicode_kept(
    awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    out = render([awkward], "text", rules=rules)
    assert out.splitlines()[:3] == [
        "app/données, v2/naïve:é.py:3:9: LAY200 100% of imports: `ünïcode` → domain",
        "    second line",
        "    third",
    ]


def test_terminal_control_characters_are_escaped(rules: dict[str, RuleMeta]) -> None:
    evil = Finding("x.py", 1, 1, "ASY100", "name \x1b[2J\u202e cleared")
    out = render([evil], "text", rules=rules)
    assert "\x1b" not in out and "\u202e" not in out
    assert "name \\x1b[2J\\u202e cleared" in out


def test_color_only_when_asked(direct: Finding, rules: dict[str, RuleMeta]) -> None:
    assert "\x1b[" not in render([direct], "text", rules=rules)
    coloured = render([direct], "text", rules=rules, color=True)
    assert "\x1b[1mapp/api.py\x1b[0m" in coloured
    assert "\x1b[1m\x1b[31mASY100\x1b[0m" in coloured  # error severity: bold red code
    assert "\x1b[" in render([], "text", rules=rules, color=True)


def test_warnings_come_before_the_summary(rules: dict[str, RuleMeta]) -> None:
    out = render([], "text", rules=rules, warnings=["could not parse bad.py: invalid syntax"])
    assert out.splitlines() == [
        "warning: could not parse bad.py: invalid syntax",
        "All checks passed.",
    ]


def test_show_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: dict[str, RuleMeta]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc.py").write_text(
        "import time\n\nasync def handler():\n\ttime.sleep(1)  # 日本\n", encoding="utf-8"
    )
    finding = Finding("svc.py", 4, 2, "ASY100", "blocks", end_column=15, severity=Severity.ERROR)
    missing = Finding("gone.py", 1, 1, "ASY100", "file was deleted")
    out = render([finding, missing], "text", rules=rules, show_source=True)
    assert out.splitlines() == [
        "gone.py:1:1: ASY100 file was deleted",
        "",
        "svc.py:4:2: ASY100 blocks",
        "  |",
        "4 | \ttime.sleep(1)  # 日本",
        "  | \t^^^^^^^^^^^^^ ASY100",
        "  |",
        "",
        "Found 2 findings (2 ASY100).",
    ]


def test_show_source_caret_under_wide_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: dict[str, RuleMeta]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text('x = "日本"; time.sleep(1)\n', encoding="utf-8")
    finding = Finding("w.py", 1, 11, "ASY100", "blocks")  # no end: a single caret
    lines = render([finding], "text", rules=rules, show_source=True).splitlines()
    assert lines[3] == "  |             ^ ASY100"  # 10 chars before, two of them double width
