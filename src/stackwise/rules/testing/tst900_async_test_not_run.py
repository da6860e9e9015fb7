"""TST900: an `async def test_*` that nothing in the project's pytest setup runs."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.testing._pytest_config import PytestConfig, pytest_config
from stackwise.rules.testing.collect import FILE_KEY, HOOKS_KEY

# markers with which a plugin runs a coroutine test
RUNNER_MARKS = frozenset({"asyncio", "anyio", "trio", "gen_test", "asyncio_cooperative"})
# fixtures whose plugin runs the test as a coroutine when requested
RUNNER_FIXTURES = frozenset({"anyio_backend", "aiohttp_client", "aiohttp_server", "loop"})


def _matches(name: str, patterns: str | None, default: str) -> bool:
    """pytest's `python_functions`/`python_classes`: prefixes, or globs when they have one."""
    for pattern in (patterns or default).split():
        if any(c in pattern for c in "*?["):
            if fnmatch.fnmatchcase(name, pattern):
                return True
        elif name.startswith(pattern):
            return True
    return False


class AsyncTestNotRun(ProjectRule):
    """
    ## What it does
    Reports an `async def test_*` in a project where nothing runs it as a coroutine: the pytest
    configuration that applies to the file (`pytest.ini`, `[tool.pytest.ini_options]` in
    pyproject.toml, `tox.ini`, `setup.cfg`, read as text) does not set pytest-asyncio's
    `asyncio_mode = "auto"` (or pytest-trio's `trio_mode`), and the test has no
    `@pytest.mark.asyncio`/`anyio`/`trio` marker on itself, its class or its module's
    `pytestmark`, and asks for no `anyio_backend` fixture.

    Left alone: tests in classes with a base (`unittest.IsolatedAsyncioTestCase`, Django's
    `TestCase` run their own coroutines), tests with a decorator other than a pytest mark or
    `mock.patch`, and every test of a project that defines a `pytest_pyfunc_call` hook, or a
    collection hook that adds markers, anywhere (a home-made runner).

    ## Why it matters
    pytest does not await coroutines. Without a plugin that does, an async test is reported as
    skipped with a warning (older pytest) or fails with "async def functions are not natively
    supported" (pytest 8.4+), and in some setups its body never executes while the run stays
    green: the assertions in it have never been checked.

    ## Example
    ```python
    async def test_create_user(client: AsyncClient) -> None:
        response = await client.post("/users", json={"name": "ada"})
        assert response.status_code == 201
    ```

    ## Use instead
    ```toml
    # pyproject.toml
    [tool.pytest.ini_options]
    asyncio_mode = "auto"
    ```
    or mark the tests: `@pytest.mark.asyncio` (pytest-asyncio), `@pytest.mark.anyio` (anyio's
    plugin), or `pytestmark = pytest.mark.asyncio` for a whole module.
    """

    code = "TST900"
    name = "async-test-not-run"
    summary = "Async test that no plugin runs: set `asyncio_mode = \"auto\"` or mark the test"
    severity = Severity.ERROR

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        if not project.root:
            return  # the configuration cannot be found without the project on disk
        for ff in project.files.values():
            for hooks in ff.extra.get(HOOKS_KEY, ()):
                if any(relevant for _, relevant in hooks):
                    return  # a hook in the project may run or mark coroutine tests itself
        root = Path(project.root)
        configs: dict[str, PytestConfig] = {}
        for path in sorted(project.files):
            entries = project.files[path].extra.get(FILE_KEY)
            if not entries:
                continue
            data: dict[str, Any] = entries[0]
            tests = data.get("async_tests") or []
            if not tests:
                continue
            folder = path.rpartition("/")[0]
            if folder not in configs:
                configs[folder] = pytest_config(root / path)
            config = configs[folder]
            if not config.readable or config.runs_coroutines:
                continue
            basename = path.rsplit("/", 1)[-1]
            if not any(fnmatch.fnmatchcase(basename, p) for p in
                       (config.get("python_files") or "test_*.py *_test.py").split()):
                continue
            for name, cls, line, col, end_col, marks, fixtures, other in tests:
                if other or set(marks) & RUNNER_MARKS or set(fixtures) & RUNNER_FIXTURES:
                    continue
                if not _matches(name, config.get("python_functions"), "test"):
                    continue
                if cls and not _matches(cls, config.get("python_classes"), "Test"):
                    continue
                where = (f"in {Path(config.path).name}" if config.path
                         else "(no pytest configuration found)")
                report.report(
                    self, path, line, col,
                    f"`async def {name}` is never awaited by pytest: no asyncio/anyio marker "
                    f"and no `asyncio_mode = \"auto\"` {where}; add `@pytest.mark.asyncio` or "
                    "set `asyncio_mode = \"auto\"`",
                    end_line=line, end_column=end_col, function=f"{cls}.{name}" if cls else name,
                )
