"""The analysed code is never imported or run: a project whose import would write a file, exit
the process or open a socket is checked, and none of that happens."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackwise.cli import main

from .conftest import json_findings, run_check, run_cli, write_tree


def _trap_project(root: Path, marker: Path, port: int) -> Path:
    side_effects = (
        "import os, socket, sys\n"
        f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "os._exit(41)\n"
        "sys.exit(42)\n"
    )
    return write_tree(root, {
        "pyproject.toml": "[tool.stackwise]\n",
        "setup.py": side_effects,
        "conftest.py": side_effects,
        "trap/__init__.py": side_effects,
        "trap/__main__.py": side_effects,
        "trap/mod.py": (
            side_effects
            + "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n\n\n"
            "if __name__ == '__main__':\n" + "".join("    " + line + "\n"
                                                      for line in side_effects.splitlines())
        ),
        "trap/getattr_trick.py": (
            "def __getattr__(name):\n"
            f"    open({str(marker)!r}, 'a').write(name)\n"
            "    raise SystemExit(43)\n"
            "from trap.mod import *\n"
        ),
        "trap/encoding_trick.py": (
            "# -*- coding: rot13 -*-\n"  # a codec Python refuses for source: never decoded
            "vzcbeg bf; bf._rkvg(44)\n"
        ),
        "trap/evil.pth": f"import os; open({str(marker)!r}, 'a').write('pth')\n",
        "trap/data.pyi": side_effects,
    })


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _nobody_connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_the_command_never_runs_the_code(tmp_path: Path, listener: socket.socket) -> None:
    marker = tmp_path / "ran"
    root = _trap_project(tmp_path / "p", marker, listener.getsockname()[1])
    for args in (["--no-cache"], [], [], ["-j", "2", "--no-cache"]):  # cold, cold, warm cache
        proc = run_cli(".", "--format", "json", *args, cwd=root)
        assert proc.returncode == 1, proc.stderr.decode()  # findings, not 41/42/43/44
        found = {(f["path"], f["code"]) for f in json_findings(proc.stdout)}
        assert ("trap/mod.py", "ASY100") in found
        assert ("trap/encoding_trick.py", "SW000") in found
        assert not marker.exists()
        assert _nobody_connected(listener)


def test_the_api_never_imports_the_code(
    tmp_path: Path, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    root = _trap_project(tmp_path / "p", marker, listener.getsockname()[1])
    monkeypatch.syspath_prepend(str(root))  # even importable, it is not imported
    before = set(sys.modules)
    result = run_check(root, jobs=2)
    assert ("trap/mod.py", "ASY100") in {(f.path, f.code) for f in result.findings}
    assert not {m for m in set(sys.modules) - before if m == "trap" or m.startswith("trap.")}
    assert not marker.exists()
    assert _nobody_connected(listener)


def test_named_stub_and_main_are_read_as_text(
    tmp_path: Path, listener: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    root = _trap_project(tmp_path / "p", marker, listener.getsockname()[1])
    code = main(["check", str(root / "trap" / "data.pyi"), str(root / "trap" / "__main__.py"),
                 "--no-cache"])
    capsys.readouterr()
    assert code == 0
    assert not marker.exists() and _nobody_connected(listener)
