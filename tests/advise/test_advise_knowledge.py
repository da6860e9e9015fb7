"""The knowledge base loads, is consistent, and its consistency checks catch real mistakes."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from stackwise.advise.knowledge import Condition, KnowledgeError, check, load, parse


def raw() -> dict[str, Any]:
    text = resources.files("stackwise.advise").joinpath("knowledge.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_packaged_knowledge_is_consistent() -> None:
    kb = load()
    assert check(kb) == []
    assert {d.id for d in kb.decisions} >= {
        "framework", "drf", "channels", "async_mode", "worker", "lib_http", "lib_db",
        "lib_orm", "lib_redis", "lib_files", "layout", "typing", "validation", "testing",
    }  # fmt: skip


def _decision(data: dict[str, Any], did: str) -> dict[str, Any]:
    decision: dict[str, Any] = next(d for d in data["decisions"] if d["id"] == did)
    return decision


def _break_choice(data: dict[str, Any]) -> None:
    _decision(data, "framework")["rules"][0]["choice"] = "pyramid"


def _break_principle(data: dict[str, Any]) -> None:
    _decision(data, "framework")["rules"][0]["principle"] = "vibes"


def _break_order(data: dict[str, Any]) -> None:
    _decision(data, "framework")["rules"][0]["when"] = {"worker": "celery"}


def _break_value(data: dict[str, Any]) -> None:
    _decision(data, "framework")["rules"][0]["when"] = {"kind": "spa"}


def _break_default(data: dict[str, Any]) -> None:
    _decision(data, "layout")["rules"][-1]["when"] = {"size": "large"}


def _break_rejection(data: dict[str, Any]) -> None:
    _decision(data, "worker")["rules"][0]["rejected"] = {}


def _break_self_rejection(data: dict[str, Any]) -> None:
    rule = _decision(data, "worker")["rules"][0]
    rule["rejected"] = {rule["choice"]: "because"}


def _break_factor(data: dict[str, Any]) -> None:
    data["factors"][0]["values"].pop("flask")


def _break_mismatch(data: dict[str, Any]) -> None:
    data["mismatches"][0]["any"] = ["lib:pyscopg2"]


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_choice, "choice 'pyramid' is not an option of framework"),
        (_break_principle, "unknown principle 'vibes'"),
        (_break_order, "condition on unknown or later key 'worker'"),
        (_break_value, "kind can never be 'spa'"),
        (_break_default, "decision layout: the last rule must have no `when`"),
        (_break_rejection, "names no rejected alternative"),
        (_break_self_rejection, "rejects its own choice"),
        (_break_factor, "factor best_for: values must cover exactly"),
        (_break_mismatch, "signal 'lib:pyscopg2' names an unknown library"),
    ],
)
def test_consistency_checks_catch_mistakes(breaker: Any, message: str) -> None:
    data = copy.deepcopy(raw())
    breaker(data)
    with pytest.raises(KnowledgeError, match=message):
        parse(data)


def test_missing_section_is_a_clear_error() -> None:
    data = copy.deepcopy(raw())
    del data["principles"]
    with pytest.raises(KnowledgeError, match="missing key 'principles'"):
        parse(data)


def test_conditions() -> None:
    empty = Condition()
    assert empty.matches({})
    kb_cond = parse(raw()).decision("async_mode").rules
    concurrent = next(r for r in kb_cond if r.id == "async_mode.django-concurrent").when
    assert concurrent.matches({"framework": "django", "realtime": True})
    assert concurrent.matches({"framework": "django", "realtime": False, "concurrency": "high"})
    assert not concurrent.matches({"framework": "fastapi", "realtime": True})
    assert not concurrent.matches({"framework": "django"})
    assert "framework = django and realtime = yes" in concurrent.describe()


# Codes the issue announces for `stackwise check`; the rest must exist in the rule registry.
ANNOUNCED = {"ASY100", "ASY101", "FAS200", "FAS201", "FAS203", "DJA300", "DJA302", "TYP600",
             "TYP601", "LAY700"}  # fmt: skip


def _referenced_codes() -> set[str]:
    kb = load()
    codes = {c for m in kb.mismatches for c in m.checks}
    for d in kb.decisions:
        for r in d.rules:
            detail = r.details.get("checks", ())
            codes |= {item.text for item in detail} if not isinstance(detail, str) else set()
    return codes


def test_check_codes_are_real() -> None:
    codes = _referenced_codes()
    assert codes >= {"ASY100", "FAS203", "DJA300", "DJA302", "TYP600", "LAY700"}
    try:
        from stackwise.rules.registry import all_rules

        known = set(all_rules())
    except Exception as exc:  # the registry belongs to another package; don't fail on it
        pytest.skip(f"rule registry unavailable: {exc}")
    unknown = codes - known - ANNOUNCED
    assert not unknown, f"codes neither registered nor announced: {sorted(unknown)}"
