"""`--from-repo`: inferences on fixture repositories, dependency files, and scanner details."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from stackwise.advise import Answers, advise, infer_answers
from stackwise.advise._deps import read_dependencies, requirement_name
from stackwise.advise.repo import RepoError

REPOS = Path(__file__).parent / "repos"

# repository -> (inferred answers, recommended framework, mismatch ids)
EXPECTED: dict[str, tuple[dict[str, Any], str, set[str]]] = {
    "flask_app": (
        {"kind": "script", "http": True, "workload": "io", "team_async": False, "db": "sqlite",
         "admin": False, "jobs": "none", "size": "small", "realtime": False},
        "flask",
        set(),
    ),
    "fastapi_sync_drivers": (
        {"kind": "api", "http": True, "workload": "io", "team_async": True, "db": "postgres",
         "admin": False, "jobs": "none", "legacy": False, "realtime": False},
        "fastapi",
        {"async-routes-sync-drivers", "on-event-hooks", "resource-in-route"},
    ),
    "django_site": (
        {"kind": "site", "http": True, "admin": True, "db": "postgres", "jobs": "long",
         "job_retries": True, "job_persistent": True, "job_workflows": False},
        "django",
        {"sync-orm-in-async-view", "django-n-plus-one"},
    ),
    "plain_script": (
        {"kind": "script", "http": False, "db": "none", "jobs": "none", "team_async": False,
         "size": "small", "blocking_libs": False},
        "none",
        set(),
    ),
}  # fmt: skip


@pytest.mark.parametrize("repo", sorted(EXPECTED))
def test_fixture_repositories(repo: str) -> None:
    answers, framework, mismatches = EXPECTED[repo]
    inference = infer_answers(REPOS / repo)
    got = {key: getattr(inference.answers, key) for key in answers}
    assert got == answers
    for key in inference.answers.given():
        if key != "name":
            assert inference.evidence[key], f"no evidence for {key}"
    advice = advise(inference.answers, repo=inference)
    assert advice.choice("framework") == framework
    assert {m.id for m in advice.mismatches} == mismatches
    for m in advice.mismatches:
        assert m.migrate and m.evidence


def test_fastapi_mismatch_reads_like_the_issue() -> None:
    inference = infer_answers(REPOS / "fastapi_sync_drivers")
    advice = advise(inference.answers, repo=inference)
    first = next(m for m in advice.mismatches if m.id == "async-routes-sync-drivers")
    assert first.message.startswith(
        "async FastAPI routes but psycopg2 and requests are the drivers: switch to asyncpg"
    )
    assert "httpx.AsyncClient for requests" in first.message
    assert first.message.endswith("or make these routes `def`")
    assert set(first.checks) == {"ASY100", "ASY101", "FAS200"}
    assert any("app/main.py:5 imports requests" in e for e in first.evidence)


def test_django_evidence_points_at_the_code() -> None:
    inference = infer_answers(REPOS / "django_site")
    assert any("shop/admin.py" in line for line in inference.evidence["admin"])
    assert any("django.db.backends.postgresql" in line for line in inference.evidence["db"])
    assert any("autoretry_for" in line for line in inference.evidence["job_retries"])
    advice = advise(inference.answers, repo=inference)
    orm = next(m for m in advice.mismatches if m.id == "sync-orm-in-async-view")
    assert orm.evidence == ("shop/views.py:13 Order.objects.get() in async def order_total",)
    assert orm.checks == ("DJA302",)


def test_requirements_includes_are_followed() -> None:
    deps = read_dependencies(REPOS / "django_site")
    assert {"django", "psycopg", "celery", "gunicorn"} <= set(deps.declared)
    assert deps.declared["celery"] == ["requirements-base.txt"]


def test_inference_never_imports_the_code(tmp_path: Path) -> None:
    (tmp_path / "boom_module.py").write_text(
        "raise SystemExit('imported!')\nimport fastapi\n\n@app.get('/')\nasync def x(): ...\n"
    )
    inference = infer_answers(tmp_path)
    assert "boom_module" not in sys.modules
    assert inference.answers.http is True


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="not a directory"):
        infer_answers(tmp_path / "missing")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": '[project]\ndependencies = ["FastAPI[all]>=0.1", "psycopg2-binary"]\n'
                            '[project.optional-dependencies]\nredis = ["redis"]\n'},
         {"fastapi", "psycopg2-binary", "redis"}),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "^5"\n'
                            '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'},
         {"django", "pytest"}),
        ({"setup.cfg": "[options]\ninstall_requires =\n    flask>=3\n    requests\n"},
         {"flask", "requests"}),
        ({"setup.py": "from setuptools import setup\nsetup(install_requires=['celery>=5', 'rq'])\n"},
         {"celery", "rq"}),
        ({"Pipfile": '[packages]\nflask = "*"\n[dev-packages]\npytest = "*"\n'},
         {"flask", "pytest"}),
        ({"poetry.lock": '[[package]]\nname = "SQLAlchemy"\nversion = "2.0"\n'}, {"sqlalchemy"}),
        ({"uv.lock": '[[package]]\nname = "asyncpg"\nversion = "0.29"\n'}, {"asyncpg"}),
        ({"requirements/prod.txt": "# prod\n-e .\narq==0.26 ; python_version>'3.8'\n"
                                   "git+https://example.com/x.git\n--hash=sha256:abc\n"},
         {"arq"}),
    ],
)  # fmt: skip
def test_dependency_files(tmp_path: Path, files: dict[str, str], expected: set[str]) -> None:
    deps = read_dependencies(write(tmp_path, files))
    assert set(deps.declared) == expected
    assert not deps.problems


def test_broken_files_are_reported_not_raised(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\n", "app.py": "def broken(:\n"})
    inference = infer_answers(tmp_path)
    problems = inference.summary["problems"]
    assert any("pyproject.toml: not valid TOML" in p for p in problems)
    assert any("could not parse app.py" in p for p in problems)


def test_requirement_names() -> None:
    assert requirement_name("Flask_SQLAlchemy[async] >= 3 # orm") == "flask-sqlalchemy"
    assert requirement_name("psycopg @ https://example.com/p.whl") == "psycopg"
    assert requirement_name("-r base.txt") is None
    assert requirement_name("   ") is None


def signals_of(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    inference = infer_answers(write(tmp_path, files))
    return dict(inference.signals)


def test_blocking_calls_resolve_aliases(tmp_path: Path) -> None:
    signals = signals_of(
        tmp_path,
        {
            "worker.py": """
                import asyncio
                import requests as r
                from time import sleep

                async def poll(url):
                    sleep(1)
                    r.get(url)
                    await asyncio.to_thread(r.get, url)   # passed, not called: fine
                    fn = lambda: r.get(url)              # runs elsewhere: fine
                    with open("x") as fh:
                        return fh.read(), fn

                def sync_poll(url):
                    return r.get(url)
            """
        },
    )
    hits = signals["blocking-in-async"]
    assert hits.subjects == ("time.sleep()", "requests.get()", "open()")
    assert set(hits.libs) == {"time-sleep", "requests", "open"}
    assert all("in async def poll" in e for e in hits.evidence)


def test_blocking_call_mismatch_outside_fastapi(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"crawl.py": "import requests\n\nasync def fetch(u):\n    return requests.get(u)\n"},
    )
    inference = infer_answers(tmp_path)
    advice = advise(inference.answers.merged(Answers(concurrency="high")), repo=inference)
    mismatch = next(m for m in advice.mismatches if m.id == "blocking-call-in-async")
    assert "requests.get()" in mismatch.message
    assert "httpx.AsyncClient for requests" in mismatch.migrate


def test_redis_asyncio_is_not_the_sync_client(tmp_path: Path) -> None:
    signals = signals_of(tmp_path, {"cache.py": "from redis import asyncio as aioredis\n"})
    assert "lib:redis-asyncio" in signals
    assert "lib:redis" not in signals
    signals = signals_of(tmp_path, {"cache.py": "from redis import Redis\n"})
    assert "lib:redis" in signals


def test_flask_async_views_and_cpu_in_async(tmp_path: Path) -> None:
    signals = signals_of(
        tmp_path,
        {
            "app.py": """
                import numpy
                from flask import Flask

                app = Flask(__name__)

                @app.get("/")
                async def index():
                    return str(numpy.zeros(3))
            """
        },
    )
    assert "flask-async-views" in signals
    assert signals["cpu-in-async-module"].subjects == ("NumPy",)


def test_routes_in_modules_that_do_not_import_the_framework(tmp_path: Path) -> None:
    inference = infer_answers(
        write(
            tmp_path,
            {
                "requirements.txt": "flask\n",
                "views.py": "from app import app\n\n@app.route('/')\ndef index():\n    return 'hi'\n",
            },
        )
    )
    assert inference.summary["routes"] == 1


def test_realtime_websockets_background_tasks(tmp_path: Path) -> None:
    inference = infer_answers(
        write(
            tmp_path,
            {
                "main.py": """
                    from fastapi import BackgroundTasks, FastAPI, WebSocket

                    app = FastAPI()

                    @app.websocket("/ws")
                    async def ws(socket: WebSocket) -> None:
                        await socket.accept()

                    @app.post("/mail")
                    async def mail(tasks: BackgroundTasks) -> None:
                        tasks.add_task(print, "sent")
                """
            },
        )
    )
    a = inference.answers
    assert (a.realtime, a.concurrency, a.jobs, a.job_persistent) == (True, "high", "quick", False)
    assert "background-tasks" in inference.signals


def test_worker_only_repository(tmp_path: Path) -> None:
    inference = infer_answers(
        write(
            tmp_path,
            {
                "requirements.txt": "celery\n",
                "tasks.py": """
                    from celery import Celery, chain

                    app = Celery("jobs")
                    app.conf.task_routes = {"tasks.heavy": {"queue": "heavy"}}

                    @app.task(max_retries=3)
                    def heavy(x):
                        return chain(heavy.s(x))
                """,
            },
        )
    )
    a = inference.answers
    assert (a.kind, a.http, a.jobs) == ("worker", False, "long")
    assert (a.job_retries, a.job_workflows, a.job_distributed) == (True, True, True)
    assert advise(a).choice("worker") == "celery"


def test_ml_repository(tmp_path: Path) -> None:
    inference = infer_answers(
        write(
            tmp_path,
            {
                "pyproject.toml": '[project]\ndependencies = ["fastapi", "torch"]\n',
                "serve.py": "import torch\nfrom fastapi import FastAPI\n\napp = FastAPI()\n",
            },
        )
    )
    assert (inference.answers.kind, inference.answers.workload) == ("ml", "mixed")


def test_annotation_coverage_and_flat_layout(tmp_path: Path) -> None:
    files = {f"mod{i}.py": f"def public_{i}(x):\n    return x\n" for i in range(9)}
    inference = infer_answers(write(tmp_path, files))
    assert "low-annotation-coverage" in inference.signals
    assert inference.signals["flat-layout"].subjects == ("9 modules",)
    advice = advise(inference.answers.merged(Answers(size="medium")), repo=inference)
    ids = {m.id for m in advice.mismatches}
    assert {"missing-annotations", "flat-layout"} <= ids
    flat = next(m for m in advice.mismatches if m.id == "flat-layout")
    assert flat.checks == ("LAY700",)


def test_skipped_directories_and_tests(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".venv/lib/site.py": "import django\n",
            "node_modules/x.py": "import flask\n",
            "tests/test_app.py": "import httpx\n",
            "app.py": "print('hi')\n",
        },
    )
    inference = infer_answers(tmp_path)
    assert inference.summary["frameworks"] == []
    assert inference.summary["test_files"] == 1
    assert "lib:httpx" not in inference.signals


def test_odd_files_do_not_break_the_scan(tmp_path: Path) -> None:
    write(tmp_path, {"deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"})
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "escape.py").write_text('PATTERN = "\\d+"\n')
    inference = infer_answers(tmp_path)
    problems = " ".join(inference.summary["problems"])
    assert "deep.py" in problems and "nul.py" in problems
    assert "escape.py" not in problems
