"""Baseline for the benchmarks: read and `ast.parse` every `.py` file of a tree on N processes.

This is the floor any AST-based checker written in Python pays: the same interpreter, the same
two cores, the same files, and nothing but reading and parsing. Run as a script (it must work
under any Python the benchmarks use, so it imports only the standard library):

    python benchmarks/_bare_parse.py TREE [--jobs 2]

It prints one JSON line: {"files": N, "errors": K, "error_files": [...]}.
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


def parse_one(path: str) -> str | None:
    """Read and parse one file; the path if it does not parse, else None."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return path
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    files = python_files(args.tree)
    # big files first so the workers finish together, as stackwise schedules them
    files.sort(key=lambda p: os.stat(p).st_size, reverse=True)
    if args.jobs <= 1:
        errors = [p for p in map(parse_one, files) if p is not None]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs) as pool:
            chunk = max(1, min(32, len(files) // (args.jobs * 8) or 1))
            errors = [p for p in pool.imap_unordered(parse_one, files, chunk) if p is not None]
    rel = sorted(os.path.relpath(p, args.tree) for p in errors)
    json.dump({"files": len(files), "errors": len(errors), "error_files": rel}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
