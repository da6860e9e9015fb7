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

# Sub-command modules, in the order `--help` lists them, with the sub-commands each registers
# through its `register(subparsers)`. Only the module of the sub-command being run is imported
# (a `check` on every commit must not pay for the scaffolder's templates or the advisor's
# knowledge); `--help` and unknown commands import them all.
_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stackwise.engine.cli", ("check",)),
    ("stackwise.rules.cli", ("rule",)),
    ("stackwise.advise.cli", ("advise",)),
    ("stackwise.scaffold.cli", ("new",)),
    ("stackwise.structure.cli", ("types", "layout")),
    ("stackwise.mcp_server.cli", ("mcp",)),
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `command`, only that sub-command's module is loaded."""
    wanted = [m for m, names in _COMMANDS if command in names] or [m for m, _ in _COMMANDS]
    parser = argparse.ArgumentParser(
        prog="stackwise",
        description="Decide, check and scaffold Python backend architecture.",
    )
    parser.add_argument("--version", action="version", version=f"stackwise {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in wanted:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # capability not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments and not arguments[0].startswith("-") else None
    parser = build_parser(command)
    args = parser.parse_args(arguments)
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
