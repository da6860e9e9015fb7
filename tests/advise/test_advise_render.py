"""The three output formats carry the same advice: reasons, principles, rejections, tables."""

from __future__ import annotations

import json
from pathlib import Path

from stackwise.advise import advise, infer_answers
from stackwise.advise.models import TreeEntry, render_tree
from stackwise.advise.render import render

REPOS = Path(__file__).parent / "repos"
ANSWERS = {"kind": "api", "db": "postgres", "jobs": "long", "size": "medium", "name": "shop"}


def test_json_round_trips_every_recommendation() -> None:
    advice = advise(ANSWERS)
    data = json.loads(render(advice, "json"))
    assert [r["decision"] for r in data["recommendations"]] == [
        r.decision for r in advice.recommendations
    ]
    framework = data["recommendations"][0]
    assert framework["principle"]["id"] == "fit-the-job"
    assert {r["option"] for r in framework["rejected"]} == {"django", "flask"}
    assert data["factors"][0]["values"]["fastapi"]
    assert "inferred" not in data and "mismatches" not in data


def test_markdown_has_factor_and_library_tables_and_tree() -> None:
    md = render(advise(ANSWERS), "markdown")
    assert "| Factor | FastAPI ✓ | Django | Flask | This case |" in md
    assert "| Need | Use | Why | Counterpart | Rejected |" in md
    assert "| HTTP client | **httpx.AsyncClient** |" in md
    assert "shop/" in md and "```sh\nstackwise new shop --framework fastapi" in md
    assert "Rejected:" in md and "*Principle:" in md


def test_text_lists_reasons_and_rejections() -> None:
    text = render(advise(ANSWERS), "text")
    assert "Web framework: FastAPI    [framework.api]" in text
    assert "    + Built for APIs" in text
    assert "    - not Django:" in text
    assert "Factor table (* recommended):" in text


def test_from_repo_order_inferred_then_advice_then_mismatches() -> None:
    inference = infer_answers(REPOS / "fastapi_sync_drivers")
    advice = advise(inference.answers, repo=inference)
    for fmt, markers in (
        ("text", ("INFERRED FROM", "ANSWERS", "FRAMEWORK", "SCAFFOLD", "MISMATCHES (3)")),
        ("markdown", ("## Inferred from", "## Answers", "## Framework", "## Mismatches")),
    ):
        out = render(advice, fmt)
        positions = [out.index(m) for m in markers]
        assert positions == sorted(positions), fmt
        assert "stackwise check --select FAS203" in out


def test_no_mismatches_is_said_plainly() -> None:
    inference = infer_answers(REPOS / "plain_script")
    text = render(advise(inference.answers, repo=inference), "text")
    assert "MISMATCHES: none" in text


def test_render_tree() -> None:
    tree = render_tree(
        (
            TreeEntry("pyproject.toml"),
            TreeEntry("app/main.py", "entry"),
            TreeEntry("app/routes/", "HTTP only"),
            TreeEntry("tests/"),
        )
    )
    assert tree.splitlines() == [
        "├── pyproject.toml",
        "├── app/",
        "│   ├── main.py  # entry",
        "│   └── routes/  # HTTP only",
        "└── tests/",
    ]
