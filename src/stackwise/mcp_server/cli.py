"""`stackwise mcp`: argument parsing for the MCP server; the SDK is imported only when it runs."""

from __future__ import annotations

import argparse
import importlib.util
import sys

EXIT_USAGE = 2

INSTALL_HINT = (
    "stackwise mcp needs the MCP SDK, which is not installed; install the extra with "
    "`pip install 'stackwise[mcp]'` (or `pipx inject stackwise mcp`, `uv tool install "
    "'stackwise[mcp]'`)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "mcp",
        help="serve stackwise to coding agents over the Model Context Protocol (stdio)",
        description=(
            "Run a Model Context Protocol server on stdin/stdout with the tools advise, "
            "advise_from_repo, check, explain_rule, layout and scaffold. Every path a client "
            "passes must resolve inside a root (--root, default the working directory); the "
            "analysed code is never run. Register it with a client, e.g. "
            "`claude mcp add stackwise -- stackwise mcp --root .` (see docs/mcp.md)."
        ),
    )
    p.add_argument("--root", action="append", metavar="DIR", dest="roots",
                   help="a folder the tools may read (and scaffold into); repeatable; "
                        "relative paths from clients are relative to the first "
                        "(default: the working directory)")
    p.set_defaults(func=run)


def sdk_available() -> bool:
    """Whether the `mcp` SDK can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("mcp") is not None
    except (ImportError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    from stackwise.mcp_server.paths import PathRefused, Roots

    roots = list(args.roots or ["."])
    try:
        checked = Roots.from_paths(roots)
    except PathRefused as exc:
        print(f"stackwise mcp: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not sdk_available():
        print(f"stackwise mcp: error: {INSTALL_HINT}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from stackwise.mcp_server.server import StackwiseTools, build_server_for
    except ImportError as exc:  # an SDK too old or broken
        print(f"stackwise mcp: error: cannot load the MCP SDK ({exc}); stackwise needs "
              "mcp>=2.3,<3: `pip install 'stackwise[mcp]'`", file=sys.stderr)
        return EXIT_USAGE
    tools = StackwiseTools(checked)
    try:
        build_server_for(tools).run("stdio")
    finally:
        tools.close()
    return 0
