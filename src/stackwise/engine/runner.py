"""`check()`: the whole pipeline, discover -> analyse (parallel, cached) -> link -> report."""

from __future__ import annotations

import fnmatch
import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackwise._version import __version__
from stackwise.config import Settings, check_codes, find_root, load_settings
from stackwise.engine.cache import Cache, content_digest
from stackwise.engine.discover import Discovery, SourceFile
from stackwise.engine.extract import FileResult, analyse_source
from stackwise.engine.facts import FileFacts
from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Finding, Frame, Severity
from stackwise.rules.registry import all_rules, file_rules, project_rules

_RACY_NS = 2_000_000_000  # a file changed this close to its read is re-hashed next time
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
    """Read and analyse one file: (display, mtime_ns, size, digest, result, read_time_ns)."""
    def unreadable(reason: str) -> tuple[Any, ...]:
        finding = (1, 1, 1, 1, "SW000", f"could not analyse: {reason}", "error", "", ())
        return (sf.display, -1, -1, "", {"findings": [finding], "facts": None, "suppress": {}},
                0)

    try:
        st = os.stat(sf.fs_path)
        if st.st_size > settings.max_file_size:
            mb = st.st_size / 1_048_576
            limit = settings.max_file_size / 1_048_576
            return unreadable(
                f"the file is {mb:.1f} MiB, over max-file-size ({limit:.1f} MiB); raise "
                "[tool.stackwise] max-file-size to analyse it")
        with open(sf.fs_path, "rb") as fh:
            data = fh.read(settings.max_file_size + 1)
        read_ns = time.time_ns()
    except PermissionError:
        return unreadable("permission denied")
    except FileNotFoundError:
        return unreadable("the file disappeared while stackwise was running")
    except IsADirectoryError:
        return unreadable("it is a directory")
    except OSError as exc:
        return unreadable(f"cannot read: {exc.strerror or exc}")
    if len(data) > settings.max_file_size:
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
    except (BrokenProcessPool, OSError) as exc:
        warnings.append(f"parallel analysis failed ({type(exc).__name__}); finishing in one "
                        "process")
        out.extend(_analyse_one(sf, settings, verbose) for sf in todo if sf.display not in done)
    return out


# -- main side ------------------------------------------------------------------------------------


def _selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff-like: the most specific matching prefix wins; SW codes only go when ignored."""
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
    raw = f"{__version__}|{impl}|{settings.analysis_fingerprint()}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


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
    known = set(all_rules())
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
    files = discovery.files(path_list)
    warnings = list(discovery.warnings)

    folder: Path | None = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir else project_root / ".stackwise_cache"
    cache = Cache(folder, _cache_key(settings))
    index = cache.read("index") or {}
    cached_files: dict[str, Any] = index.get("files", {}) if isinstance(index, dict) else {}

    entries: dict[str, list[Any]] = {}
    todo: list[SourceFile] = []
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
                entry = [st.st_mtime_ns, st.st_size, *entry[2:]]
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
    fingerprint = hashlib.blake2b(
        repr(sorted((d, e[2], e[3]) for d, e in entries.items())).encode(), digest_size=16
    ).hexdigest()
    project_cached = index.get("project") if isinstance(index, dict) else None
    project_findings: dict[str, list[Any]]
    facts_store: dict[str, Any] = {}
    if (
        isinstance(project_cached, (list, tuple))
        and len(project_cached) == 2
        and project_cached[0] == fingerprint
        and not fresh
    ):
        project_findings = project_cached[1]
    else:
        cached_facts = cache.read("facts") if len(fresh) < len(entries) else None
        if not isinstance(cached_facts, dict):
            cached_facts = {}
        all_facts: dict[str, FileFacts] = {}
        missing: list[SourceFile] = []
        for sf in files:
            e = entries.get(sf.display)
            if e is None:
                continue
            if sf.display in fresh:
                raw = fresh[sf.display]["facts"]
            else:
                stored = cached_facts.get(sf.display)
                raw = stored[1] if isinstance(stored, (list, tuple)) and len(stored) == 2 \
                    and stored[0] == e[2] else None
                if raw is None and e[2]:
                    missing.append(sf)
                    continue
            facts_store[sf.display] = [e[2], raw]
            if raw is not None:
                try:
                    all_facts[sf.display] = FileFacts.from_raw(raw)
                except (KeyError, TypeError, ValueError):
                    missing.append(sf)
        if missing:  # the facts file was lost or damaged: re-analyse those files
            for display, mtime, size, digest, result, _ in _run_analysis(
                missing, settings, jobs, verbose, warnings
            ):
                sf2 = by_display[display]
                entries[display] = [mtime, size, digest, sf2.module, sf2.is_package,
                                    result["findings"], result["suppress"]]
                facts_store[display] = [digest, result["facts"]]
                if result["facts"] is not None:
                    all_facts[display] = FileFacts.from_raw(result["facts"])
            fingerprint = hashlib.blake2b(
                repr(sorted((d, e[2], e[3]) for d, e in entries.items())).encode(),
                digest_size=16).hexdigest()
        project_findings = _run_project_rules(all_facts, settings, verbose)
        cache.write("facts", facts_store)

    if use_cache and (todo or project_cached is None or project_cached[0] != fingerprint):
        cache.write("index", {"files": entries, "project": [fingerprint, project_findings]})
    warnings.extend(cache.warnings)

    per_file_ignores = settings.per_file_ignores
    findings: list[Finding] = []
    for sf in files:
        e = entries.get(sf.display)
        if e is None:
            continue
        suppress: dict[str, list[str]] = e[6]
        raw_findings = list(e[5]) + list(project_findings.get(sf.display, []))
        for raw in raw_findings:
            line, col, end_line, end_col, code, message, sev, function, chain = raw
            if not _selected(code, sel, ign):
                continue
            if per_file_ignores and _per_file_ignored(sf.display, code, per_file_ignores):
                continue
            codes = suppress.get(str(line))
            if codes is not None and (not codes or any(code.startswith(c) for c in codes)):
                continue
            findings.append(Finding(
                path=sf.display, line=line, column=col, code=code, message=message,
                end_line=end_line, end_column=end_col, severity=Severity(sev),
                chain=tuple(Frame(p, ln, fn) for p, ln, fn in chain), function=function,
            ))
    findings.sort()
    return CheckResult(
        findings=findings,
        files_checked=len(files),
        root=project_root,
        warnings=warnings,
        analysed=len(todo),
        seconds=time.perf_counter() - started,
    )


def _entry_valid(entry: Any, sf: SourceFile) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 7
        and entry[3] == sf.module
        and entry[4] == sf.is_package
        and isinstance(entry[5], list)
        and isinstance(entry[6], dict)
    )


def _digest_file(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return content_digest(fh.read())
    except OSError:
        return None


def _run_project_rules(
    facts: dict[str, FileFacts], settings: Settings, verbose: bool
) -> dict[str, list[Any]]:
    project = Project.link(facts, settings)
    reporter = ProjectReporter()
    for rule_cls in project_rules():
        try:
            rule_cls().check_project(project, reporter)
        except Exception as exc:  # a rule bug must not stop the run
            import traceback

            msg = f"internal error in rule {rule_cls.code}: {type(exc).__name__}: {exc}"
            if verbose:
                msg += "\n" + "".join(traceback.format_exception(exc))
            first = sorted(facts)[0] if facts else ""
            reporter.findings.setdefault(first, []).append(
                (1, 1, 1, 1, "SW001", msg, "error", "", ()))
    return {k: [list(f) for f in v] for k, v in reporter.findings.items()}
