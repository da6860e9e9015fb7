"""Infer the advisor's answers from an existing repository, with the evidence for each answer.

Reads packaging files as text/TOML and Python files with `ast`; never imports or runs the code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackwise.advise._deps import Dependencies, normalize, read_dependencies
from stackwise.advise._scan import Facts, Hit, scan
from stackwise.advise.answers import Answers, Concurrency, Db, Jobs, Kind, Size, Workload
from stackwise.advise.knowledge import Knowledge, load
from stackwise.advise.models import Inference, Signal

_SHOW = 4
"""How many locations an evidence line quotes before summarising the rest."""

FRAMEWORKS = ("django", "fastapi", "flask")


class RepoError(ValueError):
    """The path given to `--from-repo` cannot be read as a repository."""


def infer_answers(path: str | os.PathLike[str]) -> Inference:
    """Read a repository and infer the answers, the evidence for each, and the raw signals.

    Raises `RepoError` if `path` is not a directory.
    """
    root = Path(path)
    if not root.is_dir():
        raise RepoError(f"{os.fspath(path)}: not a directory")
    kb = load()
    deps = read_dependencies(root)
    facts = scan(root, kb.libs)
    return _Inferrer(kb, os.fspath(path), deps, facts).infer()


def _places(locations: Sequence[str]) -> str:
    shown = ", ".join(locations[:_SHOW])
    more = len(locations) - _SHOW
    return shown + (f" (+{more} more)" if more > 0 else "")


@dataclass
class _Inferrer:
    kb: Knowledge
    root: str
    deps: Dependencies
    facts: Facts
    evidence: dict[str, list[str]] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    declared: dict[str, list[str]] = field(default_factory=dict)
    """lib key -> dependency files declaring it."""
    imported: dict[str, list[str]] = field(default_factory=dict)
    """lib key -> import locations in non-test code."""

    # -- libraries ----------------------------------------------------------------------------

    def __post_init__(self) -> None:
        by_dist = {normalize(d): lib.key for lib in self.kb.libs.values() for d in lib.dists}
        for dist, sources in self.deps.declared.items():
            key = by_dist.get(dist)
            if key is not None:
                self.declared.setdefault(key, []).extend(sources)
        self.imported = self.facts.imports

    def present(self, lib: str) -> bool:
        return lib in self.declared or lib in self.imported

    def lib_evidence(self, lib: str) -> str:
        label = self.kb.libs[lib].label
        parts = []
        if lib in self.declared:
            parts.append("declared in " + ", ".join(dict.fromkeys(self.declared[lib])))
        if lib in self.imported:
            parts.append("imported at " + _places(self.imported[lib]))
        return f"{label}: " + "; ".join(parts)

    def libs_with(self, role: str, *, imported_only: bool = False) -> list[str]:
        return [
            key
            for key, lib in self.kb.libs.items()
            if lib.role == role
            and (key in self.imported or (not imported_only and key in self.declared))
        ]

    def note(self, key: str, line: str) -> None:
        self.evidence.setdefault(key, []).append(line)

    def signal(
        self, name: str, subjects: Iterable[str], evidence: Iterable[str], libs: Iterable[str] = ()
    ) -> None:
        self.signals[name] = Signal(tuple(dict.fromkeys(subjects)), tuple(evidence), tuple(libs))

    def hits_signal(self, name: str, hits: Sequence[Hit], *, what: str) -> None:
        if hits:
            self.signal(
                name,
                (h.subject for h in hits),
                (f"{h.location} {h.subject} in {what} {h.function}" for h in hits),
                (h.lib for h in hits if h.lib),
            )

    # -- the whole inference ------------------------------------------------------------------

    def infer(self) -> Inference:
        f = self.facts
        frameworks = [fw for fw in FRAMEWORKS if self.present(fw)]
        if self.present("djangorestframework") and "django" not in frameworks:
            frameworks.insert(0, "django")
        primary = self._primary(frameworks)
        routes = [
            (fw if fw != "?" else primary, is_async, loc)
            for fw, is_async, loc in f.routes
            if fw != "?" or primary in ("fastapi", "flask")
        ]
        self._signals(frameworks, primary, routes)

        size = self._size()
        kind = self._kind(primary, size)
        http = self._http(primary)
        answers = Answers(
            kind=kind,
            http=http,
            workload=self._workload(primary),
            concurrency=self._concurrency(),
            realtime=self._realtime(),
            team_async=self._team_async(),
            blocking_libs=self._blocking_libs(),
            legacy=self._legacy(size),
            admin=self._admin() if http else None,
            db=self._db(),
            size=size,
            **self._jobs(),
        )
        evidence = self._ordered_evidence(answers)

        async_share = f.async_functions / f.functions if f.functions else 0.0
        summary: dict[str, Any] = {
            "python_files": f.files,
            "test_files": f.test_files,
            "lines": f.lines,
            "functions": f.functions,
            "async_functions": f.async_functions,
            "async_share": round(async_share, 3),
            "routes": len(routes),
            "async_routes": sum(1 for _, a, _ in routes if a),
            "frameworks": frameworks,
            "dependency_files": self.deps.files,
            "declared": sorted(self.deps.declared),
            "problems": [*self.deps.problems, *(f"could not parse {u}" for u in f.unparsable)]
            + (["stopped after too many files"] if f.truncated else []),
        }
        return Inference(
            root=self.root,
            answers=answers,
            evidence=evidence,
            signals=dict(self.signals),
            summary=summary,
        )

    def _ordered_evidence(self, answers: Answers) -> dict[str, tuple[str, ...]]:
        """Evidence per answer in question order; questions that do not apply are left out."""
        given = answers.given()
        ctx = dict(given)
        for q in self.kb.questions:
            if q.key not in ctx and q.default is not None:
                ctx[q.key] = q.default
        out: dict[str, tuple[str, ...]] = {}
        for q in self.kb.questions:
            if q.key == "name" or (q.key not in given and not q.ask_when.matches(ctx)):
                continue
            lines = self.evidence.get(q.key) or [
                "no evidence in the repository; the default applies"
            ]
            out[q.key] = tuple(lines)
        return out

    def _primary(self, frameworks: list[str]) -> str:
        if not frameworks:
            return "none"

        def score(fw: str) -> int:
            routes = sum(1 for r in self.facts.routes if r[0] == fw)
            return 2 * len(self.imported.get(fw, [])) + len(self.declared.get(fw, [])) + routes

        return max(frameworks, key=lambda fw: (score(fw), -FRAMEWORKS.index(fw)))

    # -- signals for the mismatch rules -------------------------------------------------------

    def _signals(
        self, frameworks: list[str], primary: str, routes: list[tuple[str, bool, str]]
    ) -> None:
        f = self.facts
        for fw in frameworks:
            self.signal(f"framework:{fw}", [self.kb.libs[fw].label], [self.lib_evidence(fw)], [fw])
        for lib, locations in self.imported.items():
            self.signal(
                f"lib:{lib}",
                [self.kb.libs[lib].label],
                [f"{loc} imports {self.kb.libs[lib].label}" for loc in locations],
                [lib],
            )
        for lib, sources in self.declared.items():
            self.signal(
                f"dep:{lib}",
                [self.kb.libs[lib].label],
                [f"declared in {s}" for s in sources],
                [lib],
            )
        if f.sync_engine and not f.async_engine:
            self.signal(
                "lib:sqlalchemy-sync",
                ["the sync SQLAlchemy engine"],
                f.sync_engine,
                ["sqlalchemy-sync"],
            )
        async_routes = [loc for fw, a, loc in routes if a]
        sync_routes = [loc for fw, a, loc in routes if not a]
        if async_routes:
            self.signal(
                "async-routes",
                [f"{len(async_routes)} async routes"],
                [f"{loc} async route" for loc in async_routes],
            )
        if sync_routes:
            self.signal(
                "sync-routes",
                [f"{len(sync_routes)} sync routes"],
                [f"{loc} sync route" for loc in sync_routes],
            )
        flask_async = [loc for fw, a, loc in routes if a and fw == "flask"]
        if flask_async:
            self.signal(
                "flask-async-views",
                [f"{len(flask_async)} async views"],
                [f"{loc} async Flask view" for loc in flask_async],
            )
        self.hits_signal("blocking-in-async", f.blocking_in_async, what="async def")
        if primary == "fastapi":
            self.hits_signal("resource-in-route", f.resource_in_route, what="route")
        if f.on_event and "fastapi" in frameworks:
            self.signal("on-event", ["@app.on_event"], f.on_event)
        if "django" in frameworks:
            self.hits_signal("sync-orm-in-async", f.sync_orm_in_async, what="async def")
            if f.relations:
                self.signal("django-relations", ["relations"], f.relations)
            if f.eager_loading:
                self.signal("django-eager-loading", ["eager loading"], f.eager_loading)
        if f.background_tasks:
            self.signal(
                "background-tasks",
                ["BackgroundTasks"],
                [f"{loc} imports BackgroundTasks" for loc in f.background_tasks],
            )
        self._cpu_in_async(routes)
        if f.public_functions >= 5:
            share = f.annotated_public / f.public_functions
            if share < self.kb.inference["annotated_min_share"]:
                self.signal(
                    "low-annotation-coverage",
                    [f"{f.annotated_public} of {f.public_functions} fully annotated"],
                    [f"{loc} lacks annotations" for loc in f.unannotated_examples],
                )
        if len(f.root_modules) >= self.kb.inference["flat_layout_min_modules"] and not f.packages:
            self.signal("flat-layout", [f"{len(f.root_modules)} modules"], f.root_modules)

    def _cpu_in_async(self, routes: list[tuple[str, bool, str]]) -> None:
        async_files = {loc.rsplit(":", 1)[0] for _, a, loc in routes if a}
        heavy: list[str] = []
        evidence: list[str] = []
        for file in sorted(async_files):
            libs = sorted(
                lib
                for lib in self.facts.file_libs.get(file, set())
                if self.kb.libs[lib].role in ("cpu", "ml")
            )
            if libs:
                heavy += [self.kb.libs[lib].label for lib in libs]
                evidence.append(f"{file} has async routes and imports {', '.join(libs)}")
        if heavy:
            self.signal("cpu-in-async-module", heavy, evidence)

    # -- one function per answer --------------------------------------------------------------

    def _size(self) -> Size:
        lines = self.facts.lines
        inf = self.kb.inference
        size: Size = "small"
        if lines > inf["medium_max_lines"]:
            size = "large"
        elif lines > inf["small_max_lines"]:
            size = "medium"
        self.note(
            "size",
            f"{lines} lines of Python in {self.facts.files - self.facts.test_files} non-test files "
            f"(small up to {int(inf['small_max_lines'])}, medium up to {int(inf['medium_max_lines'])})",
        )
        return size

    def _http(self, primary: str) -> bool:
        if primary != "none":
            self.note("http", f"web framework in use: {self.lib_evidence(primary)}")
            return True
        self.note("http", "no web framework declared or imported")
        return False

    def _kind(self, primary: str, size: Size) -> Kind:
        f = self.facts
        queues = self.libs_with("queue")
        ml = self.libs_with("ml")
        if primary == "none":
            if queues:
                self.note(
                    "kind", "no web framework, but a job queue: " + self.lib_evidence(queues[0])
                )
                return "worker"
            self.note("kind", "no web framework and no job queue: a script or tool")
            return "script"
        self.note(
            "kind", f"main framework {self.kb.libs[primary].label} ({self.lib_evidence(primary)})"
        )
        if primary == "django":
            if f.templates:
                self.note("kind", f"templates rendered: {_places(f.templates)}")
                return "site"
            if self.present("djangorestframework"):
                self.note(
                    "kind",
                    "Django REST framework without templates: "
                    + self.lib_evidence("djangorestframework"),
                )
                return "api"
            if f.admin:
                self.note("kind", f"admin registrations: {_places(f.admin)}")
                return "site"
            self.note("kind", "neither templates nor an admin: an API")
            return "api"
        if primary == "fastapi":
            if ml:
                self.note("kind", "model libraries next to FastAPI: " + self.lib_evidence(ml[0]))
                return "ml"
            return "api"
        if size == "small" and not self._admin_evidence():
            self.note("kind", "a small Flask app without an admin: a small tool")
            return "script"
        if f.templates:
            self.note("kind", f"templates rendered: {_places(f.templates)}")
            return "site"
        self.note("kind", "Flask without templates: an API")
        return "api"

    def _workload(self, primary: str) -> Workload | None:
        cpu = self.libs_with("cpu") + self.libs_with("ml")
        io = [
            lib for role in ("http", "db", "orm", "redis", "files") for lib in self.libs_with(role)
        ]
        for lib in cpu:
            self.note("workload", "computing: " + self.lib_evidence(lib))
        for lib in io[:_SHOW]:
            self.note("workload", "I/O: " + self.lib_evidence(lib))
        if primary != "none":
            self.note("workload", "I/O: it serves HTTP requests")
        has_io = bool(io) or primary != "none"
        if cpu and has_io:
            return "mixed"
        if cpu:
            return "cpu"
        if has_io:
            return "io"
        self.note("workload", "no I/O or computing libraries found")
        return None

    def _realtime(self) -> bool:
        libs = self.libs_with("realtime")
        for lib in libs:
            self.note("realtime", self.lib_evidence(lib))
        if self.facts.realtime:
            self.note("realtime", _places(self.facts.realtime))
        if libs or self.facts.realtime:
            return True
        self.note("realtime", "no websockets, consumers, SSE or streaming responses found")
        return False

    def _concurrency(self) -> Concurrency | None:
        if self.libs_with("realtime") or self.facts.realtime:
            self.note(
                "concurrency", "real-time connections stay open, so many are in flight at once"
            )
            return "high"
        return None  # not visible in code

    def _team_async(self) -> bool | None:
        f = self.facts
        if not f.functions:
            return None
        share = f.async_functions / f.functions
        line = f"{f.async_functions} of {f.functions} functions are async def ({share:.0%})"
        if f.async_functions and share >= self.kb.inference["team_async_min_share"]:
            self.note("team_async", line + ": the team already writes async code")
            return True
        if (
            not f.async_functions
            and f.functions >= self.kb.inference["sync_codebase_min_functions"]
        ):
            self.note("team_async", line + ": the codebase is written sync")
            return False
        self.note("team_async", line + ": not enough to tell")
        return None

    def _blocking_libs(self) -> bool:
        libs = self.libs_with("sync-only")
        for lib in libs:
            self.note("blocking_libs", "no async version: " + self.lib_evidence(lib))
        if not libs:
            self.note(
                "blocking_libs",
                "none of the known sync-only libraries (boto3, paramiko, pyodbc, ldap3, pysftp)",
            )
        return bool(libs)

    def _legacy(self, size: Size) -> bool:
        f = self.facts
        if f.async_functions:
            self.note("legacy", f"{f.async_functions} async functions: not a sync-only codebase")
            return False
        if size == "small":
            self.note("legacy", "a small codebase: cheap to restyle, not treated as legacy")
            return False
        self.note("legacy", f"an existing {size} codebase with no async functions")
        return True

    def _admin_evidence(self) -> list[str]:
        return [self.lib_evidence(lib) for lib in self.libs_with("admin")] + self.facts.admin

    def _admin(self) -> bool:
        found = self._admin_evidence()
        for line in found[:_SHOW]:
            self.note("admin", line)
        if not found:
            self.note("admin", "no admin registrations or admin extensions")
        return bool(found)

    def _db(self) -> Db:
        votes: dict[str, list[str]] = {}
        for lib in self.libs_with("db"):
            db = self.kb.libs[lib].db
            votes.setdefault(db, []).append(self.lib_evidence(lib))
        for db, places in self.facts.db_urls.items():
            votes.setdefault(db, []).append(f"connection settings: {_places(places)}")
        if not votes:
            orms = self.libs_with("orm")
            if orms:
                self.note(
                    "db", f"{self.lib_evidence(orms[0])}, but no driver or URL names the database"
                )
            else:
                self.note("db", "no database driver, ORM or connection URL found")
            return "none"
        order = ("postgres", "mysql", "sqlite")
        best = max(votes, key=lambda db: (len(votes[db]), -order.index(db)))
        chosen: Db = "postgres" if best == "postgres" else "mysql" if best == "mysql" else "sqlite"
        for line in votes[best]:
            self.note("db", line)
        for other in votes:
            if other != best:
                self.note("db", f"also seen, fewer signs: {other}")
        return chosen

    def _jobs(self) -> dict[str, Any]:
        f = self.facts
        queues = self.libs_with("queue")
        out: dict[str, Any] = {}
        jobs: Jobs
        if queues:
            jobs = "long"
            for lib in queues:
                self.note("jobs", "job queue: " + self.lib_evidence(lib))
        elif f.background_tasks:
            jobs = "quick"
            self.note("jobs", f"FastAPI BackgroundTasks only: {_places(f.background_tasks)}")
        else:
            self.note("jobs", "no job queue or BackgroundTasks")
            return {"jobs": "none"}
        out["jobs"] = jobs
        out["job_retries"] = bool(f.retries)
        self.note(
            "job_retries",
            f"retry settings: {_places(f.retries)}" if f.retries else "no retry settings found",
        )
        out["job_persistent"] = bool(queues)
        self.note(
            "job_persistent",
            "a broker-backed queue keeps jobs across restarts"
            if queues
            else "BackgroundTasks keep nothing across restarts",
        )
        out["job_workflows"] = bool(f.workflows)
        self.note(
            "job_workflows",
            f"workflow/schedule use: {_places(f.workflows)}"
            if f.workflows
            else "no chains, groups, schedules or rate limits",
        )
        out["job_distributed"] = bool(f.routing)
        self.note(
            "job_distributed",
            f"queue routing: {_places(f.routing)}"
            if f.routing
            else "no routing of jobs to separate queues",
        )
        return out
