"""`stackwise advise`: recommend a Python backend stack from answers or from an existing repository.

The knowledge (questions, decisions, reasons, rejected alternatives) lives in `knowledge.toml`;
`advise()` runs it over `Answers`, and `infer_answers()` reads the answers from a repository.
"""

from __future__ import annotations

from stackwise.advise.answers import AnswerError, Answers, Problem
from stackwise.advise.engine import advise
from stackwise.advise.models import (
    Advice,
    FactorRow,
    Inference,
    Mismatch,
    NewOptions,
    Recommendation,
    Rejected,
)
from stackwise.advise.repo import infer_answers

__all__ = [
    "Advice",
    "AnswerError",
    "Answers",
    "FactorRow",
    "Inference",
    "Mismatch",
    "NewOptions",
    "Problem",
    "Recommendation",
    "Rejected",
    "advise",
    "infer_answers",
]
