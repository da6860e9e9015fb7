"""Baseline for the benchmarks: read and `ast.parse` every `.py` file of a tree on N processes.

This is the floor any AST-based checker written in Python pays: the same interpreter, the same
two cores, the same files, and nothing but reading and parsing. Run as a script (it must work
under any Python the benchmarks use, so it imports only the standard library):

    python benchmarks/_bare_parse.py TREE [--jobs 2] [--walk]

It prints one JSON line: {"files": N, "errors": K, "error_files": [...]}.

With `--walk` each parsed tree is also walked once in Python, visiting every node and doing
nothing with it: the least any analysis written in Python over `ast` pays on top of the parse
(stackwise's own walk also keeps parents, scopes and bindings, and dispatches to the rules).
"""

from __future__ import annotations

import argparse
import ast
import json
import multiprocessing
import os
import sys
import warnings

# the same directory names stackwise skips by default (config.DEFAULT_EXCLUDE)
SKIP_DIRS = frozenset({
    ".venv", "venv", ".env", "env", "build", "dist", "node_modules", "__pycache__", ".git",
    ".hg", ".svn", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".stackwise_cache", "site-packages",
})


def python_files(top: str) -> list[str]:
    """Every `.py` file under `top`, skipping the directories stackwise skips by default."""
    out: list[str] = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        out.extend(os.path.join(folder, n) for n in names if n.endswith(".py"))
    return out


def parse_one(path: str, walk: bool = False) -> str | None:
    """Read and parse one file (and walk it, with `walk`); the path if it does not parse."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return path
    if walk:
        empty_walk(tree)
    return None


def parse_and_walk(path: str) -> str | None:
    return parse_one(path, walk=True)


def empty_walk(tree: ast.AST) -> int:
    """Visit every node of `tree` once, iteratively, doing nothing: the number of nodes."""
    node_type = ast.AST
    stack: list[ast.AST] = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    count = 0
    while stack:
        node = pop()
        count += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                extend(v for v in value if isinstance(v, node_type))
            elif isinstance(value, node_type):
                push(value)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--walk", action="store_true",
                        help="also walk every node of each tree once, doing nothing")
    args = parser.parse_args(argv)
    one = parse_and_walk if args.walk else parse_one
    files = python_files(args.tree)
    # big files first so the workers finish together, as stackwise schedules them
    files.sort(key=lambda p: os.stat(p).st_size, reverse=True)
    if args.jobs <= 1:
        errors = [p for p in map(one, files) if p is not None]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs) as pool:
            chunk = max(1, min(32, len(files) // (args.jobs * 8) or 1))
            errors = [p for p in pool.imap_unordered(one, files, chunk) if p is not None]
    rel = sorted(os.path.relpath(p, args.tree) for p in errors)
    json.dump({"files": len(files), "errors": len(errors), "error_files": rel}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
