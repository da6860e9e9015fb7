"""The rule API: a rule is one small class with its metadata, its docs and its check.

Two kinds of rules plug into the engine:

* `Rule` runs inside the single traversal of each file. It names the AST node types it wants
  (`node_types`) and gets `visit(node, ctx)` for each; `ctx` resolves names and reports findings.
* `ProjectRule` runs once per check on the linked project (imports, call graph, facts that
  per-file rules contributed with `ctx.add_fact`).

The class docstring is the rule's documentation, with the sections `## What it does`,
`## Why it matters`, `## Example` and `## Use instead`; `stackwise rule CODE` and docs/rules/ are
generated from it. Rules are discovered by walking the `stackwise.rules` package: adding a rule is
adding a module.
"""

from __future__ import annotations

import ast
import inspect
from typing import TYPE_CHECKING, ClassVar

from stackwise.findings import Severity
from stackwise.rules._meta import RuleMeta

if TYPE_CHECKING:
    from stackwise.engine.context import FileContext
    from stackwise.engine.project import Project, ProjectReporter


ASYNC_DEF = r"async(?<!\wasync)(?:[ \t\f]|\\\r?\n|\\\r)+def\b"
"""How every `async def` is written: the two keywords with blanks or line continuations between
them (a regular expression for `requires_match`). `async` must be a whole word; the pattern
starts with the literal word all the same, which lets `re` jump from one `async` to the next
(20x faster on Home Assistant), and checks the character before it once found."""


class _RuleBase:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING

    @classmethod
    def meta(cls) -> RuleMeta:
        family = "".join(ch for ch in cls.code if ch.isalpha())
        return RuleMeta(
            code=cls.code,
            name=cls.name,
            summary=cls.summary,
            severity=cls.severity,
            family=family,
            docs=inspect.cleandoc(cls.__doc__ or ""),
        )


class Rule(_RuleBase):
    """A per-file rule. One instance is made per file, so instance state is per file."""

    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    requires_text: ClassVar[tuple[str, ...]] = ()
    """Words one of which a file's text must contain for this rule to run on it at all (empty:
    every file). A cheap, exact pre-filter: a FastAPI rule can only fire in a file that imports
    `fastapi`, an async rule only in a file with `async` in it, so the engine does not even
    dispatch nodes to it elsewhere. Must never drop a file the rule could report on."""
    requires_match: ClassVar[str] = ""
    """A regular expression the text of a file must also match (searched only in files that
    have one of the `requires_text` words), e.g. `ASYNC_DEF` for the rules that only look inside
    `async def` functions. The same contract: never drop a file the rule could report on."""

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        """Called for every node of one of `node_types`, in source order."""

    def end_file(self, ctx: FileContext) -> None:
        """Called once after the traversal of a file."""


class FactCollector(Rule):
    """A per-file pass that reports nothing and only contributes facts (`ctx.add_fact`) for the
    project rules of its family. It has no docs page and is not a rule code of its own: `code`
    only names it in `SW001` messages (use the family prefix, e.g. "DJA")."""


class ProjectRule(_RuleBase):
    """A rule that needs the whole project (imports, call graph)."""

    async_reach: ClassVar[bool] = False
    """True when the rule reports only on calls made inside `async def` functions, and reads
    no function but those their calls reach (through calls, imports, re-exports, star imports
    and the class hierarchy). When every selected rule is like that (the ASY family), the
    engine parses only the files the async code can reach: see `docs/architecture.md`,
    "Analysing only what a selection can reach". Must never be set on a rule that reads any
    other part of the project."""

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        raise NotImplementedError
