"""Typed view of `knowledge.toml`: loads it, checks it for internal consistency, exposes it."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

Value = str | bool
"""An answer value or a decision's choice, as conditions compare them."""

Context = Mapping[str, Value]
"""Answers and the decisions made so far, keyed by answer key or decision id."""


class KnowledgeError(Exception):
    """The knowledge base itself is inconsistent (a bug in knowledge.toml, not in the input)."""


@dataclass(frozen=True)
class Condition:
    """Any of `clauses` matches; a clause matches when every key has one of its allowed values.

    An empty condition (no clauses) always matches.
    """

    clauses: tuple[Mapping[str, frozenset[Value]], ...] = ()

    def matches(self, ctx: Context) -> bool:
        if not self.clauses:
            return True
        return any(
            all(key in ctx and ctx[key] in allowed for key, allowed in clause.items())
            for clause in self.clauses
        )

    def keys(self) -> set[str]:
        return {key for clause in self.clauses for key in clause}

    def items(self) -> Iterator[tuple[str, Value]]:
        for clause in self.clauses:
            for key, allowed in clause.items():
                for value in allowed:
                    yield key, value

    def describe(self) -> str:
        """Human form, e.g. `kind = api and admin = yes`."""

        def one(clause: Mapping[str, frozenset[Value]]) -> str:
            parts = []
            for key, allowed in clause.items():
                shown = " or ".join(sorted(_show(v) for v in allowed))
                parts.append(f"{key} = {shown}")
            return " and ".join(parts)

        return "; or ".join(one(c) for c in self.clauses)


def _show(value: Value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


@dataclass(frozen=True)
class Principle:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One thing the advisor asks; also a CLI flag and an answers-file key."""

    key: str
    type: Literal["choice", "bool", "text"]
    prompt: str
    help: str
    choices: tuple[Choice, ...] = ()
    default: Value | None = None
    required: bool = False
    required_when: Condition | None = None
    ask_when: Condition = Condition()

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def label(self, value: Value) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return _show(value)


@dataclass(frozen=True)
class Conflict:
    id: str
    severity: Literal["error", "warning"]
    when: Condition
    message: str


@dataclass(frozen=True)
class Item:
    """A line of text kept only when its condition matches (used in details and trees)."""

    text: str
    when: Condition = Condition()
    note: str = ""


Detail = str | tuple[Item, ...]


@dataclass(frozen=True)
class Rule:
    """One row of a decision table: when `when` matches, choose `choice` for these reasons."""

    id: str
    when: Condition
    choice: str
    principle: str
    reasons: tuple[str, ...]
    rejected: tuple[tuple[str, str], ...]
    details: Mapping[str, Detail] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """An ordered decision table; the first matching rule wins."""

    id: str
    section: str
    title: str
    options: Mapping[str, str]
    rules: tuple[Rule, ...]
    applies: Condition = Condition()
    always: tuple[str, ...] = ()


@dataclass(frozen=True)
class Need:
    id: str
    when: Condition
    text: str
    favours: tuple[str, ...]


@dataclass(frozen=True)
class Factor:
    """A row of the framework factor table."""

    id: str
    label: str
    values: Mapping[str, str]
    needs: tuple[Need, ...]


@dataclass(frozen=True)
class Tree:
    id: str
    when: Condition
    entries: tuple[Item, ...]


@dataclass(frozen=True)
class Lib:
    """A library the repository scanner recognises."""

    key: str
    label: str
    role: str
    dists: tuple[str, ...]
    imports: tuple[str, ...]
    blocking: bool = False
    swap: str = ""
    db: str = ""


@dataclass(frozen=True)
class MismatchRule:
    id: str
    severity: Literal["fix", "consider"]
    title: str
    message: str
    migrate: str
    checks: tuple[str, ...]
    signals: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    """Signals whose evidence is shown too, when present (they do not decide anything)."""
    advice: Condition = Condition()


@dataclass(frozen=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True)
class Knowledge:
    """The whole knowledge base."""

    sections: tuple[Section, ...]
    principles: Mapping[str, Principle]
    questions: tuple[Question, ...]
    conflicts: tuple[Conflict, ...]
    factors: tuple[Factor, ...]
    decisions: tuple[Decision, ...]
    trees: tuple[Tree, ...]
    libs: Mapping[str, Lib]
    mismatches: tuple[MismatchRule, ...]
    inference: Mapping[str, float]

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def decision(self, id: str) -> Decision:
        for d in self.decisions:
            if d.id == id:
                return d
        raise KeyError(id)

    def rule_ids(self) -> list[str]:
        """Every rule id: decision rules and factor needs (what the tests must all exercise)."""
        ids = [r.id for d in self.decisions for r in d.rules]
        ids += [n.id for f in self.factors for n in f.needs]
        return ids


# --- loading ---------------------------------------------------------------------------------


def _condition(raw: Any, where: str) -> Condition:
    if raw is None:
        return Condition()
    tables = raw if isinstance(raw, list) else [raw]
    clauses: list[Mapping[str, frozenset[Value]]] = []
    for table in tables:
        if not isinstance(table, dict) or not table:
            raise KnowledgeError(f"{where}: a condition is a non-empty table or a list of them")
        clause: dict[str, frozenset[Value]] = {}
        for key, value in table.items():
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str | bool) for v in values):
                raise KnowledgeError(f"{where}: condition on {key!r} must be strings or booleans")
            clause[key] = frozenset(values)
        clauses.append(clause)
    return Condition(tuple(clauses))


def _items(raw: Sequence[Any], where: str) -> tuple[Item, ...]:
    out = []
    for entry in raw:
        if isinstance(entry, str):
            out.append(Item(entry))
        elif isinstance(entry, dict):
            text = entry.get("text", entry.get("path"))
            if not isinstance(text, str):
                raise KnowledgeError(f"{where}: item without text/path: {entry!r}")
            out.append(Item(text, _condition(entry.get("when"), where), str(entry.get("note", ""))))
        else:
            raise KnowledgeError(f"{where}: bad item {entry!r}")
    return tuple(out)


def _details(raw: Mapping[str, Any], where: str) -> dict[str, Detail]:
    out: dict[str, Detail] = {}
    for key, value in raw.items():
        out[key] = value if isinstance(value, str) else _items(value, f"{where}.{key}")
    return out


def _question(raw: Mapping[str, Any]) -> Question:
    key = raw["key"]
    return Question(
        key=key,
        type=raw["type"],
        prompt=raw["prompt"],
        help=raw.get("help", raw["prompt"]),
        choices=tuple(Choice(c["value"], c["label"]) for c in raw.get("choices", [])),
        default=raw.get("default"),
        required=bool(raw.get("required", False)),
        required_when=(
            _condition(raw["required_when"], f"question {key}") if "required_when" in raw else None
        ),
        ask_when=_condition(raw.get("ask_when"), f"question {key}"),
    )


def _decision(raw: Mapping[str, Any]) -> Decision:
    did = raw["id"]
    rules = tuple(
        Rule(
            id=r["id"],
            when=_condition(r.get("when"), r["id"]),
            choice=r["choice"],
            principle=r["principle"],
            reasons=tuple(r["reasons"]),
            rejected=tuple(r.get("rejected", {}).items()),
            details=_details(r.get("details", {}), r["id"]),
        )
        for r in raw["rules"]
    )
    return Decision(
        id=did,
        section=raw["section"],
        title=raw["title"],
        options=dict(raw["options"]),
        rules=rules,
        applies=_condition(raw.get("applies"), did),
        always=tuple(raw.get("always", ())),
    )


def parse(data: Mapping[str, Any]) -> Knowledge:
    """Build a `Knowledge` from the parsed TOML and check it (raises `KnowledgeError`)."""
    try:
        kb = Knowledge(
            sections=tuple(Section(s["id"], s["title"]) for s in data["sections"]),
            principles={
                pid: Principle(pid, p["title"], p["text"]) for pid, p in data["principles"].items()
            },
            questions=tuple(_question(q) for q in data["questions"]),
            conflicts=tuple(
                Conflict(c["id"], c["severity"], _condition(c["when"], c["id"]), c["message"])
                for c in data["conflicts"]
            ),
            factors=tuple(
                Factor(
                    id=f["id"],
                    label=f["label"],
                    values=dict(f["values"]),
                    needs=tuple(
                        Need(
                            n["id"],
                            _condition(n.get("when"), n["id"]),
                            n["text"],
                            tuple(n["favours"]),
                        )
                        for n in f["needs"]
                    ),
                )
                for f in data["factors"]
            ),
            decisions=tuple(_decision(d) for d in data["decisions"]),
            trees=tuple(
                Tree(t["id"], _condition(t.get("when"), t["id"]), _items(t["entries"], t["id"]))
                for t in data["trees"]
            ),
            libs={
                key: Lib(
                    key=key,
                    label=lib["label"],
                    role=lib["role"],
                    dists=tuple(lib.get("dists", ())),
                    imports=tuple(lib.get("imports", ())),
                    blocking=bool(lib.get("blocking", False)),
                    swap=lib.get("swap", ""),
                    db=lib.get("db", ""),
                )
                for key, lib in data["libs"].items()
            },
            mismatches=tuple(
                MismatchRule(
                    id=m["id"],
                    severity=m["severity"],
                    title=m["title"],
                    message=m["message"],
                    migrate=m["migrate"],
                    checks=tuple(m.get("checks", ())),
                    signals=tuple(m.get("signals", ())),
                    any=tuple(m.get("any", ())),
                    unless=tuple(m.get("unless", ())),
                    also=tuple(m.get("also", ())),
                    advice=_condition(m.get("advice"), m["id"]),
                )
                for m in data["mismatches"]
            ),
            inference={k: float(v) for k, v in data["inference"].items()},
        )
    except KeyError as exc:
        raise KnowledgeError(f"knowledge.toml: missing key {exc}") from exc
    problems = check(kb)
    if problems:
        raise KnowledgeError("knowledge.toml is inconsistent:\n  " + "\n  ".join(problems))
    return kb


@functools.cache
def load() -> Knowledge:
    """The packaged knowledge base (parsed once per process)."""
    text = resources.files("stackwise.advise").joinpath("knowledge.toml").read_text("utf-8")
    return parse(tomllib.loads(text))


# --- consistency -----------------------------------------------------------------------------


def _check_condition(
    cond: Condition, allowed: Mapping[str, frozenset[Value]], where: str, out: list[str]
) -> None:
    for key, value in cond.items():
        if key not in allowed:
            out.append(f"{where}: condition on unknown or later key {key!r}")
        elif value not in allowed[key]:
            out.append(f"{where}: {key} can never be {value!r}")


def check(kb: Knowledge) -> list[str]:
    """Every inconsistency in the knowledge base, as messages (empty when sound)."""
    out: list[str] = []
    known: dict[str, frozenset[Value]] = {}
    for q in kb.questions:
        if q.type == "bool":
            known[q.key] = frozenset({True, False})
        elif q.type == "choice":
            known[q.key] = frozenset(q.values)
            if q.default is not None and q.default not in q.values:
                out.append(f"question {q.key}: default {q.default!r} is not a choice")
    for q in kb.questions:
        _check_condition(q.ask_when, known, f"question {q.key}", out)
        if q.required_when is not None:
            _check_condition(q.required_when, known, f"question {q.key}", out)
        if not q.required and q.required_when is None and q.default is None and q.type != "text":
            out.append(f"question {q.key}: neither required nor defaulted")
    for c in kb.conflicts:
        _check_condition(c.when, known, f"conflict {c.id}", out)

    sections = {s.id for s in kb.sections}
    seen_rules: set[str] = set()
    earlier = dict(known)
    for d in kb.decisions:
        if d.section not in sections:
            out.append(f"decision {d.id}: unknown section {d.section!r}")
        if d.id in earlier:
            out.append(f"decision {d.id}: id clashes with an answer key or earlier decision")
        _check_condition(d.applies, earlier, f"decision {d.id} applies", out)
        if not d.rules or d.rules[-1].when.clauses:
            out.append(f"decision {d.id}: the last rule must have no `when` (the default)")
        for i, r in enumerate(d.rules):
            if r.id in seen_rules:
                out.append(f"rule {r.id}: duplicate id")
            seen_rules.add(r.id)
            if not r.id.startswith(d.id + "."):
                out.append(f"rule {r.id}: id must start with {d.id}.")
            if i < len(d.rules) - 1 and not r.when.clauses:
                out.append(f"rule {r.id}: a rule without `when` hides the rules after it")
            _check_condition(r.when, earlier, f"rule {r.id}", out)
            if r.choice not in d.options:
                out.append(f"rule {r.id}: choice {r.choice!r} is not an option of {d.id}")
            if r.principle not in kb.principles:
                out.append(f"rule {r.id}: unknown principle {r.principle!r}")
            if not r.reasons:
                out.append(f"rule {r.id}: no reasons")
            if not r.rejected:
                out.append(f"rule {r.id}: names no rejected alternative")
            for alt, why in r.rejected:
                if alt not in d.options:
                    out.append(f"rule {r.id}: rejected {alt!r} is not an option of {d.id}")
                if alt == r.choice:
                    out.append(f"rule {r.id}: rejects its own choice")
                if not why:
                    out.append(f"rule {r.id}: rejected {alt!r} without a reason")
        earlier[d.id] = frozenset(d.options)

    everything = earlier
    for d in kb.decisions:
        for r in d.rules:
            for key, detail in r.details.items():
                if not isinstance(detail, str):
                    for item in detail:
                        _check_condition(item.when, everything, f"rule {r.id} {key}", out)
    frameworks = set(kb.decision("framework").options) - {"none"}
    for f in kb.factors:
        if set(f.values) != frameworks:
            out.append(f"factor {f.id}: values must cover exactly {sorted(frameworks)}")
        if not f.needs or f.needs[-1].when.clauses:
            out.append(f"factor {f.id}: the last need must have no `when` (the default)")
        for n in f.needs:
            _check_condition(n.when, everything, f"need {n.id}", out)
            if not n.id.startswith(f.id + "."):
                out.append(f"need {n.id}: id must start with {f.id}.")
            for fw in n.favours:
                if fw not in frameworks:
                    out.append(f"need {n.id}: favours unknown framework {fw!r}")
    if not kb.trees or kb.trees[-1].when.clauses:
        out.append("trees: the last tree must have no `when` (the default)")
    for t in kb.trees:
        _check_condition(t.when, everything, f"tree {t.id}", out)
        for item in t.entries:
            _check_condition(item.when, everything, f"tree {t.id} {item.text}", out)
    for m in kb.mismatches:
        _check_condition(m.advice, everything, f"mismatch {m.id}", out)
        for sig in (*m.signals, *m.any, *m.unless, *m.also):
            kind, _, name = sig.partition(":")
            if kind in ("lib", "dep") and name not in kb.libs:
                out.append(f"mismatch {m.id}: signal {sig!r} names an unknown library")
            if kind == "framework" and name not in frameworks:
                out.append(f"mismatch {m.id}: signal {sig!r} names an unknown framework")
    for p in kb.principles.values():
        used = any(r.principle == p.id for d in kb.decisions for r in d.rules)
        if not used:
            out.append(f"principle {p.id}: no rule applies it")
    return out
