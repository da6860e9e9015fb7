"""`stackwise mcp`: stackwise as a Model Context Protocol server for coding agents (stdio).

The server needs the optional `mcp` extra (`pip install 'stackwise[mcp]'`); nothing here imports
the SDK until the server is built, so the rest of stackwise works without it.

    from stackwise.mcp_server.server import build_server
    build_server(["."]).run("stdio")
"""

from __future__ import annotations

from stackwise.mcp_server.paths import PathRefused, Roots

__all__ = ["PathRefused", "Roots"]
