"""Every rule documents itself completely, and docs/rules/ is generated from those docstrings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackwise.rules.registry import all_rules

DOCS = Path(__file__).parents[1] / "docs" / "rules"
SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_rule_metadata_is_complete(code: str) -> None:
    meta = all_rules()[code]
    assert re.fullmatch(r"[A-Z]{2,3}[0-9]{3}", meta.code)
    assert re.fullmatch(r"[a-z0-9-]+", meta.name), meta.name
    assert meta.summary and "\n" not in meta.summary and len(meta.summary) <= 100
    sections = meta.sections()
    for heading in SECTIONS:
        assert sections.get(heading), f"{code}: missing or empty '## {heading}'"


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_docs_page_is_generated_from_the_rule(code: str) -> None:
    page = DOCS / f"{code}.md"
    assert page.is_file(), f"docs/rules/{code}.md missing: run `make docs`"
    assert page.read_text(encoding="utf-8") == all_rules()[code].markdown(), (
        f"docs/rules/{code}.md is out of date: run `make docs`"
    )


def test_no_stale_docs_pages() -> None:
    pages = {p.stem for p in DOCS.glob("*.md")} - {"README"}
    assert pages <= set(all_rules()), f"pages for rules that no longer exist: {pages - set(all_rules())}"


def test_rule_names_are_unique() -> None:
    names = [m.name for m in all_rules().values()]
    assert len(names) == len(set(names))
