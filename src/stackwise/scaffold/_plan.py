"""Which template groups a project is made of, and the variables its templates see.

A template group is a folder under `templates/`; the generated project is the union of its
groups' files. Everything that differs between variants but not between files (dependencies,
import paths, commands) is computed here once, so the templates stay declarative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackwise._version import __version__
from stackwise.scaffold._options import ScaffoldOptions

# Lower bounds the templates are written (and tested) against.
_DEPS: dict[str, str] = {
    "fastapi": "fastapi>=0.115",
    "uvicorn": "uvicorn>=0.30",
    "pydantic": "pydantic>=2.7",
    "pydantic-settings": "pydantic-settings>=2.3",
    "sqlalchemy": "sqlalchemy[asyncio]>=2.0.30",
    "aiosqlite": "aiosqlite>=0.20",
    "asyncpg": "asyncpg>=0.29",
    "aiomysql": "aiomysql>=0.2",
    "django": "django>=5.0",
    "django-stubs-ext": "django-stubs-ext>=5.0",
    "djangorestframework": "djangorestframework>=3.15",
    "psycopg": "psycopg[binary]>=3.1",
    "mysqlclient": "mysqlclient>=2.2",
    "flask": "flask>=3.0",
    "celery": "celery[redis]>=5.4",
    "arq": "arq>=0.26",
    "rq": "rq>=2.0",
    "dramatiq": "dramatiq[redis]>=1.17",
    "redis": "redis>=5.0",
}
_DEV_DEPS: dict[str, str] = {
    "pytest": "pytest>=8.2",
    "pytest-asyncio": "pytest-asyncio>=0.24",
    "pytest-django": "pytest-django>=4.8",
    "httpx": "httpx>=0.27",
    "mypy": "mypy>=1.11",
    "ruff": "ruff>=0.6",
    "django-stubs": "django-stubs[compatible-mypy]>=5.0",
    "djangorestframework-stubs": "djangorestframework-stubs[compatible-mypy]>=3.15",
    "celery-types": "celery-types>=0.22",
    "fakeredis": "fakeredis>=2.23",
}


@dataclass(frozen=True)
class Plan:
    """The template groups to render, in order, and the context they are rendered with."""

    groups: tuple[str, ...]
    context: dict[str, Any]


def make_plan(options: ScaffoldOptions) -> Plan:
    """Decide the template groups and the rendering context for resolved `options`."""
    o = options
    groups: list[str] = ["common"]
    deps: list[str] = []
    dev: list[str] = ["pytest", "mypy", "ruff"]
    mypy_plugins: list[str] = []
    run_cmd = f"python -m {o.name} --help"

    if o.framework == "fastapi":
        groups += ["fastapi/base", f"fastapi/{o.layout}"]
        deps += ["fastapi", "uvicorn", "pydantic", "pydantic-settings", "sqlalchemy", "aiosqlite"]
        deps += {"postgres": ["asyncpg"], "mysql": ["aiomysql"]}.get(o.db, [])
        dev += ["pytest-asyncio", "httpx"]
        mypy_plugins.append("pydantic.mypy")
        run_cmd = f"uvicorn {o.name}.main:app --reload"
    elif o.framework == "django":
        groups += ["django/base", "django/drf" if o.drf else "django/views"]
        if o.admin:
            groups.append("django/admin")
        deps += ["django", "django-stubs-ext"]
        deps += {"postgres": ["psycopg"], "mysql": ["mysqlclient"]}.get(o.db, [])
        dev += ["pytest-django", "django-stubs"]
        mypy_plugins.append("mypy_django_plugin.main")
        if o.drf:
            deps.append("djangorestframework")
            dev.append("djangorestframework-stubs")
            mypy_plugins.append("mypy_drf_plugin.main")
        run_cmd = "python manage.py migrate && python manage.py runserver"
    elif o.framework == "flask":
        groups += ["flask"]
        deps += ["flask", "pydantic"]
        run_cmd = f"flask --app {o.name} run --debug"
    else:
        groups += ["script"]

    worker_cmd = ""
    if o.worker != "none":
        groups.append(f"workers/{o.worker}")
        if o.worker == "background":
            pass
        else:
            deps += [o.worker, "redis"]
            if o.worker == "celery":
                dev.append("celery-types")
                worker_cmd = f"celery -A {o.name}.worker.app worker --loglevel=INFO -Q {o.name}"
            elif o.worker == "arq":
                dev += ["fakeredis", "pytest-asyncio"]
                worker_cmd = f"arq {o.name}.worker.config.WorkerSettings"
            elif o.worker == "rq":
                dev.append("fakeredis")
                worker_cmd = f"rq worker --url $${{REDIS_URL:-redis://127.0.0.1:6379/0}} {o.name}"
            else:
                worker_cmd = f"dramatiq {o.name}.worker.tasks"

    pkgdir = f"src/{o.name}" if o.src_layout else o.name
    feature = o.layout == "feature"
    context: dict[str, Any] = {
        "name": o.name,
        "title": o.name.replace("_", " ").title(),
        "env_prefix": o.name.upper() + "_",
        "framework": o.framework,
        "kind": o.kind,
        "layout": o.layout,
        "size": o.size,
        "db": o.db,
        "worker": o.worker,
        "admin": o.admin,
        "drf": o.drf,
        "src_layout": o.src_layout,
        "async_tests": o.framework == "fastapi" or o.worker == "arq",
        "pkgdir": pkgdir,
        "source_root": "src" if o.src_layout else ".",
        "dependencies": sorted({_DEPS[d] for d in deps}),
        "dev_dependencies": sorted({_DEV_DEPS[d] for d in dev}),
        "mypy_plugins": mypy_plugins,
        "run_cmd": run_cmd,
        "worker_cmd": worker_cmd,
        "stackwise_version": __version__,
        # Import paths that differ between FastAPI layouts (shared templates use these).
        "mod": {
            "deps": f"{o.name}.core.dependencies" if feature else f"{o.name}.dependencies",
            "item_model": f"{o.name}.items.models" if feature else f"{o.name}.models.item",
            "item_schemas": f"{o.name}.items.schemas" if feature else f"{o.name}.schemas.item",
            "item_service": f"{o.name}.items.service" if feature else f"{o.name}.services.items",
        },
    }
    return Plan(tuple(groups), context)
