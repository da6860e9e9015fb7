"""End to end: generate every variant, install it, run its tests, mypy --strict, ruff, and
`stackwise check`; then serve a generated FastAPI app with uvicorn and call it over HTTP.

Slow. All variants share ONE virtual environment, cached between runs under
`$STACKWISE_E2E_VENV` or `~/.cache/stackwise-e2e/venv-<python>-<hash of the requirements>`;
mypy caches live beside it. It runs on Python 3.11 only (the CI runs the suite on 3.11 and 3.13;
once is enough for generated code pinned to `requires-python >= 3.11`): set STACKWISE_E2E=1 to
force it on another version, STACKWISE_E2E=0 to skip it. With REDIS_URL set (as `.ci/run` does)
the generated worker tests go through that Redis server.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackwise.scaffold import generate, resolve

_FORCED = os.environ.get("STACKWISE_E2E")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _FORCED == "0" or (_FORCED != "1" and sys.version_info[:2] != (3, 11)),
        reason="scaffold e2e runs on Python 3.11 only (STACKWISE_E2E=1 forces it)",
    ),
]


@dataclass(frozen=True)
class Variant:
    """One generated project: its choices, and a unique package name (all share one venv)."""

    name: str
    choices: dict[str, Any]


VARIANTS: tuple[Variant, ...] = (
    Variant("e2e_api_layer", {"framework": "fastapi", "layout": "layer", "worker": "background"}),
    Variant(
        "e2e_api_feature",
        {
            "framework": "fastapi",
            "layout": "feature",
            "size": "large",
            "db": "postgres",
            "worker": "arq",
        },
    ),
    Variant(
        "e2e_api_layer_large",
        {"framework": "fastapi", "layout": "layer", "size": "large", "worker": "celery"},
    ),
    Variant("e2e_site", {"framework": "django", "admin": True, "worker": "celery"}),
    Variant("e2e_site_drf", {"framework": "django", "drf": True, "db": "postgres", "worker": "rq"}),
    Variant("e2e_flask", {"framework": "flask", "worker": "rq"}),
    Variant("e2e_tool", {"kind": "script"}),
    Variant("e2e_jobs", {"kind": "worker", "worker": "dramatiq", "size": "large"}),
)

# Requirements of the shared environment beyond the projects' own. arq caps redis below 6 and
# celery 5.7's kombu needs redis >= 6.1, so in ONE environment celery/kombu stay on 5.6 (a
# generated project on its own gets the newest). setuptools/wheel build the projects' wheels.
_EXTRA = ("setuptools>=68", "wheel")
_CONSTRAINTS = ("kombu<5.7", "celery<5.7")
_ENV_VERSION = "1"  # bump to force a fresh environment


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stackwise-e2e"


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every variant, generated once per test process."""
    root = tmp_path_factory.mktemp("scaffold-e2e")
    out: dict[str, Path] = {}
    for variant in VARIANTS:
        options = resolve({"name": variant.name, **variant.choices}).options
        target = root / variant.name
        generate(options, target)
        out[variant.name] = target
    return out


def _requirements(projects: dict[str, Path]) -> list[str]:
    reqs: set[str] = set(_EXTRA)
    for path in projects.values():
        project = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        reqs.update(project["dependencies"])
        reqs.update(project["optional-dependencies"]["dev"])
    return sorted(reqs)


@pytest.fixture(scope="session")
def venv(projects: dict[str, Path]) -> Path:
    """The shared environment with every project's dependencies, created once and cached."""
    reqs = _requirements(projects)
    digest = hashlib.sha256(
        "\n".join([_ENV_VERSION, sys.version, *reqs, *_CONSTRAINTS]).encode()
    ).hexdigest()[:12]
    pyver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    configured = os.environ.get("STACKWISE_E2E_VENV")
    path = Path(configured) if configured else _cache_root() / f"venv-{pyver}-{digest}"
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = path / ".stackwise-e2e-complete"
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one xdist worker builds, the others wait
        if marker.is_file() and marker.read_text(encoding="utf-8") == "\n".join(reqs):
            return path
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([_base_python(), "-m", "venv", str(path)], check=True)
        constraints = path / "constraints.txt"
        constraints.write_text("\n".join(_CONSTRAINTS) + "\n", encoding="utf-8")
        install = [str(path / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*install, "--upgrade", "pip"], check=True)
        subprocess.run([*install, "-c", str(constraints), *reqs], check=True)
        marker.write_text("\n".join(reqs), encoding="utf-8")
    return path


def _base_python() -> str:
    """A Python of the running version that is not inside a virtual environment, if possible."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(candidate) if candidate.exists() else sys.executable


def _env(venv: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DJANGO_SETTINGS_MODULE", "PYTHONHOME")
        and not k.startswith("PYTEST_")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(cmd)} failed in {cwd}:\n{output[-6000:]}"
    return output


_IDS = [v.name for v in VARIANTS]


def _mypy_cache_key(project: Path) -> str:
    tool = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    settings = {k: v for k, v in tool["mypy"].items() if k not in ("files", "mypy_path")}
    relevant = {"mypy": settings, "django-stubs": tool.get("django-stubs")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]


def _choices(name: str) -> dict[str, Any]:
    return next(v.choices for v in VARIANTS if v.name == name)


_CHECK_FLAGS = ("--no-cache", "--format", "json")
_WHEEL_FLAGS = ("-q", "--no-deps", "--no-build-isolation", "-w")


@pytest.mark.parametrize("name", _IDS)
def test_generated_tests_pass(name: str, projects: dict[str, Path], venv: Path) -> None:
    out = _run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        projects[name],
        _env(venv),
    )
    assert " passed" in out


@pytest.mark.parametrize("name", _IDS)
def test_generated_code_is_mypy_strict_clean(
    name: str, projects: dict[str, Path], venv: Path
) -> None:
    # Variants whose mypy settings are the same share a cache (the third-party modules are the
    # same, and different settings would only invalidate each other's entries); a lock keeps two
    # xdist workers from writing one cache at once.
    cache = venv.parent / "mypy-cache" / f"{venv.name}-{_mypy_cache_key(projects[name])}"
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{cache}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = _run(
            [str(venv / "bin" / "mypy"), "--strict", "--cache-dir", str(cache)],
            projects[name],
            _env(venv),
        )
    assert "Success: no issues found" in out


@pytest.mark.parametrize("name", _IDS)
def test_generated_code_is_ruff_clean(name: str, projects: dict[str, Path], venv: Path) -> None:
    _run([str(venv / "bin" / "ruff"), "check", "--no-cache", "."], projects[name], _env(venv))


@pytest.mark.parametrize("name", _IDS)
def test_stackwise_check_finds_nothing(name: str, projects: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stackwise", "check", str(projects[name]), *_CHECK_FLAGS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", _IDS)
def test_generated_project_builds_a_wheel(
    name: str, projects: dict[str, Path], venv: Path, tmp_path: Path
) -> None:
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "wheel", *_WHEEL_FLAGS, str(tmp_path), "."],
        projects[name],
        _env(venv),
    )
    wheel = next(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert f"{name}/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    if _choices(name).get("framework") == "django":
        assert any(n.endswith("migrations/0001_initial.py") for n in names)


def test_makefile_targets_parse(projects: dict[str, Path]) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for path in projects.values():
        dry = subprocess.run(
            ["make", "-n", "test", "run"], cwd=path, capture_output=True, text=True, check=False
        )
        assert dry.returncode == 0, dry.stderr


# ---------------------------------------------------------------------------- a real server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(
    method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


@contextlib.contextmanager
def _uvicorn(project: Path, venv: Path, env: dict[str, str], app: str) -> Iterator[str]:
    port = _free_port()
    python = str(venv / "bin" / "python")
    proc = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"uvicorn exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if _request("GET", f"{base}/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the generated app did not answer /health within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_generated_fastapi_app_serves_over_http(
    projects: dict[str, Path], venv: Path, tmp_path: Path
) -> None:
    name = "e2e_api_layer"
    prefix = name.upper() + "_"
    env = _env(
        venv,
        **{
            f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            f"{prefix}API_TOKEN": "serve-token",
        },
    )
    with _uvicorn(projects[name], venv, env, f"{name}.main:app") as base:
        status, created = _request(
            "POST", f"{base}/items", {"name": "Teapot", "price_cents": 1999}, token="serve-token"
        )
        assert status == 201, created
        status, fetched = _request("GET", f"{base}/items/{created['id']}")
        assert (status, fetched) == (200, created)
        status, listed = _request("GET", f"{base}/items")
        assert status == 200 and [i["name"] for i in listed] == ["Teapot"]

        status, missing = _request("GET", f"{base}/items/999")
        assert status == 404
        assert missing == {
            "code": "not_found",
            "message": "Item 999 does not exist.",
            "details": [{"field": "item_id", "message": "no such item", "type": None}],
        }

        status, invalid = _request(
            "POST", f"{base}/items", {"name": "", "price_cents": -5}, token="serve-token"
        )
        assert status == 422
        assert set(invalid) == {"code", "message", "details"}
        assert invalid["code"] == "validation_error"
        assert {d["field"] for d in invalid["details"]} == {"body.name", "body.price_cents"}
        assert "Traceback" not in json.dumps(invalid)

        status, unauthenticated = _request("DELETE", f"{base}/items/{created['id']}")
        assert status == 401 and unauthenticated["code"] == "unauthenticated"
        status, _ = _request("DELETE", f"{base}/items/{created['id']}", token="serve-token")
        assert status == 204
