"""`check()`: the whole pipeline, discover -> analyse (parallel, cached) -> link -> report."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import multiprocessing
import os
import stat
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackwise._version import __version__
from stackwise.config import Settings, check_codes, find_root, load_settings
from stackwise.engine.cache import Cache, content_digest
from stackwise.engine.discover import Discovery, SourceFile
from stackwise.engine.extract import FileResult, analyse_source
from stackwise.engine.facts import FileFacts
from stackwise.engine.project import Project, ProjectReporter, read_input
from stackwise.findings import Finding, Frame, Severity
from stackwise.rules.registry import all_rules, file_rules, project_rules

_RACY_NS = 2_000_000_000  # a file changed this close to its read is re-hashed next time
_CACHE_FORMAT = 3  # bump when the shape of what the cache stores changes
_SEVERITIES = frozenset(str(s) for s in Severity)
_PARALLEL_MIN = 24  # below this many files to analyse, one process is faster


@dataclass
class CheckResult:
    """What a check found. `findings` are sorted; `warnings` are for the user, not findings."""

    findings: list[Finding]
    files_checked: int
    root: Path
    warnings: list[str] = field(default_factory=list)
    analysed: int = 0  # files parsed this run (the rest came from the cache)
    seconds: float = 0.0


# -- worker side ----------------------------------------------------------------------------------

_WORKER_SETTINGS: Settings | None = None
_WORKER_VERBOSE = False


def _init_worker(settings: Settings, verbose: bool) -> None:
    global _WORKER_SETTINGS, _WORKER_VERBOSE
    _WORKER_SETTINGS = settings
    _WORKER_VERBOSE = verbose


def _analyse_one(sf: SourceFile, settings: Settings, verbose: bool) -> tuple[Any, ...]:
    """Read and analyse one file: (display, mtime_ns, size, digest, result, read_time_ns).

    Never raises: a file that cannot be read is one `SW000`, a bug in stackwise on this file is
    one `SW001`, and the run goes on."""
    try:
        return _read_and_analyse(sf, settings, verbose)
    except Exception as exc:
        msg = (f"internal error in stackwise while reading this file: {type(exc).__name__}: "
               f"{exc}; please report it (`--verbose` adds the traceback)")
        if verbose:
            msg += "\n" + "".join(traceback.format_exception(exc))
        return _not_analysed(sf, "SW001", msg)


def _not_analysed(sf: SourceFile, code: str, message: str) -> tuple[Any, ...]:
    # mtime -1 and no digest: never taken from the cache, so it is tried again next run
    finding = (1, 1, 1, 1, code, message, "error", "", ())
    return (sf.display, -1, -1, "", {"findings": [finding], "facts": None, "suppress": {}}, 0)


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))
"""Non-blocking so that a FIFO or a device named `*.py` cannot hang the run; regular files
ignore the flag."""


def _read_and_analyse(sf: SourceFile, settings: Settings, verbose: bool) -> tuple[Any, ...]:
    def unreadable(reason: str) -> tuple[Any, ...]:
        return _not_analysed(sf, "SW000", f"could not analyse: {reason}")

    limit = min(settings.max_file_size, sys.maxsize - 1)
    try:
        fd = os.open(sf.fs_path, _OPEN_FLAGS)
    except PermissionError:
        return unreadable("permission denied")
    except FileNotFoundError:
        if os.path.islink(sf.fs_path):
            return unreadable("it is a symbolic link to a file that does not exist")
        return unreadable("the file disappeared while stackwise was running")
    except OSError as exc:
        return unreadable(f"cannot read: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return unreadable("it is a directory")
        if not stat.S_ISREG(st.st_mode):
            return unreadable("it is not a regular file (a pipe, socket or device)")
        if st.st_size > limit:
            mb = st.st_size / 1_048_576
            return unreadable(
                f"the file is {mb:.1f} MiB, over max-file-size ({limit / 1_048_576:.1f} MiB); "
                "raise [tool.stackwise] max-file-size to analyse it")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(st.st_size + 1)  # the size stat gave, then whatever was appended
            while len(data) <= limit:
                more = fh.read(min(1 << 20, limit + 1 - len(data)))
                if not more:
                    break
                data += more
        read_ns = time.time_ns()
    except OSError as exc:
        return unreadable(f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > limit:
        return unreadable("the file grew past max-file-size while being read")
    result = analyse_source(data, sf.display, sf.module, sf.is_package, settings, file_rules(),
                            verbose)
    return (sf.display, st.st_mtime_ns, len(data), content_digest(data), result, read_ns)


def _analyse_batch(batch: list[SourceFile]) -> list[tuple[Any, ...]]:
    assert _WORKER_SETTINGS is not None
    return [_analyse_one(sf, _WORKER_SETTINGS, _WORKER_VERBOSE) for sf in batch]


def _batches(items: list[SourceFile], jobs: int) -> list[list[SourceFile]]:
    # big files first so the two workers finish together; many small batches for balance
    ordered = sorted(items, key=lambda sf: _size(sf.fs_path), reverse=True)
    n = max(1, min(len(ordered) // (jobs * 8) or 1, 32))
    return [ordered[i : i + n] for i in range(0, len(ordered), n)]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _run_analysis(
    todo: list[SourceFile], settings: Settings, jobs: int, verbose: bool, warnings: list[str]
) -> list[tuple[Any, ...]]:
    if jobs <= 1 or len(todo) < _PARALLEL_MIN:
        return [_analyse_one(sf, settings, verbose) for sf in todo]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    out: list[tuple[Any, ...]] = []
    done: set[str] = set()
    try:
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(settings, verbose)) as pool:
            for results in pool.map(_analyse_batch, _batches(todo, jobs)):
                out.extend(results)
                done.update(r[0] for r in results)
    except Exception as exc:  # BrokenProcessPool, or a result that does not pickle
        warnings.append(f"parallel analysis failed ({type(exc).__name__}); finishing in one "
                        "process")
        out.extend(_analyse_one(sf, settings, verbose) for sf in todo if sf.display not in done)
    return out


# -- main side ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # asked once per finding, for a handful of codes
def _selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff-like: the most specific matching prefix wins; SW codes only go when ignored.

    `select` and `ignore` must be tuples (hashable): the answer is memoised."""
    def best(prefixes: Sequence[str]) -> int:
        return max((len(p) for p in prefixes if p == "ALL" or code.startswith(p)), default=-1)

    sel = best(select) if select else 0
    if code.startswith("SW"):
        sel = max(sel, 0)
    ign = best(ignore)
    return sel >= 0 and sel > ign if ign >= 0 else sel >= 0


def _per_file_ignored(path: str, code: str, table: dict[str, tuple[str, ...]]) -> bool:
    for glob, codes in table.items():
        matches = fnmatch.fnmatchcase(path, glob) or path.startswith(glob.rstrip("/") + "/")
        if matches and any(code.startswith(c) or c == "ALL" for c in codes):
            return True
    return False


def _cache_key(settings: Settings) -> str:
    impl = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}"
    raw = (f"{__version__}|{_CACHE_FORMAT}|{_code_fingerprint()}|{impl}|"
           f"{settings.analysis_fingerprint()}")
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


@functools.cache
def _known_codes() -> frozenset[str]:
    """Every rule code (building the rules' metadata takes a while: once per process)."""
    return frozenset(all_rules())


@functools.cache
def _code_fingerprint() -> str:
    """Names, sizes and mtimes of stackwise's own files: in a development install the version
    does not change when a rule is edited, and a cache written by other code must not be used."""
    import stackwise

    base = os.path.dirname(os.path.abspath(stackwise.__file__))
    h = hashlib.blake2b(digest_size=8)
    for folder, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".toml", ".json")):
                try:
                    st = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                rel = os.path.relpath(os.path.join(folder, name), base)
                h.update(f"{rel}|{st.st_size}|{st.st_mtime_ns}\n".encode("utf-8", "replace"))
    return h.hexdigest()


def check(
    paths: Iterable[str | os.PathLike[str]] = (".",),
    *,
    settings: Settings | None = None,
    config: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    use_cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    verbose: bool = False,
) -> CheckResult:
    """Check `paths` and return every finding. Never imports or runs the analysed code.

    Raises `stackwise.config.ConfigError` for a bad configuration or an unknown rule code.
    """
    started = time.perf_counter()
    path_list = [Path(p) for p in paths] or [Path(".")]
    known = set(_known_codes())
    project_root = Path(root).resolve() if root is not None else find_root(
        path_list[0].resolve())
    if settings is None:
        settings = load_settings(project_root, Path(config) if config else None, known)
    check_codes(list(select or ()), known, "--select")
    check_codes(list(ignore or ()), known, "--ignore")
    sel = tuple(select) if select else settings.select
    ign = tuple(settings.ignore) + tuple(ignore or ())
    jobs = jobs or min(2, os.cpu_count() or 1)

    discovery = Discovery(project_root, settings)
    files = sorted(discovery.files(path_list), key=lambda sf: sf.display)  # any walk order
    warnings = list(discovery.warnings)

    folder: Path | None = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir else project_root / ".stackwise_cache"
    cache = Cache(folder, _cache_key(settings))
    cached_files, project_cached = _load_index(cache.read("index") if use_cache else None)

    entries: dict[str, list[Any]] = {}
    todo: list[SourceFile] = []
    refreshed = False  # some entry's stat data changed (same content): write the index
    for sf in files:
        entry = cached_files.get(sf.display)
        if entry is not None and _entry_valid(entry, sf):
            try:
                st = os.stat(sf.fs_path)
            except OSError:
                todo.append(sf)
                continue
            if entry[0] == st.st_mtime_ns and entry[1] == st.st_size and entry[0] > 0:
                entries[sf.display] = entry
                continue
            digest = _digest_file(sf.fs_path)
            if digest is not None and digest == entry[2]:
                mtime = st.st_mtime_ns if time.time_ns() - st.st_mtime_ns >= _RACY_NS else 0
                refreshed = refreshed or mtime != entry[0]
                entry = [mtime, st.st_size, *entry[2:]]
                entries[sf.display] = entry
                continue
        todo.append(sf)

    by_display = {sf.display: sf for sf in files}
    fresh: dict[str, FileResult] = {}
    for display, mtime, size, digest, result, read_ns in _run_analysis(
        todo, settings, jobs, verbose, warnings
    ):
        sf_module = by_display[display]
        if read_ns and read_ns - mtime < _RACY_NS:
            mtime = 0  # too fresh to trust the timestamp next time
        fresh[display] = result
        entries[display] = [mtime, size, digest, sf_module.module, sf_module.is_package,
                            result["findings"], result["suppress"]]

    # facts: fresh ones, plus cached ones for unchanged files (read only when something changed)
    inputs = _project_inputs(settings, project_root)
    fingerprint = hashlib.blake2b(
        repr((inputs, sorted((d, e[2], e[3]) for d, e in entries.items()))).encode(),
        digest_size=16,
    ).hexdigest()
    project_findings: dict[str, list[Any]]
    project_inputs: dict[str, str | None] = {}
    facts_store: dict[str, Any] = {}
    missing: list[SourceFile] = []
    if (project_cached is not None and project_cached[0] == fingerprint and not fresh
            and _inputs_unchanged(str(project_root), project_cached[2], settings.max_file_size)):
        project_findings, project_inputs = project_cached[1], project_cached[2]
    else:
        cached_facts = cache.read("facts") if len(fresh) < len(entries) else None
        if not isinstance(cached_facts, dict):
            cached_facts = {}
        all_facts: dict[str, FileFacts] = {}
        for sf in files:
            e = entries.get(sf.display)
            if e is None:
                continue
            if sf.display in fresh:
                raw = fresh[sf.display]["facts"]
            else:
                stored = cached_facts.get(sf.display)
                if (isinstance(stored, (list, tuple)) and len(stored) == 2
                        and stored[0] == e[2]):
                    raw = stored[1]  # None for a file that has no facts (it did not parse)
                elif e[2]:
                    missing.append(sf)
                    continue
                else:
                    raw = None
            facts_store[sf.display] = [e[2], raw]
            if raw is not None:
                try:
                    all_facts[sf.display] = FileFacts.from_raw(raw)
                except Exception:  # facts of another shape: analyse the file again
                    missing.append(sf)
        if missing:  # the facts file was lost or damaged: re-analyse those files
            for display, mtime, size, digest, result, read_ns in _run_analysis(
                missing, settings, jobs, verbose, warnings
            ):
                if read_ns and read_ns - mtime < _RACY_NS:
                    mtime = 0
                sf2 = by_display[display]
                entries[display] = [mtime, size, digest, sf2.module, sf2.is_package,
                                    result["findings"], result["suppress"]]
                facts_store[display] = [digest, result["facts"]]
                if result["facts"] is not None:
                    all_facts[display] = FileFacts.from_raw(result["facts"])
            fingerprint = hashlib.blake2b(
                repr((inputs, sorted((d, e[2], e[3]) for d, e in entries.items()))).encode(),
                digest_size=16).hexdigest()
        project_findings, project_inputs = _run_project_rules(
            all_facts, settings, verbose, str(project_root))
        cache.write("facts", facts_store)

    if use_cache and (todo or missing or refreshed or project_cached is None
                      or project_cached[0] != fingerprint or project_cached[2] != project_inputs):
        cache.write("index", {"files": entries,
                              "project": [fingerprint, project_findings, project_inputs]})
    warnings.extend(cache.warnings)

    per_file_ignores = settings.per_file_ignores
    findings: list[Finding] = []
    # project rules may report on files that are not Python (templates): no inline suppression
    others = sorted(p for p in project_findings if p not in by_display)
    sources = [(sf.display, entries.get(sf.display)) for sf in files]
    for display, e in [*sources, *((p, None) for p in others)]:
        if e is None and display in by_display:
            continue
        suppress: dict[str, list[str]] = e[6] if e is not None else {}
        raw_findings = (list(e[5]) if e is not None else []) + list(
            project_findings.get(display, []))
        for raw in raw_findings:
            line, col, end_line, end_col, code, message, sev, function, chain = raw
            if not _selected(code, sel, ign):
                continue
            if per_file_ignores and _per_file_ignored(display, code, per_file_ignores):
                continue
            codes = suppress.get(str(line))
            if codes is not None and (not codes or any(code.startswith(c) for c in codes)):
                continue
            findings.append(Finding(
                path=display, line=line, column=col, code=code, message=message,
                end_line=end_line, end_column=end_col, severity=Severity(sev),
                chain=tuple(Frame(p, ln, fn) for p, ln, fn in chain), function=function,
            ))
    findings.sort()
    return CheckResult(
        findings=findings,
        files_checked=len(files),
        root=project_root,
        warnings=warnings,
        analysed=len(todo) + len(missing),
        seconds=time.perf_counter() - started,
    )


_ProjectCache = tuple[str, dict[str, list[Any]], dict[str, str | None]]


def _load_index(index: Any) -> tuple[dict[str, Any], _ProjectCache | None]:
    """The per-file entries and the project findings of a cache index, checked for shape.

    The digest already rules out damage; this rules out a cache of another shape under the same
    key (a development build), so that a cache can never make `check` raise. Anything that does
    not fit is dropped and recomputed."""
    if not isinstance(index, dict):
        return {}, None
    files = index.get("files")
    project = index.get("project")
    project_ok: _ProjectCache | None = None
    if (
        isinstance(project, (list, tuple))
        and len(project) == 3
        and isinstance(project[0], str)
        and isinstance(project[2], dict)
        and all(isinstance(k, str) and (v is None or isinstance(v, str))
                for k, v in project[2].items())
        and isinstance(project[1], dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(_raw_finding_ok(f) for f in v)
            and not any(f[4] == "SW001" for f in v)  # internal errors are always recomputed
            for k, v in project[1].items()
        )
    ):
        project_ok = (project[0], project[1], project[2])
    return (files if isinstance(files, dict) else {}), project_ok


def _raw_finding_ok(raw: Any) -> bool:
    return (
        isinstance(raw, (list, tuple))
        and len(raw) == 9
        and all(type(v) is int for v in raw[:4])
        and all(isinstance(v, str) for v in raw[4:8])
        and raw[6] in _SEVERITIES
        and isinstance(raw[8], (list, tuple))
        and all(
            isinstance(fr, (list, tuple)) and len(fr) == 3 and isinstance(fr[0], str)
            and type(fr[1]) is int and isinstance(fr[2], str)
            for fr in raw[8]
        )
    )


def _entry_valid(entry: Any, sf: SourceFile) -> bool:
    """A cached entry can stand in for analysing `sf` again (its content is checked after)."""
    return (
        isinstance(entry, list)
        and len(entry) == 7
        and type(entry[0]) is int
        and type(entry[1]) is int
        and isinstance(entry[2], str)
        and entry[2] != ""
        and entry[3] == sf.module
        and entry[4] == sf.is_package
        and isinstance(entry[5], list)
        and all(_raw_finding_ok(f) and f[4] != "SW001" for f in entry[5])
        and isinstance(entry[6], dict)
        and all(isinstance(k, str) and isinstance(v, list)
                and all(isinstance(c, str) for c in v) for k, v in entry[6].items())
    )


def _digest_file(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return content_digest(fh.read())
    except OSError:
        return None


# Files besides the analysed code that project rules read: the pytest configuration (TST900).
# Their contents are part of the project fingerprint, so editing one re-runs the project rules.
_PROJECT_INPUT_FILES = ("pyproject.toml", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg")


def _project_inputs(settings: Settings, root: Path) -> str:
    """What project findings depend on besides the files' facts: the contracts in the settings
    (layers, features) and the root's config files."""
    parts = [repr(settings.layers), repr(sorted(settings.features.items(), key=repr))]
    for name in _PROJECT_INPUT_FILES:
        digest = _digest_file(str(root / name))
        parts.append(f"{name}:{digest or '-'}")
    return "|".join(parts)


def _inputs_unchanged(root: str, inputs: dict[str, str | None], limit: int) -> bool:
    """Every non-Python file the project rules read last time still has the same content (and
    every one they looked for in vain is still absent)."""
    for rel, digest in inputs.items():
        data = read_input(root, rel, limit)
        if (None if data is None else content_digest(data)) != digest:
            return False
    return True


def _run_project_rules(
    facts: dict[str, FileFacts], settings: Settings, verbose: bool, root: str = ""
) -> tuple[dict[str, list[Any]], dict[str, str | None]]:
    first = min(facts) if facts else ""  # where a project-wide internal error is reported

    def internal(what: str, exc: Exception) -> list[Any]:
        msg = (f"{what}: {type(exc).__name__}: {exc}; the other rules still ran; please report "
               "it (`--verbose` adds the traceback)")
        if verbose:
            msg += "\n" + "".join(traceback.format_exception(exc))
        return [1, 1, 1, 1, "SW001", msg, "error", "", ()]

    try:
        project = Project.link(facts, settings, root=root)
    except Exception as exc:  # a bug in the linker: report it, the per-file findings stand
        return {first: [internal("internal error in stackwise while linking the project", exc)]}, {}
    reporter = ProjectReporter()
    for rule_cls in project_rules():
        try:
            rule_cls().check_project(project, reporter)
        except Exception as exc:  # a rule bug must not stop the run
            reporter.findings.setdefault(first, []).append(tuple(internal(
                f"internal error in rule {rule_cls.code} (a project-wide rule)", exc)))
    return {k: [list(f) for f in v] for k, v in reporter.findings.items()}, dict(project.inputs)
