"""The `github` format: workflow commands that the Actions runner turns into annotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise.findings import Finding, Severity
from stackwise.report import render
from stackwise.rules._meta import RuleMeta


def _unescape_data(text: str) -> str:
    # What the Actions runner does to a command's message.
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def test_one_command_per_finding(
    direct: Finding, chained: Finding, rules: dict[str, RuleMeta]
) -> None:
    out = render([chained, direct], "github", rules=rules)
    assert out.splitlines() == [
        "::error file=app/api.py,line=12,col=5,endLine=12,endColumn=18,title=stackwise ASY100"
        "::`time.sleep()` blocks the event loop",
        "::warning file=app/db.py,line=40,col=12,endLine=40,endColumn=31,title=stackwise ASY101"
        "::`requests.get()` blocks the event loop (reached from async `app.api.handler`)"
        "%0Avia app/api.py:14 in app.api.handler%0Avia app/users.py:7 in app.users.load_user",
    ]


def test_escaping(awkward: Finding, rules: dict[str, RuleMeta]) -> None:
    out = render([awkward], "github", rules=rules)
    assert out == (
        "::notice file=app/données%2C v2/naïve%3Aé.py,line=3,col=9,endLine=3,"
        "title=stackwise LAY200"
        "::100%25 of imports: `ünïcode` → domain%0Asecond line%0D%0Athird\n"
    )
    message = out.split("::", 2)[2].rstrip("\n")
    assert _unescape_data(message) == awkward.message


def test_message_cannot_inject_a_command(rules: dict[str, RuleMeta]) -> None:
    evil = Finding("a.py", 1, 1, "ASY100", "x\n::error file=b.py::forged", severity=Severity.ERROR)
    out = render([evil], "github", rules=rules)
    assert out.count("\n") == 1
    assert out.endswith("::x%0A::error file=b.py::forged\n")


def test_positionless_finding_and_warnings(rules: dict[str, RuleMeta]) -> None:
    whole_file = Finding("pkg/__init__.py", 0, 0, "LAY200", "layer", severity=Severity.INFO)
    out = render([whole_file], "github", rules=rules, warnings=["could not read x.py: 50% done"])
    assert out.splitlines() == [
        "::notice file=pkg/__init__.py,title=stackwise LAY200::layer",
        "::warning title=stackwise::could not read x.py: 50%25 done",
    ]


def test_paths_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: dict[str, RuleMeta]
) -> None:
    monkeypatch.chdir(tmp_path)
    inside = Finding(str(tmp_path / "src" / "m.py"), 2, 1, "ASY100", "m")
    dotted = Finding("./src/n.py", 3, 1, "ASY100", "n")
    out = render([inside, dotted], "github", rules=rules)
    assert sorted(line.split(",")[0] for line in out.splitlines()) == [
        "::warning file=src/m.py",
        "::warning file=src/n.py",
    ]


def test_empty(rules: dict[str, RuleMeta]) -> None:
    assert render([], "github", rules=rules) == ""
