"""How many of flake8-async's expected blocking-call errors `stackwise check` reports as ASY100.

flake8-async's own test inputs (`tests/eval_files/*.py` in its sdist) carry their expected errors
inline, e.g. `requests.get()  # ASYNC210: 4, 'requests.get'` (0-based column). This script
downloads the pinned sdist with pip into the gitignored `benchmarks/.work/`, extracts the files
about blocking calls (ASYNC21x, ASYNC22x, ASYNC23x, ASYNC240, ASYNC25x), runs `stackwise check`
on them and prints, per peer code, how many expected errors we report as ASY100 (same line and
column), which ones we miss and why, and which findings they do not expect.

Nothing of flake8-async is kept in this repository; run it with:

    .venv/bin/python benchmarks/flake8_async_conformance.py

It always exits 0: it is a measurement, not a test.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

VERSION = "26.8.1"
PATTERNS = ("async21*.py", "async22x*.py", "async23*.py", "async240.py", "async25*.py")
WORK = Path(__file__).resolve().parent / ".work"
EVAL = WORK / f"flake8-async-{VERSION}-eval"

# `# ASYNC210: 4, 'requests.get'` or `# ASYNC221_asyncio: 8, 'subprocess.getoutput'`
_EXPECTED = re.compile(r"(ASYNC\d{3})(_\w+)?:([^#]*)")

# Why we do not report some of their expected errors, keyed by (file without `_asyncio`,
# enclosing function, callee as written). "*" matches anything.
_PURE = ("string manipulation only, no file-system access: nothing blocks (ASYNC240 is partly "
         "a style rule preferring trio/anyio Path objects)")
MISS_REASONS: dict[tuple[str, str, str], str] = {
    ("async210.py", "foo", "request.urlopen"):
        "nothing in the file binds `request` (only `import urllib`); an unbound name resolves "
        "only to itself, and `request` alone is no module we know",
    ("async210.py", "foo", "urlopen"):
        "nothing in the file binds `urlopen`; we do not guess which module a bare unbound "
        "function name comes from",
    ("async212.py", "foo_global_client", "glob_client.send"):
        "the module binds `glob_client` twice (`httpx.Client()`, later `glob_client: int = 4`); "
        "a function sees whichever ran last, so the name is unknown to us",
    ("async232.py", "implicit_overridden_type", "*"):
        "after `f = arbitrary_function()` / `f = 7` we no longer know `f` is a file; "
        "flake8-async lists this among its own 'known unhandled cases'",
    ("async240.py", "foo", "normpath"): _PURE,
    ("async240.py", "foo", "os.path.normpath"): _PURE,
    ("async240.py", "foo", "os.path._path_normpath"): _PURE,
    ("async240.py", "foo", "relpath"): _PURE + "; like `abspath`, at most an `os.getcwd()`",
    ("async240.py", "foo", "os.path.relpath"): _PURE + "; like `abspath`, at most an "
                                                       "`os.getcwd()`",
    ("async240.py", "foo", "os.path._joinrealpath"):
        "a private helper of `os.path.realpath` (which we report); private names are not in "
        "the knowledge base",
}

# Why we report some calls they do not expect, keyed the same way.
_ASYNC230 = ("a real `open()` in async code; flake8-async reports it too, as ASYNC230, which "
             "this file (a test of ASYNC232 only) does not enable")
EXTRA_REASONS: dict[tuple[str, str, str], str] = {
    ("async211.py", "foo", "foo.request"):
        "`foo = PoolManager()`, whose `.request()` blocks whatever the method argument; "
        "ASYNC211 only trusts a literal HTTP verb because it does not know `foo`'s type",
    ("async212.py", "foo_alias_import", "client.send"):
        "`Client` is `from httpx import Client`: the same sync client (flake8-async: 'not "
        "implemented')",
    ("async232.py", "file_text_4_both", "f.read"):
        "`None | TextIOWrapper | None` is still a file (flake8-async: 'not handled')",
    ("async232.py", "foo", "self.x.read"):
        "`self.x` is a file by the class's annotation / `open()`; flake8-async says 'should "
        "error' but does not follow attributes",
    ("async232.py", "call_function_with_return_type", "return_textiowrapper"):
        "ASY101: the nested sync function called here opens a file, a transitive blocking call "
        "(flake8-async does not follow calls)",
    ("async232.py", "*", "open"): _ASYNC230,
}


@dataclass(frozen=True)
class Expected:
    file: str
    line: int
    column: int  # 0-based, as flake8 reports it
    code: str  # their code, `_asyncio` variants folded in


@dataclass(frozen=True)
class Ours:
    file: str
    line: int
    column: int  # 0-based
    code: str
    message: str


def fetch() -> Path:
    """Download (once) and extract the eval files; return the folder holding them."""
    sdist = WORK / f"flake8_async-{VERSION}.tar.gz"
    if not sdist.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", f"flake8-async=={VERSION}", "-d", str(WORK)],
            check=True,
        )
    if EVAL.exists():
        shutil.rmtree(EVAL)
    EVAL.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if len(parts) < 3 or parts[-3:-1] != ["tests", "eval_files"] or not member.isfile():
                continue
            if not any(fnmatch.fnmatch(parts[-1], p) for p in PATTERNS):
                continue
            source = tar.extractfile(member)
            assert source is not None
            (EVAL / parts[-1]).write_bytes(source.read())
    # an empty [tool.stackwise] makes this folder the project root, away from our own config
    (EVAL / "pyproject.toml").write_text("[tool.stackwise]\n", encoding="utf-8")
    return EVAL


def expected_errors(folder: Path) -> list[Expected]:
    out: list[Expected] = []
    for path in sorted(folder.glob("*.py")):
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#") or "#" not in line:
                continue
            for code, _variant, args in _EXPECTED.findall(line):
                m = re.match(r"\s*(\d+)", args)
                out.append(Expected(path.name, lineno, int(m.group(1)) if m else 0, code))
    return out


def run_stackwise(folder: Path) -> list[Ours]:
    proc = subprocess.run(
        [sys.executable, "-m", "stackwise", "check", "--format", "json", "--no-cache",
         "--exit-zero", "--quiet", "--select", "ASY", "."],
        cwd=folder, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"stackwise check failed ({proc.returncode}):\n{proc.stderr}")
    return [
        Ours(Path(f["path"]).name, f["line"], f["column"] - 1, f["code"], f["message"])
        for f in json.loads(proc.stdout)
    ]


def _context(folder: Path) -> dict[tuple[str, int, int], tuple[str, str]]:
    """(file, line, column) of each call -> (enclosing function, callee as written)."""
    out: dict[tuple[str, int, int], tuple[str, str]] = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[ast.AST, str]] = [(tree, "<module>")]
        while stack:
            node, func = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                func = node.name
            if isinstance(node, ast.Call):
                out[(path.name, node.lineno, node.col_offset)] = (func, ast.unparse(node.func))
            stack.extend((child, func) for child in ast.iter_child_nodes(node))
    return out


def _reason(table: dict[tuple[str, str, str], str], file: str, func: str, callee: str) -> str:
    base = file.replace("_asyncio", "")
    for (f, fn, c), why in table.items():
        if f == base and fn in ("*", func) and c in ("*", callee):
            return why
    return "(no reason recorded)"


def main() -> int:
    folder = fetch()
    expected = expected_errors(folder)
    ours = run_stackwise(folder)
    context = _context(folder)

    unmatched = set(ours)
    found: list[Expected] = []
    missed: list[Expected] = []
    for exp in expected:
        hit = next((o for o in sorted(unmatched, key=lambda o: (o.file, o.line, o.column))
                    if o.code == "ASY100" and (o.file, o.line, o.column)
                    == (exp.file, exp.line, exp.column)), None)
        if hit is None:
            missed.append(exp)
        else:
            unmatched.discard(hit)
            found.append(exp)
    extras = sorted(unmatched, key=lambda o: (o.file, o.line, o.column))

    codes = sorted({e.code for e in expected})
    exp_n = Counter(e.code for e in expected)
    found_n = Counter(e.code for e in found)
    extra_n: Counter[str] = Counter()
    per_file = {f: Counter(e.code for e in expected if e.file == f) for f in {e.file
                                                                            for e in expected}}
    for o in extras:  # attribute an extra to the peer code its file mostly tests
        extra_n[per_file[o.file].most_common(1)[0][0]] += 1

    print(f"flake8-async {VERSION}: {len(expected)} expected errors in "
          f"{len(list(folder.glob('*.py')))} files ({', '.join(PATTERNS)})\n")
    print(f"{'peer code':<10} {'expected':>8} {'found':>6} {'missed':>6} {'extra':>6}")
    for code in codes:
        print(f"{code:<10} {exp_n[code]:>8} {found_n[code]:>6} "
              f"{exp_n[code] - found_n[code]:>6} {extra_n[code]:>6}")
    total_found = len(found)
    print(f"{'total':<10} {len(expected):>8} {total_found:>6} {len(missed):>6} "
          f"{len(extras):>6}")
    print(f"\nfound {total_found}/{len(expected)} = {100 * total_found / len(expected):.1f}% "
          f"of the expected blocking-call errors")

    if missed:
        print(f"\nmissed ({len(missed)}):")
        for exp in missed:
            func, callee = context.get((exp.file, exp.line, exp.column), ("?", "?"))
            why = _reason(MISS_REASONS, exp.file, func, callee)
            print(f"  {exp.file}:{exp.line}:{exp.column} {exp.code} `{callee}()` in {func}: "
                  f"{why}")
    if extras:
        reasons = []
        for o in extras:
            func, callee = context.get((o.file, o.line, o.column), ("?", "?"))
            reasons.append((o, func, callee, _reason(EXTRA_REASONS, o.file, func, callee)))
        theirs = sum(1 for *_, why in reasons if why == _ASYNC230)
        print(f"\nreported but not expected by flake8-async ({len(extras)}): {theirs} are calls "
              "flake8-async reports under a code that file does not enable, "
              f"{len(extras) - theirs} are blocking calls it does not see")
        for o, func, callee, why in reasons:
            print(f"  {o.file}:{o.line}:{o.column} {o.code} `{callee}()` in {func}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
