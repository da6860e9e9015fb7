"""stackwise: decide, check and scaffold Python backend architecture.

The command line is a thin shell over this API::

    from stackwise import check
    result = check(["src"])
    for finding in result.findings:
        print(finding.path, finding.line, finding.code, finding.message)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackwise._lazy import lazy_attributes
from stackwise._version import __version__

if TYPE_CHECKING:
    from stackwise.config import ConfigError, Settings
    from stackwise.engine.runner import CheckResult, check
    from stackwise.findings import Finding, Frame, Severity

# Loaded on first use, so that `import stackwise.<part>` (the CLI, the MCP server) does not
# import the whole checker first.
_LAZY = {
    "ConfigError": "stackwise.config",
    "Settings": "stackwise.config",
    "CheckResult": "stackwise.engine.runner",
    "check": "stackwise.engine.runner",
    "Finding": "stackwise.findings",
    "Frame": "stackwise.findings",
    "Severity": "stackwise.findings",
}

__getattr__ = lazy_attributes(__name__, _LAZY, globals())

__all__ = [
    "CheckResult",
    "ConfigError",
    "Finding",
    "Frame",
    "Settings",
    "Severity",
    "__version__",
    "check",
]
