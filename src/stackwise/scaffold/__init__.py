"""Scaffold new projects that follow stackwise's own rules (`stackwise new`).

    from stackwise.scaffold import ScaffoldOptions, generate
    written = generate(ScaffoldOptions("myservice", framework="fastapi", layout="feature"))

Templates are files under `templates/`, one folder per group (see `_plan.py`).
"""

from __future__ import annotations

from stackwise.scaffold._generate import generate, render
from stackwise.scaffold._options import (
    ConflictError,
    Resolved,
    ScaffoldError,
    ScaffoldOptions,
    parse_advice,
    read_advice,
    resolve,
    validate_name,
)

__all__ = [
    "ConflictError",
    "Resolved",
    "ScaffoldError",
    "ScaffoldOptions",
    "generate",
    "parse_advice",
    "read_advice",
    "render",
    "resolve",
    "validate_name",
]
