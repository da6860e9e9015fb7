"""`stackwise types`: the typed share must agree with a hand count of a fixture package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stackwise.cli import main
from stackwise.structure import Share, typed_share

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVENTORY = FIXTURES / "typing" / "inventory"

# Counted by hand from tests/fixtures/typing/inventory (see the comments in its files):
HAND_COUNT = {
    # Store (re-exported from a private module). Parameters: __init__ name/capacity/strict,
    # add sku/qty, remove sku/qty, find sku, parse line, __call__ sku = 10, untyped: capacity,
    # remove.sku, parse.line, __call__.sku. Returns: add, remove, find, parse, empty, size,
    # __call__ = 7 (remove, parse, __call__ untyped). Attributes: default_currency, backend,
    # name, capacity, items, history, strict = 7 (backend, capacity, history untyped).
    "inventory/_store.py": ((6, 10), (4, 7), (4, 7)),
    # Money.__init__ 2, price 2, price_all 3 (skus, *args untyped), quote 3, convert_any 1,
    # with_union 2, the two @overload signatures 1 + 1, outer 1 = 16. Returns: 8, all typed
    # (Money.__init__ exempt, the overload implementation not counted). Attributes: Base.id,
    # Money amount/currency/id/rates = 5, rates untyped (Enum, NamedTuple, pydantic: not counted).
    "inventory/pricing.py": ((14, 16), (8, 8), (4, 5)),
    # weekly(store) -> str; helper is not in __all__.
    "inventory/reports/weekly.py": ((0, 1), (1, 1), (0, 0)),
}


def test_typed_share_agrees_with_the_hand_count() -> None:
    report = typed_share([INVENTORY], root=INVENTORY)
    got = {
        m.path: ((m.parameters.typed, m.parameters.total), (m.returns.typed, m.returns.total),
                 (m.attributes.typed, m.attributes.total))
        for m in report.modules
    }
    assert got == HAND_COUNT
    assert report.parameters == Share(20, 27)
    assert report.returns == Share(13, 16)
    assert report.attributes == Share(8, 12)
    assert report.total == Share(41, 55)


def test_modules_are_sorted_worst_first() -> None:
    report = typed_share([INVENTORY], root=INVENTORY)
    shares = [m.total.percent for m in report.modules]
    assert shares == sorted(shares)
    assert report.modules[0].path == "inventory/reports/weekly.py"


def test_scripts_tests_and_migrations_are_not_public_api() -> None:
    report = typed_share([INVENTORY], root=INVENTORY)
    paths = {m.path for m in report.modules}
    assert not any(p.startswith(("scripts/", "tests/")) for p in paths)
    assert "inventory/__main__.py" not in paths
    assert "inventory/migrations/0001_initial.py" not in paths


def test_a_fully_typed_package_is_100_percent(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "api.py").write_text(
        "class Client:\n"
        "    def __init__(self, url: str) -> None:\n"
        "        self.url = url\n"
        "    def get(self, path: str) -> bytes:\n"
        "        return b''\n"
    )
    report = typed_share([tmp_path], root=tmp_path)
    assert report.total == Share(4, 4)
    assert report.total.percent == 100.0


def test_nothing_to_type_is_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text("def main(argv):\n    pass\n")
    report = typed_share([tmp_path], root=tmp_path)
    assert report.modules == ()
    assert report.total.percent == 100.0


def test_cli_json_and_fail_under(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = tmp_path / "inventory-project"
    shutil.copytree(INVENTORY, project)
    (project / "pyproject.toml").write_text('[project]\nname = "inventory"\n')
    monkeypatch.chdir(project)
    code = main(["types", ".", "--format", "json", "--fail-under", "70"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    assert data["total"]["total"] == {"typed": 41, "total": 55, "percent": 74.5}
    assert data["passed"] is True
    assert data["modules"][0]["path"] == "inventory/reports/weekly.py"
    assert main(["types", ".", "--fail-under", "80"]) == 1
    out = capsys.readouterr().out
    assert "under --fail-under 80%" in out
    assert "inventory/_store.py" in out


def test_cli_rejects_a_bad_percentage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["types", ".", "--fail-under", "120"])
    assert exc.value.code == 2
    assert "between 0 and 100" in capsys.readouterr().err
