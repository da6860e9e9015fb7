"""Every fixture under tests/fixtures/<family>/ is checked, and what stackwise reports must be
exactly what its `# expect: CODE` markers say: a marker without a finding is a miss, a finding
without a marker is a false positive (fixtures keep their near-misses unmarked).

A fixture is a single `.py` file, or a folder (a small project, for rules that follow imports
and calls across modules). A folder may hold a `pyproject.toml` with `[tool.stackwise]`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise import Settings, check
from stackwise.config import load_pyproject, settings_from_table

from .conftest import FIXTURES, expected_findings


def _cases() -> list[Path]:
    cases: list[Path] = []
    for family in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(family.iterdir()):
            if case.name.startswith((".", "_")) or case.name == "__pycache__":
                continue
            if case.is_dir() or case.suffix == ".py":
                cases.append(case)
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case: Path, tmp_path: Path) -> None:
    settings = Settings()
    if case.is_dir() and (case / "pyproject.toml").is_file():
        table = load_pyproject(case / "pyproject.toml") or {}
        settings = settings_from_table(table, str(case / "pyproject.toml"))
    root = case if case.is_dir() else case.parent
    result = check([case], settings=settings, root=root, use_cache=False, jobs=1)
    got = {
        (f.path if case.is_dir() else Path(f.path).name, f.line, f.code)
        for f in result.findings
    }
    expected = expected_findings(case)
    missing = sorted(expected - got)
    unexpected = sorted(got - expected)
    messages = {(f.path, f.line, f.code): f.message for f in result.findings}
    assert not missing and not unexpected, (
        f"\nmissing (expected, not reported): {missing}"
        f"\nunexpected (reported, not expected): "
        f"{[(u, messages.get(u, '')) for u in unexpected]}"
    )


def test_every_rule_has_a_fixture() -> None:
    from stackwise.rules.registry import all_rules

    exempt = {"SW000", "SW001"}  # covered by tests/reliability
    missing = [c for c in all_rules() if c not in exempt and c not in _expected_codes()]
    assert not missing, f"rules without a fixture that expects them: {missing}"


def _expected_codes() -> set[str]:
    codes: set[str] = set()
    for family in FIXTURES.iterdir():
        if family.is_dir():
            codes |= {code for _, _, code in expected_findings(family)}
    return codes
