"""`stackwise advise` through `stackwise.cli.main`: sources of answers, formats, exit codes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from stackwise.advise import cli as advise_cli
from stackwise.cli import main

REPOS = Path(__file__).parent / "repos"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["advise", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_flags_to_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--kind", "api", "--db", "postgres", "--io-bound", "--team-async", "no",
        "--format", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["new"] == {
        "name": None,
        "framework": "fastapi",
        "kind": "api",
        "layout": "layer",
        "size": "small",
        "db": "postgres",
        "worker": "none",
        "admin": False,
        "drf": False,
        "channels": False,
    }
    assert data["command"] == (
        "stackwise new <name> --framework fastapi --kind api --layout layer --size small "
        "--db postgres --worker none"
    )
    assert data["answers"]["team_async"] is False
    assert data["answers"]["workload"] == "io"
    rec = data["recommendations"][0]
    assert {"choice", "rule", "principle", "reasons", "rejected"} <= set(rec)


def test_bare_boolean_flag_means_yes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--kind", "site", "--db", "sqlite", "--realtime", "--format", "json")
    assert code == 0
    assert json.loads(out)["new"]["channels"] is True


def test_answers_file_and_flag_override(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text('kind = "site"\ndb = "postgres"\nadmin = true\nteam-async = "no"\n')
    code, out, _ = run(capsys, "--answers", str(answers), "--db", "mysql", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["new"]["db"] == "mysql"
    assert data["new"]["admin"] is True
    assert data["answers"]["team_async"] is False


def test_answers_table_in_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text('[answers]\nkind = "script"\nhttp = false\n')
    code, out, _ = run(capsys, "--answers", str(answers), "--format", "json")
    assert code == 0
    assert json.loads(out)["new"]["framework"] == "none"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--db", "postgres"], "kind: missing: What are you building?"),
        (["--kind", "site"], "db: missing"),
        (["--kind", "api", "--db", "none", "--team-async", "maybe"], "--team-async: expected yes or no"),
        (["--kind", "spa"], "--kind: expected one of api, site, script, ml, worker, got 'spa'"),
        (["--kind", "api", "--db", "none", "--admin"], "conflicting answers: admin = yes edits"),
        (["--kind", "api", "--db", "none", "--workload", "cpu", "--io-bound"], "--workload: conflicting"),
        (["--kind", "script", "--http", "no", "--realtime"], "realtime = yes needs a server"),
        (["--from-repo", "/definitely/not/here"], "not a directory"),
        (["--answers", "/definitely/not/here.toml"], "no such answers file"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert expected in err
    assert "Traceback" not in err


def test_bad_answers_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("kind = \n")
    code, _, err = run(capsys, "--answers", str(broken))
    assert code == 2 and "not valid TOML" in err
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('kind = "api"\ndb = "none"\nframework = "flask"\n')
    code, _, err = run(capsys, "--answers", str(unknown))
    assert code == 2
    assert "framework: unknown answer in" in err


def test_no_answers_and_no_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(advise_cli, "is_terminal", lambda: False)
    code, _, err = run(capsys)
    assert code == 2
    assert "--answers FILE" in err and "--from-repo" in err
    code, _, err = run(capsys, "--interactive", "--kind", "api")
    assert code == 2 and "--interactive needs a terminal" in err


class ScriptedPrompter:
    """Answers prompts from a dict keyed by words of the question; records what was asked."""

    def __init__(self, replies: dict[str, object]) -> None:
        self.replies = replies
        self.asked: list[str] = []

    def _reply(self, message: str, default: object) -> object:
        self.asked.append(message)
        for word, reply in self.replies.items():
            if word in message:
                return reply
        return default

    def select(
        self, message: str, choices: Sequence[tuple[str, str]], default: str | None
    ) -> str | None:
        reply = self._reply(message, default)
        assert reply is None or reply in [value for value, _ in choices]
        return reply if isinstance(reply, str) else None

    def confirm(self, message: str, default: bool) -> bool | None:
        reply = self._reply(message, default)
        return reply if isinstance(reply, bool) or reply is None else None

    def text(self, message: str, default: str) -> str | None:
        reply = self._reply(message, default)
        return reply if isinstance(reply, str) or reply is None else None


def test_interactive(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    prompter = ScriptedPrompter(
        {"building": "site", "database": "postgres", "admin": True, "name": "shop"}
    )
    monkeypatch.setattr(advise_cli, "is_terminal", lambda: True)
    monkeypatch.setattr(advise_cli, "make_prompter", lambda: prompter)
    code, out, _ = run(capsys, "--format", "json")
    assert code == 0
    new = json.loads(out)["new"]
    assert (new["framework"], new["admin"], new["name"]) == ("django", True, "shop")
    # questions that do not apply are skipped: no jobs, so no job details; a site serves HTTP
    assert not any("retried" in q for q in prompter.asked)
    assert not any("HTTP requests" in q for q in prompter.asked)


def test_interactive_keeps_flag_answers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompter = ScriptedPrompter({"database": "sqlite"})
    monkeypatch.setattr(advise_cli, "is_terminal", lambda: True)
    monkeypatch.setattr(advise_cli, "make_prompter", lambda: prompter)
    code, out, _ = run(capsys, "-i", "--kind", "api", "--format", "json")
    assert code == 0
    assert json.loads(out)["new"]["db"] == "sqlite"
    assert not any("building" in q for q in prompter.asked)


def test_interactive_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    prompter = ScriptedPrompter({"building": None})
    monkeypatch.setattr(advise_cli, "is_terminal", lambda: True)
    monkeypatch.setattr(advise_cli, "make_prompter", lambda: prompter)
    assert main(["advise"]) == 130


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_human_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(
        capsys, "--kind", "api", "--db", "postgres", "--jobs", "long", "--size", "medium",
        "--format", fmt,
    )  # fmt: skip
    assert code == 0
    for section in ("Framework", "Libraries for the I/O", "Background work", "Project layout",
                    "Typing and validation", "Testing"):  # fmt: skip
        assert section.upper() in out.upper()
    assert "FastAPI" in out and "ARQ" in out and "asyncpg" in out
    assert "stackwise new <name> --framework fastapi" in out
    assert "├── " in out


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "advice.md"
    code, out, _ = run(capsys, "--kind", "ml", "--format", "markdown", "-o", str(target))
    assert (code, out) == (0, "")
    assert target.read_text().startswith("# Stack advice")


def test_from_repo_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--from-repo", str(REPOS / "fastapi_sync_drivers"), "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["inferred"]["answers"]["kind"] == "api"
    assert data["inferred"]["evidence"]["db"]
    assert {m["id"] for m in data["mismatches"]} >= {"async-routes-sync-drivers"}


def test_from_repo_flags_override_inference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--from-repo", str(REPOS / "plain_script"), "--size", "large", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["answers"]["size"] == "large"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["advise", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--from-repo" in out and "--team-async" in out and "answers.toml" in out


def test_json_feeds_the_scaffolder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import stackwise.scaffold as options
    for argv in (
        ["--kind", "api", "--db", "postgres", "--jobs", "quick"],
        ["--kind", "site", "--db", "postgres", "--admin", "--jobs", "long", "--job-retries"],
        ["--kind", "script", "--http", "yes"],
        ["--kind", "script", "--http", "no"],
        ["--kind", "ml", "--size", "large"],
        ["--kind", "worker", "--http", "no", "--jobs", "long"],
    ):
        code, out, _ = run(capsys, *argv, "--name", "demo", "--format", "json")
        assert code == 0
        choices = options.parse_advice(json.loads(out))
        options.resolve(choices)  # raises ScaffoldError if the options cannot be honoured
