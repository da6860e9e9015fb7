"""The MCP server: the advisor, the checker, rule docs, the layout detector and the scaffolder as tools.

`build_server(roots)` returns an `MCPServer` (the official SDK's, v2) whose tools answer with the
same data as the command line's JSON output. Every path argument is confined to `roots` (see
`paths.py`); analysed code is only read and parsed, never imported or run.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeAlias, TypeVar, get_args, get_type_hints

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from stackwise._version import __version__
from stackwise.config import ConfigError, Settings, load_pyproject, load_settings
from stackwise.mcp_server.paths import PathRefused, Roots

DEFAULT_LIMIT = 500
"""How many findings `check` returns unless told otherwise (the counts always cover all)."""

_INSTRUCTIONS = """\
stackwise decides, checks and scaffolds Python backend architecture.
- advise / advise_from_repo: recommend a stack (framework, async or sync, libraries, jobs,
  layout, tests) with the reasons and rejected alternatives; from a repository, also where it
  departs from the advice and how to migrate.
- check: find architecture mistakes (blocking calls in async code, framework pitfalls, typing,
  layering); transitive findings carry the call chain. explain_rule CODE documents a finding.
- layout: how a project is cut (by layer, by feature) and the layers recognised.
- scaffold: generate a new project into a folder that does not exist yet.
Paths are relative to the first root the server was started with; nothing outside the roots is
read or written, and the analysed code is never run."""


# -- argument schemas -----------------------------------------------------------------------------


def _answers_properties() -> dict[str, Any]:
    """JSON schema properties for the advisor's answers, from its knowledge base."""
    from stackwise.advise.knowledge import load

    props: dict[str, Any] = {}
    for q in load().questions:
        prop: dict[str, Any]
        if q.type == "choice":
            prop = {"type": "string", "enum": list(q.values)}
        elif q.type == "bool":
            prop = {"type": "boolean"}
        else:
            prop = {"type": "string"}
        prop["description"] = q.help
        props[q.key] = prop
    return props


def _answers_schema(schema: dict[str, Any]) -> None:
    """Describe each answer key in the object arm of the `answers` argument's schema."""
    arms = [a for a in schema.get("anyOf", [schema]) if a.get("type") == "object"]
    for arm in arms:
        arm["properties"] = _answers_properties()
        arm["additionalProperties"] = False


_ANSWERS_HELP = (
    "What is known about the project: any of the keys below (all optional; the advisor assumes "
    "defaults for the rest and says which). The same keys as `stackwise advise --help` flags "
    "and answers.toml."
)

AnswersArg: TypeAlias = Annotated[
    dict[str, Any], Field(description=_ANSWERS_HELP, json_schema_extra=_answers_schema)
]
OverridesArg: TypeAlias = Annotated[
    dict[str, Any] | None,
    Field(description="Answers that override what was inferred from the repository (same keys "
                      "as the `advise` tool)", json_schema_extra=_answers_schema),
]
PathArg: TypeAlias = Annotated[
    str, Field(description="A folder inside the server's roots (relative to the first root)")
]
PathsArg: TypeAlias = Annotated[
    list[str] | None,
    Field(description="Files or folders to check, inside the server's roots (relative paths are "
                      "relative to the first root); default: the first root"),
]
CodesArg: TypeAlias = Annotated[
    list[str] | None,
    Field(description="Rule codes or prefixes, e.g. [\"ASY\", \"FAS201\"] (the most specific "
                      "prefix wins between select and ignore)"),
]


def _scaffold_choices() -> dict[str, tuple[str, ...]]:
    from stackwise.scaffold import ScaffoldOptions

    hints = get_type_hints(ScaffoldOptions)
    return {name: tuple(str(v) for v in get_args(hint))
            for name, hint in hints.items() if get_args(hint) and name != "name"}


def _choice(key: str, what: str) -> Any:
    allowed = _scaffold_choices().get(key, ())

    def extra(schema: dict[str, Any]) -> None:
        if allowed:
            schema["enum"] = [*allowed, None]

    return Field(description=f"{what}; one of: {', '.join(allowed)} (default: fits the others)",
                 json_schema_extra=extra)


FrameworkArg: TypeAlias = Annotated[str | None, _choice("framework", "web framework, or 'none'")]
KindArg: TypeAlias = Annotated[str | None, _choice("kind", "what the project is")]
LayoutArg: TypeAlias = Annotated[str | None, _choice("layout", "FastAPI: by 'layer' or 'feature'")]
SizeArg: TypeAlias = Annotated[str | None, _choice("size", "'large' puts the package under src/")]
DbArg: TypeAlias = Annotated[str | None, _choice("db", "database for production")]
WorkerArg: TypeAlias = Annotated[str | None, _choice("worker", "background job runner")]


# -- the server -----------------------------------------------------------------------------------

_T = TypeVar("_T")


class StackwiseTools:
    """The tool implementations, bound to the roots; plain methods so tests can call them too."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        # The engine keeps module-level caches; tools run on worker threads, one at a time.
        self._lock = threading.Lock()
        # The check cache lives outside the project (the server writes nothing there unless
        # asked to scaffold), one folder per project root, for as long as the server runs.
        self._cache = tempfile.TemporaryDirectory(prefix="stackwise-mcp-")

    def close(self) -> None:
        """Remove the server's check cache."""
        self._cache.cleanup()

    def _cache_dir(self, root: Path) -> str:
        digest = hashlib.blake2b(os.fsencode(root), digest_size=8).hexdigest()
        return os.path.join(self._cache.name, digest)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise tool runs and turn expected failures into `ToolError` messages."""
        from stackwise.advise import AnswerError
        from stackwise.advise.repo import RepoError
        from stackwise.scaffold import ScaffoldError

        with self._lock:
            try:
                yield
            except PathRefused as exc:
                raise ToolError(str(exc)) from None
            except AnswerError as exc:
                raise ToolError("invalid answers: " + "; ".join(str(p) for p in exc.problems)) \
                    from None
            except (ConfigError, RepoError, ScaffoldError) as exc:
                raise ToolError(str(exc)) from None

    # -- advisor

    def advise(self, answers: dict[str, Any]) -> dict[str, Any]:
        from stackwise.advise import Answers, advise

        with self._guard():
            given = Answers.from_mapping(answers, source="answers")
            result: dict[str, Any] = advise(given).to_dict()
            return result

    def advise_from_repo(self, path: str, answers: dict[str, Any] | None = None) -> dict[str, Any]:
        from stackwise.advise import Answers, advise, infer_answers

        with self._guard():
            folder = self.roots.resolve_dir(path, what="path")
            inference = infer_answers(folder)
            merged = inference.answers
            if answers:
                merged = merged.merged(Answers.from_mapping(answers, source="answers"))
            result: dict[str, Any] = advise(merged, repo=inference).to_dict()
            return result

    # -- checker

    def check(
        self,
        paths: Sequence[str] | None = None,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        from stackwise.engine.runner import check

        with self._guard():
            if limit < 0:
                raise ToolError("limit must be 0 or more")
            given = list(paths) if paths else ["."]
            real = [self.roots.resolve(p, what=f"paths[{i}]") for i, p in enumerate(given)]
            root, settings = self._project(real[0])
            result = check(
                real,
                settings=settings,
                root=root,
                select=[c.strip().upper() for c in select or () if c.strip()] or None,
                ignore=[c.strip().upper() for c in ignore or () if c.strip()] or None,
                use_cache=True,
                cache_dir=self._cache_dir(root),
                jobs=1,  # no fork from the server's threads
            )
            shown = result.findings[:limit]
            by_code = Counter(f.code for f in result.findings)
            return {
                "root": str(result.root),
                "files_checked": result.files_checked,
                "total": len(result.findings),
                "truncated": len(shown) < len(result.findings),
                "counts": dict(sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0]))),
                "findings": [f.to_dict() for f in shown],
                "warnings": list(result.warnings),
            }

    def _project(self, start: Path) -> tuple[Path, Settings]:
        """The project root and settings for a checked path, never looking above its root.

        Like the command line: the nearest folder with a `[tool.stackwise]` pyproject.toml, else
        the nearest with a pyproject.toml or .git, else the folder itself."""
        from stackwise.rules.registry import all_rules

        top = Path(self.roots.root_of(start) or self.roots.paths[0])
        folder = start if start.is_dir() else start.parent
        chain = [folder]
        while chain[-1] != top and chain[-1].parent != chain[-1]:
            chain.append(chain[-1].parent)
        for candidate in chain:
            config = candidate / "pyproject.toml"
            if (config.is_file() and self.roots.root_of(os.path.realpath(config)) is not None
                    and load_pyproject(config) is not None):
                return candidate, load_settings(candidate, config, set(all_rules()))
        for candidate in chain:
            if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
                return candidate, Settings()
        return folder, Settings()

    def explain_rule(self, code: str) -> dict[str, Any]:
        from stackwise.rules.registry import all_rules

        with self._guard():
            rules = all_rules()
            meta = rules.get(code.strip().upper())
            if meta is None:
                close = difflib.get_close_matches(code.strip().upper(), list(rules), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                families = sorted({m.code.rstrip("0123456789") for m in rules.values()})
                raise ToolError(f"no rule {code!r}{hint} (codes start with: "
                                f"{', '.join(families)})")
            return {
                "code": meta.code,
                "name": meta.name,
                "summary": meta.summary,
                "severity": str(meta.severity),
                "family": meta.family,
                "sections": meta.sections(),
                "markdown": meta.markdown(),
            }

    # -- structure

    def layout(self, path: str = ".") -> dict[str, Any]:
        with self._guard():
            folder = self.roots.resolve_dir(path, what="path")
            try:
                from stackwise.structure import detect_layout
            except ImportError:
                raise ToolError("the layout detector is not available in this version of "
                                "stackwise") from None
            _, settings = self._project(folder)
            result: dict[str, Any] = detect_layout(folder, settings=settings).to_dict()
            return result

    # -- scaffolder

    def scaffold(self, name: str, directory: str | None = None,
                 **choices: str | bool | None) -> dict[str, Any]:
        from stackwise.scaffold import generate, resolve

        with self._guard():
            given: dict[str, Any] = {k: v for k, v in choices.items() if v is not None}
            given["name"] = name
            resolved = resolve(given)
            target = self.roots.resolve_new(directory or resolved.options.name,
                                            what="directory")
            try:
                os.mkdir(target)  # fails if anything appeared there since the check
            except OSError as exc:
                raise ToolError(f"cannot create {target}: {exc.strerror or exc}") from None
            try:
                if os.path.realpath(target) != str(target):  # pragma: no cover - a race
                    raise ToolError(f"{target} changed while it was being created; nothing "
                                    "was written")
                written = generate(resolved.options, target)
            except BaseException as exc:
                shutil.rmtree(target, ignore_errors=True)  # the folder is ours: just made
                if isinstance(exc, OSError):
                    raise ToolError(f"cannot write the project into {target}: "
                                    f"{exc.strerror or exc}; nothing was kept") from None
                raise
            return {
                "directory": str(target),
                "options": dataclasses.asdict(resolved.options),
                "notes": list(resolved.notes),
                "files": [p.relative_to(target).as_posix() for p in written],
                "next": [f"cd {target}", "make test   # creates .venv, runs pytest, ruff, mypy"],
            }


def _tool(
    server: MCPServer, fn: Callable[..., _T], *, title: str, read_only: bool = True,
    idempotent: bool = True,
) -> None:
    server.add_tool(
        fn,
        title=title,
        annotations=ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=False,
            idempotent_hint=idempotent,
            open_world_hint=False,
        ),
        structured_output=True,
    )


def build_server(roots: Sequence[str | os.PathLike[str]]) -> MCPServer:
    """The stackwise MCP server, confined to `roots` (raises `PathRefused` for a bad root)."""
    return build_server_for(StackwiseTools(Roots.from_paths(roots)))


def build_server_for(tools: StackwiseTools) -> MCPServer:
    """The MCP server over `tools` (what `build_server` and the command line use)."""
    server: MCPServer = MCPServer(
        "stackwise",
        title="stackwise",
        description="Decide, check and scaffold Python backend architecture.",
        instructions=_INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",  # stderr stays quiet; refusals reach the agent as tool errors
    )

    def advise(answers: AnswersArg) -> dict[str, Any]:
        """Recommend a Python backend stack from answers about the project.

        Returns the same data as `stackwise advise --format json`: each recommendation (framework,
        async or sync, I/O libraries, job runner, layout, typing, tests) with its reasons, the
        principle behind it and the rejected alternatives; the framework factor table; the
        project tree; the `stackwise new` options that scaffold it; and which answers were
        assumed."""
        return tools.advise(answers)

    def advise_from_repo(path: PathArg, answers: OverridesArg = None) -> dict[str, Any]:
        """Infer the answers from an existing repository (reading files, never running them),
        then advise: the result also lists the evidence for each inferred answer and where the
        repository departs from the advice, with migration steps and the check codes that find
        each departure."""
        return tools.advise_from_repo(path, answers)

    def check(
        paths: PathsArg = None,
        select: CodesArg = None,
        ignore: CodesArg = None,
        limit: Annotated[int, Field(ge=0, description="Most findings to return (counts and "
                                                      "total always cover all)")] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """Check Python code for architecture mistakes: blocking calls in async code (also
        through call chains), framework pitfalls (FastAPI, Django, Flask), error handling,
        typing and layering. Each finding has code, path (relative to `root`), line, column,
        message (what to do instead), severity, function and, for transitive findings, `chain`:
        the call sites from the reported line down to the problem. Settings come from the
        project's `[tool.stackwise]`; `explain_rule` documents any code."""
        return tools.check(paths, select, ignore, limit)

    def explain_rule(
        code: Annotated[str, Field(description="A rule code, e.g. ASY101")],
    ) -> dict[str, Any]:
        """The documentation of a rule: what it flags, why it matters, an example and what to
        write instead (as sections and as one Markdown page)."""
        return tools.explain_rule(code)

    def layout(path: PathArg = ".") -> dict[str, Any]:
        """How a project is laid out, from its folders and module names: the kind (script,
        medium app, src-layout), the style (by layer, by feature, mixed, flat), the layers and
        features recognised and the evidence. This is the contract LAY700/LAY701 check unless
        the project declares its own."""
        return tools.layout(path)

    def scaffold(
        name: Annotated[str, Field(description="Project and package name: a lower-case Python "
                                               "identifier, e.g. myservice")],
        directory: Annotated[str | None, Field(description="Folder to create, inside the roots; "
                                                           "it must not exist yet (default: "
                                                           "NAME in the first root)")] = None,
        framework: FrameworkArg = None,
        kind: KindArg = None,
        layout: LayoutArg = None,
        size: SizeArg = None,
        db: DbArg = None,
        worker: WorkerArg = None,
        admin: Annotated[bool | None, Field(description="Django: admin site")] = None,
        drf: Annotated[bool | None, Field(description="Django: REST framework viewsets")] = None,
        channels: Annotated[bool | None, Field(description="Django: websockets (noted, not "
                                                           "scaffolded yet)")] = None,
    ) -> dict[str, Any]:
        """Generate a new project (the options of `stackwise new`) that passes its own tests,
        `mypy --strict` and `stackwise check`, into a folder that does not exist yet. Returns the
        options used, notes on adjusted choices and the files written."""
        return tools.scaffold(
            name, directory, framework=framework, kind=kind, layout=layout, size=size, db=db,
            worker=worker, admin=admin, drf=drf, channels=channels,
        )

    _tool(server, advise, title="Recommend a stack")
    _tool(server, advise_from_repo, title="Recommend a stack for a repository")
    _tool(server, check, title="Check architecture")
    _tool(server, explain_rule, title="Explain a rule")
    _tool(server, layout, title="Detect the project layout")
    _tool(server, scaffold, title="Scaffold a project", read_only=False, idempotent=False)
    return server
