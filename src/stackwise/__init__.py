"""stackwise: decide, check and scaffold Python backend architecture.

The command line is a thin shell over this API::

    from stackwise import check
    result = check(["src"])
    for finding in result.findings:
        print(finding.path, finding.line, finding.code, finding.message)
"""

from stackwise._version import __version__
from stackwise.config import ConfigError, Settings
from stackwise.engine.runner import CheckResult, check
from stackwise.findings import Finding, Frame, Severity

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
