"""`stackwise rule [CODE]`: print a rule's documentation, or list every rule."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "rule",
        help="show a rule's documentation (or list all rules)",
        description="Print the documentation of rule CODE, or a table of every rule.",
    )
    p.add_argument("code", nargs="?", help="a rule code, e.g. ASY101")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from stackwise.rules.registry import all_rules

    rules = all_rules()
    if args.code is None:
        if args.format == "json":
            print(json.dumps([{"code": m.code, "name": m.name, "summary": m.summary,
                               "severity": str(m.severity)} for m in rules.values()], indent=2))
        else:
            for m in rules.values():
                print(f"{m.code:8} {m.name:40} {m.summary}")
        return 0
    meta = rules.get(args.code.upper())
    if meta is None:
        print(f"stackwise: error: no rule {args.code!r}; `stackwise rule` lists them",
              file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps({"code": meta.code, "name": meta.name, "summary": meta.summary,
                          "severity": str(meta.severity), "docs": meta.docs}, indent=2))
    else:
        print(meta.markdown(), end="")
    return 0
