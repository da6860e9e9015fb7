"""Incomplete, malformed and contradictory answers give clear messages, never tracebacks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackwise.advise import AnswerError, Answers, advise
from stackwise.advise.answers import literal_values
from stackwise.advise.knowledge import load


def problems(answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AnswerError) as info:
        advise(answers)
    return {p.key: p.message for p in info.value.problems}


@pytest.mark.parametrize(
    ("answers", "key", "expected"),
    [
        ({}, "kind", "missing: What are you building?"),
        ({"db": "postgres"}, "kind", "api, site, script, ml, worker"),
        ({"kind": "site"}, "db", "needed because kind = api or site"),
        ({"kind": "api"}, "db", "postgres, mysql, sqlite, none"),
        ({"kind": "script"}, "http", "needed because kind = script or worker"),
        ({"kind": "worker", "http": False}, "jobs", "needed because kind = worker"),
    ],
)
def test_missing_answers_are_named(answers: dict[str, Any], key: str, expected: str) -> None:
    found = problems(answers)
    assert key in found
    assert expected in found[key]


def test_every_missing_answer_is_reported_at_once() -> None:
    assert set(problems({"kind": "worker"})) == {"http", "jobs"}


@pytest.mark.parametrize(
    ("answers", "key", "expected"),
    [
        ({"kind": "spa"}, "kind", "expected one of api, site, script, ml, worker, got 'spa'"),
        ({"kind": "api", "db": "oracle"}, "db", "got 'oracle'"),
        ({"kind": "api", "db": "none", "realtime": "maybe"}, "realtime", "expected yes or no"),
        ({"kind": "api", "db": "none", "realtim": True}, "realtim", "did you mean 'realtime'"),
        ({"kind": "api", "db": "none", "colour": "red"}, "colour", "known: name, kind"),
        ({"kind": "api", "db": "none", "name": 3}, "name", "expected text"),
    ],
)
def test_bad_values_and_keys(answers: dict[str, Any], key: str, expected: str) -> None:
    found = problems(answers)
    assert expected in found[key]


def test_yes_no_strings_and_dashes_are_accepted() -> None:
    answers = Answers.from_mapping(
        {"kind": "API", "team-async": "no", "realtime": "yes", "--db": "postgres"}
    )
    assert answers == Answers(kind="api", team_async=False, realtime=True, db="postgres")


def test_python_callers_get_the_same_checks() -> None:
    with pytest.raises(AnswerError, match="kind: expected one of"):
        advise(Answers(kind="spa"))  # type: ignore[arg-type]


# One contradiction per error conflict in knowledge.toml; the test below checks all are here.
CONTRADICTIONS: dict[str, dict[str, Any]] = {
    "web-kind-without-http": {"kind": "api", "db": "none", "http": False},
    "realtime-without-http": {"kind": "script", "http": False, "realtime": True},
    "admin-without-http": {"kind": "script", "http": False, "admin": True, "db": "sqlite"},
    "admin-without-db": {"kind": "api", "db": "none", "admin": True},
    "worker-without-jobs": {"kind": "worker", "http": False, "jobs": "none"},
    "job-traits-without-jobs": {"kind": "api", "db": "none", "job_retries": True},
}


@pytest.mark.parametrize("conflict_id", sorted(CONTRADICTIONS))
def test_contradictions(conflict_id: str) -> None:
    conflict = next(c for c in load().conflicts if c.id == conflict_id)
    found = problems(CONTRADICTIONS[conflict_id])
    messages = [m for m in found.values() if "conflicting answers" in m]
    assert messages, found
    expected = conflict.message.split("{")[0].split(",")[0]
    assert any(expected in m for m in messages)


def test_every_error_conflict_has_a_case() -> None:
    errors = {c.id for c in load().conflicts if c.severity == "error"}
    assert errors == set(CONTRADICTIONS)


WARNINGS: dict[str, dict[str, Any]] = {
    "large-script": {"kind": "script", "http": False, "size": "large"},
    "realtime-sync-team": {"kind": "api", "db": "none", "realtime": True, "team_async": False},
    "cpu-many-connections": {"kind": "api", "db": "none", "workload": "cpu", "concurrency": "high"},
    "site-without-db": {"kind": "site", "db": "none"},
    "ml-with-admin": {"kind": "ml", "db": "postgres", "admin": True},
}


@pytest.mark.parametrize("conflict_id", sorted(WARNINGS))
def test_tensions_become_notes(conflict_id: str) -> None:
    conflict = next(c for c in load().conflicts if c.id == conflict_id)
    advice = advise(WARNINGS[conflict_id])
    assert any(conflict.message[:30] in n for n in advice.notes), advice.notes


def test_every_warning_has_a_case() -> None:
    warnings = {c.id for c in load().conflicts if c.severity == "warning"}
    assert warnings == set(WARNINGS)


def test_defaults_are_reported_as_assumed() -> None:
    advice = advise({"kind": "api", "db": "postgres"})
    assert "team_async" in advice.assumed
    assert "kind" not in advice.assumed
    assert advice.answers.team_async is True


def test_answer_types_match_the_questions() -> None:
    kb = load()
    for key, values in literal_values().items():
        assert kb.question(key).values == values, key
    assert {f for f in Answers.__dataclass_fields__} == {q.key for q in kb.questions}


_kb = load()
_answer = {
    q.key: (st.booleans() if q.type == "bool" else st.sampled_from(q.values))
    for q in _kb.questions
    if q.type not in ("text",) and q.key != "kind"
}


@settings(max_examples=120, deadline=None)
@given(
    st.fixed_dictionaries({"kind": st.sampled_from(_kb.question("kind").values)}, optional=_answer)
)
def test_any_answers_give_advice_or_a_clear_error(answers: dict[str, Any]) -> None:
    try:
        advice = advise(answers)
    except AnswerError as exc:
        assert exc.problems
        assert all(p.key and p.message for p in exc.problems)
        return
    assert advice.choice("framework") is not None
    assert advice.tree
    for rec in advice.recommendations:
        assert rec.reasons and rec.rejected
    data = advice.to_dict()
    assert set(data["new"]) == {
        "name", "framework", "kind", "layout", "size", "db", "worker", "admin", "drf", "channels",
    }  # fmt: skip
    if data["new"]["worker"] == "background":
        assert data["new"]["framework"] == "fastapi"
