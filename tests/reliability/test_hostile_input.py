"""Odd and hostile files: each one is at most one clear finding or warning, and the rest of the
run goes on. Every case is checked next to `witness.py`, whose finding must always be there."""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from stackwise import Finding, Settings
from stackwise.engine import runner
from stackwise.engine.discover import Discovery, SourceFile

from .conftest import cli_env, json_findings, run_check, run_cli, start_cli, write_tree

WITNESS = "import time\n\n\nasync def witness() -> None:\n    time.sleep(1)\n"
WITNESS_FINDING = ("witness.py", 5, "ASY100")

BLOCKING = "async def f() -> None:\n    time.sleep(1)\n"  # ASY100 on its second line


def _run(tmp_path: Path, files: Mapping[str, str | bytes], **kw: Any) -> list[Finding]:
    """Check a project made of `files` plus the witness; the witness must still be reported."""
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS, **files})
    result = run_check(root, **kw)
    got = {(f.path, f.line, f.code) for f in result.findings}
    assert WITNESS_FINDING in got, result.findings
    return [f for f in result.findings if f.path != "witness.py"]


def _one(findings: list[Finding], code: str = "SW000") -> Finding:
    assert len(findings) == 1, findings
    assert findings[0].code == code, findings
    return findings[0]


# -- encodings and line ends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookie", "encoding", "word"),
    [
        ("# -*- coding: latin-1 -*-", "latin-1", "café"),
        ("# coding: cp1252", "cp1252", "€uro"),
        ("# vim: set fileencoding=iso-8859-15 :", "iso-8859-15", "œuvre"),
    ],
)
def test_pep263_coding_cookie_is_honoured(
    tmp_path: Path, cookie: str, encoding: str, word: str
) -> None:
    source = f'{cookie}\nimport time\n\n\nasync def f() -> None:\n    s = "{word}"; time.sleep(1)\n'
    data = source.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the file really is not UTF-8
    (f,) = _run(tmp_path, {"legacy.py": data})
    assert (f.path, f.line, f.code) == ("legacy.py", 6, "ASY100")
    # the column counts characters of the decoded line, not bytes
    line = source.splitlines()[5]
    assert f.column == line.index("time.sleep") + 1


def test_utf8_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfimport time\n" + 'async def f() -> None:\n    x = "é"; time.sleep(1)\n'.encode()
    (f,) = _run(tmp_path, {"bom.py": data})
    assert (f.line, f.column, f.code) == (3, len('    x = "é"; ') + 1, "ASY100")


def test_bom_with_a_conflicting_cookie_is_one_finding(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf# coding: latin-1\nimport time\n" + BLOCKING.encode()
    f = _one(_run(tmp_path, {"conflict.py": data}))
    assert "encoding" in f.message


def test_unknown_encoding_cookie(tmp_path: Path) -> None:
    f = _one(_run(tmp_path, {"odd.py": b"# coding: klingon\nx = 1\n"}))
    assert "encoding" in f.message and "klingon" in f.message


@pytest.mark.parametrize(
    "newline", ["\r\n", "\r", "\n"], ids=["crlf", "lone-cr", "lf"]
)
def test_line_ends(tmp_path: Path, newline: str) -> None:
    text = newline.join(["import time", "", "", "async def f() -> None:", "    x = 1",
                         "    time.sleep(1)", ""])
    (f,) = _run(tmp_path, {"ends.py": text.encode()})
    assert (f.line, f.column, f.code) == (6, 5, "ASY100")


def test_mixed_line_ends_and_form_feeds(tmp_path: Path) -> None:
    # a form feed is not a line end (Python's tokenizer treats it as whitespace)
    data = b"import time\r\n\x0c\nasync def f() -> None:\r    x = 1\n\x0c    time.sleep(1)\r\n"
    (f,) = _run(tmp_path, {"mixed.py": data})
    assert (f.line, f.code) == (5, "ASY100")


def test_tabs(tmp_path: Path) -> None:
    (f,) = _run(tmp_path, {"tabs.py": "import time\n\nasync def f():\n\tif 1:\n\t\ttime.sleep(1)\n"})
    assert (f.line, f.column) == (5, 3)
    f = _one(_run(tmp_path, {"tabs.py": "if 1:\n\tx = 1\n        y = 2\n"}))
    assert "syntax error" in f.message and "tabs" in f.message  # Python refuses it too


def test_nul_byte(tmp_path: Path) -> None:
    f = _one(_run(tmp_path, {"nul.py": b"import os\nx = 1\ny = '\x00'\n"}))
    assert "NUL" in f.message and f.line == 3
    f = _one(_run(tmp_path, {"nul.py": b"import os\rx = 1\r\ny = 2\r\x00"}))
    assert f.line == 4  # lone CR and CRLF count as line ends, as in Python


def test_not_utf8_without_a_cookie(tmp_path: Path) -> None:
    f = _one(_run(tmp_path, {"latin.py": b"x = 1\ny = 2\nname = 'caf\xe9'\n"}))
    assert f.line == 3
    assert "utf-8" in f.message.lower() and "coding" in f.message


@pytest.mark.parametrize("content", [b"", b"\n", b"   \n\n", b"# only a comment", b"\xef\xbb\xbf",
                                     b"\x0c", b"\r\n\r\n", b"pass"])
def test_empty_and_trivial_files(tmp_path: Path, content: bytes) -> None:
    assert _run(tmp_path, {"empty.py": content}) == []


def test_surrogates_and_odd_unicode_in_source(tmp_path: Path) -> None:
    source = (
        "import time\n"
        "# \u202e bidi override and a zero-width joiner \u200d in a comment\n"
        "async def f() -> None:\n"
        "    s = '\U0001f600 \u0301 \ufeff'; time.sleep(1)\n"
        "ŝtrange_ïdentifier = 1\n"
    )
    (f,) = _run(tmp_path, {"uni.py": source})
    assert (f.line, f.column) == (4, source.splitlines()[3].index("time") + 1)
    # a lone surrogate written into the file makes it invalid UTF-8: one finding
    f = _one(_run(tmp_path, {"uni.py": "x = '\udcff'\n".encode("utf-8", "surrogatepass")}))
    assert "utf-8" in f.message.lower()


# -- size and shape ----------------------------------------------------------------------------------


def test_twenty_megabyte_module_is_one_finding_saying_how_to_raise_the_limit(tmp_path: Path) -> None:
    chunk = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1000)).encode()
    big = chunk * (20_000_000 // len(chunk) + 1)
    started = time.perf_counter()
    f = _one(_run(tmp_path, {"generated.py": big}))
    assert "max-file-size" in f.message and "MiB" in f.message
    assert time.perf_counter() - started < 10  # not read, let alone parsed


def test_max_file_size_is_exact(tmp_path: Path) -> None:
    src = "import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n" + "#" * 100 + "\n"
    size = len(src.encode())
    under = Settings(max_file_size=size)
    assert [x.code for x in _run(tmp_path, {"m.py": src}, settings=under)] == ["ASY100"]
    over = Settings(max_file_size=size - 1)
    assert "max-file-size" in _one(_run(tmp_path, {"m.py": src}, settings=over)).message


def test_absurd_max_file_size_does_not_overflow(tmp_path: Path) -> None:
    assert _run(tmp_path, {"m.py": "x = 1\n"}, settings=Settings(max_file_size=2**80)) == []


NESTING = {
    "parentheses": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
    "lists": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "unary": "x = " + "-" * 100_000 + "1\n",
    "not": "x = " + "not " * 100_000 + "a\n",
    "binop-chain": "x = " + "+".join(["a"] * 100_000) + "\n",
    "call-chain": "x = f" + "()" * 100_000 + "\n",
    "attribute-chain": "x = a" + ".b" * 100_000 + "\n",
    "subscript-chain": "x = a" + "[0]" * 100_000 + "\n",
    "lambdas": "x = " + "lambda: " * 100_000 + "1\n",
    "conditional": "x = " + "a if b else " * 100_000 + "c\n",
    "blocks": "".join(" " * i + "if x:\n" for i in range(2000)) + " " * 2000 + "pass\n",
    "functions": "".join(" " * i + "def f():\n" for i in range(2000)) + " " * 2000 + "pass\n",
}


@pytest.mark.parametrize("shape", sorted(NESTING))
def test_100000_deep_nesting_is_one_finding(tmp_path: Path, shape: str) -> None:
    f = _one(_run(tmp_path, {"deep.py": NESTING[shape]}))
    assert "nested too deeply" in f.message or "syntax error" in f.message, f.message


def test_flat_but_huge_expressions_are_analysed(tmp_path: Path) -> None:
    # long comparison and boolean chains are flat in the AST: Python parses them, so do we
    src = ("import time\nasync def f(a: int) -> None:\n"
           f"    if {' < '.join(['a'] * 20_000)} and {' or '.join(['a'] * 20_000)}:\n"
           "        time.sleep(1)\n")
    (f,) = _run(tmp_path, {"flat.py": src})
    assert (f.line, f.code) == (4, "ASY100")


def test_nesting_near_the_limit_gives_the_same_answer_at_any_stack_depth(tmp_path: Path) -> None:
    """Python 3.11's parser limit depends on the caller's stack depth; stackwise pins it, so a
    worker process and a deep test-runner stack give the same result."""
    root = write_tree(tmp_path / "p", {
        f"d{n}.py": "import requests\nasync def f() -> None:\n    x = requests.get" + "()" * n
        + "\n    y = " + "+".join(["a"] * n) + "\n"
        for n in (500, 990, 2500, 2990, 3100)
    })

    def at_depth(depth: int) -> list[tuple[str, int, str, str]]:
        if depth:
            return at_depth(depth - 1)
        result = run_check(root)
        return [(f.path, f.line, f.code, f.message) for f in result.findings]

    shallow = at_depth(0)
    assert shallow == at_depth(400)
    assert {p for p, *_ in shallow} >= {"d500.py", "d3100.py"}


def test_very_long_lines(tmp_path: Path) -> None:
    long_list = "x = [" + ", ".join(["1"] * 100_000) + "]\n"  # a 300 kB line
    call_far_right = "async def f() -> None:\n    " + "a = 1; " * 5_000 + "time.sleep(1)\n"
    (f,) = _run(tmp_path, {"long.py": "import time\n" + long_list + call_far_right})
    assert (f.line, f.column) == (4, 5 + len("a = 1; ") * 5_000)


# -- names, links and the file system ------------------------------------------------------------


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS})
    for raw in (b"caf\xe9.py", b"caf\xe8.py", b"\xff\xfe.py"):
        (Path(os.fsdecode(root)) / os.fsdecode(raw)).write_text(BLOCKING.replace(
            "async", "import time\nasync"), encoding="utf-8")
    result = run_check(root)
    paths = sorted({f.path for f in result.findings})
    # each keeps its own name (no two collapse into one), relative and POSIX
    assert paths == sorted(["witness.py", os.fsdecode(b"caf\xe9.py"), os.fsdecode(b"caf\xe8.py"),
                            os.fsdecode(b"\xff\xfe.py")])
    # every format prints them without crashing, also to a console that is not UTF-8
    runs = {
        (fmt, enc): start_cli(".", "--no-cache", "--format", fmt, cwd=root,
                              env=cli_env(PYTHONIOENCODING=enc))
        for fmt, enc in (("text", "ascii"), ("github", "ascii"), ("json", "utf-8"),
                         ("sarif", "utf-8"))
    }
    for key, proc in runs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, (key, err.decode(errors="replace"))
        assert b"Traceback" not in err
        if key[0] == "json":
            assert len(json_findings(out)) == 4


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_loops_end(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS,
                                       "pkg/__init__.py": "", "pkg/mod.py": "x = 1\n"})
    os.symlink(".", root / "pkg" / "self_loop")
    os.symlink("..", root / "pkg" / "parent_loop")
    os.symlink("b.py", root / "a.py")
    os.symlink("a.py", root / "b.py")
    os.symlink("me.py", root / "me.py")
    for follow in (False, True):
        result = run_check(root, settings=Settings(follow_symlinks=follow))
        assert WITNESS_FINDING[0] in {f.path for f in result.findings}
        others = [f for f in result.findings if f.path != "witness.py"]
        # a file link in a loop cannot be read: said once, nothing else
        assert all(f.code == "SW000" for f in others), others
        assert len({f.path for f in others}) == len(others)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinks_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.py": "import time\n" + BLOCKING,
                                                "deep/more.py": "import time\n" + BLOCKING})
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS})
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "secret.py", root / "linked_file.py")
    os.symlink(tmp_path, root / "up")
    for follow in (False, True):
        result = run_check(root, settings=Settings(follow_symlinks=follow))
        assert {f.path for f in result.findings} == {"witness.py"}, (follow, result.findings)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinks_inside_the_tree(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS,
                                       "real/mod.py": "import time\n" + BLOCKING})
    os.symlink("real", root / "alias")
    os.symlink("real/mod.py", root / "alias_file.py")
    default = {f.path for f in run_check(root).findings}
    assert default == {"witness.py", "real/mod.py", "alias_file.py"}  # folder links not followed
    followed = {f.path for f in run_check(root, settings=Settings(follow_symlinks=True)).findings}
    assert followed == default | {"alias/mod.py"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_dangling_symlink(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    os.symlink("nowhere.py", root / "gone.py")
    f = _one(_run(tmp_path, {}))
    assert "symbolic link" in f.message and f.path == "gone.py"


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_real_permissions(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"locked.py": "x = 1\n"})
    (root / "locked.py").chmod(0)
    try:
        f = _one(_run(tmp_path, {}))
        assert "permission denied" in f.message
    finally:
        (root / "locked.py").chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as root (CI) permissions do not stop reads, so the refusal is simulated at the open call
    real_open = os.open

    def refuse(path: str, flags: int, *args: int, **kw: object) -> int:
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(runner.os, "open", refuse)
    f = _one(_run(tmp_path, {"locked.py": "import time\n" + BLOCKING}))
    assert (f.path, f.line) == ("locked.py", 1) and "permission denied" in f.message


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root lists any folder")
def test_unlistable_folder_is_a_warning(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS,
                                       "closed/mod.py": "x = 1\n"})
    (root / "closed").chmod(0)
    try:
        result = run_check(root)
        assert any("cannot list" in w for w in result.warnings)
    finally:
        (root / "closed").chmod(0o755)


@pytest.mark.parametrize("change", ["delete", "truncate", "replace-with-folder", "grow"])
def test_files_changed_during_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    files = {f"m{i}.py": "import time\n" + BLOCKING for i in range(5)}
    real_files = Discovery.files

    def files_then_change(self: Discovery, paths: list[Path]) -> list[SourceFile]:
        found = real_files(self, paths)
        victim = self.root / "m2.py"
        if change == "delete":
            victim.unlink()
        elif change == "truncate":
            victim.write_bytes(b"")
        elif change == "replace-with-folder":
            victim.unlink()
            victim.mkdir()
        else:
            victim.write_bytes(b"x = 1\n" * 10_000)
        return found

    monkeypatch.setattr(Discovery, "files", files_then_change)
    got = {f.path: f for f in _run(tmp_path, files, settings=Settings(max_file_size=50_000))}
    assert {p for p in got if p != "m2.py"} == {"m0.py", "m1.py", "m3.py", "m4.py"}
    if change == "truncate":
        assert "m2.py" not in got
    else:
        assert got["m2.py"].code == "SW000"
        assert {"delete": "disappeared", "replace-with-folder": "directory",
                "grow": "max-file-size"}[change] in got["m2.py"].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_called_py_does_not_hang(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS})
    os.mkfifo(root / "pipe.py")
    proc = run_cli(".", "--no-cache", "--format", "json", cwd=root, timeout=60)
    found = {(f["path"], f["code"]) for f in json_findings(proc.stdout)}
    assert found == {("witness.py", "ASY100"), ("pipe.py", "SW000")}


def test_a_folder_named_like_a_module_is_walked(tmp_path: Path) -> None:
    got = _run(tmp_path, {"odd.py/inner.py": "import time\n" + BLOCKING})
    assert [(f.path, f.code) for f in got] == [("odd.py/inner.py", "ASY100")]


def test_stubs_are_skipped_in_folders_and_read_when_named(tmp_path: Path) -> None:
    stub = "import time\nasync def f() -> None:\n    time.sleep(1)\n"
    assert _run(tmp_path, {"api.pyi": stub}) == []
    root = tmp_path / "p"
    named = run_check(root, [root / "api.pyi", root / "witness.py"])
    assert {(f.path, f.code) for f in named.findings} == {("api.pyi", "ASY100"),
                                                          ("witness.py", "ASY100")}


def test_paths_that_do_not_exist_are_a_warning(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS})
    result = run_check(root, [root / "witness.py", root / "missing.py"])
    assert [(f.path, f.code) for f in result.findings] == [("witness.py", "ASY100")]
    assert any("missing.py" in w for w in result.warnings)


def test_compiler_warnings_about_the_code_are_not_ours(tmp_path: Path) -> None:
    # invalid escapes are a SyntaxWarning (3.12+) or DeprecationWarning (3.11): with warnings
    # turned into errors they must neither print nor make the file unanalysable
    root = write_tree(tmp_path / "p", {"pyproject.toml": "", "witness.py": WITNESS,
                                       "regex.py": 'import re\nR = re.compile("\\d+")\nx = 1 is 1\n'})
    env = cli_env(PYTHONWARNINGS="error")
    proc = run_cli(".", "--no-cache", "--format", "json", cwd=root, env=env)
    assert {f["path"] for f in json_findings(proc.stdout)} == {"witness.py"}
    assert proc.stderr == b"", proc.stderr.decode()


# -- suppression comments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "hidden"),
    [
        ("# stackwise: ignore[ASY100]", True),
        ("# stackwise: ignore[asy100]", True),  # case does not matter
        ("# stackwise: ignore[ASY]", True),  # a prefix
        ("# stackwise: ignore[FAS200, ASY100]", True),
        ("# stackwise: ignore", True),  # every code on the line
        ("# stackwise: ignore  # the loop is not running yet", True),
        ("# noqa: ASY100", True),
        ("# NOQA:ASY100", True),
        ("# noqa: E501, ASY100 -- both tools", True),
        ("# noqa", False),  # meant for another tool: it does not hide our findings
        ("# noqa: E501", False),
        ("# noqa: ASY1", True),  # a prefix, as in `ignore[...]`
        ("# noqa:E501 # stackwise: ignore[ASY100]", True),
        ("# stackwise: ignore[ASY101]", False),
        ("# stackwise: ignore[ASY-100]", False),  # a typo hides nothing rather than everything
        ("# stackwise: ignore-next-line", False),
        ("# stackwise: ignore[]", False),
    ],
)
def test_suppression_comments(tmp_path: Path, comment: str, hidden: bool) -> None:
    src = f"import time\n\n\nasync def f() -> None:\n    time.sleep(1)  {comment}\n"
    got = _run(tmp_path, {"s.py": src})
    assert (got == []) is hidden, got


def test_every_rule_code_starts_with_a_family_suppressions_look_for() -> None:
    # a noqa comment whose codes start with no letters of FAMILIES is skipped without tokenizing
    from stackwise.engine.extract import FAMILIES
    from stackwise.rules import registry

    codes = [r.code for r in registry.manifest()]
    assert codes
    assert {re.match(r"[A-Z]+", c).group() for c in codes} == set(FAMILIES)  # type: ignore[union-attr]


def test_a_file_that_does_not_parse_can_be_silenced_on_its_line(tmp_path: Path) -> None:
    assert _run(tmp_path, {"bad.py": "x = 1\ndef f(:  # stackwise: ignore[SW000]\n"}) == []
    assert _run(tmp_path, {"bad.py": "x = 1  # stackwise: ignore[SW000]\ndef f(:\n"}) != []


@pytest.mark.parametrize("line", [
    'time.sleep(1); note = "# stackwise: ignore"',
    "time.sleep(1); note = '# noqa: ASY100'",
    'time.sleep(len("""# stackwise: ignore[ASY100]"""))',
])
def test_a_marker_inside_a_string_hides_nothing(tmp_path: Path, line: str) -> None:
    src = f"import time\n\n\nasync def f() -> None:\n    {line}\n"
    assert [f.code for f in _run(tmp_path, {"s.py": src})] == ["ASY100"]
