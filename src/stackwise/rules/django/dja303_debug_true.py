"""DJA303: `DEBUG = True` in a Django settings module that is not a dev/local/test one."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule

# settings Django reads; a module that sets two of them is a settings module
SETTINGS_NAMES = frozenset({
    "INSTALLED_APPS", "MIDDLEWARE", "MIDDLEWARE_CLASSES", "ROOT_URLCONF", "DATABASES",
    "TEMPLATES", "SECRET_KEY", "ALLOWED_HOSTS", "WSGI_APPLICATION", "ASGI_APPLICATION",
    "STATIC_URL", "STATIC_ROOT", "MEDIA_URL", "AUTH_USER_MODEL", "LANGUAGE_CODE", "TIME_ZONE",
    "USE_TZ", "USE_I18N", "DEFAULT_AUTO_FIELD", "AUTH_PASSWORD_VALIDATORS",
})
_NOT_PRODUCTION = re.compile(
    r"(?:^|[_\-.])(?:dev|devel|develop|development|local|locals|test|tests|testing|ci|debug|"
    r"example|examples|sample|samples|demo|sandbox|docs|tutorial|conftest|e2e|selenium)"
    r"(?:$|[_\-.])"
    r"|(?:^|\.)(?:dev|test|demo|example|sample|sandbox)[a-z]*project(?:$|\.)")
# base settings that other settings modules star-import and override
_BASE_NAMES = frozenset({"base", "common", "defaults", "default", "shared", "core", "global"})


class DebugTrueInSettings(Rule):
    """
    ## What it does
    Finds an unconditional `DEBUG = True` at the top level of a Django settings module (one
    that sets at least two of Django's settings such as `INSTALLED_APPS`, `DATABASES`,
    `SECRET_KEY`, or that star-imports base settings inside a `settings` package), unless the
    module is clearly for development, tests or examples (`dev`, `local`, `test`, `ci`,
    `example`, `demo`, `sandbox`... in its module path). A later top-level assignment that
    reads the value from the environment wins and is not reported.

    ## Why it matters
    With `DEBUG = True` in production Django shows full tracebacks with settings and local
    variables to anyone who triggers an error, serves a list of every URL pattern on 404s,
    and keeps every SQL query in memory.

    ## Example
    ```python
    # mysite/settings.py
    DEBUG = True
    ALLOWED_HOSTS = ["example.com"]
    INSTALLED_APPS = [...]
    ```

    ## Use instead
    ```python
    import os

    DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
    ```
    Keep `DEBUG = True` in a `settings/dev.py` or `local_settings.py` used only on your
    machine.
    """

    code = "DJA303"
    name = "django-debug-true"
    summary = "DEBUG = True in settings: read it from the environment, keep True for dev settings"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Module,)
    requires_text: ClassVar[tuple[str, ...]] = ("DEBUG",)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Module)
        if _NOT_PRODUCTION.search(ctx.path.lower().rsplit(".py", 1)[0].replace("/", ".")):
            return
        debug: ast.Assign | None = None
        settings: set[str] = set()
        star = False
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                star = True
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            for t in targets:
                if not isinstance(t, ast.Name):
                    continue
                if t.id in SETTINGS_NAMES:
                    settings.add(t.id)
                if t.id == "DEBUG":
                    value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
                    is_true = isinstance(value, ast.Constant) and value.value is True
                    debug = stmt if is_true and isinstance(stmt, ast.Assign) else None
        if debug is None:
            return
        parts = ctx.module.split(".")
        in_settings_package = any("settings" in p for p in parts[:-1])
        if in_settings_package and parts[-1] in _BASE_NAMES:
            return  # the base of a settings package: the module production uses overrides it
        if len(settings) < 2 and not (star and in_settings_package):
            return
        ctx.report(self, debug, "`DEBUG = True` in a settings module that production may use: "
                   "read it from the environment (`DEBUG = os.environ.get(\"DJANGO_DEBUG\") == "
                   "\"1\"`) and keep `True` in dev/local settings only")
