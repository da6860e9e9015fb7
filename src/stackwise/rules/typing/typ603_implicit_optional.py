"""TYP603: a parameter defaults to None but its annotation does not admit None."""

from __future__ import annotations

from stackwise.engine.project import Project, ProjectReporter
from stackwise.findings import Severity
from stackwise.rules._api import ProjectRule
from stackwise.rules.typing._public import module_facts, module_role

# Types known not to admit None. Anything else (a TypeVar, an alias, a third-party name) might,
# so it is not judged; classes defined in the project are known too.
_KNOWN_PREFIXES = ("builtins.", "collections.abc.", "collections.")
_KNOWN = frozenset({
    "typing.List", "typing.Dict", "typing.Set", "typing.FrozenSet", "typing.Tuple",
    "typing.Type", "typing.Sequence", "typing.MutableSequence", "typing.Mapping",
    "typing.MutableMapping", "typing.Iterable", "typing.Iterator", "typing.Callable",
    "typing.Collection", "typing.AbstractSet", "typing.MutableSet",
    "typing.DefaultDict", "typing.OrderedDict", "typing.Counter", "typing.Deque",
    "typing.Pattern", "typing.Match", "typing.IO", "typing.TextIO", "typing.BinaryIO",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta",
    "pathlib.Path", "pathlib.PurePath", "decimal.Decimal", "uuid.UUID", "re.Pattern",
    "fractions.Fraction", "ipaddress.IPv4Address", "ipaddress.IPv6Address",
})
_NOT_KNOWN = frozenset({"builtins.object"})


class ImplicitOptional(ProjectRule):
    """
    ## What it does
    Reports a parameter whose default is `None` while its annotation does not admit `None`:
    `timeout: float = None`. Only annotations known not to admit None are judged (builtins,
    standard containers and classes, classes of the project); an alias or a `TypeVar` that might
    include None is left alone. Checked in every module except tests.

    ## Why it matters
    PEP 484 dropped "implicit Optional": mypy (since 0.990) and pyright read `x: int = None` as
    an error, and callers reading the signature believe `None` is not accepted. Inside the
    function, `x` is treated as `int`, so the `None` case is never checked.

    ## Example
    ```python
    def connect(url: str, timeout: float = None) -> Connection:
        ...
    ```

    ## Use instead
    ```python
    def connect(url: str, timeout: float | None = None) -> Connection:
        ...
    ```
    """

    code = "TYP603"
    name = "implicit-optional"
    summary = "Parameter defaults to None but its type does not admit None: write `T | None`"
    severity = Severity.WARNING

    def check_project(self, project: Project, report: ProjectReporter) -> None:
        for path in sorted(project.files):
            ff = project.files[path]
            if module_role(path, ff.module, ff.is_package) in ("test", "migration"):
                continue
            facts = module_facts(project, path)
            if facts is None:
                continue
            for fn in facts["functions"]:
                name, cls_name = fn[0], fn[1]
                function = f"{ff.module}.{cls_name}.{name}" if cls_name else f"{ff.module}.{name}"
                for p in fn[6]:
                    implicit = p[8]
                    if implicit is None:
                        continue
                    text, heads = implicit
                    if not all(self._known(project, h) for h in heads):
                        continue
                    report.report(
                        self, path, p[1], p[2],
                        f"`{p[0]}` defaults to None but `{text}` does not admit None; write "
                        f"`{p[0]}: {text} | None = None`",
                        end_line=p[3], end_column=p[4], function=function,
                    )

    @staticmethod
    def _known(project: Project, head: str) -> bool:
        if head in _NOT_KNOWN:
            return False
        if head in _KNOWN or head.startswith(_KNOWN_PREFIXES):
            return True
        return project.resolve_class(head) is not None
