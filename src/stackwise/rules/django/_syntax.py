"""Small syntax helpers the Django fact extractors share: nothing here knows about Django."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from stackwise.engine.context import FileContext
from stackwise.engine.scope import child_nodes

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def stores(node: ast.AST, var: str) -> bool:
    """Whether `node` binds `var` (outside nested scopes)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and n.id == var and isinstance(n.ctx, ast.Store | ast.Del):
            return True
        if isinstance(n, ast.MatchAs | ast.MatchStar) and n.name == var:
            return True
        if isinstance(n, SCOPES):
            if getattr(n, "name", None) == var:
                return True
            continue
        stack.extend(child_nodes(n))
    return False


def own_nodes(stmts: list[ast.stmt] | list[ast.AST],
              parents: dict[ast.AST, ast.AST]) -> Iterator[ast.AST]:
    """Every node under `stmts` outside nested scopes (a nested function, class or lambda is
    yielded, not what it holds), recording each one's parent in `parents` as it goes."""
    stack: list[ast.AST] = list(stmts)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, SCOPES):
            continue
        for c in child_nodes(n):
            parents[c] = n
            stack.append(c)


def node_lines(ctx: FileContext, node: ast.AST) -> list[str]:
    """The source lines `node` spans."""
    first = getattr(node, "lineno", 1)
    return ctx.source.lines[first - 1: getattr(node, "end_lineno", None) or first]
