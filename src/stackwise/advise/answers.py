"""The answers the advisor works from: a typed dataclass, parsing from files/flags, validation."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from stackwise.advise.knowledge import Knowledge, Question, Value, load

Kind = Literal["api", "site", "script", "ml", "worker"]
Workload = Literal["io", "cpu", "mixed"]
Concurrency = Literal["low", "high"]
Db = Literal["postgres", "mysql", "sqlite", "none"]
Jobs = Literal["none", "quick", "long"]
Size = Literal["small", "medium", "large"]

_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}


@dataclass(frozen=True, kw_only=True)
class Answers:
    """What the user told the advisor (or what `infer_answers` read from a repository).

    `None` means "not answered": `advise()` fills defaults from the knowledge base and reports
    them as assumed, and names any answer that is required but missing.
    """

    kind: Kind | None = None
    name: str | None = None
    http: bool | None = None
    workload: Workload | None = None
    concurrency: Concurrency | None = None
    realtime: bool | None = None
    team_async: bool | None = None
    blocking_libs: bool | None = None
    legacy: bool | None = None
    admin: bool | None = None
    db: Db | None = None
    jobs: Jobs | None = None
    job_retries: bool | None = None
    job_persistent: bool | None = None
    job_distributed: bool | None = None
    job_workflows: bool | None = None
    size: Size | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, source: str = "answers") -> Answers:
        """Parse answers from a TOML table or flag values; `yes`/`no` strings work for booleans.

        Raises `AnswerError` naming every unknown key and bad value.
        """
        kb = load()
        by_key = {q.key: q for q in kb.questions}
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for raw_key, raw in data.items():
            key = raw_key.lstrip("-").replace("-", "_")
            question = by_key.get(key)
            if question is None:
                hint = difflib.get_close_matches(key, list(by_key), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(by_key)}"
                problems.append(Problem(raw_key, f"unknown answer in {source}{extra}"))
                continue
            if raw is None:
                continue
            try:
                values[key] = coerce(question, raw)
            except ValueError as exc:
                problems.append(Problem(raw_key, f"{exc} (in {source})"))
        if problems:
            raise AnswerError(problems)
        return cls(**values)

    def merged(self, override: Answers) -> Answers:
        """These answers with every answered field of `override` taking precedence."""
        changes = {f.name: getattr(override, f.name) for f in fields(override)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def given(self) -> dict[str, Value]:
        """The answered fields (not None), keyed by answer key."""
        out: dict[str, Value] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Problem:
    """One missing, unknown, bad or contradictory answer."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class AnswerError(ValueError):
    """The answers are incomplete, malformed or contradictory; `problems` says which and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Resolved:
    """Answers with defaults filled in, which of them were assumed, and warnings."""

    answers: Answers
    assumed: tuple[str, ...]
    notes: tuple[str, ...]

    def context(self) -> dict[str, Value]:
        ctx = self.answers.given()
        ctx.pop("name", None)
        return ctx


def coerce(question: Question, raw: object) -> Value:
    """One raw value (TOML scalar or flag string) checked against its question."""
    if question.type == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(f"expected yes or no, got {raw!r}")
    if question.type == "text":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {raw!r}")
        return raw
    if isinstance(raw, str) and raw.strip().lower() in question.values:
        return raw.strip().lower()
    raise ValueError(f"expected one of {', '.join(question.values)}, got {raw!r}")


def _missing_message(question: Question) -> str:
    choices = f" ({', '.join(question.values)})" if question.choices else " (yes or no)"
    if question.type == "text":
        choices = ""
    why = ""
    if question.required_when is not None:
        why = f"; needed because {question.required_when.describe()}"
    return f"missing: {question.prompt}{choices}{why}"


def _fill(template: str, ctx: Mapping[str, Value]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = ctx.get(m.group(1))
        if value is None:
            return m.group(0)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    return re.sub(r"\{(\w+)\}", sub, template)


def resolve(answers: Answers, kb: Knowledge | None = None) -> Resolved:
    """Fill defaults, check required answers and conflicts; raise `AnswerError` on any problem."""
    kb = kb or load()
    problems: list[Problem] = []
    given = answers.given()
    # Re-check the values: Python callers can pass anything despite the Literal types.
    for key, value in given.items():
        try:
            given[key] = coerce(kb.question(key), value)
        except ValueError as exc:
            problems.append(Problem(key, str(exc)))
    if problems:
        raise AnswerError(problems)

    ctx: dict[str, Value] = dict(given)
    assumed: list[str] = []
    for q in kb.questions:
        if q.key in ctx or q.default is None:
            continue
        ctx[q.key] = q.default
    for q in kb.questions:
        if q.key in given:
            continue
        required = q.required or (q.required_when is not None and q.required_when.matches(ctx))
        if required:
            problems.append(Problem(q.key, _missing_message(q)))
        elif q.default is not None:
            assumed.append(q.key)
    if problems:
        raise AnswerError(problems)

    notes: list[str] = []
    for conflict in kb.conflicts:
        if conflict.when.matches(ctx):
            message = _fill(conflict.message, ctx)
            if conflict.severity == "error":
                keys = ", ".join(sorted(conflict.when.keys()))
                problems.append(Problem(keys, f"conflicting answers: {message}"))
            else:
                notes.append(message)
    if problems:
        raise AnswerError(problems)
    return Resolved(Answers.from_mapping(ctx), tuple(assumed), tuple(notes))


def literal_values() -> dict[str, tuple[str, ...]]:
    """The allowed values of each choice answer, from the type annotations (for consistency tests)."""
    types: dict[str, Any] = {
        "kind": Kind,
        "workload": Workload,
        "concurrency": Concurrency,
        "db": Db,
        "jobs": Jobs,
        "size": Size,
    }
    return {key: tuple(get_args(t)) for key, t in types.items()}
