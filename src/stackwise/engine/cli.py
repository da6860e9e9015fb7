"""`stackwise check`: argument parsing and output for the checker."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from stackwise.config import ConfigError

if TYPE_CHECKING:
    from stackwise.engine.runner import CheckResult
    from stackwise.report.graph import ProjectGraph


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from stackwise.report import FORMATS

    p = sub.add_parser(
        "check",
        help="find blocking calls in async code and other architecture mistakes",
        description=(
            "Check Python files for the mistakes stackwise knows (see `stackwise rule`). "
            "Exit code: 0 no findings, 1 findings, 2 usage or configuration error."
        ),
    )
    p.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    p.add_argument("--select", type=_codes, default=None, metavar="CODES",
                   help="comma-separated codes or prefixes to report (e.g. ASY,FAS201)")
    p.add_argument("--ignore", type=_codes, default=None, metavar="CODES",
                   help="comma-separated codes or prefixes not to report")
    p.add_argument("--whole-project", action="store_true",
                   help="analyse the whole project (cached) but report only the given files; "
                        "what the pre-commit hook uses, so call chains through unchanged files "
                        "are still followed")
    p.add_argument("--statistics", action="store_true", help="print counts per code instead")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--config", metavar="FILE", help="pyproject.toml to read settings from")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="record today's findings in FILE (e.g. .stackwise-baseline.json) and exit 0")
    p.add_argument("--baseline", metavar="FILE",
                   help="report only findings that are not in this baseline")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="cache folder (default: .stackwise_cache at the project root)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: up to 2)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("-q", "--quiet", action="store_true", help="print findings only, no warnings")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="tracebacks for internal errors, timing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stackwise.engine.runner import check
    from stackwise.report import render
    from stackwise.rules.registry import lazy_all_rules

    if args.jobs is not None and args.jobs < 1:
        print("stackwise: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    paths = list(args.paths)
    focus: set[str] | None = None
    if args.whole_project:
        from stackwise.config import find_root

        root = find_root(Path(paths[0]).resolve() if paths else Path.cwd())
        focus = {Path(os.path.relpath(Path(p).resolve(), root)).as_posix() for p in paths}
        paths = [str(root)]
    try:
        result = check(
            paths,
            config=args.config,
            select=args.select,
            ignore=args.ignore,
            use_cache=not args.no_cache,
            cache_dir=args.cache_dir,
            jobs=args.jobs,
            verbose=args.verbose,
        )
    except ConfigError as exc:
        print(f"stackwise: error: {exc}", file=sys.stderr)
        return 2
    if focus is not None:
        result.findings = [
            f for f in result.findings
            if f.path in focus or any(f.path.startswith(d.rstrip("/") + "/") for d in focus)
        ]
    if args.write_baseline:
        from stackwise.baseline import write_baseline

        try:
            n = write_baseline(Path(args.write_baseline), result.root, result.findings)
        except OSError as exc:
            print(f"stackwise: error: cannot write {args.write_baseline}: {exc.strerror}",
                  file=sys.stderr)
            return 2
        print(f"stackwise: wrote {n} findings to {args.write_baseline}", file=sys.stderr)
        return 0
    if args.baseline:
        from stackwise.baseline import BaselineError, filter_new, load_baseline

        try:
            known = load_baseline(Path(args.baseline))
        except BaselineError as exc:
            print(f"stackwise: error: {exc}", file=sys.stderr)
            return 2
        result.findings = filter_new(result.root, result.findings, known)
    out = sys.stdout
    color = args.color == "always" or (
        args.color == "auto" and args.output is None and out.isatty()
        and "NO_COLOR" not in os.environ
    )
    warnings = [] if args.quiet else result.warnings
    graph = _html_graph(paths, args, result, warnings) if args.format == "html" else None
    text = render(
        result.findings,
        args.format,
        rules=lazy_all_rules(),
        statistics=args.statistics,
        color=color,
        files_checked=result.files_checked,
        warnings=warnings if args.format != "json" else (),
        graph=graph,
        root=result.root,
    )
    if args.format == "json":
        for w in warnings:
            print(f"stackwise: warning: {w}", file=sys.stderr)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            print(f"stackwise: error: cannot write {args.output}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    else:
        try:
            _write(out, text)
            out.flush()
        except BrokenPipeError:
            sys.stderr.close()
            return 1 if result.findings and not args.exit_zero else 0
    if args.verbose:
        print(f"stackwise: {result.files_checked} files, {result.analysed} analysed, "
              f"{result.seconds:.2f}s", file=sys.stderr)
    return 1 if result.findings and not args.exit_zero else 0


def _html_graph(
    paths: list[str], args: argparse.Namespace, result: CheckResult, warnings: list[str]
) -> ProjectGraph | None:
    """The module graph the html report draws; a failure is a warning, not a lost report."""
    from stackwise.report.graph import build_graph

    try:
        return build_graph(paths, root=result.root, config=args.config, findings=result.findings)
    except Exception as exc:
        warnings.append(f"could not draw the module graph: {type(exc).__name__}: {exc}")
        return None


def _write(out: TextIO, text: str) -> None:
    """Write the report; a console that cannot show a character gets an escape, not a crash."""
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "utf-8"
        out.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
