"""SW000: a file stackwise could not analyse (it does not parse, decode or read)."""

from __future__ import annotations

from stackwise.findings import Severity
from stackwise.rules._api import Rule


class Unanalysable(Rule):
    """
    ## What it does
    Reports a file that could not be analysed, with the reason: a syntax error (or syntax newer
    than the Python running stackwise, naming the construct and the version it needs), bytes
    that are not valid in the file's encoding, a NUL byte, nesting deeper than the parser
    allows, a file over `max-file-size`, or a file that cannot be read (permission denied,
    deleted during the run). The rest of the run goes on.

    ## Why it matters
    A file that is not analysed is a file whose mistakes are not reported. Saying so, instead of
    skipping it silently or crashing, keeps a clean result honest.

    ## Example
    ```python
    type UserId = int   # on Python 3.11: needs Python 3.12+
    ```

    ## Use instead
    Fix the file, or run stackwise with a Python that knows its syntax
    (`python3.12 -m stackwise check`), or exclude it in `[tool.stackwise] exclude`.
    """

    code = "SW000"
    name = "could-not-analyse"
    summary = "File could not be analysed: the message says why"
    severity = Severity.ERROR
