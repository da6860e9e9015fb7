"""`stackwise new`: flags, --from-advice, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackwise.cli import main
from stackwise.scaffold import parse_advice, read_advice


def _advice(tmp_path: Path, **new: object) -> Path:
    base: dict[str, object] = {
        "name": None,
        "framework": "fastapi",
        "kind": "api",
        "layout": "feature",
        "size": "medium",
        "db": "postgres",
        "worker": "arq",
        "admin": False,
        "drf": False,
        "channels": False,
    }
    path = tmp_path / "advice.json"
    path.write_text(json.dumps({"summary": "...", "new": {**base, **new}}), encoding="utf-8")
    return path


def test_new_creates_the_project_and_says_what_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "svc"
    assert main(["new", "svc", "--dir", str(target), "--layout", "feature", "--worker", "rq"]) == 0
    out = capsys.readouterr().out
    assert "fastapi, by feature, medium, worker rq" in out
    assert "make test" in out
    assert (target / "svc" / "items" / "router.py").is_file()
    assert (target / "svc" / "worker" / "tasks.py").is_file()


def test_new_uses_the_name_as_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "mytool", "--kind", "script"]) == 0
    assert (tmp_path / "mytool" / "mytool" / "__main__.py").is_file()


def test_django_with_admin_and_drf(tmp_path: Path) -> None:
    target = tmp_path / "shop"
    assert (
        main(["new", "shop", "--framework", "django", "--admin", "--drf", "--dir", str(target)])
        == 0
    )
    assert (target / "shop" / "items" / "admin.py").is_file()
    assert (target / "shop" / "items" / "api.py").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["new", "My-App"], "invalid project name 'My-App'"),
        (["new", "../escape"], "invalid project name"),
        (["new"], "a project name is required"),
        (["new", "svc", "--kind", "script", "--framework", "django"], "kind 'script'"),
        (["new", "svc", "--framework", "flask", "--worker", "background"], "needs --framework"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stackwise new: error:")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_flag_value_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["new", "svc", "--framework", "rails"])
    assert excinfo.value.code == 2
    assert "invalid choice: 'rails'" in capsys.readouterr().err


def test_existing_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "keep.txt").write_text("x", encoding="utf-8")
    assert main(["new", "svc", "--dir", str(tmp_path / "svc")]) == 2
    assert "--force" in capsys.readouterr().err


def test_force_lists_conflicts_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "README.md").write_text("mine", encoding="utf-8")
    assert main(["new", "svc", "--dir", str(target), "--force"]) == 2
    err = capsys.readouterr().err
    assert str(target / "README.md") in err
    assert "nothing was written" in err
    assert [p.name for p in target.iterdir()] == ["README.md"]


def test_notes_go_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "svc", "--dir", str(tmp_path / "svc"), "--admin"]) == 0
    assert "note: admin applies to Django projects only" in capsys.readouterr().err


# ---------------------------------------------------------------------------- --from-advice


def test_from_advice_generates_what_was_advised(tmp_path: Path) -> None:
    advice = _advice(tmp_path, name="advised")
    target = tmp_path / "out"
    assert main(["new", "--from-advice", str(advice), "--dir", str(target)]) == 0
    assert (target / "advised" / "items" / "router.py").is_file()
    assert (target / "advised" / "worker" / "config.py").is_file()
    assert "asyncpg" in (target / "pyproject.toml").read_text(encoding="utf-8")


def test_explicit_flags_override_the_advice(tmp_path: Path) -> None:
    advice = _advice(tmp_path, name="advised")
    target = tmp_path / "out"
    argv = ["new", "mine", "--from-advice", str(advice), "--layout", "layer", "--worker", "none"]
    assert main([*argv, "--dir", str(target)]) == 0
    assert (target / "mine" / "routes" / "items.py").is_file()
    assert not (target / "mine" / "worker").exists()


def test_from_advice_needs_a_name_when_the_advice_has_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "--from-advice", str(_advice(tmp_path))]) == 2
    assert "a project name is required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ({"framework": "rails"}, "new.unknown framework 'rails'"),
        ({"worker": "huey"}, "new.unknown worker 'huey'"),
        ({"layout": 3}, "new.unknown layout 3"),
        ({"admin": "yes"}, "new.admin must be true or false"),
        ({"name": 5}, "new.name must be a string or null"),
    ],
)
def test_bad_advice_values_exit_2(
    new: dict[str, object], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    advice = _advice(tmp_path, **new)
    assert main(["new", "svc", "--from-advice", str(advice), "--dir", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_advice_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such advice file"):
        read_advice(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_advice(broken)
    with pytest.raises(ValueError, match='with a "new" key'):
        parse_advice({"framework": "fastapi"})
    with pytest.raises(ValueError, match='"new" must be an object'):
        parse_advice({"new": []})


def test_advice_nulls_and_unknown_keys_are_ignored() -> None:
    assert parse_advice({"new": {"name": None, "db": None, "future_key": 1, "drf": True}}) == {
        "drf": True
    }


@pytest.mark.parametrize(
    "answers",
    [
        ["--kind", "api", "--db", "postgres", "--jobs", "long"],
        ["--kind", "site", "--db", "postgres", "--admin", "yes"],
        ["--kind", "script", "--http", "no"],
        ["--kind", "worker", "--http", "no", "--jobs", "long"],
    ],
)
def test_real_advise_output_is_accepted(
    answers: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Round trip with the advisor when it is available: advise JSON in, a project out."""
    try:
        code = main(["advise", *answers, "--format", "json"])
    except SystemExit as exc:  # `advise` not registered in this build
        pytest.skip(f"stackwise advise is not available ({exc.code})")
    advice_text = capsys.readouterr().out
    if code != 0 or not advice_text.strip().startswith("{"):
        pytest.skip("stackwise advise did not produce JSON")
    advice = tmp_path / "advice.json"
    advice.write_text(advice_text, encoding="utf-8")
    assert main(["new", "advised", "--from-advice", str(advice), "--dir", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "pyproject.toml").is_file()
