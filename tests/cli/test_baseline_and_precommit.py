"""Baselines hide known findings but not new ones; the pre-commit mode follows chains through
files it was not given."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stackwise.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "shop"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(EXAMPLE, dest)
    return dest


def _json_findings(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    out = capsys.readouterr().out
    data: list[dict[str, object]] = json.loads(out)
    return data


def test_baseline_hides_old_findings_and_survives_moved_lines(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = shop / ".stackwise-baseline.json"
    assert main(["check", str(shop), "--no-cache", "--write-baseline", str(baseline)]) == 0
    capsys.readouterr()
    assert main(["check", str(shop), "--no-cache", "--baseline", str(baseline)]) == 0
    capsys.readouterr()
    routes = shop / "shop" / "api" / "routes.py"
    text = routes.read_text(encoding="utf-8")
    # push every line down: nothing old may come back
    routes.write_text("# a new comment\n\n" + text, encoding="utf-8")
    assert main(["check", str(shop), "--no-cache", "--baseline", str(baseline),
                 "--format", "json"]) == 0
    assert _json_findings(capsys) == []
    # a new blocking call is reported
    routes.write_text(text.replace(
        "    return {\"inventory\": response.text}",
        "    time.sleep(1)\n    return {\"inventory\": response.text}"), encoding="utf-8")
    assert main(["check", str(shop), "--no-cache", "--baseline", str(baseline),
                 "--format", "json"]) == 1
    found = _json_findings(capsys)
    # a FastAPI route: the route-specific code (FAS200) replaces ASY100
    assert [(f["code"], f["function"]) for f in found] == [("FAS200", "shop.api.routes.health")]


def test_bad_baseline_is_a_usage_error(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = shop / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["check", str(shop), "--no-cache", "--baseline", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main(["check", str(shop), "--no-cache", "--baseline", str(shop / "nope.json")]) == 2


def test_whole_project_reports_only_given_files_but_follows_chains(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = shop / "shop" / "api" / "routes.py"
    assert main(["check", "--whole-project", "--format", "json", str(routes)]) == 1
    found = _json_findings(capsys)
    assert {f["path"] for f in found} == {"shop/api/routes.py"}
    # the transitive finding needs services/ and utils/, which were not given
    assert any(f["code"] == "ASY101" and "read_template" in str(f["message"]) for f in found)
    helper = shop / "shop" / "utils" / "templates.py"
    assert main(["check", "--whole-project", "--format", "json", str(helper)]) == 0
    assert _json_findings(capsys) == []


def test_exit_codes(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(shop), "--no-cache"]) == 1
    assert main(["check", str(shop), "--no-cache", "--exit-zero"]) == 0
    assert main(["check", str(shop / "shop" / "clients"), "--no-cache",
                 "--select", "ASY100"]) == 0
    assert main(["check", str(shop), "--no-cache", "--select", "NOPE1"]) == 2
    assert "NOPE1" in capsys.readouterr().err


def test_rule_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "ASY101"]) == 0
    out = capsys.readouterr().out
    for heading in ("## What it does", "## Why it matters", "## Example", "## Use instead"):
        assert heading in out
    assert main(["rule", "XYZ999"]) == 2
    assert main(["rule"]) == 0
    assert "ASY100" in capsys.readouterr().out
