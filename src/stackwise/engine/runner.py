"""`check()`: the whole pipeline, discover -> analyse (parallel, cached) -> link -> report."""

from __future__ import annotations

import fnmatch
import functools
import gc
import hashlib
import os
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackwise._version import __version__
from stackwise.config import Settings, check_codes, find_root, load_settings
from stackwise.engine.cache import Cache, FactsStore, content_digest, prune
from stackwise.engine.discover import Discovery, SourceFile
from stackwise.engine.inputs import read_input
from stackwise.findings import Finding, Frame, Severity
from stackwise.rules.registry import COLLECTOR, FILE, PROJECT, RuleRef

if TYPE_CHECKING:  # imported when a file must be analysed or the project linked: a warm run
    # that finds every result in its cache never loads the analysis code or the rules
    from stackwise.engine.extract import FileResult, Needs
    from stackwise.engine.facts import FileFacts
    from stackwise.engine.project import Project
    from stackwise.rules._api import ProjectRule, Rule

_RACY_NS = 2_000_000_000  # a file changed this close to its read is re-hashed next time
_CACHE_FORMAT = 4  # bump when the shape of what the cache stores changes
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
_WORKER_RULES: tuple[type[Rule], ...] = ()


def _init_worker(settings: Settings, verbose: bool, rules: tuple[type[Rule], ...]) -> None:
    global _WORKER_SETTINGS, _WORKER_VERBOSE, _WORKER_RULES
    _WORKER_SETTINGS = settings
    _WORKER_VERBOSE = verbose
    _WORKER_RULES = rules


def _analyse_one(sf: SourceFile, settings: Settings, verbose: bool,
                 rules: tuple[type[Rule], ...],
                 needs: Needs | None = None) -> tuple[Any, ...]:
    """Read and analyse one file: (display, mtime_ns, size, digest, result, read_time_ns).

    With `needs` (see `_reach_needs`), a file that no rule of them may report on is only skimmed
    (`extract.skim`). Never raises: a file that cannot be read is one `SW000`, a bug in
    stackwise on this file is one `SW001`, and the run goes on."""
    try:
        return _read_and_analyse(sf, settings, verbose, rules, needs)
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


def _read_and_analyse(sf: SourceFile, settings: Settings, verbose: bool,
                      rules: tuple[type[Rule], ...],
                      needs: Needs | None) -> tuple[Any, ...]:
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
    from stackwise.engine.extract import analyse_source, skim

    result = skim(data, sf.display, needs) if needs is not None else None
    if result is None:
        result = analyse_source(data, sf.display, sf.module, sf.is_package, settings, rules,
                                verbose)
    return (sf.display, st.st_mtime_ns, len(data), content_digest(data), result, read_ns)


def _analyse_batch(batch: list[SourceFile],
                   needs: Needs | None) -> list[tuple[Any, ...]]:
    assert _WORKER_SETTINGS is not None
    return [_analyse_one(sf, _WORKER_SETTINGS, _WORKER_VERBOSE, _WORKER_RULES, needs)
            for sf in batch]


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


def _os_threads() -> int:
    """Threads of this process as the OS counts them (Linux), including those that Python's
    `threading` does not know about (started from C, or with `_thread` as pytest-xdist's
    execnet does); 1 where that cannot be read."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def fork_is_safe() -> bool:
    """Whether this process may `fork` (the analysis workers, the project rules' second
    process): on Linux only (macOS system libraries are not safe in a forked child), and with
    no other thread, which could hold a lock the child would wait on forever (an MCP server,
    a test runner, an IDE; Python 3.12+ warns about it)."""
    return sys.platform.startswith("linux") and max(
        threading.active_count(), _os_threads()) == 1


class _Workers:
    """Analyses a run's files: in this process, or on `jobs` worker processes started on first
    need and kept for the run's later batches (the files async code reaches come in rounds,
    `_link_reach`). `close()` ends them; a pool that breaks leaves the rest to this process."""

    def __init__(self, settings: Settings, jobs: int, verbose: bool, warnings: list[str],
                 rules: Callable[[], tuple[type[Rule], ...]]) -> None:
        self.settings = settings
        self.jobs = jobs
        self.verbose = verbose
        self.warnings = warnings
        self.rules = rules
        self._pool: Any = None  # a ProcessPoolExecutor, once started
        self._broken = False

    def run(self, todo: list[SourceFile], needs: Needs | None = None
            ) -> list[tuple[Any, ...]]:
        """`_analyse_one` of each file (in any order)."""
        if not todo:
            return []
        rules = self.rules()
        small = len(todo) < (2 if self._pool is not None else _PARALLEL_MIN)
        if self.jobs <= 1 or self._broken or small:
            return [_analyse_one(sf, self.settings, self.verbose, rules, needs) for sf in todo]
        out: list[tuple[Any, ...]] = []
        done: set[str] = set()
        try:
            pool = self._pool if self._pool is not None else self._start(rules)
            batches = _batches(todo, self.jobs)
            for results in pool.map(_analyse_batch, batches, [needs] * len(batches)):
                out.extend(results)
                done.update(r[0] for r in results)
        except Exception as exc:  # BrokenProcessPool, or a result that does not pickle
            self._broken = True
            self.close()
            self.warnings.append(f"parallel analysis failed ({type(exc).__name__}); finishing "
                                 "in one process")
            out.extend(_analyse_one(sf, self.settings, self.verbose, rules, needs)
                       for sf in todo if sf.display not in done)
        return out

    def _start(self, rules: tuple[type[Rule], ...]) -> Any:
        import multiprocessing  # only a cold run needs them (and they take a while to import)
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        # fork is the fastest start; where it is not safe the workers come from a clean
        # server process instead (or spawn, on Windows)
        forkable = fork_is_safe() and "fork" in methods
        method = ("fork" if forkable else "forkserver" if "forkserver" in methods else None)
        self._pool = ProcessPoolExecutor(
            self.jobs, mp_context=multiprocessing.get_context(method),
            initializer=_init_worker, initargs=(self.settings, self.verbose, rules))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown()


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


def _active(select: Sequence[str], ignore: Sequence[str], refs: Sequence[RuleRef]
            ) -> tuple[tuple[RuleRef, ...], tuple[RuleRef, ...]]:
    """(per-file rules, project rules) a selection needs: the selected rules, and the fact
    collectors of every family with a selected rule. What is not selected does not run."""
    known = [r.code for r in refs if r.kind != COLLECTOR]
    files: list[RuleRef] = []
    for r in refs:
        if r.kind == COLLECTOR:
            if any(_selected(k, select, ignore) for k in known if k.startswith(r.code)):
                files.append(r)
        elif r.kind == FILE and _selected(r.code, select, ignore):
            files.append(r)
    projects = tuple(r for r in refs if r.kind == PROJECT and _selected(r.code, select, ignore))
    return tuple(files), projects


def _reach_needs(files: Sequence[RuleRef], projects: Sequence[RuleRef]) -> Needs | None:
    """What makes a file worth analysing at once, when the rules that run let the others wait;
    None when every file must be analysed.

    They do when every per-file rule names the words a file must contain for it to report
    (`requires_text`, and `requires_match`) and every project rule reads only what async code
    reaches (`async_reach`): the ASY family. A file that no rule may report on, and that has no
    `async def` (where the project rules start), is then only read and checked to parse, and
    analysed later only if the calls made by async code reach into it
    (`Project.reach_from_async`)."""
    from stackwise.rules._api import ASYNC_DEF

    # SW000/SW001 are the engine's own (a file that does not decode or parse is analysed, so
    # that the reason is the same as ever): their classes only carry the docs
    rules = [r for r in files if not r.code.startswith("SW")]
    if not all(r.words for r in rules) or not all(r.async_reach for r in projects):
        return None
    needs = {(r.words, r.match) for r in rules}
    if projects:
        needs.add((("async",), ASYNC_DEF))
    return tuple(sorted(needs))


def _cache_key(settings: Settings, select: Sequence[str] | None = None,
               ignore: Sequence[str] | None = None, refs: Sequence[RuleRef] | None = None) -> str:
    """The key of the per-file cache for a selection (without `select`/`ignore`, the settings'
    own); see `_selection_key`."""
    sel = tuple(settings.select if select is None else select)
    ign = tuple(settings.ignore if ignore is None else ignore)
    files, projects = _active(sel, ign, _manifest(Cache(None, "")) if refs is None else refs)
    return _selection_key(settings, files, projects)


def _selection_key(settings: Settings, files: Sequence[RuleRef],
                   projects: Sequence[RuleRef]) -> str:
    """Per (stackwise build, Python, analysis settings, rules that run): a cache never holds
    results of rules that did not run, nor misses results of rules that did."""
    names = ",".join(sorted(f"{r.module}.{r.qualname}" for r in (*files, *projects)))
    raw = f"{_build_key()}|{_CACHE_FORMAT}|{settings.analysis_fingerprint()}|{names}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _build_key() -> str:
    """This build of stackwise (version and its own files) on this Python."""
    impl = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}"
    return hashlib.blake2b(f"{__version__}|{_code_fingerprint()}|{impl}".encode(),
                           digest_size=8).hexdigest()


def _manifest(store: Cache) -> tuple[RuleRef, ...]:
    """Every rule by name: from the cache when this very build of stackwise wrote it there
    (importing the ~50 rule modules costs more than a whole warm run), else discovered.
    `store` is keyed by `_build_key()`."""
    raw = store.read("rules")
    if isinstance(raw, list) and raw:
        cached = [RuleRef.from_raw(r) for r in raw]
        if all(r is not None for r in cached):
            return tuple(r for r in cached if r is not None)
    from stackwise.rules.registry import manifest

    refs = manifest()
    store.write("rules", [r.to_raw() for r in refs])
    return refs


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
    args = (paths, settings, config, root, select, ignore, use_cache, cache_dir, jobs, verbose)
    try:
        return _check(*args, trust_index=True)
    except _ForeignCache:
        result = _check(*args, trust_index=False)
        result.warnings.append("the cache held entries of another shape (written by another "
                               "build of stackwise?); they were replaced")
        return result


class _ForeignCache(Exception):
    """A cached entry turned out not to have the shape this build writes (checked lazily, when
    it is used, so that a warm run does not inspect every entry first)."""


def _check(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings | None,
    config: str | os.PathLike[str] | None,
    root: str | os.PathLike[str] | None,
    select: Sequence[str] | None,
    ignore: Sequence[str] | None,
    use_cache: bool,
    cache_dir: str | os.PathLike[str] | None,
    jobs: int | None,
    verbose: bool,
    *,
    trust_index: bool,
) -> CheckResult:
    started = time.perf_counter()
    path_list = [Path(p) for p in paths] or [Path(".")]
    project_root = Path(root).resolve() if root is not None else find_root(
        path_list[0].resolve())
    folder: Path | None = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir else project_root / ".stackwise_cache"
    base = Cache(folder, _build_key())
    refs = _manifest(base)
    known = {r.code for r in refs if r.kind != COLLECTOR}
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

    file_refs, wanted = _active(sel, ign, refs)
    needs = _reach_needs(file_refs, wanted)
    cache = base.sibling(_selection_key(settings, file_refs, wanted))
    loaded: list[tuple[type[Rule], ...]] = []

    def rules() -> tuple[type[Rule], ...]:  # imported only if some file must be analysed
        if not loaded:
            loaded.append(tuple(r.load() for r in file_refs))
        return loaded[0]

    cached_files, project_cached = _load_index(
        cache.read("index") if use_cache and trust_index else None)
    from_cache: set[str] = set()  # files whose entry (findings, suppressions) is the cached one
    workers = _Workers(settings, jobs, verbose, warnings, rules)

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
                from_cache.add(sf.display)
                continue
            digest = _digest_file(sf.fs_path)
            if digest is not None and digest == entry[2]:
                mtime = st.st_mtime_ns if time.time_ns() - st.st_mtime_ns >= _RACY_NS else 0
                refreshed = refreshed or mtime != entry[0]
                entry = [mtime, st.st_size, *entry[2:]]
                entries[sf.display] = entry
                from_cache.add(sf.display)
                continue
        todo.append(sf)

    by_display = {sf.display: sf for sf in files}
    fresh: dict[str, FileResult] = {}
    for display, mtime, size, digest, result, read_ns in workers.run(todo, needs):
        sf_module = by_display[display]
        if read_ns and read_ns - mtime < _RACY_NS:
            mtime = 0  # too fresh to trust the timestamp next time
        fresh[display] = result
        entries[display] = [mtime, size, digest, sf_module.module, sf_module.is_package,
                            result["findings"], result["suppress"]]

    # facts: fresh ones, plus cached ones for unchanged files (read only when something changed)
    inputs = _project_inputs(settings, project_root)
    def project_fingerprint() -> str:  # what project findings depend on: inputs, every file
        return hashlib.blake2b(
            repr((inputs, sorted((d, e[2], e[3]) for d, e in entries.items()))).encode(),
            digest_size=16,
        ).hexdigest()

    fingerprint = project_fingerprint()
    project_findings: dict[str, list[Any]]
    project_inputs: dict[str, str | None] = {}
    project_from_cache = False
    facts_store: dict[str, Any] = {}
    missing: list[SourceFile] = []
    reached: list[SourceFile] = []  # skimmed files the project rules turned out to need
    if (project_cached is not None and project_cached[0] == fingerprint and not fresh
            and _inputs_unchanged(str(project_root), project_cached[2], settings.max_file_size)):
        project_findings, project_inputs = project_cached[1], project_cached[2]
        project_from_cache = True
    else:
        # hundreds of thousands of small fact objects that live until the end of the run:
        # the cyclic collector would scan them again and again and find nothing to free
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            store = FactsStore(cache)
            cached_facts = store.read() if len(fresh) < len(entries) else {}
            analysed_now = set(fresh)  # their facts are new, whatever the digest says
            from stackwise.engine.facts import FileFacts

            all_facts: dict[str, FileFacts] = {}
            skimmed: dict[str, list[str]] = {}  # module -> files read but not analysed

            def take(display: str, digest: str, raw: Any) -> bool:
                """Record a file's facts; False if they must be worked out again."""
                if raw is False:  # extract.NOT_ANALYSED
                    if needs is None:  # (not written under a key that analyses everything)
                        return False
                    skimmed.setdefault(by_display[display].module, []).append(display)
                elif raw is not None:
                    try:
                        all_facts[display] = FileFacts.from_raw(raw)
                    except Exception:  # facts of another shape: analyse the file again
                        return False
                facts_store[display] = [digest, raw]
                return True

            def analyse(batch: list[SourceFile], skim: Needs | None) -> None:
                for display, mtime, size, digest, result, read_ns in workers.run(batch, skim):
                    if read_ns and read_ns - mtime < _RACY_NS:
                        mtime = 0
                    sf2 = by_display[display]
                    from_cache.discard(display)
                    analysed_now.add(display)
                    entries[display] = [mtime, size, digest, sf2.module, sf2.is_package,
                                        result["findings"], result["suppress"]]
                    take(display, digest, result["facts"])

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
                if not take(sf.display, e[2], raw):
                    missing.append(sf)
            if missing:  # the facts file was lost or damaged: re-analyse those files
                analyse(missing, needs)
            linked: Any = all_facts  # or the Project `_link_reach` linked
            if needs is not None and wanted:
                try:
                    linked = _link_reach(all_facts, skimmed, settings, project_root,
                                         lambda batch: analyse(batch, None), reached,
                                         by_display)
                except Exception:  # a bug in the linker: link every file, which reports it
                    rest = [by_display[d] for ds in skimmed.values() for d in ds
                            if d not in all_facts]
                    reached.extend(rest)
                    analyse(rest, None)
            if missing or reached:
                fingerprint = project_fingerprint()
            workers.close()  # idle from here on: and the project rules may fork
            project_findings, project_inputs = _run_project_rules(
                linked, settings, verbose, str(project_root), [r.load() for r in wanted], jobs)
            store.write(facts_store, analysed_now)
        finally:
            workers.close()  # (again, if something above raised)
            if gc_was_on:
                gc.enable()

    if use_cache and (todo or missing or reached or refreshed or project_cached is None
                      or project_cached[0] != fingerprint or project_cached[2] != project_inputs):
        # internal errors are never stored: those files (or the project rules) run again
        stored = {d: e for d, e in entries.items() if not any(f[4] == "SW001" for f in e[5])}
        project_part = None if any(f[4] == "SW001" for v in project_findings.values()
                                   for f in v) else [fingerprint, project_findings,
                                                     project_inputs]
        cache.write("index", {"files": stored, "project": project_part})
        prune(folder, {cache.key, base.key}, time.time())  # only when something was written
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
        cached = display in from_cache
        file_part = list(e[5]) if e is not None else []
        raw_findings = file_part + list(project_findings.get(display, []))
        for n, raw in enumerate(raw_findings):
            if (cached if n < len(file_part) else project_from_cache) and not (
                    _raw_finding_ok(raw) and raw[4] != "SW001"):
                raise _ForeignCache
            line, col, end_line, end_col, code, message, sev, function, chain = raw
            if not _selected(code, sel, ign):
                continue
            if per_file_ignores and _per_file_ignored(display, code, per_file_ignores):
                continue
            codes = suppress.get(str(line))
            if cached and codes is not None and not (
                    isinstance(codes, list) and all(isinstance(c, str) for c in codes)):
                raise _ForeignCache
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
        analysed=len({sf.display for sf in (*todo, *missing, *reached)}),
        seconds=time.perf_counter() - started,
    )


_ProjectCache = tuple[str, dict[str, list[Any]], dict[str, str | None]]


def _load_index(index: Any) -> tuple[dict[str, Any], _ProjectCache | None]:
    """The per-file entries and the project findings of a cache index, checked for shape.

    The digest already rules out damage; a cache of another shape under the same key (a
    development build) is ruled out by a shallow check here and a full check of each finding
    when it is used (`_ForeignCache`), so that a cache can never make `check` raise or lie."""
    if not isinstance(index, dict):
        return {}, None
    files = index.get("files")
    project = index.get("project")
    project_ok: _ProjectCache | None = None
    if (
        isinstance(project, (list, tuple))
        and len(project) == 3
        and isinstance(project[0], str)
        and isinstance(project[1], dict)
        and isinstance(project[2], dict)
        and all(isinstance(k, str) and isinstance(v, list) for k, v in project[1].items())
        and all(isinstance(k, str) and (v is None or isinstance(v, str))
                for k, v in project[2].items())
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
    """A cached entry can stand in for analysing `sf` again (its content is checked after, and
    its findings when they are used)."""
    return (
        type(entry) is list
        and len(entry) == 7
        and type(entry[0]) is int
        and type(entry[1]) is int
        and type(entry[2]) is str
        and entry[2] != ""
        and entry[3] == sf.module
        and entry[4] == sf.is_package
        and type(entry[5]) is list
        and type(entry[6]) is dict
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


def _link_reach(
    facts: dict[str, FileFacts], skimmed: dict[str, list[str]], settings: Settings,
    root: Path, analyse: Callable[[list[SourceFile]], None], reached: list[SourceFile],
    by_display: dict[str, SourceFile],
) -> Project:
    """The project the `async_reach` rules need: some files linked, the others `absent`.

    From the files that define async functions, link, ask the project which left-out modules
    its answers needed (`Project.reach_from_async`), add them, until it needs none. `facts`
    grows as skimmed files are analysed (`analyse` adds them, and `reached` lists them). What
    is linked depends only on the files' contents, never on what an earlier run happened to
    analyse, so a warm run links the same files, and answers the same, as a cold one."""
    from stackwise.engine.project import Project

    files_of: dict[str, list[str]] = {m: list(ds) for m, ds in skimmed.items()}
    for display, f in facts.items():
        files_of.setdefault(f.module, []).append(display)
    linked = {d: f for d, f in facts.items() if any(fn.is_async for fn in f.functions.values())}
    while True:
        absent = {m: ds for m, ds in files_of.items() if any(d not in linked for d in ds)}
        project = Project.link(linked, settings, str(root), absent=absent)
        needed = project.reach_from_async()
        if not needed:
            return project  # its answers so far stand: the rules start from them
        wanted = sorted({d for m in needed for d in files_of[m] if d not in linked})
        todo = [by_display[d] for d in wanted if d not in facts]
        if todo:
            reached.extend(todo)
            analyse(todo)
        for d in wanted:
            if d in facts:
                linked[d] = facts[d]
            else:  # analysed now and found not to parse (it changed since): nothing to link
                for ds in files_of.values():
                    if d in ds:
                        ds.remove(d)


def _run_project_rules(
    facts: dict[str, FileFacts] | Project, settings: Settings, verbose: bool, root: str,
    rules: Sequence[type[ProjectRule]], jobs: int = 1,
) -> tuple[dict[str, list[Any]], dict[str, str | None]]:
    """Run the project rules on every file's facts, or on a project already linked (on two
    processes when `jobs` allows it: `engine/project_run.py`)."""
    from stackwise.engine.extract import internal_error
    from stackwise.engine.project import Project
    from stackwise.engine.project_run import run_project_rules

    files = facts.files if isinstance(facts, Project) else facts
    first = min(files) if files else ""  # where a project-wide internal error is reported
    try:
        project = facts if isinstance(facts, Project) else Project.link(facts, settings,
                                                                         root=root)
    except Exception as exc:  # a bug in the linker: report it, the per-file findings stand
        return {first: [list(internal_error(
            "internal error in stackwise while linking the project", exc, verbose))]}, {}
    findings = run_project_rules(project, rules, first, verbose, jobs)
    return findings, dict(project.inputs)
