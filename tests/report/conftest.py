"""Findings and rule metadata built by hand, shared by the report tests."""

from __future__ import annotations

import pytest

from stackwise.findings import Finding, Frame, Severity
from stackwise.rules._meta import RuleMeta

SLEEP_DOCS = """\
## What it does
Flags `time.sleep()` inside `async def`.

## Why it matters
It blocks the event loop: every other request waits.

## Example
```python
async def handler():
    time.sleep(1)
```

## Use instead
```python
async def handler():
    await asyncio.sleep(1)
```
"""


@pytest.fixture
def rules() -> dict[str, RuleMeta]:
    return {
        "ASY100": RuleMeta(
            code="ASY100",
            name="blocking-sleep-in-async",
            summary="`time.sleep` in async code blocks the event loop",
            severity=Severity.ERROR,
            family="ASY",
            docs=SLEEP_DOCS,
        ),
        "ASY101": RuleMeta(
            code="ASY101",
            name="transitive-blocking-call",
            summary="An async function reaches a blocking call through sync helpers",
            severity=Severity.WARNING,
            family="ASY",
            docs="## What it does\nFollows calls from `async def` into sync code.\n",
        ),
        "LAY200": RuleMeta(
            code="LAY200",
            name="layer-violation",
            summary="A lower layer imports an upper one",
            severity=Severity.INFO,
            family="LAY",
            docs="",
        ),
    }


@pytest.fixture
def direct() -> Finding:
    """A plain finding with a span on one line."""
    return Finding(
        path="app/api.py",
        line=12,
        column=5,
        code="ASY100",
        message="`time.sleep()` blocks the event loop",
        end_line=12,
        end_column=18,
        severity=Severity.ERROR,
        function="app.api.handler",
    )


@pytest.fixture
def chained() -> Finding:
    """A transitive finding: handler -> load_user -> requests.get (the blocking call)."""
    return Finding(
        path="app/db.py",
        line=40,
        column=12,
        code="ASY101",
        message="`requests.get()` blocks the event loop (reached from async `app.api.handler`)",
        end_line=40,
        end_column=31,
        severity=Severity.WARNING,
        function="app.db.fetch",
        chain=(
            Frame("app/api.py", 14, "app.api.handler"),
            Frame("app/users.py", 7, "app.users.load_user"),
        ),
    )


@pytest.fixture
def awkward() -> Finding:
    """Unicode path and message, `%`, `,`, `:` and newlines where escaping matters."""
    return Finding(
        path="app/données, v2/naïve:é.py",
        line=3,
        column=9,
        code="LAY200",
        message="100% of imports: `ünïcode` → domain\nsecond line\r\nthird",
        severity=Severity.INFO,
    )
