"""Layer and feature contracts: configuration, cycles, caching, and the pytest config reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise import check
from stackwise.config import ConfigError, settings_from_table
from stackwise.rules.layers._contracts import matches
from stackwise.rules.testing._pytest_config import pytest_config


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(("table", "message"), [
    ({"layers": [{"name": "api", "modules": ["a"]}, {"name": "db", "module": ["b"]}]},
     "layers[1]: unknown key 'module' (did you mean 'modules'?)"),
    ({"layers": [{"name": "api", "modules": ["a"]}]}, "needs at least two layers"),
    ({"layers": [{"name": "api", "modules": ["a"]}, {"name": "api", "modules": ["b"]}]},
     "layer 'api' is declared twice"),
    ({"layers": [{"name": "api", "modules": ["a"]}, {"name": "db"}]}, "'modules' is missing"),
    ({"layers": [{"name": "api", "modules": ["a"]}, {"name": "db", "modules": []}]},
     "layers[1].modules must be a non-empty list"),
    ({"layers": {"api": ["a"]}}, "'layers' must be a list of tables"),
    ({"features": {"package": ["app.users"]}}, "unknown key 'package' (did you mean 'packages'?)"),
    ({"features": {"packages": "app.users"}}, "features.packages must be a non-empty list"),
    ({"features": {"packages": ["a"], "independent": "yes"}}, "must be true or false"),
    ({"features": {}}, "'packages' is missing"),
])
def test_bad_contracts_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        settings_from_table(table, "pyproject.toml")
    assert message in str(exc.value)


def test_good_contracts_are_kept_in_order() -> None:
    settings = settings_from_table({
        "layers": [{"name": "api", "modules": ["app.api"]},
                   {"name": "domain", "modules": ["app.domain.*"]}],
        "features": {"packages": ["app.features.*"]},
    }, "pyproject.toml")
    assert [t["name"] for t in settings.layers] == ["api", "domain"]
    assert settings.features == {"packages": ["app.features.*"], "independent": False}


def test_module_patterns() -> None:
    assert matches("app.api.v1.users", "app.api")
    assert not matches("app.apiary", "app.api")
    assert matches("app.domain.orders.model", "app.domain.*")
    assert matches("app.x.views", "app.*.views")
    assert not matches("app.views", "app.*.views")


CYCLE = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg.b import B\nA = 1\n",
    "pkg/b.py": "from pkg.c import C\nB = 2\n",
    "pkg/c.py": "from pkg.a import A\nfrom pkg.d import D\nC = 3\n",
    "pkg/d.py": "from pkg.c import C\nD = 4\n",
    "pkg/e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.f import F\nE = 5\n",
    "pkg/f.py": "from pkg.e import E\nF = 6\n\ndef g() -> None:\n    from pkg.e import E\n",
}


def test_one_shortest_cycle_per_tangle(tmp_path: Path) -> None:
    root = write(tmp_path, CYCLE)
    result = check([root], root=root, use_cache=False, jobs=1, select=["LAY702"])
    assert [(f.path, f.line) for f in result.findings] == [("pkg/c.py", 2)]
    finding = result.findings[0]
    # a, b, c, d are one tangle; its shortest cycle is c <-> d; e/f are linked only through a
    # TYPE_CHECKING import and an import inside a function, which do not run at import time
    assert "pkg.c -> pkg.d -> pkg.c" in finding.message
    assert "2 more module(s)" in finding.message
    assert [(fr.path, fr.line) for fr in finding.chain] == [("pkg/c.py", 2), ("pkg/d.py", 1)]


LAYERED = {
    "app/__init__.py": "",
    "app/api/__init__.py": "",
    "app/api/users.py": "def route() -> None:\n    pass\n",
    "app/services/__init__.py": "",
    "app/services/users.py": "from app.api.users import route\n",
    "app/models/__init__.py": "",
    "app/models/user.py": "",
}


def test_changing_the_contract_reruns_the_project_rules(tmp_path: Path) -> None:
    root = write(tmp_path, {**LAYERED, "pyproject.toml": "[tool.stackwise]\n"})
    cache = tmp_path / ".cache"
    first = check([root], root=root, cache_dir=cache, jobs=1, select=["LAY700"])
    assert [f.path for f in first.findings] == ["app/services/users.py"]
    # declare a contract in which services sit above api: the cached project findings must go
    (root / "pyproject.toml").write_text(
        "[tool.stackwise]\n"
        "[[tool.stackwise.layers]]\nname = 'services'\nmodules = ['app.services']\n"
        "[[tool.stackwise.layers]]\nname = 'api'\nmodules = ['app.api']\n")
    second = check([root], root=root, cache_dir=cache, jobs=1, select=["LAY700"])
    assert second.findings == []


def test_changing_the_pytest_config_reruns_the_project_rules(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'strict'\n",
        "tests/test_a.py": "async def test_a() -> None:\n    assert True\n",
    })
    cache = tmp_path / ".cache"
    assert [f.code for f in check([root], root=root, cache_dir=cache, jobs=1).findings] == [
        "TST900"]
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n")
    assert check([root], root=root, cache_dir=cache, jobs=1).findings == []


def test_pytest_config_precedence(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
        "tox.ini": "[pytest]\nasyncio_mode = strict\n",
        "sub/setup.cfg": "[metadata]\nname = x\n",  # no [tool:pytest]: not a pytest config
        "sub/tests/test_x.py": "",
        "other/pytest.ini": "",  # an empty pytest.ini still wins
        "other/pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
        "other/test_y.py": "",
    })
    found = pytest_config(root / "sub" / "tests" / "test_x.py")
    assert found.path == str(root / "pyproject.toml")
    assert found.runs_coroutines
    other = pytest_config(root / "other" / "test_y.py")
    assert other.path == str(root / "other" / "pytest.ini")
    assert not other.runs_coroutines


def test_pytest_config_in_addopts_and_broken_files(tmp_path: Path) -> None:
    write(tmp_path, {"a/pytest.ini": "[pytest]\naddopts = -ra --asyncio-mode=auto\n",
                     "a/test_a.py": "", "b/pyproject.toml": "not toml [", "b/test_b.py": ""})
    assert pytest_config(tmp_path / "a" / "test_a.py").runs_coroutines
    broken = pytest_config(tmp_path / "b" / "test_b.py")
    assert not broken.readable
