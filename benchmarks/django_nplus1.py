"""Compare stackwise's Django N+1 rules (DJA300/DJA301) with djch on real Django projects.

Usage:
    python benchmarks/django_nplus1.py                # every Django corpus
    python benchmarks/django_nplus1.py --corpus pretix --list
    python benchmarks/django_nplus1.py --no-timing    # skip the two full `stackwise check` runs

The corpora are the Django entries of `framework_precision.CORPORA`, plus juntagrico (a user of
django-import-export; django-oscar's dashboard uses django-tables2), downloaded from PyPI by
that script's `fetch` into the git-ignored `benchmarks/.work/`. djch
(`pip install djch`, a Rust static N+1 detector) is installed into its own virtualenv there.
Each tool runs once per corpus as a child process, measured with `_common.measure` (wall time,
peak memory). Findings are compared by `path:line`; stackwise's are split per pattern: a
forward relation read per row (select_related), a reverse/many-to-many manager read per row
(prefetch_related), a deferred field read per row, and a query per loop iteration (DJA301);
the reads with no loop written are counted apart: DRF serializers, the admin (`list_display`,
admin exports), import-export resources and django-tables2 tables, and templates (a finding in a
file that is not `.py`). djch prints one kind of warning (`[N+1] row.attr`). `--list` prints
every finding of both.

Every line only djch reports is sorted into a category by `classify` (tests and migrations by
path; an assignment `row.rel = x`; a write `row.rel.create(...)`; no loop around it; a row that
no enclosing loop binds; the same relation stackwise reports in the same loop; a loop over a
literal; an attribute no model of the tree declares as a relation), and the count per category
is printed; `other` is what is left to read by hand (`--list` tags each line).

Unless `--no-timing`, each corpus is also checked twice with every rule, `stackwise check
--no-cache` and `stackwise check --no-cache --ignore DJA`, and the wall times and their ratio
are printed: what the Django rules add to a full check (target: at most 30 %). The two runs
alternate `--repeat` times (default 3) and the best of each counts, since the speed of a
shared machine drifts between minutes.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import WORK, ensure_venv, measure
from framework_precision import CORPORA, fetch

from stackwise.rules.django._models import is_test_or_migration

DJANGO = ("wagtail", "django-oscar", "pretix", "weblate", "kiwitcms", "mezzanine", "django-cms",
          "misago", "django-helpdesk", "pulpcore", "juntagrico")
# Django corpora this benchmark adds to framework_precision's (PyPI project, version)
EXTRA: list[tuple[str, str]] = [("juntagrico", "2.0.10")]
_DJCH_LINE = re.compile(r"^(?P<path>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): \[N\+1\] (?P<what>.*)$")


def pattern(code: str, message: str, path: str = "") -> str:
    if code == "DJA301":
        return "per-iteration query"
    if path and not path.endswith(".py"):
        return "template"
    if "was deferred" in message:
        return "deferred field"
    if "serializer fields read" in message:
        return "serializer"
    if "in the admin list" in message or "in the admin export" in message:
        return "admin"
    if message.startswith(("N+1 query: resource `", "N+1 query: table `")):
        return "export/table"
    if "runs one query per row" in message:
        return "to-many (prefetch)"
    return "to-one (select)"


def run_djch(binary: Path, root: Path) -> tuple[float, float, dict[tuple[str, int], list[Access]],
                                                str]:
    """djch's findings: (path, line) -> the accesses it reports there (column, `row.attr`)."""
    m = measure([binary, "check"], cwd=root)
    found: dict[tuple[str, int], list[Access]] = {}
    for line in m.stdout.splitlines():
        hit = _DJCH_LINE.match(line.strip())
        if hit:
            found.setdefault((hit["path"], int(hit["line"])), []).append(
                (int(hit["col"]), hit["what"].strip()))
    return m.wall, m.maxrss_mb, found, "" if m.returncode in (0, 1) else m.stderr[-300:]


Access = tuple[int, str]  # djch's column (1-based) and `row.attr`

# why a line only djch reports, decided from the code where it can be (see `classify`)
CATEGORIES = ("test/migration", "assignment", "write", "not in a loop", "not the loop's row",
              "same loop as ours", "loop over a literal", "no such relation in the tree",
              "other")
_WRITES = frozenset({"create", "add", "save", "delete", "update", "set", "remove", "clear",
                     "get_or_create", "update_or_create", "bulk_create"})
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_RELATION_CALLS = ("ForeignKey", "OneToOneField", "ManyToManyField", "GenericForeignKey",
                   "GenericRelation", "ParentalKey", "ParentalManyToManyField", "TreeForeignKey",
                   "TreeManyToManyField", "TaggableManager", "ClusterTaggableManager")
# relations of django.contrib models, which are not in the corpora
_CONTRIB_RELATIONS = frozenset({"groups", "user_permissions", "permissions", "content_type",
                                "user", "site", "logentry_set"})


class _Tree:
    """The parsed files of one corpus and the relation names its models declare."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parsed: dict[str, tuple[ast.Module, dict[ast.AST, ast.AST]] | None] = {}
        self._relations: set[str] | None = None

    def parsed(self, path: str) -> tuple[ast.Module, dict[ast.AST, ast.AST]] | None:
        if path not in self._parsed:
            try:
                module = ast.parse((self.root / path).read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._parsed[path] = None
            else:
                parents = {child: node for node in ast.walk(module)
                           for child in ast.iter_child_nodes(node)}
                self._parsed[path] = (module, parents)
        return self._parsed[path]

    def relations(self) -> set[str]:
        """Every relation name a model of the tree declares: fields, `related_name`s."""
        if self._relations is None:
            names = set(_CONTRIB_RELATIONS)
            for file in self.root.rglob("*.py"):
                try:
                    module = ast.parse(file.read_text(encoding="utf-8"))
                except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                    continue
                for node in ast.walk(module):
                    if not isinstance(node, ast.Call):
                        continue
                    func = node.func
                    fname = func.attr if isinstance(func, ast.Attribute) else (
                        func.id if isinstance(func, ast.Name) else "")
                    if not fname.endswith(_RELATION_CALLS):
                        continue
                    for kw in node.keywords:
                        if kw.arg in ("related_name", "related_query_name") and isinstance(
                                kw.value, ast.Constant) and isinstance(kw.value.value, str):
                            # a `%(class)s_...` template names relations we cannot list
                            names.add("%" if "%(" in kw.value.value else kw.value.value)
                for node in ast.walk(module):
                    if isinstance(node, ast.ClassDef):
                        for stmt in node.body:
                            if isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(
                                    stmt.value, ast.Call):
                                func = stmt.value.func
                                fname = func.attr if isinstance(func, ast.Attribute) else (
                                    func.id if isinstance(func, ast.Name) else "")
                                if fname.endswith(_RELATION_CALLS):
                                    targets = (stmt.targets if isinstance(stmt, ast.Assign)
                                               else [stmt.target])
                                    names.update(t.id for t in targets
                                                 if isinstance(t, ast.Name))
            self._relations = names
        return self._relations


def _access_node(module: ast.Module, line: int, col: int, what: str) -> ast.Attribute | None:
    """The `row.attr` attribute djch points at (its column is 1-based)."""
    attr = what.rsplit(".", 1)[-1]
    best: ast.Attribute | None = None
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and node.lineno == line and node.attr == attr:
            if node.col_offset == col - 1:
                return node
            best = best or node
    return best


def _loops_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[ast.AST]:
    """The loops and comprehensions around `node` in its own function, innermost first (a
    `for` whose iterable holds `node` does not count: the iterable is evaluated once)."""
    out: list[ast.AST] = []
    cur = parents.get(node)
    while cur is not None and not isinstance(cur, _FUNCS):
        once: ast.AST | None = None
        if isinstance(cur, ast.For | ast.AsyncFor):
            once = cur.iter
        elif isinstance(cur, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            once = cur.generators[0].iter
        if isinstance(cur, ast.For | ast.AsyncFor | ast.While | ast.ListComp | ast.SetComp
                      | ast.DictComp | ast.GeneratorExp) and not (
                          once is not None and any(n is node for n in ast.walk(once))):
            out.append(cur)
        cur = parents.get(cur)
    return out


def _binds(loop: ast.AST, name: str) -> bool:
    """Whether `name` is a loop target of `loop` or assigned anywhere inside it."""
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in ast.walk(loop))


def classify(tree: _Tree, path: str, line: int, accesses: list[Access],
             ours: list[tuple[int, str]]) -> str:
    """Why stackwise does not report this djch line: one of `CATEGORIES` ("other": read it).

    `ours` holds stackwise's findings in the same file as (line, message).
    """
    if is_test_or_migration(path):
        return "test/migration"
    parsed = tree.parsed(path)
    if parsed is None:
        return "other"
    module, parents = parsed
    kinds = []
    for col, what in accesses:
        node = _access_node(module, line, col, what)
        if node is None:
            kinds.append("other")
            continue
        parent = parents.get(node)
        if isinstance(node.ctx, ast.Store | ast.Del):
            kinds.append("assignment")
            continue
        # `row.rel.create(...)`, `row.rel.filter(...).delete()`: a write, nothing to prefetch
        up: ast.AST | None = parent
        while isinstance(up, ast.Attribute) and isinstance(parents.get(up), ast.Call):
            if up.attr in _WRITES:
                break
            up = parents.get(parents[up])
            up = up if isinstance(up, ast.Attribute) else None
        if isinstance(up, ast.Attribute) and up.attr in _WRITES:
            kinds.append("write")
            continue
        loops = _loops_of(node, parents)
        if not loops:
            kinds.append("not in a loop")
            continue
        row = what.split(".", 1)[0]
        own = [lp for lp in loops if _binds(lp, row)]
        if not own:  # an object fixed before the loop: its relation is cached after one read
            kinds.append("not the loop's row")
            continue
        loop = own[-1]  # the outermost loop that binds the row: stackwise reports once in it
        first, last = loop.lineno, loop.end_lineno or loop.lineno
        if any(first <= n <= last and (f"`{what}`" in msg or f"`{what}." in msg)
               for n, msg in ours):
            kinds.append("same loop as ours")
            continue
        it = getattr(own[0], "iter", None)
        if it is None and isinstance(own[0], ast.ListComp | ast.SetComp | ast.DictComp
                                     | ast.GeneratorExp):
            it = own[0].generators[0].iter
        if isinstance(it, ast.List | ast.Tuple | ast.Set) or (
                isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                and it.func.id == "range"):
            kinds.append("loop over a literal")
            continue
        relations = tree.relations()
        if "%" not in relations and node.attr not in relations and not node.attr.endswith(
                "_set"):
            kinds.append("no such relation in the tree")
            continue
        kinds.append("other")
    # a line counts as its most telling access: any unexplained one leaves it to be read
    return "other" if "other" in kinds else min(kinds, key=CATEGORIES.index)


def run_stackwise(root: Path) -> tuple[float, float, list[dict[str, object]], str]:
    config = root / "pyproject.toml"
    if not config.exists():  # the corpus is its own project, not part of this repository
        config.write_text("[tool.stackwise]\n", encoding="utf-8")
    m = measure([sys.executable, "-m", "stackwise", "check", str(root), "--select",
                 "DJA300,DJA301", "--format", "json", "--no-cache", "--exit-zero", "-q"],
                cwd=root)
    try:
        data = json.loads(m.stdout)
    except json.JSONDecodeError:
        return m.wall, m.maxrss_mb, [], m.stderr[-300:]
    findings = data["findings"] if isinstance(data, dict) else data
    return m.wall, m.maxrss_mb, list(findings), ""


def run_full(root: Path, ignore: str = "") -> tuple[float, str]:
    """Wall time of a full `stackwise check --no-cache` (every rule), optionally `--ignore`."""
    cmd = [sys.executable, "-m", "stackwise", "check", str(root), "--no-cache", "--exit-zero",
           "-q", "--format", "json"]
    if ignore:
        cmd += ["--ignore", ignore]
    m = measure(cmd, cwd=root)
    return m.wall, "" if m.returncode == 0 else m.stderr[-300:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="", help="only corpora whose name contains this")
    parser.add_argument("--list", action="store_true", help="print every finding of both tools")
    parser.add_argument("--no-timing", action="store_true",
                        help="skip the full-check timing with and without the DJA rules")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timing: runs of each full check, interleaved; the best counts")
    args = parser.parse_args(argv)

    djch_python = ensure_venv(WORK / "djch-venv", sys.executable, ["djch==0.1.9"])
    djch = djch_python.parent / "djch"
    header = (f"{'project':16} {'files':>5} | {'djch s':>7} {'MB':>5} {'N+1':>4} | "
              f"{'stackwise s':>11} {'MB':>5} {'select':>6} {'prefetch':>8} {'defer':>5} "
              f"{'loopq':>5} {'ser':>4} {'admin':>5} {'exp/tbl':>7} {'tmpl':>4} | {'both':>4} "
              f"{'djch only':>9} {'sw only':>7}")
    print(header)
    print("-" * len(header))
    totals: Counter[str] = Counter()
    categories: Counter[str] = Counter()  # the djch-only lines, by `classify`
    timings: list[tuple[str, float, float]] = []
    for project, version in [*CORPORA, *EXTRA]:
        if project not in DJANGO or (args.corpus and args.corpus not in project):
            continue
        root = fetch(project, version)
        files = sum(1 for _ in root.rglob("*.py"))
        d_wall, d_mb, d_found, d_err = run_djch(djch, root)
        s_wall, s_mb, s_found, s_err = run_stackwise(root)
        per: Counter[str] = Counter(pattern(str(f["code"]), str(f["message"]), str(f["path"]))
                                    for f in s_found)
        s_lines = {(str(f["path"]), int(str(f["line"]))) for f in s_found}
        d_lines = set(d_found)
        both = len(d_lines & s_lines)
        tree = _Tree(root)
        why = {key: classify(tree, key[0], key[1], d_found[key],
                             [(int(str(f["line"])), str(f["message"])) for f in s_found
                              if f["path"] == key[0]])
               for key in sorted(d_lines - s_lines)}
        categories.update(why.values())
        print(f"{project:16} {files:5d} | {d_wall:7.1f} {d_mb:5.0f} {len(d_found):4d} | "
              f"{s_wall:11.1f} {s_mb:5.0f} {per['to-one (select)']:6d} "
              f"{per['to-many (prefetch)']:8d} {per['deferred field']:5d} "
              f"{per['per-iteration query']:5d} {per['serializer']:4d} {per['admin']:5d} "
              f"{per['export/table']:7d} {per['template']:4d} | {both:4d} "
              f"{len(d_lines - s_lines):9d} {len(s_lines - d_lines):7d}")
        for err, tool in ((d_err, "djch"), (s_err, "stackwise")):
            if err:
                print(f"    {tool} failed: {err.strip()}")
        totals.update({"djch": len(d_lines), "stackwise": len(s_lines), "both": both,
                       "djch_s": round(d_wall), "sw_s": round(s_wall)})
        if not args.no_timing:
            # interleaved, best of --repeat: this machine's speed drifts within minutes
            fulls: list[float] = []
            bares: list[float] = []
            for _ in range(max(1, args.repeat)):
                full, f_err = run_full(root)
                bare, b_err = run_full(root, "DJA")
                fulls.append(full)
                bares.append(bare)
                for err in (f_err, b_err):
                    if err:
                        print(f"    full check failed: {err.strip()}")
            timings.append((project, min(fulls), min(bares)))
        if args.list:
            for path, line in sorted(d_lines):
                whats = " ".join(sorted({w for _, w in d_found[path, line]}))
                tag = "(both)" if (path, line) in s_lines else f"[{why[path, line]}]"
                print(f"    djch      {path}:{line} {whats}  {tag}")
            for f in sorted(s_found, key=lambda f: (str(f["path"]), int(str(f["line"])))):
                print(f"    stackwise {f['path']}:{f['line']} {f['code']} {f['message']}")
    print(f"total: djch {totals['djch']} lines in ~{totals['djch_s']}s, stackwise "
          f"{totals['stackwise']} lines in ~{totals['sw_s']}s, on the same line: {totals['both']}")
    print(f"djch-only lines by category ({sum(categories.values())}):")
    for name in CATEGORIES:
        print(f"    {name:30} {categories[name]:4d}")
    if timings:
        print()
        print(f"{'project':16} {'check s':>8} {'--ignore DJA s':>14} {'DJA adds':>8}")
        for project, full, bare in timings:
            print(f"{project:16} {full:8.1f} {bare:14.1f} {(full / bare - 1) * 100 if bare else 0:7.0f}%")
        full_t = sum(t[1] for t in timings)
        bare_t = sum(t[2] for t in timings)
        print(f"{'all':16} {full_t:8.1f} {bare_t:14.1f} "
              f"{(full_t / bare_t - 1) * 100 if bare_t else 0:7.0f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
