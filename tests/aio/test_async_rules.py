"""What the ASY fixtures cannot express: the JSON shape of ASY101 chains, selection, advice
spelled for the file's async library, and chains that are long, cyclic or cached."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from stackwise import Settings, check
from stackwise.cli import main
from stackwise.findings import Finding


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.stackwise]\n", encoding="utf-8")
    return root


def _check(root: Path, **kwargs: object) -> list[Finding]:
    result = check([root], settings=Settings(), root=root, use_cache=False, jobs=1,
                   **kwargs)  # type: ignore[arg-type]
    return result.findings


PROJECT = {
    "app/__init__.py": "",
    "app/routes.py": """\
        from app.services import build_report


        async def download(report_id: int) -> bytes:
            return build_report(report_id)
        """,
    "app/services.py": """\
        from app.templates import render


        def build_report(report_id: int) -> bytes:
            return render("report.html", report_id).encode()
        """,
    "app/templates.py": """\
        def render(name: str, report_id: int) -> str:
            return read(name).format(id=report_id)


        def read(name: str) -> str:
            with open(name) as fh:
                return fh.read()
        """,
}


def test_asy101_json_chain_lists_every_frame_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _write(tmp_path, PROJECT)
    monkeypatch.chdir(root)
    assert main(["check", ".", "--no-cache", "--format", "json", "--select", "ASY101"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert len(findings) == 1
    finding = findings[0]
    assert (finding["code"], finding["path"], finding["line"]) == ("ASY101", "app/routes.py", 5)
    assert finding["function"] == "app.routes.download"
    assert finding["chain"] == [
        {"path": "app/services.py", "line": 5, "function": "build_report"},
        {"path": "app/templates.py", "line": 2, "function": "render"},
        {"path": "app/templates.py", "line": 6, "function": "read"},
    ]
    message = finding["message"]
    assert "build_report (app/services.py:5) -> render (app/templates.py:2) -> read " \
           "(app/templates.py:6) -> `open()`" in message
    assert "await asyncio.to_thread(build_report, ...)" in message


def test_select_asy101_reports_only_the_transitive_rule(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["app/routes.py"] = textwrap.dedent(files["app/routes.py"]) + (
        "\n\nasync def nap() -> None:\n    import time\n\n    time.sleep(1)\n")
    root = _write(tmp_path, files)
    everything = {f.code for f in _check(root)}
    assert everything == {"ASY100", "ASY101"}
    selected = check([root], settings=Settings(), root=root, use_cache=False, jobs=1,
                     select=["ASY101"]).findings
    assert {f.code for f in selected} == {"ASY101"}


def test_chain_survives_a_warm_cache(tmp_path: Path) -> None:
    root = _write(tmp_path, PROJECT)
    cold = check([root], settings=Settings(), root=root, jobs=1).findings
    warm = check([root], settings=Settings(), root=root, jobs=1).findings
    assert cold == warm
    assert next(f.chain for f in warm if f.code == "ASY101")[-1].function == "read"


def test_long_chain_and_cycle_end(tmp_path: Path) -> None:
    depth = 300  # deeper than any recursion would allow: the rule must walk it iteratively
    lines = ["import time\n"]
    for i in range(depth):
        lines.append(f"def f{i}() -> None:\n    f{i + 1}()\n    g{i}()\n")
        lines.append(f"def g{i}() -> None:\n    f{i}()\n")  # a cycle at every level
    lines.append(f"def f{depth}() -> None:\n    time.sleep(1)\n")
    lines.append("async def main() -> None:\n    f0()\n")
    root = _write(tmp_path, {"deep.py": "".join(lines)})
    findings = [f for f in _check(root) if f.code == "ASY101"]
    assert len(findings) == 1
    assert len(findings[0].chain) == depth + 1
    assert findings[0].chain[-1].function == f"f{depth}"


@pytest.mark.parametrize(
    ("library", "sleep", "offload"),
    [
        ("asyncio", "await asyncio.sleep(...)", "await asyncio.to_thread(shutil.rmtree, ...)"),
        ("trio", "await trio.sleep(...)", "await trio.to_thread.run_sync(shutil.rmtree, ...)"),
        ("anyio", "await anyio.sleep(...)", "await anyio.to_thread.run_sync(shutil.rmtree, ...)"),
    ],
)
def test_advice_is_spelled_for_the_files_async_library(
    tmp_path: Path, library: str, sleep: str, offload: str
) -> None:
    root = _write(tmp_path, {"job.py": f"""\
        import shutil
        import time

        import {library}


        async def clean(path: str) -> None:
            time.sleep(1)
            shutil.rmtree(path)
        """})
    messages = [f.message for f in _check(root)]
    assert len(messages) == 2
    assert sleep in messages[0]
    assert offload in messages[1]


def test_offloading_the_result_instead_of_the_function_is_explained(tmp_path: Path) -> None:
    root = _write(tmp_path, {"job.py": """\
        import asyncio

        import requests


        async def fetch(url: str) -> None:
            await asyncio.to_thread(requests.get(url))
        """})
    [finding] = _check(root)
    assert finding.code == "ASY100"
    assert "before `asyncio.to_thread` gets its result" in finding.message
    assert "`await asyncio.to_thread(requests.get, ...)`" in finding.message


def test_every_async_message_is_one_line_that_says_what_to_do(tmp_path: Path) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "aio"
    findings = [
        f for case in sorted(fixtures.iterdir()) if case.suffix == ".py" or case.is_dir()
        for f in check([case], settings=Settings(), root=case if case.is_dir() else fixtures,
                       use_cache=False, jobs=1).findings
        if f.code.startswith("ASY")
    ]
    assert len(findings) > 50
    for finding in findings:
        assert "\n" not in finding.message
        assert any(word in finding.message for word in ("use ", "offload", "await", "make ")), (
            finding.message)
