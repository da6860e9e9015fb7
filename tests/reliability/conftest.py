"""Helpers for the reliability tests: a small project with direct and transitive findings across
modules, and a way to run the real `stackwise` command in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from stackwise import Finding, check

SRC = Path(__file__).resolve().parents[2] / "src"

# The core of the project: a route that blocks directly (ASY100) and through helpers in other
# modules (ASY101), with two equally short chains to the same blocking call, so that which one
# is reported depends only on the code, never on the order things were seen in.
CORE: dict[str, str] = {
    "pyproject.toml": '[project]\nname = "shop"\n\n[tool.stackwise]\n',
    "shop/__init__.py": "",
    "shop/util.py": (
        '"""Helpers."""\n'
        "\n"
        "\n"
        "def read_config(path: str) -> str:\n"
        "    with open(path) as fh:\n"
        "        return fh.read()\n"
        "\n"
        "\n"
        "def pure(x: int) -> int:\n"
        "    return x + 1\n"
    ),
    "shop/services.py": (
        '"""Services."""\n'
        "from shop import util\n"
        "from shop.util import read_config\n"
        "\n"
        "\n"
        "def settings_a() -> str:\n"
        '    return util.read_config("a.toml")\n'
        "\n"
        "\n"
        "def settings_b() -> str:\n"
        '    return read_config("b.toml")\n'
        "\n"
        "\n"
        "def both() -> str:\n"
        "    return settings_a() + settings_b()\n"
    ),
    "shop/api.py": (
        '"""Routes."""\n'
        "import time\n"
        "\n"
        "import requests\n"
        "\n"
        "from shop.services import both\n"
        "from shop.util import pure\n"
        "\n"
        "\n"
        "async def index() -> str:\n"
        "    time.sleep(1)\n"
        "    return both()\n"
        "\n"
        "\n"
        "async def fetch(url: str) -> int:\n"
        "    pure(1)\n"
        "    return requests.get(url).status_code\n"
    ),
}

API_BOTH_LINE = 12  # `return both()` in shop/api.py: the transitive finding


def module_source(i: int) -> str:
    """One generated module of a chain: each helper calls the previous module's helper."""
    prev = f"from shop.gen.m{i - 1:03d} import helper_{i - 1}\n" if i else ""
    call_prev = f"    if x > 0:\n        return helper_{i - 1}(x - 1)\n" if i else ""
    return (
        f'"""Generated module {i}."""\n'
        "import subprocess\n"
        "\n"
        f"{prev}"
        "from shop.util import pure, read_config\n"
        "\n"
        "\n"
        f"def helper_{i}(x: int) -> str:\n"
        f"{call_prev}"
        "    pure(x)\n"
        '    return read_config("x")\n'
        "\n"
        "\n"
        f"async def handler_{i}() -> str:\n"
        '    subprocess.run(["true"])\n'
        f"    return helper_{i}(3)\n"
    )


def project_files(generated: int = 30) -> dict[str, str]:
    """CORE plus `generated` chained modules (enough files for two worker processes)."""
    files = dict(CORE)
    if generated:
        files["shop/gen/__init__.py"] = ""
        for i in range(generated):
            files[f"shop/gen/m{i:03d}.py"] = module_source(i)
    return files


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project of 35 files with direct and transitive findings."""
    return write_tree(tmp_path / "proj", project_files())


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """The same with 10 files, for tests that run it many times."""
    return write_tree(tmp_path / "proj", project_files(generated=5))


def keyed(findings: Iterable[Finding]) -> list[tuple[str, int, int, str, str]]:
    return [(f.path, f.line, f.column, f.code, f.message) for f in findings]


def run_check(root: Path, paths: Iterable[Path | str] | None = None, **kw: Any) -> Any:
    kw.setdefault("use_cache", False)
    kw.setdefault("jobs", 1)
    return check(list(paths) if paths is not None else [root], root=root, **kw)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STACKWISE_", "PYTHONHASHSEED", "COV_", "PYTEST_"))}
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_cli(
    *args: str | Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    """`python -m stackwise check ARGS` in a child process (the real command, real exit code)."""
    return subprocess.run(
        [sys.executable, "-m", "stackwise", "check", *map(str, args)],
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(),
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def start_cli(
    *args: str | Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stackwise", "check", *map(str, args)],
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def json_findings(stdout: bytes) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(stdout.decode("ascii"))
    return data

