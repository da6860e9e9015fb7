"""FLK400: Flask debug mode switched on outside a development configuration."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule


def _project_imports(project: Project, root: str) -> bool:
    return any(
        imp.target == root or imp.target.startswith(root + ".")
        for facts in project.files.values() for imp in facts.imports
    )


class FlaskDebugEnabled(ProjectRule):
    """
    ## What it does
    Finds Flask's debug mode switched on in code that is not a development or test
    configuration:

    * `app.run(debug=True)` (and `socketio.run(app, debug=True)`);
    * `app.debug = True`, `app.config["DEBUG"] = True`, `app.config.update(DEBUG=True)`;
    * `DEBUG = True` at module level or in a config class, either in a file that imports
      `flask`, or in a config module (`config.py`, `settings.py`, a `...Config` class) of a
      project that uses Flask and not Django.

    Not reported: modules and classes whose name says development or tests
    (`DevelopmentConfig`, `TestingConfig`, `LocalConfig`, `config_dev.py`, `tests/`,
    `examples/`), and assignments that are already conditional (inside an `if` or `try`).
    Django's `DEBUG` setting is left to the Django rules.

    ## Why it matters
    Debug mode turns on the Werkzeug debugger: any exception page lets whoever sees it run
    Python in the server process (the PIN is a weak guard once an attacker can read files).
    It also reloads code on change and shows full tracebacks with local variables. A config
    class or an `app.run(debug=True)` that reaches production is a remote code execution hole.

    ## Example
    ```python
    class ProductionConfig(Config):
        DEBUG = True

    if __name__ == "__main__":
        app.run(host="0.0.0.0", debug=True)
    ```

    ## Use instead
    ```python
    class ProductionConfig(Config):
        DEBUG = False

    class DevelopmentConfig(Config):
        DEBUG = True
    ```
    and start the development server with `flask run --debug` (or read the flag from the
    environment: `app.run(debug=os.environ.get("FLASK_DEBUG") == "1")`).
    """

    code = "FLK400"
    name = "flask-debug-enabled"
    summary = "Flask debug mode on outside a dev config: read it from the environment"
    severity = Severity.ERROR

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        flask_project: bool | None = None
        for path in sorted(project.files):
            for fact in project.files[path].extra.get("flk.debug", ()):
                line, col, end_line, end_col, function, what, flask = fact
                if not flask:
                    if flask_project is None:
                        flask_project = _project_imports(project, "flask") and not (
                            _project_imports(project, "django"))
                    if not flask_project:
                        continue
                report.report(
                    self, path, line, col,
                    f"{what} turns on the Werkzeug debugger, which lets anyone who sees an "
                    "error page run code on the server; keep it in a development config or "
                    'read it from the environment (`FLASK_DEBUG`, `flask run --debug`)',
                    end_line=end_line, end_column=end_col, function=function,
                )
