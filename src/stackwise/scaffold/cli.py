"""The `stackwise new` sub-command: parse flags (and advice JSON), then call `generate`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stackwise.scaffold._generate import generate
from stackwise.scaffold._options import (
    DATABASES,
    FRAMEWORKS,
    KINDS,
    LAYOUTS,
    SIZES,
    WORKERS,
    ScaffoldError,
    read_advice,
    resolve,
)

EXIT_OK = 0
EXIT_USAGE = 2

_EPILOG = """\
examples:
  stackwise new myservice --framework fastapi --layout feature --size medium --db postgres --worker arq
  stackwise new mysite --framework django --admin --drf
  stackwise new mytool --kind script
  stackwise advise --format json > advice.json && stackwise new --from-advice advice.json myservice

Every project comes with tests, ruff and mypy --strict settings and a Makefile:
  cd NAME && make test
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `new` sub-command."""
    p = subparsers.add_parser(
        "new",
        help="scaffold a new project (FastAPI, Django, Flask or a script) with tests",
        description=(
            "Generate a project that passes its own tests, `mypy --strict` and `stackwise check` "
            "out of the box. Flags left out take their value from --from-advice, then from "
            "defaults that fit the framework."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "name",
        nargs="?",
        help="project and package name: a lower-case Python identifier (e.g. myservice)",
    )
    p.add_argument("--framework", choices=FRAMEWORKS, help="web framework, or 'none' for a script")
    p.add_argument(
        "--kind",
        choices=KINDS,
        help="what it is: api, site, script, worker or ml (picks the framework when omitted)",
    )
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="FastAPI: organise by 'layer' (routes/services/models/...) or by 'feature'",
    )
    p.add_argument(
        "--size", choices=SIZES, help="'large' puts the package under src/ (default: medium)"
    )
    p.add_argument(
        "--db",
        choices=DATABASES,
        help="database for production; SQLite stays the embedded default for dev and tests",
    )
    p.add_argument(
        "--worker",
        choices=WORKERS,
        help="background jobs: celery, arq, rq, dramatiq, or FastAPI 'background' tasks",
    )
    p.add_argument(
        "--admin",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Django: register the models in the admin site",
    )
    p.add_argument(
        "--drf",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Django: Django REST framework viewsets instead of class-based HTML views",
    )
    p.add_argument(
        "--channels",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Django: websockets with Channels (not scaffolded yet; noted and skipped)",
    )
    p.add_argument(
        "--from-advice",
        metavar="FILE",
        type=Path,
        help="JSON written by `stackwise advise --format json`; explicit flags override it",
    )
    p.add_argument(
        "--dir",
        metavar="DIR",
        type=Path,
        help="directory to create the project in (default: ./NAME)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="allow an existing non-empty directory; files that would change are listed and "
        "nothing is written",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate the project; 0 on success, 2 with a message on stderr for bad input."""
    try:
        choices: dict[str, Any] = {}
        if args.from_advice is not None:
            choices.update(read_advice(args.from_advice))
        for key in (
            "name", "framework", "kind", "layout", "size", "db", "worker", "admin", "drf",
            "channels",
        ):  # fmt: skip
            value = getattr(args, key, None)
            if value is not None:
                choices[key] = value
        resolved = resolve(choices)
        for note in resolved.notes:
            print(f"stackwise new: note: {note}", file=sys.stderr)
        target = args.dir if args.dir is not None else Path(resolved.options.name)
        written = generate(resolved.options, target, force=args.force)
    except ScaffoldError as exc:
        print(f"stackwise new: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"stackwise new: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    o = resolved.options
    shape: str = o.framework if o.framework != "none" else o.kind
    if o.framework == "fastapi":
        shape += f", by {o.layout}, {o.size}"
    if o.worker != "none":
        shape += f", worker {o.worker}"
    print(f"created {target}/ ({shape}): {len(written)} files")
    for path in written:
        print(f"  {path.relative_to(target)}")
    print(f"\nnext:\n  cd {target}\n  make test     # creates .venv, runs pytest, ruff and mypy")
    return EXIT_OK
