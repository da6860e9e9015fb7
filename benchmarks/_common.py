"""Shared helpers for the benchmark scripts: corpora, tool installs, measured runs, tables.

Everything lands in the gitignored `benchmarks/.work/`: downloaded archives (`pip download
--no-deps`), unpacked corpora (each under a folder holding an empty `[tool.stackwise]` table so
that stackwise treats it as its own project), virtualenvs for the peers and for Python 3.13, and
the caches of the stackwise runs. Downloads are reused by later runs (`--refresh` fetches again).

A measured run is one child process started from here: wall time with `time.perf_counter`, the
peak resident memory of the largest process in its tree from `os.wait4` (`ru_maxrss` covers the
child and every descendant it waited for), and the peak of the whole tree's proportional set
size (PSS, so pages shared by forked workers count once), sampled from /proc (every 50 ms for
the first two seconds, then every 250 ms, to leave the CPU to the measured tool).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
BARE_PARSE = BENCH / "_bare_parse.py"
PY313_CANDIDATES = ("/root/.pyenv/versions/3.13.0/bin/python", "python3.13", "python3.14")
PEERS = ("ruff", "flake8", "flake8-async", "blockpath")
DEFAULT_TIMEOUT = 900.0


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# -- interpreters and virtualenvs -------------------------------------------------------------


def python_version(python: str) -> tuple[int, int, int]:
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:3])"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


def find_python(minimum: tuple[int, int], given: str | None = None) -> str | None:
    """An interpreter at least `minimum`: `given` if any, else sys.executable, else a known one."""
    candidates = [given] if given else [sys.executable, *PY313_CANDIDATES]
    for cand in candidates:
        path = cand if os.path.isabs(cand) else shutil.which(cand)
        if path and os.path.exists(path):
            with contextlib.suppress(OSError, subprocess.CalledProcessError, ValueError):
                if python_version(path)[:2] >= minimum:
                    return path
    return None


def ensure_venv(folder: Path, base_python: str, packages: Sequence[str],
                editable: Path | None = None) -> Path:
    """A virtualenv in `folder` with `packages` (and `editable` installed with -e); its python."""
    python = folder / "bin" / "python"
    stamp = folder / ".bench-installed"
    wanted = json.dumps({"packages": list(packages), "editable": str(editable or "")})
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        log(f"creating virtualenv {folder.relative_to(REPO)} with {base_python}")
        subprocess.run([base_python, "-m", "venv", str(folder)], check=True)
    args = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            *packages]
    if editable is not None:
        args += ["-e", str(editable)]
    log(f"installing {' '.join(packages)}{' + -e ' + str(editable) if editable else ''}")
    subprocess.run(args, check=True)
    stamp.write_text(wanted)
    return python


def tools_venv(python: str) -> Path:
    """The peers' virtualenv (blockpath needs Python 3.12+); returns its bin folder."""
    ensure_venv(WORK / "tools-venv", python, PEERS)
    return WORK / "tools-venv" / "bin"


def tool_version(binary: Path, *args: str) -> str:
    try:
        out = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


# -- corpora ----------------------------------------------------------------------------------


@dataclass
class Corpus:
    """A tree to check. `root` holds a `pyproject.toml` with an empty `[tool.stackwise]`."""

    name: str
    root: Path
    description: str
    edit: Path  # the file the "one file edited" run changes


def pip_download(python: str, requirement: str, binary: bool, refresh: bool = False,
                 for_python: str | None = None) -> Path:
    """`pip download --no-deps` one sdist (binary=False) or wheel into .work/downloads.

    `for_python` (wheels only) asks for the newest wheel for that Python version instead of the
    running one's (pip's `--python-version`).
    """
    name = re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].lower().replace("-", "_")
    dest = WORK / "downloads" / ("wheel" if binary else "sdist") / name
    existing = _archives(dest, name)
    if existing and not refresh:
        return existing[-1]
    dest.mkdir(parents=True, exist_ok=True)
    kind = ["--only-binary", ":all:"] if binary else ["--no-binary", ":all:"]
    if binary and for_python:
        kind += ["--python-version", for_python]
    log(f"pip download --no-deps {' '.join(kind)} {requirement}")
    subprocess.run([python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--no-deps", *kind, "-d", str(dest), requirement], check=True)
    found = _archives(dest, name)
    if not found:
        raise RuntimeError(f"pip download of {requirement} left no archive in {dest}")
    return found[-1]


def _archives(folder: Path, name: str) -> list[Path]:
    if not folder.is_dir():
        return []
    out = [p for p in folder.iterdir()
           if p.name.lower().replace("-", "_").startswith(name + "_")
           and p.name.endswith((".whl", ".tar.gz", ".zip"))]
    return sorted(out, key=lambda p: p.stat().st_mtime)


def _version_from(archive: Path) -> str:
    stem = archive.name.removesuffix(".tar.gz").removesuffix(".zip").removesuffix(".whl")
    parts = stem.split("-")
    return parts[1] if len(parts) > 1 else "?"


def _project_root(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        "# a stackwise project of its own, so no outer configuration applies\n"
        "[tool.stackwise]\n", encoding="utf-8")


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack a wheel, zip or tar.gz into `dest` (once: a marker file says it is complete)."""
    marker = dest / ".bench-unpacked"
    if marker.exists() and marker.read_text() == archive.name:
        return
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    log(f"unpacking {archive.name}")
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise RuntimeError(f"unsafe path in {archive.name}: {member}")
            zf.extractall(tmp)
    else:
        with tarfile.open(archive) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(tmp, filter="data")
            else:  # pragma: no cover - old Pythons
                for m in tf.getmembers():
                    if m.name.startswith("/") or ".." in Path(m.name).parts:
                        raise RuntimeError(f"unsafe path in {archive.name}: {m.name}")
                tf.extractall(tmp)
    _project_root(tmp)
    tmp.rename(dest)
    marker.write_text(archive.name)


def _pick_edit(root: Path, preferred: str) -> Path:
    path = root / preferred
    if path.exists():
        return path
    files = sorted(root.rglob("*.py"), key=lambda p: (p.stat().st_size, str(p)))
    return files[len(files) // 2]


def stdlib_corpus(python: str) -> Corpus:
    """A copy of `python`'s standard library without its test suites, in .work/corpora."""
    major, minor, micro = python_version(python)
    src = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    dest = WORK / "corpora" / f"stdlib-{major}.{minor}.{micro}"
    marker = dest / ".bench-unpacked"
    if not (marker.exists() and marker.read_text() == str(src)):
        if dest.exists():
            shutil.rmtree(dest)
        log(f"copying the standard library from {src}")
        skip_dirs = {"test", "tests", "site-packages", "__pycache__", "idle_test"}
        for folder, dirs, names in os.walk(src):
            dirs[:] = sorted(d for d in dirs if d not in skip_dirs
                             and not d.startswith(("config-", "lib-dynload")))
            rel = Path(folder).relative_to(src)
            for n in names:
                if n.endswith(".py"):
                    (dest / "lib" / rel).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(Path(folder) / n, dest / "lib" / rel / n)
        _project_root(dest)
        marker.write_text(str(src))
    return Corpus(
        name="stdlib", root=dest,
        description=f"Python {major}.{minor}.{micro} standard library, without test, tests, "
                    "idlelib/idle_test, lib2to3/tests",
        edit=_pick_edit(dest, "lib/asyncio/base_events.py"),
    )


def django_corpus(python: str, refresh: bool = False) -> Corpus:
    """The latest Django sdist this Python can install (django/, tests/, docs/, scripts/)."""
    archive = pip_download(python, "django", binary=False, refresh=refresh)
    version = _version_from(archive)
    dest = WORK / "corpora" / f"django-{version}"
    _unpack(archive, dest)
    return Corpus(
        name="django", root=dest,
        description=f"Django {version} sdist (the django package, its tests, docs and scripts)",
        edit=_pick_edit(dest, f"django-{version}/django/db/models/query.py"),
    )


def homeassistant_corpus(python313: str, refresh: bool = False) -> Corpus:
    """The latest Home Assistant core wheel for this Python's minor version.

    Home Assistant asks for a recent patch release (e.g. >=3.13.2); the grammar does not change
    between patch releases, so the newest wheel for any 3.X.* is asked for and parsed with 3.X.
    """
    major, minor, _ = python_version(python313)
    archive = pip_download(python313, "homeassistant", binary=True, refresh=refresh,
                           for_python=f"{major}.{minor}.99")
    version = _version_from(archive)
    dest = WORK / "corpora" / f"homeassistant-{version}"
    _unpack(archive, dest)
    return Corpus(
        name="homeassistant", root=dest,
        description=f"Home Assistant core {version} wheel",
        edit=_pick_edit(dest, "homeassistant/core.py"),
    )


# -- measured runs ----------------------------------------------------------------------------


@dataclass
class Measured:
    argv: list[str]
    returncode: int
    wall: float  # seconds
    maxrss_mb: float  # largest single process in the tree
    tree_mb: float  # sampled peak of the tree's summed PSS
    cpu: float  # user + system seconds of the whole tree (waited-for descendants included)
    stdout: str
    stderr: str
    timed_out: bool = False


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            continue
    return out


def _memory_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_kb(pid: int) -> int:
    """Summed PSS of `pid` and all its descendants (0 where /proc is not there)."""
    total = 0
    stack = [pid]
    seen: set[int] = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _memory_kb(p)
        stack.extend(_children(p))
    return total


def measure(argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> Measured:
    """Run `argv` once in a new session and measure it (see the module docstring)."""
    argv = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, start_new_session=True)
        stop = threading.Event()
        peak = [0]
        timed_out = [False]

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_memory_kb(proc.pid))
                if time.perf_counter() - started > timeout:
                    timed_out[0] = True
                    with contextlib.suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return
                # reading smaps costs CPU the measured tool could use: sample less as it runs
                stop.wait(0.05 if time.perf_counter() - started < 2 else 0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            argv=argv, returncode=proc.returncode, wall=wall,
            maxrss_mb=usage.ru_maxrss / 1024, tree_mb=peak[0] / 1024,
            cpu=usage.ru_utime + usage.ru_stime,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=timed_out[0],
        )


# -- rows and tables ----------------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    files: int | None
    wall: float | None
    maxrss_mb: float | None
    tree_mb: float | None
    findings: int | None
    note: str = ""
    cpu: float | None = None
    per_code: Counter[str] = field(default_factory=Counter)
    unparsed: list[str] = field(default_factory=list)

    @classmethod
    def failed(cls, tool: str, m: Measured | None, why: str) -> Row:
        return cls(tool, None, m.wall if m else None, m.maxrss_mb if m else None,
                   m.tree_mb if m else None, None, note=why, cpu=m.cpu if m else None)


def _fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(title: str, rows: Sequence[Row]) -> None:
    print()
    print(title)
    width = max(len(r.tool) for r in rows)
    head = (f"  {'tool':<{width}}  {'files':>6}  {'wall s':>7}  {'cpu s':>7}  {'peak MB':>8}  "
            f"{'tree MB':>8}  {'findings':>8}")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in rows:
        line = (f"  {r.tool:<{width}}  {_fmt(r.files, ',d'):>6}  {_fmt(r.wall, '.2f'):>7}  "
                f"{_fmt(r.cpu, '.2f'):>7}  {_fmt(r.maxrss_mb, '.0f'):>8}  {_fmt(r.tree_mb, '.0f'):>8}  "
                f"{_fmt(r.findings, ',d'):>8}")
        if r.note:
            line += f"  {r.note}"
        print(line)
    print("  (cpu s: user+system time of the whole process tree; peak MB: largest process in "
          "the tree, ru_maxrss;\n   tree MB: sampled peak of the summed PSS of the whole process "
          "tree)")


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


# -- the tools --------------------------------------------------------------------------------


def run_bare(python: str, corpus: Corpus, timeout: float, walk: bool = False) -> Row:
    """The bare 2-process parse; with `walk`, each tree also walked once doing nothing."""
    label = "parse + empty walk (2 processes)" if walk else "bare parse (2 processes)"
    m = measure([python, str(BARE_PARSE), str(corpus.root), "--jobs", "2",
                 *(["--walk"] if walk else [])], timeout=timeout)
    if m.returncode != 0 or m.timed_out:
        return Row.failed(label, m, _why(m))
    data = json.loads(m.stdout.strip().splitlines()[-1])
    note = f"{data['errors']} files do not parse" if data["errors"] else ""
    return Row(label, data["files"], m.wall, m.maxrss_mb, m.tree_mb, None,
               note=note, unparsed=list(data["error_files"]), cpu=m.cpu)


def run_ruff(tools: Path, corpus: Corpus, timeout: float) -> Row:
    ruff = tools / "ruff"
    label = "ruff check --select ASYNC"
    if not ruff.exists():
        return Row.failed(label, None, "ruff not installed")
    m = measure([ruff, "check", "--isolated", "--no-cache", "--select", "ASYNC", "--exit-zero",
                 "--output-format", "json", "."], cwd=corpus.root, timeout=timeout)
    if m.returncode != 0 or m.timed_out:
        return Row.failed(label, m, _why(m))
    findings = json.loads(m.stdout or "[]")
    per_code = Counter(f.get("code") or "E999" for f in findings)
    listed = subprocess.run([str(ruff), "check", "--isolated", "--show-files", "."],
                            cwd=corpus.root, capture_output=True, text=True)
    files = sum(1 for line in listed.stdout.splitlines() if line.endswith(".py"))
    return Row(label, files or None, m.wall, m.maxrss_mb, m.tree_mb, len(findings),
               per_code=per_code, cpu=m.cpu)


def run_flake8(tools: Path, corpus: Corpus, timeout: float) -> Row:
    flake8 = tools / "flake8"
    label = "flake8 + flake8-async --select ASYNC"
    if not flake8.exists():
        return Row.failed(label, None, "flake8 not installed")
    m = measure([flake8, "--isolated", "--select", "ASYNC", "--jobs", "2", "--exit-zero", "."],
                cwd=corpus.root, timeout=timeout)
    if m.returncode != 0 or m.timed_out:
        return Row.failed(label, m, _why(m))
    lines = [ln for ln in m.stdout.splitlines() if ln.strip()]
    per_code = Counter(ln.split(": ", 1)[1].split()[0] for ln in lines if ": " in ln)
    return Row(label, None, m.wall, m.maxrss_mb, m.tree_mb, len(lines), per_code=per_code,
               cpu=m.cpu)


def run_blockpath(tools: Path, corpus: Corpus, timeout: float) -> Row:
    blockpath = tools / "blockpath"
    label = "blockpath check"
    if not blockpath.exists():
        return Row.failed(label, None, "blockpath not installed")
    m = measure([blockpath, "check", "--no-config", "--json", "."], cwd=corpus.root,
                timeout=timeout)
    if m.timed_out or m.returncode not in (0, 1):
        return Row.failed(label, m, _why(m))
    try:
        data = json.loads(m.stdout)
    except json.JSONDecodeError:
        return Row.failed(label, m, "unreadable JSON output")
    items = data.get("findings", data) if isinstance(data, dict) else data
    files = data.get("files") if isinstance(data, dict) else None
    items = items if isinstance(items, list) else []
    per_code = Counter(str(f.get("code", "?")) for f in items if isinstance(f, dict))
    return Row(label, files if isinstance(files, int) else None, m.wall, m.maxrss_mb,
               m.tree_mb, len(items), per_code=per_code, cpu=m.cpu)


_VERBOSE_LINE = re.compile(r"stackwise: (\d+) files, (\d+) analysed, ([\d.]+)s")


def run_stackwise(python: str, corpus: Corpus, label: str, cache: Path | None,
                  timeout: float, select: str | None = None) -> Row:
    out = WORK / "out" / f"{corpus.name}-{label.split()[0]}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [python, "-m", "stackwise", "check", ".", "--format", "json", "-o", str(out),
            "--exit-zero", "-v"]
    argv += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    if select:
        argv += ["--select", select]
    tool = f"stackwise check ({label})"
    m = measure(argv, cwd=corpus.root, timeout=timeout)
    if m.returncode != 0 or m.timed_out:
        return Row.failed(tool, m, _why(m))
    findings = json.loads(out.read_text(encoding="utf-8"))
    per_code = Counter(f["code"] for f in findings)
    unparsed = sorted({f["path"] for f in findings if f["code"] == "SW000"})
    match = _VERBOSE_LINE.search(m.stderr)
    files = int(match.group(1)) if match else None
    note = f"{match.group(2)} analysed" if match else ""
    return Row(tool, files, m.wall, m.maxrss_mb, m.tree_mb, len(findings), note=note,
               per_code=per_code, unparsed=unparsed, cpu=m.cpu)


def stackwise_runs(python: str, corpus: Corpus, timeout: float,
                   select: str | None = None) -> tuple[Row, Row, Row]:
    """cold (empty cache, which it fills), warm (nothing changed), one file edited."""
    cache = WORK / "cache" / f"{corpus.name}-{Path(python).parent.parent.name}"
    if cache.exists():
        shutil.rmtree(cache)
    cold = run_stackwise(python, corpus, "cold, no cache", cache, timeout, select)
    warm = run_stackwise(python, corpus, "warm, cache", cache, timeout, select)
    original = corpus.edit.read_bytes()
    try:
        corpus.edit.write_bytes(original + b"\n# edited by the stackwise benchmark\n")
        touched = run_stackwise(python, corpus, "one file edited", cache, timeout, select)
    finally:
        corpus.edit.write_bytes(original)
    touched.note = (touched.note + f"; edited {corpus.edit.relative_to(corpus.root)}").lstrip("; ")
    return cold, warm, touched


def _why(m: Measured) -> str:
    if m.timed_out:
        return f"timed out after {m.wall:.0f}s"
    tail = (m.stderr.strip().splitlines() or ["?"])[-1][:120]
    return f"failed (exit {m.returncode}): {tail}"


def per_code_line(row: Row) -> str:
    if not row.per_code:
        return "none"
    return ", ".join(f"{code} {n:,}" for code, n in sorted(row.per_code.items()))


def peer_rows(python: str, corpus: Corpus, tools: Path | None, timeout: float,
              with_flake8: bool) -> list[Row]:
    """The bare parse, then (when the peers are installed) ruff, flake8 + flake8-async if asked,
    and blockpath on `corpus`: the rows both benchmarks print before stackwise's."""
    rows = [safe(lambda: run_bare(python, corpus, timeout), "bare parse")]
    if tools is not None:
        rows.append(safe(lambda: run_ruff(tools, corpus, timeout), "ruff"))
        if with_flake8:
            rows.append(safe(lambda: run_flake8(tools, corpus, timeout), "flake8"))
        rows.append(safe(lambda: run_blockpath(tools, corpus, timeout), "blockpath"))
    return rows


def faster_or_slower(cold: Row, peer: Row) -> str | None:
    """`2.31x faster (1.20s vs 2.77s)` for stackwise cold against a peer, or None unmeasured."""
    if peer.wall is None or cold.wall is None:
        return None
    faster = (f"{peer.wall / cold.wall:.2f}x faster" if cold.wall < peer.wall
              else f"{cold.wall / peer.wall:.2f}x slower")
    return f"{faster} ({cold.wall:.2f}s vs {peer.wall:.2f}s)"


def safe(fn: Callable[[], Row], label: str) -> Row:
    """Run one measurement; a crash in one tool is a row that says so, not a crashed script."""
    try:
        return fn()
    except Exception as exc:  # the benchmark must print what it has
        return Row.failed(label, None, f"error: {type(exc).__name__}: {exc}")
