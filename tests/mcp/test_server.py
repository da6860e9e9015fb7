"""The MCP server driven in-process through the SDK's client session over memory streams."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("mcp", reason="the MCP SDK (the `mcp` extra) is not installed")

import anyio  # after the skip: a dependency of the SDK
from mcp import Client
from mcp.types import CallToolResult

from stackwise.cli import main
from stackwise.mcp_server.server import build_server

REPOS = Path(__file__).parents[1] / "advise" / "repos"
TOOLS = {"advise", "advise_from_repo", "check", "explain_rule", "layout", "scaffold"}
T = TypeVar("T")

ROUTES = """\
from app.services.reports import build_report


async def report(report_id: int) -> bytes:
    return build_report(report_id)
"""
REPORTS = """\
import time


def build_report(report_id: int) -> bytes:
    time.sleep(2)  # a slow PDF renderer
    return b"%d" % report_id
"""
USER_MODEL = """\
from app.services.reports import build_report


class User:
    def report(self) -> bytes:
        return build_report(1)
"""
# Importing this module would leave a file behind: the checker must never run it.
TRAP = """\
import pathlib

pathlib.Path(__file__).with_name("EXECUTED").write_text("the analysed code ran")


async def handler() -> None:
    import time
    time.sleep(1)
"""


def run(server: Any, body: Callable[[Client], Awaitable[T]]) -> T:
    """Connect a client session to `server` over in-memory streams and run `body` with it."""
    async def main_() -> T:
        async with Client(server, mode="legacy") as client:  # initialize handshake, memory streams
            return await body(client)

    return anyio.run(main_)


def call(server: Any, tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    async def body(client: Client) -> CallToolResult:
        return await client.call_tool(tool, arguments or {})

    return run(server, body)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # the text content carries the same data, for clients that ignore structured content
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return result.structured_content


def error(result: CallToolResult) -> str:
    assert result.is_error
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small layered FastAPI-style project inside the server's root, and files outside it."""
    root = tmp_path / "root"
    app = root / "svc" / "app"
    for pkg in ("", "api", "services", "models"):
        (app / pkg).mkdir(parents=True, exist_ok=True)
        (app / pkg / "__init__.py").write_text("")
    (root / "svc" / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    (app / "api" / "routes.py").write_text(ROUTES)
    (app / "services" / "reports.py").write_text(REPORTS)
    (app / "models" / "user.py").write_text(USER_MODEL)
    (root / "trap").mkdir()
    (root / "trap" / "handlers.py").write_text(TRAP)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pyproject.toml").write_text('[tool.stackwise]\nselect = ["NOPE"]\n')
    (outside / "blocking.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    if os.name != "nt":
        (root / "escape").symlink_to(outside, target_is_directory=True)
        (root / "escape.py").symlink_to(outside / "blocking.py")
    return root


@pytest.fixture
def server(project: Path) -> Any:
    return build_server([project])


# -- the tools are there, with schemas an agent can use -------------------------------------------


def test_tools_are_listed_with_schemas(server: Any) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()

    listed = {t.name: t for t in run(server, body).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema is not None  # structured results
    answers = listed["advise"].input_schema["properties"]["answers"]
    assert answers["properties"]["kind"]["enum"] == ["api", "site", "script", "ml", "worker"]
    assert answers["additionalProperties"] is False
    scaffold = listed["scaffold"].input_schema
    assert scaffold["required"] == ["name"]
    assert "fastapi" in scaffold["properties"]["framework"]["enum"]
    assert listed["scaffold"].annotations.read_only_hint is False  # type: ignore[union-attr]
    assert listed["check"].annotations.read_only_hint is True  # type: ignore[union-attr]


# -- advise ---------------------------------------------------------------------------------------


def test_advise_returns_what_advise_format_json_prints(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ok(call(server, "advise", {"answers": {"kind": "api", "db": "postgres",
                                                  "workload": "io", "team_async": False}}))
    assert main(["advise", "--kind", "api", "--db", "postgres", "--io-bound",
                 "--team-async", "no", "--format", "json"]) == 0
    assert data == json.loads(capsys.readouterr().out)
    framework = next(r for r in data["recommendations"] if r["decision"] == "framework")
    assert framework["reasons"] and framework["rejected"]


def test_advise_accepts_yes_no_strings_like_the_answers_file(server: Any) -> None:
    data = ok(call(server, "advise", {"answers": {"kind": "api", "db": "none", "realtime": "yes"}}))
    assert data["answers"]["realtime"] is True


def test_advise_refuses_unknown_and_bad_answers(server: Any) -> None:
    message = error(call(server, "advise", {"answers": {"knd": "api"}}))
    assert "knd" in message and "did you mean 'kind'" in message
    message = error(call(server, "advise", {"answers": {"kind": "spaceship"}}))
    assert "kind" in message and "spaceship" in message


def test_advise_from_repo_infers_and_lists_departures(server: Any, project: Path) -> None:
    shutil.copytree(REPOS / "fastapi_sync_drivers", project / "legacy")
    data = ok(call(server, "advise_from_repo", {"path": "legacy"}))
    assert data["inferred"]["answers"]["kind"] == "api"
    assert data["inferred"]["evidence"]["kind"]
    assert data["mismatches"] and all(m["migrate"] for m in data["mismatches"])
    overridden = ok(call(server, "advise_from_repo",
                         {"path": "legacy", "answers": {"db": "sqlite"}}))
    assert overridden["answers"]["db"] == "sqlite"


def test_advise_from_repo_refuses_paths_out_of_the_root(server: Any, project: Path) -> None:
    assert "goes up" in error(call(server, "advise_from_repo", {"path": ".."}))
    assert "outside" in error(call(server, "advise_from_repo",
                                   {"path": str(project.parent / "outside")}))
    assert "not a folder" in error(call(server, "advise_from_repo", {"path": "svc/pyproject.toml"}))


# -- check ----------------------------------------------------------------------------------------


def test_check_returns_findings_with_chains(server: Any, project: Path) -> None:
    data = ok(call(server, "check", {"paths": ["svc"]}))
    assert data["root"] == str((project / "svc").resolve())
    by_code = {f["code"]: f for f in data["findings"]}
    transitive = by_code["ASY101"]
    assert transitive["path"] == "app/api/routes.py" and transitive["line"] == 5
    assert transitive["chain"] == [{"path": "app/services/reports.py", "line": 5,
                                    "function": "build_report"}]
    assert by_code["LAY700"]["path"] == "app/models/user.py"
    assert data["counts"]["ASY101"] == 1
    assert data["total"] == len(data["findings"]) and data["truncated"] is False
    assert data["files_checked"] == 7


def test_check_select_ignore_and_limit(server: Any) -> None:
    only = ok(call(server, "check", {"paths": ["svc"], "select": ["asy"]}))
    assert {f["code"] for f in only["findings"]} == {"ASY101"}
    without = ok(call(server, "check", {"paths": ["svc"], "ignore": ["LAY"]}))
    assert "LAY700" not in {f["code"] for f in without["findings"]}
    clipped = ok(call(server, "check", {"paths": ["svc"], "limit": 1}))
    assert len(clipped["findings"]) == 1 and clipped["truncated"] is True
    assert clipped["total"] == sum(clipped["counts"].values()) > 1
    assert "--select: 'NOPE1' matches no rule code" in error(
        call(server, "check", {"select": ["NOPE1"]}))
    assert "limit" in error(call(server, "check", {"limit": -1}))


def test_check_reads_but_never_runs_the_code(server: Any, project: Path) -> None:
    data = ok(call(server, "check", {"paths": ["trap/handlers.py"]}))
    assert [f["code"] for f in data["findings"]] == ["ASY100"]
    assert not (project / "trap" / "EXECUTED").exists()


def test_check_writes_nothing_into_the_project(server: Any, project: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    ok(call(server, "check", {"paths": ["svc"]}))
    ok(call(server, "check", {"paths": ["svc"]}))  # second run from the server's own cache
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_check_default_path_is_the_root(server: Any) -> None:
    data = ok(call(server, "check"))
    assert {f["code"] for f in data["findings"]} >= {"ASY100", "ASY101"}


@pytest.mark.parametrize("path", ["..", "../outside", "svc/../../outside/blocking.py"])
def test_check_refuses_going_up(server: Any, path: str) -> None:
    message = error(call(server, "check", {"paths": ["svc", path]}))
    assert f"paths[1] {path!r} refused" in message and "goes up" in message


def test_check_refuses_absolute_paths_elsewhere(server: Any, project: Path) -> None:
    outside = str(project.parent / "outside" / "blocking.py")
    message = error(call(server, "check", {"paths": [outside]}))
    assert "absolute path outside the server's roots" in message


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
@pytest.mark.parametrize("path", ["escape", "escape.py", "escape/blocking.py"])
def test_check_refuses_symlinks_out_of_the_root(server: Any, path: str) -> None:
    assert "symbolic link" in error(call(server, "check", {"paths": [path]}))


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_links_out_inside_a_checked_folder_are_not_followed(server: Any) -> None:
    data = ok(call(server, "check", {"paths": ["."], "select": ["ASY100"]}))
    assert {f["path"] for f in data["findings"]} == {"trap/handlers.py"}


def test_settings_above_the_root_are_not_read(tmp_path: Path) -> None:
    # a pyproject.toml with [tool.stackwise] above the root is not this project's config
    (tmp_path / "pyproject.toml").write_text('[tool.stackwise]\nselect = ["NOPE"]\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "a.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    data = ok(call(build_server([inner]), "check", {"paths": ["a.py"]}))
    assert data["root"] == str(inner.resolve())
    assert [f["code"] for f in data["findings"]] == ["ASY100"]


def test_a_second_root_is_reachable_by_absolute_path(project: Path) -> None:
    outside = project.parent / "outside"
    # inside a root now, so its own [tool.stackwise] is read (and its bad code reported)
    message = error(call(build_server([project, outside]), "check",
                         {"paths": [str(outside / "blocking.py")]}))
    assert "'NOPE' matches no rule code" in message
    (outside / "pyproject.toml").write_text('[project]\nname = "o"\n')
    data = ok(call(build_server([project, outside]), "check",
                   {"paths": [str(outside / "blocking.py")]}))
    assert data["root"] == str(outside.resolve())
    assert [f["code"] for f in data["findings"]] == ["ASY100"]


# -- explain_rule ---------------------------------------------------------------------------------


def test_explain_rule(server: Any) -> None:
    data = ok(call(server, "explain_rule", {"code": "asy101"}))
    assert data["code"] == "ASY101"
    assert "## What it does" in data["markdown"] and "## Use instead" in data["markdown"]
    assert set(data["sections"]) >= {"What it does", "Why it matters", "Example", "Use instead"}
    message = error(call(server, "explain_rule", {"code": "ASY10"}))
    assert "no rule 'ASY10'" in message and "did you mean" in message


# -- layout ---------------------------------------------------------------------------------------


def test_layout(server: Any) -> None:
    data = ok(call(server, "layout", {"path": "svc"}))
    assert data["kind"] == "medium-app" and data["style"] == "by-layer"
    assert {layer["layer"] for layer in data["layers"]} >= {"api", "services", "models"}
    assert "goes up" in error(call(server, "layout", {"path": "../outside"}))


# -- scaffold -------------------------------------------------------------------------------------


def test_scaffold_into_a_new_folder(server: Any, project: Path) -> None:
    (project / "new").mkdir()
    data = ok(call(server, "scaffold", {"name": "orders", "directory": "new/orders",
                                        "framework": "fastapi", "layout": "feature"}))
    target = project / "new" / "orders"
    assert data["directory"] == str(target.resolve())
    assert data["options"]["layout"] == "feature" and data["options"]["framework"] == "fastapi"
    assert data["files"] and all((target / f).is_file() for f in data["files"])
    assert "pyproject.toml" in data["files"]


def test_scaffold_defaults_to_the_name_in_the_first_root(server: Any, project: Path) -> None:
    data = ok(call(server, "scaffold", {"name": "tool", "kind": "script"}))
    assert data["directory"] == str((project / "tool").resolve())
    assert data["options"]["framework"] == "none"


def test_scaffold_notes_adjusted_choices(server: Any) -> None:
    data = ok(call(server, "scaffold", {"name": "shop", "framework": "django",
                                        "layout": "feature"}))
    assert any("layout" in note for note in data["notes"])


@pytest.mark.parametrize(("arguments", "match"), [
    ({"name": "svc"}, "already exists"),
    ({"name": "x", "directory": "svc/app"}, "already exists"),
    ({"name": "x", "directory": "../x"}, "goes up"),
    ({"name": "x", "directory": "nowhere/x"}, "does not exist"),
    ({"name": "Bad-Name"}, "invalid project name"),
    ({"name": "x", "framework": "rails"}, "unknown framework"),
    ({"name": "x", "kind": "script", "framework": "fastapi"}, "kind 'script'"),
])
def test_scaffold_refusals_leave_nothing_behind(
    server: Any, project: Path, arguments: dict[str, Any], match: str
) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert match in error(call(server, "scaffold", arguments))
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_failed_scaffold_removes_the_folder(
    server: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stackwise.scaffold

    def disk_full(options: Any, target: Path, **kwargs: Any) -> list[Path]:
        (target / "half.py").write_text("")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stackwise.scaffold, "generate", disk_full)
    message = error(call(server, "scaffold", {"name": "half"}))
    assert "No space left on device" in message and "nothing was kept" in message
    assert not (project / "half").exists()


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_scaffold_refuses_a_folder_behind_a_link_out(server: Any, project: Path) -> None:
    message = error(call(server, "scaffold", {"name": "x", "directory": "escape/x"}))
    assert "symbolic link" in message
    assert not (project.parent / "outside" / "x").exists()


def test_absolute_scaffold_target_elsewhere_is_refused(server: Any, tmp_path: Path) -> None:
    message = error(call(server, "scaffold", {"name": "x", "directory": str(tmp_path / "x")}))
    assert "absolute path outside" in message
    assert not (tmp_path / "x").exists()


# -- the command ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_stdio_server_end_to_end(project: Path) -> None:
    """`stackwise mcp --root DIR` speaks MCP on stdin/stdout (and only MCP on stdout)."""
    from mcp import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stackwise", "mcp", "--root", str(project)],
        cwd=str(project.parent),
    )

    async def body() -> tuple[set[str], dict[str, Any]]:
        async with Client(params, mode="legacy") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("check", {"paths": ["svc"], "select": ["ASY101"]})
            assert result.structured_content is not None
            return tools, result.structured_content

    tools, data = anyio.run(body)
    assert tools == TOOLS
    assert [f["code"] for f in data["findings"]] == ["ASY101"]


def test_missing_sdk_gives_an_install_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if the extra were not installed
    assert main(["mcp", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'stackwise[mcp]'" in err


def test_bad_root_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["mcp", "--root", str(tmp_path / "missing")]) == 2
    assert "not an existing folder" in capsys.readouterr().err


def test_check_does_not_import_the_sdk(project: Path) -> None:
    code = ("import sys\nfrom stackwise.cli import main\n"
            f"main(['check', '--no-cache', '-q', {str(project / 'svc')!r}])\n"
            "print('mcp' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
