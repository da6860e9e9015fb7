"""TST901: FastAPI tests build the app client by hand in each test, or call real hosts."""

from __future__ import annotations

from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.testing.collect import FILE_KEY, MOCK_MODULES


class AppClientInTests(ProjectRule):
    """
    ## What it does
    In a FastAPI project (some module imports `fastapi`), reports in the test modules:

    * a test client built inside test functions around the project's app
      (`TestClient(app)`, `AsyncClient(transport=ASGITransport(app=app))`) when two or more
      tests of the same file do it: that is a fixture written out again in every test. A test
      that builds its own app (`app = FastAPI()` in the test, or an app fixture) is fine, and so
      is a module-level `client = TestClient(app)`.
    * an HTTP call from a test to a real host (`requests.get("https://api.github.com/...")`,
      `httpx.AsyncClient(base_url="https://...")`): localhost, `testserver`, IP addresses,
      names without a dot (compose services) and reserved names (`.test`, `.invalid`,
      `.local`...) are local. Files and tests that use a mocking library or fixture (respx,
      responses, pytest-httpx, requests-mock, vcr, `monkeypatch`, `mocker`) are left alone, and
      so is the whole project when a `conftest.py` imports one.

    ## Why it matters
    A client built by hand in each test repeats setup (dependency overrides, lifespan,
    headers) that drifts from test to test, and without `with TestClient(app)` the lifespan
    never runs. Tests that reach the internet are slow, flaky, fail offline and in CI sandboxes,
    and may hit production services.

    ## Example
    ```python
    from fastapi.testclient import TestClient
    from app.main import app

    def test_read_items() -> None:
        client = TestClient(app)                 # TST901
        assert client.get("/items").status_code == 200

    def test_read_item() -> None:
        client = TestClient(app)                 # TST901
        assert client.get("/items/1").status_code == 200
    ```

    ## Use instead
    ```python
    # tests/conftest.py
    @pytest.fixture
    def client() -> Iterator[TestClient]:
        with TestClient(app) as c:
            yield c

    # tests/test_items.py
    def test_read_items(client: TestClient) -> None:
        assert client.get("/items").status_code == 200
    ```
    Mock outbound HTTP with respx (httpx) or responses (requests) instead of calling the host.
    """

    code = "TST901"
    name = "app-client-per-test-or-real-network"
    summary = "Tests build the app client by hand or call real hosts: use a fixture, mock HTTP"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        if not any(imp.target == "fastapi" or imp.target.startswith("fastapi.")
                   for ff in project.files.values() for imp in ff.imports):
            return
        conftest_mocks = any(
            path.rsplit("/", 1)[-1] == "conftest.py" and any(
                imp.target == m or imp.target.startswith(m + ".")
                for imp in ff.imports for m in MOCK_MODULES)
            for path, ff in project.files.items()
        )
        for path in sorted(project.files):
            name = path.rsplit("/", 1)[-1]
            entries = project.files[path].extra.get(FILE_KEY)
            if not entries or name == "conftest.py":
                continue
            data: dict[str, Any] = entries[0]
            clients = data.get("clients") or []
            if len({c[0] for c in clients}) >= 2:
                for test, line, col, end_line, end_col, shown in clients:
                    report.report(
                        self, path, line, col,
                        f"`{shown}` built by hand in `{test}`, as in other tests of this file; "
                        "build it once in a pytest fixture (`with TestClient(app) as c: yield "
                        "c`) and ask for it",
                        end_line=end_line, end_column=end_col, function=test,
                    )
            if data.get("mocks") or conftest_mocks:
                continue
            for test, line, col, end_line, end_col, shown, host in data.get("network") or []:
                report.report(
                    self, path, line, col,
                    f"`{shown}` in `{test}` calls the real host `{host}`; mock it (respx, "
                    "responses, pytest-httpx) or call the app through the test client",
                    end_line=end_line, end_column=end_col, function=test,
                )
