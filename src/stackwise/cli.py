"""The `stackwise` command: a thin shell that parses arguments and calls the Python API.

Each capability registers its own sub-command through a `register(subparsers)` function in its
package's `cli` module; this module only assembles them and maps errors to exit codes:
0 clean, 1 findings, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from stackwise._version import __version__

# Sub-command modules, in the order `--help` lists them. Each has `register(subparsers)`.
_COMMANDS = (
    "stackwise.engine.cli",
    "stackwise.rules.cli",
    "stackwise.advise.cli",
    "stackwise.scaffold.cli",
    "stackwise.structure.cli",
    "stackwise.mcp_server.cli",
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stackwise",
        description="Decide, check and scaffold Python backend architecture.",
    )
    parser.add_argument("--version", action="version", version=f"stackwise {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # capability not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("stackwise: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
