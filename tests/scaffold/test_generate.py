"""Fast tests of the scaffolder: names, option resolution, rendering, and safe writing."""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path, PurePosixPath

import pytest

from stackwise.scaffold import (
    ConflictError,
    ScaffoldError,
    ScaffoldOptions,
    generate,
    render,
    resolve,
    validate_name,
)

# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["myservice", "my_service", "_private", "svc2", "a"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("My-Service", "lower-case Python identifier"),
        ("MyService", "lower-case"),
        ("2fast", "not starting with a digit"),
        ("../evil", "lower-case Python identifier"),
        ("a/b", "lower-case Python identifier"),
        ("/tmp/x", "lower-case Python identifier"),
        ("~", "lower-case Python identifier"),
        ("my.service", "lower-case Python identifier"),
        ("café", "lower-case Python identifier"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "shadow"),
        ("test", "shadow"),
        ("fastapi", "shadow"),
        ("tests", "shadow"),
        ("site", "shadow"),
    ],
)
def test_invalid_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(ScaffoldError, match=reason):
        validate_name(name)


def test_invalid_name_suggests_a_fix() -> None:
    with pytest.raises(ScaffoldError, match="try 'my_service'"):
        validate_name("My-Service")


def test_options_validate_on_construction() -> None:
    with pytest.raises(ScaffoldError, match="unknown framework 'rails'"):
        ScaffoldOptions("svc", framework="rails")  # type: ignore[arg-type]
    with pytest.raises(ScaffoldError, match="invalid project name"):
        ScaffoldOptions("../svc")


# ---------------------------------------------------------------------------- resolve


def test_defaults_are_a_fastapi_api_by_layer() -> None:
    options = resolve({"name": "svc"}).options
    assert (options.framework, options.kind, options.layout, options.size, options.db) == (
        "fastapi",
        "api",
        "layer",
        "medium",
        "sqlite",
    )


def test_kind_picks_the_framework() -> None:
    assert resolve({"name": "s", "kind": "site"}).options.framework == "django"
    assert resolve({"name": "s", "kind": "script"}).options.framework == "none"
    assert resolve({"name": "s", "kind": "ml"}).options.framework == "fastapi"


def test_framework_picks_the_kind() -> None:
    assert resolve({"name": "s", "framework": "django"}).options.kind == "site"
    assert resolve({"name": "s", "framework": "none"}).options.kind == "script"


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"kind": "script", "framework": "fastapi"}, "kind 'script'"),
        ({"kind": "api", "framework": "none"}, "needs a web framework"),
        ({"framework": "django", "worker": "background"}, "needs --framework fastapi"),
        ({"worker": "huey"}, "unknown worker 'huey'"),
        ({"db": "oracle"}, "unknown db 'oracle'"),
        ({"admin": "yes"}, "admin must be true or false"),
    ],
)
def test_impossible_choices_are_errors(choices: dict[str, object], message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        resolve({"name": "svc", **choices})


def test_missing_name_is_an_error() -> None:
    with pytest.raises(ScaffoldError, match="name is required"):
        resolve({"framework": "fastapi"})


@pytest.mark.parametrize(
    ("choices", "expected", "note"),
    [
        ({"layout": "single"}, {"layout": "layer"}, "using 'layer'"),
        ({"size": "small"}, {"size": "small"}, "like 'medium'"),
        ({"db": "none"}, {"db": "sqlite"}, "embedded SQLite"),
        ({"framework": "flask", "db": "postgres"}, {"db": "none"}, "no database layer"),
        (
            {"framework": "django", "layout": "feature"},
            {"layout": "single"},
            "FastAPI projects only",
        ),
        ({"admin": True}, {"admin": False}, "Django projects only"),
        ({"kind": "worker"}, {"worker": "celery"}, "using celery"),
        ({"framework": "django", "channels": True}, {"channels": False}, "not scaffolded yet"),
    ],
)
def test_lossless_adjustments_are_notes(
    choices: dict[str, object], expected: dict[str, object], note: str
) -> None:
    resolved = resolve({"name": "svc", **choices})
    for key, value in expected.items():
        assert getattr(resolved.options, key) == value
    assert any(note in n for n in resolved.notes), resolved.notes


# ---------------------------------------------------------------------------- rendering

_FRAMEWORK_VARIANTS: list[dict[str, object]] = [
    *(
        {"framework": "fastapi", "layout": layout, "size": size, "db": db, "worker": worker}
        for layout, size, db, worker in itertools.product(
            ("layer", "feature"),
            ("medium", "large"),
            ("sqlite", "postgres", "mysql"),
            ("none", "celery", "arq", "rq", "dramatiq", "background"),
        )
    ),
    *(
        {"framework": "django", "admin": admin, "drf": drf, "db": db, "worker": worker}
        for admin, drf, db, worker in itertools.product(
            (False, True), (False, True), ("sqlite", "postgres"), ("none", "celery", "rq")
        )
    ),
    *(
        {"framework": "flask", "size": size, "worker": worker}
        for size, worker in itertools.product(("medium", "large"), ("none", "rq", "dramatiq"))
    ),
    *(
        {"kind": kind, "size": size, "worker": worker}
        for kind, size, worker in itertools.product(
            ("script", "worker"), ("medium", "large"), ("none", "celery", "arq", "dramatiq")
        )
        if not (kind == "worker" and worker == "none")
    ),
]


def _id(choices: dict[str, object]) -> str:
    return "-".join(f"{k}={v}" for k, v in choices.items())


@pytest.mark.parametrize("choices", _FRAMEWORK_VARIANTS, ids=_id)
def test_every_variant_renders_valid_python_and_toml(choices: dict[str, object]) -> None:
    options = resolve({"name": "svc", **choices}).options
    files = render(options)
    for path, text in files.items():
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
            assert text.startswith(('"""', "#!")), f"{path} has no module docstring"
            assert "from __future__ import annotations" in text or path.name in (
                "__init__.py",
                "__main__.py",
            ), f"{path} lacks `from __future__ import annotations`"
        assert "{{" not in text or path.suffix == ".html", f"{path} has unrendered Jinja"
        assert not text.endswith("\n\n"), f"{path} ends with a blank line"
    pyproject = tomllib.loads(files[PurePosixPath("pyproject.toml")])
    assert pyproject["project"]["name"] == "svc"
    assert pyproject["tool"]["mypy"]["strict"] is True
    assert "stackwise" in pyproject["tool"]
    for required in ("README.md", "Makefile", ".gitignore"):
        assert PurePosixPath(required) in files
    readme = files[PurePosixPath("README.md")]
    assert "make run" in readme and "make test" in readme


_LINT_VARIANTS: list[dict[str, object]] = [
    {"layout": "layer", "worker": "background"},
    {"layout": "feature", "size": "large", "worker": "arq", "db": "postgres"},
    {"layout": "layer", "size": "large", "worker": "celery"},
    {"layout": "feature", "worker": "rq"},
    {"layout": "layer", "worker": "dramatiq"},
    {"framework": "django", "admin": True, "worker": "celery"},
    {"framework": "django", "drf": True, "db": "postgres"},
    {"framework": "flask", "worker": "rq", "size": "large"},
    {"kind": "script", "size": "large"},
    {"kind": "worker", "worker": "arq"},
]


@pytest.mark.parametrize("name", ["ab", "a_rather_long_project_name_to_wrap_imports"])
@pytest.mark.parametrize("choices", _LINT_VARIANTS, ids=_id)
def test_generated_code_is_ruff_clean_whatever_the_name_length(
    choices: dict[str, object], name: str, tmp_path: Path
) -> None:
    """Import sorting and wrapping depend on the name; ruff runs with the project's own config."""
    generate(resolve({"name": name, **choices}).options, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=tmp_path / name,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _paths(choices: dict[str, object]) -> set[str]:
    return {str(p) for p in render(resolve({"name": "svc", **choices}).options)}


def test_fastapi_by_layer() -> None:
    paths = _paths({"layout": "layer"})
    for layer in ("routes", "services", "models", "schemas", "dependencies"):
        assert f"svc/{layer}/__init__.py" in paths
    assert "svc/main.py" in paths
    assert "tests/conftest.py" in paths


def test_fastapi_by_feature_in_src_layout() -> None:
    paths = _paths({"layout": "feature", "size": "large"})
    for module in ("router", "service", "schemas", "models"):
        assert f"src/svc/items/{module}.py" in paths
    assert not any(p.startswith("svc/") for p in paths)


def test_fastapi_fixtures_are_the_documented_ones() -> None:
    files = render(resolve({"name": "svc"}).options)
    conftest = files[PurePosixPath("tests/conftest.py")]
    for fixture in ("db_session", "client", "authenticated_user", "sample_data"):
        assert f"def {fixture}(" in conftest


def test_postgres_adds_asyncpg_but_keeps_sqlite_default() -> None:
    files = render(resolve({"name": "svc", "db": "postgres"}).options)
    assert '"asyncpg>=' in files[PurePosixPath("pyproject.toml")]
    config = files[PurePosixPath("svc/core/config.py")]
    assert 'default="sqlite+aiosqlite:///./svc.db"' in config


def test_django_settings_split_and_prod_debug_off() -> None:
    files = render(resolve({"name": "shop", "framework": "django", "drf": True}).options)
    for env in ("base", "dev", "prod", "test"):
        assert PurePosixPath(f"shop/settings/{env}.py") in files
    assert "DEBUG = False" in files[PurePosixPath("shop/settings/prod.py")]
    assert PurePosixPath("shop/items/api.py") in files
    assert PurePosixPath("shop/items/views.py") not in files
    assert PurePosixPath("shop/items/admin.py") not in files


def test_django_admin_is_opt_in() -> None:
    assert "svc/items/admin.py" in _paths({"framework": "django", "admin": True})


def test_workers_have_a_task_module_config_and_test() -> None:
    for worker in ("celery", "arq", "rq", "dramatiq"):
        paths = _paths({"worker": worker})
        assert {
            "svc/worker/tasks.py",
            "svc/worker/config.py",
            "tests/worker/test_tasks.py",
        } <= paths
    assert "tests/test_background.py" in _paths({"worker": "background"})


def test_templates_are_files_without_hidden_names() -> None:
    root = resources.files("stackwise.scaffold").joinpath("templates")
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            assert not child.name.startswith("."), f"hidden template {child.name} is not packaged"
            assert not child.name.endswith(".py"), f"{child.name}: name templates *.py.j2"
            if child.is_dir():
                stack.append(child)
            else:
                found.append(child.name)
    assert len(found) > 50


# ---------------------------------------------------------------------------- writing


def test_generate_writes_the_project(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    written = generate(ScaffoldOptions("svc"), target)
    assert target / "pyproject.toml" in written
    assert all(p.is_file() and p.is_relative_to(target) for p in written)
    assert len(written) == len(render(resolve({"name": "svc"}).options))


def test_generate_defaults_to_a_directory_named_after_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    generate(ScaffoldOptions("tool", framework="none", kind="script", layout="single", db="none"))
    assert (tmp_path / "tool" / "tool" / "cli.py").is_file()


def test_manage_py_is_executable(tmp_path: Path) -> None:
    generate(ScaffoldOptions("shop", framework="django", kind="site"), tmp_path / "shop")
    assert os.access(tmp_path / "shop" / "manage.py", os.X_OK)


def test_existing_empty_directory_is_fine(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    assert generate(ScaffoldOptions("svc"), tmp_path / "svc")


def test_existing_non_empty_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="not empty; pass --force"):
        generate(ScaffoldOptions("svc"), target)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc").write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="not a directory"):
        generate(ScaffoldOptions("svc"), tmp_path / "svc")


def test_force_adds_files_next_to_unrelated_ones(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    written = generate(ScaffoldOptions("svc"), target, force=True)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert target / "pyproject.toml" in written


def test_force_never_overwrites_and_lists_every_conflict(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "README.md").write_text("my readme", encoding="utf-8")
    (target / "Makefile").write_text("all:\n", encoding="utf-8")
    with pytest.raises(ConflictError) as excinfo:
        generate(ScaffoldOptions("svc"), target, force=True)
    assert excinfo.value.conflicts == [target / "Makefile", target / "README.md"]
    assert "nothing was written" in str(excinfo.value)
    assert (target / "README.md").read_text(encoding="utf-8") == "my readme"
    assert sorted(p.name for p in target.iterdir()) == ["Makefile", "README.md"]


def test_force_skips_identical_files_so_a_rerun_is_a_no_op(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    generate(ScaffoldOptions("svc"), target)
    assert generate(ScaffoldOptions("svc"), target, force=True) == []


def test_force_reports_a_file_where_a_directory_must_go(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "tests").write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConflictError) as excinfo:
        generate(ScaffoldOptions("svc"), target, force=True)
    assert target / "tests" in excinfo.value.conflicts


def test_force_refuses_to_write_through_a_symlink_out_of_the_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "svc"
    target.mkdir()
    (target / "tests").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConflictError):
        generate(ScaffoldOptions("svc"), target, force=True)
    assert list(outside.iterdir()) == []
