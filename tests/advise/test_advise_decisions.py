"""Every branch of the decision tables, the factor table and the library table, one case each.

Each case lists answers, the choices expected, and the rule ids that must have fired. The last
test checks that the cases together name every rule in knowledge.toml, so adding a rule without
a case fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from stackwise.advise import Advice, advise
from stackwise.advise.knowledge import load


@dataclass(frozen=True)
class Case:
    id: str
    answers: dict[str, Any]
    choices: dict[str, str] = field(default_factory=dict)
    rules: tuple[str, ...] = ()


API = {"kind": "api", "db": "postgres"}
SITE = {"kind": "site", "db": "postgres"}
TOOL = {"kind": "script", "http": True}
CLI = {"kind": "script", "http": False}

# fmt: off
CASES = [
    # --- framework --------------------------------------------------------------------------
    Case(
        "api-first service",
        API,
        {"framework": "fastapi", "async_mode": "async", "worker": "none", "layout": "single"},
        ("framework.api", "async_mode.io", "worker.none", "layout.small", "typing.standard",
         "validation.fastapi", "testing.fastapi-async", "errors.fastapi", "practices.fastapi",
         "lib_http.async", "lib_db.postgres-async", "lib_orm.async", "lib_files.async",
         "best_for.api", "async.default", "admin.default", "orm.async",
         "learning_curve.small"),
    ),
    Case(
        "full-stack site",
        SITE,
        {"framework": "django", "drf": "no", "channels": "no", "async_mode": "sync",
         "layout": "feature", "validation": "django-forms", "testing": "pytest-django"},
        ("framework.site", "drf.site", "channels.none", "async_mode.django", "layout.django",
         "validation.django", "testing.django", "errors.django", "practices.django",
         "lib_http.sync", "lib_db.django-postgres", "lib_orm.django", "lib_files.sync",
         "best_for.site", "orm.default"),
    ),
    Case(
        "API whose staff need an admin",
        {**API, "admin": True},
        {"framework": "django", "drf": "yes", "validation": "drf-serializers"},
        ("framework.api-with-admin", "drf.api", "validation.drf", "errors.drf", "admin.needed",
         "orm.admin"),
    ),
    Case(
        "small tool with websockets",
        {**TOOL, "realtime": True},
        {"framework": "fastapi"},
        ("framework.realtime-tool", "async.realtime"),
    ),
    Case(
        "model serving",
        {"kind": "ml"},
        {"framework": "fastapi", "async_mode": "mixed", "testing": "httpx-async"},
        ("framework.ml", "async_mode.ml", "best_for.ml", "orm.none"),
    ),
    Case(
        "worker with a status API",
        {"kind": "worker", "http": True, "jobs": "long"},
        {"framework": "fastapi", "worker": "arq"},
        ("framework.worker-http", "worker.arq", "lib_redis.async", "best_for.worker"),
    ),
    Case(
        "small web tool",
        TOOL,
        {"framework": "flask", "async_mode": "sync", "validation": "pydantic"},
        ("framework.small", "async_mode.flask", "validation.flask", "testing.flask",
         "errors.flask", "practices.flask", "best_for.script"),
    ),
    Case(
        "command-line script",
        CLI,
        {"framework": "none", "async_mode": "sync", "validation": "dataclasses", "typing": "light"},
        ("framework.no-http", "async_mode.default", "validation.script", "testing.plain",
         "errors.cli", "typing.script"),
    ),
    Case(
        "background processing without HTTP",
        {"kind": "worker", "http": False, "jobs": "long", "job_retries": True},
        {"framework": "none", "worker": "dramatiq", "validation": "pydantic"},
        ("framework.no-http", "validation.worker", "worker.retries"),
    ),
    # --- Django add-ons ---------------------------------------------------------------------
    Case(
        "site with websockets",
        {**SITE, "realtime": True},
        {"channels": "yes", "async_mode": "mixed", "lib_redis": "redis-asyncio"},
        ("channels.realtime", "async_mode.django-concurrent", "lib_redis.async"),
    ),
    Case(
        "busy site",
        {**SITE, "concurrency": "high"},
        {"async_mode": "mixed"},
        ("async_mode.django-concurrent", "async.many"),
    ),
    # --- async or sync ----------------------------------------------------------------------
    Case(
        "team not at ease with async",
        {**API, "team_async": False},
        {"async_mode": "sync", "testing": "testclient", "lib_db": "psycopg"},
        ("async_mode.team-sync", "testing.fastapi-sync", "lib_db.postgres-sync", "lib_orm.sync",
         "async.team-sync", "learning_curve.team-sync"),
    ),
    Case(
        "sync team that needs websockets",
        {**API, "team_async": False, "realtime": True},
        {"async_mode": "mixed"},
        ("async_mode.team-sync-realtime",),
    ),
    Case(
        "existing sync codebase",
        {**API, "legacy": True},
        {"async_mode": "sync"},
        ("async_mode.legacy",),
    ),
    Case(
        "CPU-bound API",
        {"kind": "api", "db": "none", "workload": "cpu"},
        {"async_mode": "sync"},
        ("async_mode.cpu", "async.cpu"),
    ),
    Case(
        "API that must call a sync-only SDK",
        {**API, "blocking_libs": True},
        {"async_mode": "mixed"},
        ("async_mode.blocking-libs",),
    ),
    Case(
        "I/O and computing steps",
        {**API, "workload": "mixed"},
        {"async_mode": "mixed"},
        ("async_mode.mixed-workload",),
    ),
    Case(
        "crawler script",
        {**CLI, "concurrency": "high"},
        {"async_mode": "async", "testing": "pytest"},
        ("async_mode.many-waits-tool", "lib_http.async"),
    ),
    # --- background work --------------------------------------------------------------------
    Case(
        "job workflows",
        {**API, "jobs": "long", "job_workflows": True},
        {"worker": "celery"},
        ("worker.workflows",),
    ),
    Case(
        "quick fire-and-forget jobs",
        {**API, "jobs": "quick"},
        {"worker": "background"},
        ("worker.background",),
    ),
    Case(
        "distributed jobs in sync code",
        {**API, "team_async": False, "jobs": "long", "job_distributed": True},
        {"worker": "celery", "lib_redis": "redis"},
        ("worker.distributed", "lib_redis.sync"),
    ),
    Case(
        "site with retried jobs",
        {**SITE, "jobs": "long", "job_retries": True},
        {"worker": "dramatiq"},
        ("worker.retries",),
    ),
    Case(
        "site with simple queued jobs",
        {**SITE, "jobs": "long"},
        {"worker": "rq"},
        ("worker.simple-queue",),
    ),
    # --- database drivers and ORMs ----------------------------------------------------------
    Case("Django on MySQL", {**SITE, "db": "mysql"}, {"lib_db": "mysqlclient"}, ("lib_db.django-mysql",)),
    Case("Django on SQLite", {**SITE, "db": "sqlite"}, {"lib_db": "sqlite3"}, ("lib_db.django-sqlite",)),
    Case("async MySQL", {**API, "db": "mysql"}, {"lib_db": "aiomysql"}, ("lib_db.mysql-async",)),
    Case("sync MySQL", {**TOOL, "db": "mysql"}, {"lib_db": "pymysql"}, ("lib_db.mysql-sync",)),
    Case("async SQLite", {**API, "db": "sqlite"}, {"lib_db": "aiosqlite"}, ("lib_db.sqlite-async",)),
    Case(
        "script with SQLite",
        {**CLI, "db": "sqlite"},
        {"lib_db": "sqlite3", "lib_orm": "plain-sql"},
        ("lib_db.sqlite-sync", "lib_orm.script"),
    ),
    # --- layout and typing ------------------------------------------------------------------
    Case(
        "medium API",
        {**API, "size": "medium"},
        {"layout": "layer", "typing": "strict"},
        ("layout.medium", "typing.strict", "learning_curve.default"),
    ),
    Case("large API", {**API, "size": "large"}, {"layout": "feature"}, ("layout.large",)),
]
# fmt: on


def _fired(advice: Advice) -> set[str]:
    return {r.rule for r in advice.recommendations} | {f.rule for f in advice.factors}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    advice = advise(case.answers)
    got = {d: advice.choice(d) for d in case.choices}
    assert got == case.choices
    missing = set(case.rules) - _fired(advice)
    assert not missing, f"rules that did not fire: {sorted(missing)}"


def test_cases_cover_every_rule() -> None:
    named = {rule for case in CASES for rule in case.rules}
    uncovered = set(load().rule_ids()) - named
    assert not uncovered, f"rules without a case: {sorted(uncovered)}"


def test_every_recommendation_has_reasons_principle_and_rejections() -> None:
    for case in CASES:
        for rec in advise(case.answers).recommendations:
            assert rec.reasons, rec.rule
            assert rec.rejected, rec.rule
            assert rec.principle.text, rec.rule
            assert all(r.why for r in rec.rejected), rec.rule


def test_library_table_rows() -> None:
    """The library rows that apply: HTTP and files always; DB and ORM with a database; Redis
    with a Redis-backed queue or Channels."""
    decisions = {r.decision for r in advise(CLI).recommendations}
    assert {"lib_http", "lib_files"} <= decisions
    assert not {"lib_db", "lib_orm", "lib_redis"} & decisions
    decisions = {r.decision for r in advise({**API, "jobs": "long"}).recommendations}
    assert {"lib_http", "lib_files", "lib_db", "lib_orm", "lib_redis"} <= decisions


def test_factor_table_is_filled_for_the_case() -> None:
    advice = advise({**SITE, "admin": True})
    rows = {row.id: row for row in advice.factors}
    assert list(rows) == ["best_for", "async", "admin", "orm", "learning_curve"]
    assert rows["admin"].need == "needed"
    assert rows["admin"].favours == ("django",)
    assert set(rows["orm"].values) == {"fastapi", "django", "flask"}


def test_layout_tree_follows_the_answers() -> None:
    tree = advise({**API, "size": "medium", "jobs": "long", "name": "Shop API"}).tree_text()
    assert "shop_api/" in tree
    assert "worker.py" in tree
    assert "models/" in tree
    assert "templates" not in tree
    django = advise({**SITE, "admin": True, "realtime": True}).tree_text()
    assert "admin.py" in django
    assert "consumers.py" in django
    assert "asgi.py" in django
    assert "wsgi.py" not in django


def test_details_are_filtered_by_condition() -> None:
    with_db = advise(API).get("testing")
    without_db = advise({"kind": "api", "db": "none"}).get("testing")
    assert with_db is not None and without_db is not None
    assert any("db_session" in f for f in with_db.details["fixtures"])
    assert not any("db_session" in f for f in without_db.details["fixtures"])


def test_new_options_for_the_scaffolder() -> None:
    advice = advise({**SITE, "admin": True, "realtime": True, "name": "my-shop"})
    assert advice.new.to_dict() == {
        "name": "my_shop",
        "framework": "django",
        "kind": "site",
        "layout": "single",
        "size": "small",
        "db": "postgres",
        "worker": "none",
        "admin": True,
        "drf": False,
        "channels": True,
    }
    assert advice.command == (
        "stackwise new my_shop --framework django --kind site --layout single --size small "
        "--db postgres --worker none --admin --channels"
    )
    assert advise(API).command.startswith("stackwise new <name> --framework fastapi --kind api")
    # a small web tool is a site for the scaffolder, whose "script" means no web framework
    assert advise(TOOL).new.kind == "site"
