"""Read a repository's Python files with `ast` (never importing them) and record what they use."""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stackwise.advise.knowledge import Lib

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__",
        "build", "dist", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
        "site-packages", ".eggs", ".stackwise_cache",
    }
)  # fmt: skip
MAX_FILE_BYTES = 1_000_000
MAX_FILES = 10_000
ROOT_SCRIPTS = frozenset({"setup.py", "manage.py", "conftest.py", "noxfile.py", "fabfile.py"})

ROUTE_ATTRS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route",
     "websocket", "websocket_route"}
)  # fmt: skip
# Calls that block although their module is not a blocking library as a whole.
BLOCKING_CALLS = {
    "time.sleep": "time-sleep",
    "open": "open",
    "io.open": "open",
    "subprocess.run": "subprocess",
    "subprocess.call": "subprocess",
    "subprocess.check_call": "subprocess",
    "subprocess.check_output": "subprocess",
}
# Constructors of pooled clients and engines; built inside a route they are per-request.
RESOURCE_CTORS = frozenset(
    {
        "httpx.Client", "httpx.AsyncClient", "requests.Session", "requests.session",
        "aiohttp.ClientSession", "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine", "asyncpg.connect", "asyncpg.create_pool",
        "psycopg2.connect", "psycopg.connect", "psycopg.AsyncConnection.connect",
        "redis.Redis", "redis.Redis.from_url", "redis.from_url", "redis.asyncio.Redis",
        "redis.asyncio.from_url", "pymysql.connect", "aiomysql.connect", "aiomysql.create_pool",
        "boto3.client", "boto3.resource",
    }
)  # fmt: skip
ORM_TERMINALS = frozenset(
    {"get", "create", "count", "first", "last", "exists", "update", "delete", "get_or_create",
     "update_or_create", "bulk_create", "bulk_update", "aggregate", "in_bulk", "earliest",
     "latest"}
)  # fmt: skip
RELATION_FIELDS = frozenset({"ForeignKey", "ManyToManyField", "OneToOneField"})
CONSUMER_BASES = frozenset(
    {"AsyncWebsocketConsumer", "WebsocketConsumer", "AsyncJsonWebsocketConsumer",
     "JsonWebsocketConsumer", "AsyncConsumer"}
)  # fmt: skip
RETRY_KEYWORDS = frozenset({"autoretry_for", "max_retries", "retry_backoff", "retry_kwargs"})
WORKFLOW_CALLS = frozenset(
    {"celery.chain", "celery.group", "celery.chord", "celery.canvas.chain",
     "celery.canvas.group", "celery.canvas.chord", "celery.schedules.crontab"}
)  # fmt: skip
TEMPLATE_CALLS = frozenset(
    {"flask.render_template", "django.shortcuts.render", "django.template.loader.render_to_string",
     "fastapi.templating.Jinja2Templates", "starlette.templating.Jinja2Templates"}
)  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """A call of interest: what was called, which library it belongs to, where, in which function."""

    subject: str
    lib: str
    location: str
    function: str


@dataclass
class Facts:
    """Everything the scanner saw. Locations are `path:line`, relative to the repository root."""

    files: int = 0
    test_files: int = 0
    lines: int = 0
    truncated: bool = False
    unparsable: list[str] = field(default_factory=list)
    imports: dict[str, list[str]] = field(default_factory=dict)
    """lib key -> import locations (non-test code only)."""
    file_libs: dict[str, set[str]] = field(default_factory=dict)
    """file -> lib keys it imports."""
    functions: int = 0
    async_functions: int = 0
    public_functions: int = 0
    annotated_public: int = 0
    unannotated_examples: list[str] = field(default_factory=list)
    routes: list[tuple[str, bool, str]] = field(default_factory=list)
    """(framework or "?" when the file does not say, is_async, location) per route handler."""
    django_async_views: list[str] = field(default_factory=list)
    """async def functions taking `request` first (Django views if the project uses Django)."""
    blocking_in_async: list[Hit] = field(default_factory=list)
    sync_orm_in_async: list[Hit] = field(default_factory=list)
    """`X.objects.<query>()` calls inside async def (Django's sync ORM, if the project uses it)."""
    resource_in_route: list[Hit] = field(default_factory=list)
    on_event: list[str] = field(default_factory=list)
    realtime: list[str] = field(default_factory=list)
    background_tasks: list[str] = field(default_factory=list)
    admin: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    db_urls: dict[str, list[str]] = field(default_factory=dict)
    retries: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)
    routing: list[str] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    eager_loading: list[str] = field(default_factory=list)
    sync_engine: list[str] = field(default_factory=list)
    async_engine: list[str] = field(default_factory=list)
    root_modules: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)


def is_test_path(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def iter_files(root: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Files under `root` (sorted; skipping hidden, virtualenv, VCS and build dirs), relative parts."""
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        base = Path(dirpath)
        rel = base.relative_to(root).parts
        for name in sorted(filenames):
            path = base / name
            if path.is_symlink() and not inside(path, real_root):
                continue  # never read through a link out of the repository
            yield path, (*rel, name)


def inside(path: Path, real_root: str) -> bool:
    """Whether `path`, with every link followed, is within the (real) root folder."""
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


class LibIndex:
    """Maps dotted module names to the library keys of the knowledge base (longest prefix)."""

    def __init__(self, libs: Mapping[str, Lib]) -> None:
        self.libs = libs
        self._by_module = {mod: lib.key for lib in libs.values() for mod in lib.imports}

    def lib_of(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for n in range(len(parts), 0, -1):
            key = self._by_module.get(".".join(parts[:n]))
            if key is not None:
                return key
        return None


def scan(root: Path, libs: Mapping[str, Lib]) -> Facts:
    """Scan every Python file and template directory under `root`."""
    facts = Facts()
    index = LibIndex(libs)
    for path, parts in iter_files(root):
        rel = "/".join(parts)
        if "templates" in parts[:-1] and not any(p in ("tests", "test") for p in parts):
            facts.templates.append(rel)
        if not parts[-1].endswith(".py"):
            continue
        if facts.files >= MAX_FILES:
            facts.truncated = True
            break
        facts.files += 1
        if is_test_path(parts):
            facts.test_files += 1
            continue
        if "migrations" in parts[:-1]:
            continue
        if parts[-1] == "__init__.py":
            facts.packages.append("/".join(parts[:-1]) or ".")
        elif len(parts) == 1 and parts[0] not in ROOT_SCRIPTS:
            facts.root_modules.append(rel)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                facts.unparsable.append(f"{rel} (larger than {MAX_FILE_BYTES} bytes)")
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. SyntaxWarning for odd escapes
                tree = ast.parse(text, filename=rel)
        except (OSError, SyntaxError, ValueError, RecursionError) as exc:
            facts.unparsable.append(f"{rel} ({exc.__class__.__name__})")
            continue
        facts.lines += sum(
            1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
        )
        try:
            _FileScanner(facts, rel, index).run(tree)
        except RecursionError:
            facts.unparsable.append(f"{rel} (nested too deeply to scan)")
    return facts


@dataclass
class _Scope:
    name: str
    is_async: bool
    route: str = ""  # framework name when the function is a route handler
    is_function: bool = True


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _chain_has_objects(node: ast.expr) -> bool:
    """True for `X.objects.filter(...).count` style chains."""
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr == "objects":
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


class _FileScanner(ast.NodeVisitor):
    def __init__(self, facts: Facts, rel: str, index: LibIndex) -> None:
        self.facts = facts
        self.rel = rel
        self.index = index
        self.aliases: dict[str, str] = {}
        self.scopes: list[_Scope] = []
        self.classes: list[str] = []
        self.framework = ""
        self.is_views = rel.endswith("views.py") or "/views/" in rel

    def at(self, node: ast.AST) -> str:
        return f"{self.rel}:{getattr(node, 'lineno', 0)}"

    def run(self, tree: ast.Module) -> None:
        self._collect_imports(tree)
        self.visit(tree)

    # -- imports ------------------------------------------------------------------------------

    def _collect_imports(self, tree: ast.Module) -> None:
        seen: list[tuple[str, ast.AST]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.aliases[local] = alias.name if alias.asname else local
                    seen.append((alias.name, node))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = full
                    seen.append((full, node))
        file_libs = self.facts.file_libs.setdefault(self.rel, set())
        for dotted, node in seen:
            top = dotted.split(".")[0]
            if top in ("fastapi", "starlette") and not self.framework:
                self.framework = "fastapi"
            elif top == "flask" and not self.framework:
                self.framework = "flask"
            elif top in ("django", "rest_framework") and not self.framework:
                self.framework = "django"
            if dotted in ("fastapi.BackgroundTasks", "starlette.background.BackgroundTasks"):
                self.facts.background_tasks.append(self.at(node))
            if dotted in ("fastapi.WebSocket", "starlette.websockets.WebSocket"):
                self.facts.realtime.append(f"{self.at(node)} imports WebSocket")
            lib = self.index.lib_of(dotted)
            if lib is not None:
                file_libs.add(lib)
                locations = self.facts.imports.setdefault(lib, [])
                here = self.at(node)
                if here not in locations:
                    locations.append(here)

    def resolve(self, node: ast.expr) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            return self.aliases[head] + ("." + rest if rest else "")
        return dotted

    # -- definitions --------------------------------------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            name = self.resolve(base) or ""
            last = name.rsplit(".", 1)[-1]
            if last in CONSUMER_BASES:
                self.facts.realtime.append(f"{self.at(node)} websocket consumer {node.name}")
            if last == "ModelAdmin":
                self.facts.admin.append(f"{self.at(node)} ModelAdmin {node.name}")
        for deco in node.decorator_list:
            self.visit(deco)
        self.classes.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, is_async=False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node, is_async=True)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, *, is_async: bool) -> None:
        facts = self.facts
        facts.functions += 1
        facts.async_functions += is_async
        nested = any(s.is_function for s in self.scopes)
        if not nested:
            self._annotation(node)
        route = ""
        for deco in node.decorator_list:
            self.visit(deco)
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute):
                attr = deco.func.attr
                if attr in ROUTE_ATTRS and self.framework != "django":
                    route = self.framework or "?"
                    facts.routes.append((route, is_async, self.at(node)))
                    if attr in ("websocket", "websocket_route"):
                        facts.realtime.append(f"{self.at(node)} websocket route {node.name}")
                if attr == "on_event":
                    facts.on_event.append(f"{self.at(deco)} @{_dotted(deco.func)}(...)")
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            shown = self.resolve(arg.annotation) if arg.annotation is not None else None
            if shown and shown.rsplit(".", 1)[-1] == "WebSocket":
                facts.realtime.append(f"{self.at(node)} WebSocket parameter in {node.name}")
        if is_async and not route and not nested and args and args[0].arg == "request":
            facts.django_async_views.append(f"{self.at(node)} async def {node.name}")
        self.scopes.append(_Scope(node.name, is_async, route))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _annotation(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name.startswith("_") or any(c.startswith("_") for c in self.classes):
            return
        self.facts.public_functions += 1
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if self.classes and args and args[0].arg in ("self", "cls"):
            args = args[1:]
        extra = [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
        complete = node.returns is not None and all(
            a.annotation is not None for a in [*args, *extra]
        )
        if complete:
            self.facts.annotated_public += 1
        elif len(self.facts.unannotated_examples) < 20:
            qual = ".".join([*self.classes, node.name])
            self.facts.unannotated_examples.append(f"{self.at(node)} {qual}")

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(_Scope("<lambda>", False, is_function=False))
        self.generic_visit(node)
        self.scopes.pop()

    # -- uses ---------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        facts = self.facts
        name = self.resolve(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        scope = self.scopes[-1] if self.scopes else None
        if scope is not None and scope.is_async:
            self._in_async(node, name, scope)
        if scope is not None and scope.route in ("fastapi", "?") and name in RESOURCE_CTORS:
            facts.resource_in_route.append(
                Hit(f"{name}()", self.index.lib_of(name) or "", self.at(node), scope.name)
            )
        if name in TEMPLATE_CALLS or last == "TemplateResponse":
            facts.templates.append(f"{self.at(node)} {name or last}()")
        if name.endswith("admin.site.register") or (name.endswith("admin.register")):
            facts.admin.append(f"{self.at(node)} {name}()")
        if last in RELATION_FIELDS and (name.startswith("django") or "models." in name):
            facts.relations.append(f"{self.at(node)} {last}")
        if isinstance(node.func, ast.Attribute) and node.func.attr in (
            "select_related",
            "prefetch_related",
        ):
            facts.eager_loading.append(f"{self.at(node)} .{node.func.attr}()")
        if name in ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine"):
            facts.sync_engine.append(f"{self.at(node)} create_engine()")
        if name == "sqlalchemy.ext.asyncio.create_async_engine":
            facts.async_engine.append(f"{self.at(node)} create_async_engine()")
        if last in ("StreamingResponse", "EventSourceResponse"):
            facts.realtime.append(f"{self.at(node)} {last}")
        if name in WORKFLOW_CALLS:
            facts.workflows.append(f"{self.at(node)} {name}()")
        if last == "Retry" and name.split(".")[0] in ("arq", "rq", "dramatiq"):
            facts.retries.append(f"{self.at(node)} {name}()")
        if last == "add_event_handler":
            facts.on_event.append(f"{self.at(node)} {name}()")
        for kw in node.keywords:
            if kw.arg in RETRY_KEYWORDS:
                facts.retries.append(f"{self.at(node)} {kw.arg}=")
            elif kw.arg == "rate_limit":
                facts.workflows.append(f"{self.at(node)} rate_limit=")
            elif kw.arg == "queue" and last in ("task", "shared_task", "apply_async", "send_task"):
                facts.routing.append(f"{self.at(node)} queue=")
        self.generic_visit(node)

    def _in_async(self, node: ast.Call, name: str, scope: _Scope) -> None:
        facts = self.facts
        lib = BLOCKING_CALLS.get(name)
        if lib is None and name.split(".")[-1][:1].islower():
            candidate = self.index.lib_of(name)
            if candidate is not None and self.index.libs[candidate].blocking:
                lib = candidate
        if name == "open" and "open" in self.aliases:
            lib = None  # a local or imported `open`, not the builtin
        if lib is not None:
            facts.blocking_in_async.append(Hit(f"{name}()", lib, self.at(node), scope.name))
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ORM_TERMINALS
            and _chain_has_objects(func.value)
        ):
            shown = f"{_dotted(func) or '...' + func.attr}()"
            facts.sync_orm_in_async.append(Hit(shown, "django", self.at(node), scope.name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "beat_schedule":
            self.facts.workflows.append(f"{self.at(node)} beat_schedule")
        elif node.attr == "task_routes":
            self.facts.routing.append(f"{self.at(node)} task_routes")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            if node.id.endswith("BEAT_SCHEDULE"):
                self.facts.workflows.append(f"{self.at(node)} {node.id}")
            elif node.id.endswith("TASK_ROUTES"):
                self.facts.routing.append(f"{self.at(node)} {node.id}")

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if not isinstance(value, str) or len(value) > 300:
            return
        db = _db_of_string(value)
        if db:
            self.facts.db_urls.setdefault(db, []).append(f"{self.at(node)} {value!r}")


def _db_of_string(value: str) -> str:
    lowered = value.lower()
    if lowered.startswith("django.db.backends."):
        engine = lowered.rsplit(".", 1)[-1]
        if engine.startswith("postgres"):
            return "postgres"
        if engine == "mysql":
            return "mysql"
        if engine == "sqlite3":
            return "sqlite"
        return ""
    scheme = lowered.split("://", 1)[0] if "://" in lowered else ""
    scheme = scheme.split("+", 1)[0]
    if scheme in ("postgres", "postgresql"):
        return "postgres"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    if lowered.startswith("sqlite:"):
        return "sqlite"
    return ""
