"""A bad configuration stops the run with exit code 2 and a message that names the file and the
key or code; nothing in it is ever evaluated as code."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise.cli import main

from .conftest import run_cli, write_tree

GOOD = "import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n"


def _check(tmp_path: Path, pyproject: str | bytes, capsys: pytest.CaptureFixture[str],
           *args: str) -> tuple[int, str, str]:
    root = write_tree(tmp_path / "p", {"pyproject.toml": pyproject, "app.py": GOOD})
    code = main(["check", str(root), "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


BAD_CONFIGS: list[tuple[str, str, list[str]]] = [
    ("unknown-key", "[tool.stackwise]\nselct = ['ASY']\n", ["unknown key 'selct'", "select"]),
    ("select-not-a-list", "[tool.stackwise]\nselect = 'ASY'\n", ["'select'", "list of strings"]),
    ("select-unknown-code", "[tool.stackwise]\nselect = ['ASY999']\n",
     ["'ASY999'", "matches no rule code"]),
    ("select-not-strings", "[tool.stackwise]\nselect = [1, 2]\n", ["'select'"]),
    ("ignore-unknown-code", "[tool.stackwise]\nignore = ['NOPE1']\n", ["'NOPE1'"]),
    ("exclude-wrong-type", "[tool.stackwise]\nexclude = {a = 1}\n", ["'exclude'"]),
    ("per-file-ignores-bad-code", "[tool.stackwise.per-file-ignores]\n'tests/*' = ['XYZ1']\n",
     ["'XYZ1'", "per-file-ignores"]),
    ("per-file-ignores-not-list", "[tool.stackwise.per-file-ignores]\n'tests/*' = 'ASY100'\n",
     ["per-file-ignores", "tests/*"]),
    ("max-file-size-string", "[tool.stackwise]\nmax-file-size = '8MB'\n", ["'max-file-size'"]),
    ("max-file-size-bool", "[tool.stackwise]\nmax-file-size = true\n", ["'max-file-size'"]),
    ("max-file-size-negative", "[tool.stackwise]\nmax-file-size = -1\n", ["'max-file-size'"]),
    ("max-file-size-float", "[tool.stackwise]\nmax-file-size = 1.5e6\n", ["'max-file-size'"]),
    ("follow-symlinks-string", "[tool.stackwise]\nfollow-symlinks = 'yes'\n",
     ["'follow-symlinks'"]),
    ("blocking-functions-not-table", "[tool.stackwise]\nblocking-functions = ['x']\n",
     ["'blocking-functions'"]),
    ("blocking-functions-values", "[tool.stackwise.blocking-functions]\n'a.b' = 3\n",
     ["'blocking-functions'"]),
    ("offload-wrappers-type", "[tool.stackwise]\noffload-wrappers = 3\n", ["'offload-wrappers'"]),
    ("layers-type", "[tool.stackwise]\nlayers = 'api > db'\n", ["'layers'"]),
    ("features-type", "[tool.stackwise]\nfeatures = ['a']\n", ["'features'"]),
    ("table-is-not-a-table", "[tool]\nstackwise = 1\n", ["[tool.stackwise] must be a table"]),
    ("invalid-toml", "[tool.stackwise\nselect = ['ASY']\n", ["not valid TOML"]),
    ("invalid-toml-value", "[tool.stackwise]\nselect = [ASY]\n", ["not valid TOML"]),
    ("duplicate-key", "[tool.stackwise]\nselect = []\nselect = []\n", ["not valid TOML"]),
]


@pytest.mark.parametrize(("pyproject", "expected"), [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_exits_2_and_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pyproject: str, expected: list[str]
) -> None:
    code, out, err = _check(tmp_path, pyproject, capsys)
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("stackwise: error: ")
    assert "pyproject.toml" in err  # the file
    for words in expected:
        assert words in err, err
    assert "Traceback" not in err


def test_config_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _check(tmp_path, b"[tool.stackwise]\nexclude = ['caf\xe9']\n", capsys)
    assert code == 2 and "pyproject.toml" in err and "cannot read" in err


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_codes_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    code, out, err = _check(tmp_path, "", capsys, option, "ASY100,BOGUS42")
    assert code == 2 and out == ""
    assert "'BOGUS42'" in err and option in err


def test_close_misspellings_get_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _check(tmp_path, "[tool.stackwise]\nexcludes = ['x']\n", capsys)
    assert code == 2 and "did you mean 'exclude'" in err


def test_missing_config_file_given_explicitly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _check(tmp_path, "", capsys, "--config", str(tmp_path / "nope.toml"))
    assert code == 2 and "nope.toml" in err


def test_exit_codes_of_good_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _check(tmp_path, "[tool.stackwise]\n", capsys)
    assert code == 1 and "ASY100" in out  # findings
    code, _, _ = _check(tmp_path, "[tool.stackwise]\n", capsys, "--exit-zero")
    assert code == 0  # findings, but told not to fail
    code, _, _ = _check(tmp_path, "[tool.stackwise]\nignore = ['ASY100']\n", capsys)
    assert code == 0  # clean


def test_bad_command_line_usage_is_exit_2(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"app.py": GOOD})
    for args in (["--jobs", "0"], ["--format", "xml"], ["--no-such-option"], ["-j", "two"]):
        proc = run_cli(".", *args, cwd=root)
        assert proc.returncode == 2, (args, proc.stderr)
        assert b"Traceback" not in proc.stderr


def test_nothing_in_the_config_is_evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "evaluated"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    pyproject = (
        "[tool.stackwise]\n"
        f"exclude = [{payload!r}]\n"
        f"offload-wrappers = [{payload!r}]\n"
        f"[tool.stackwise.blocking-functions]\n{payload!r} = {payload!r}\n"
        f"[tool.stackwise.per-file-ignores]\n{payload!r} = ['ASY100']\n"
    )
    code, _, err = _check(tmp_path, pyproject, capsys)
    assert code == 1, err  # a valid config, used as plain strings
    assert not marker.exists()
    # and a value that is not valid is reported, not run
    code, _, err = _check(tmp_path, f"[tool.stackwise]\nmax-file-size = {payload!r}\n", capsys)
    assert code == 2 and not marker.exists()
