"""SW001: a rule failed on a file (a stackwise bug); the other rules still ran."""

from __future__ import annotations

from stackwise.findings import Severity
from stackwise.rules._api import Rule


class InternalError(Rule):
    """
    ## What it does
    Reports that one rule raised an exception on one file. The rule is switched off for the rest
    of that file; every other rule and every other file is still checked. `--verbose` adds the
    traceback to the message.

    ## Why it matters
    A bug in one rule must not hide the findings of the others, and must not pass silently
    either: the file was not fully checked.

    ## Example
    ```text
    app/models.py:1:1: SW001 internal error in rule DJA300 on this file at line 12: KeyError ...
    ```

    ## Use instead
    Please report it with the `--verbose` output and, if you can, the smallest file that
    triggers it. Meanwhile `# stackwise: ignore[SW001]` or `per-file-ignores` silences it.
    """

    code = "SW001"
    name = "internal-error"
    summary = "A rule failed on this file; the other rules still ran"
    severity = Severity.ERROR
