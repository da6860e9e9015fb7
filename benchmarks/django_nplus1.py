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

Unless `--no-timing`, each corpus is also checked twice with every rule, `stackwise check
--no-cache` and `stackwise check --no-cache --ignore DJA`, and the wall times and their ratio
are printed: what the Django rules add to a full check (target: at most 30 %).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import WORK, ensure_venv, measure
from framework_precision import CORPORA, fetch

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


def run_djch(binary: Path, root: Path) -> tuple[float, float, set[tuple[str, int]], str]:
    m = measure([binary, "check"], cwd=root)
    found = set()
    for line in m.stdout.splitlines():
        hit = _DJCH_LINE.match(line.strip())
        if hit:
            found.add((hit["path"], int(hit["line"])))
    return m.wall, m.maxrss_mb, found, "" if m.returncode in (0, 1) else m.stderr[-300:]


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
        both = len(d_found & s_lines)
        print(f"{project:16} {files:5d} | {d_wall:7.1f} {d_mb:5.0f} {len(d_found):4d} | "
              f"{s_wall:11.1f} {s_mb:5.0f} {per['to-one (select)']:6d} "
              f"{per['to-many (prefetch)']:8d} {per['deferred field']:5d} "
              f"{per['per-iteration query']:5d} {per['serializer']:4d} {per['admin']:5d} "
              f"{per['export/table']:7d} {per['template']:4d} | {both:4d} "
              f"{len(d_found - s_lines):9d} {len(s_lines - d_found):7d}")
        for err, tool in ((d_err, "djch"), (s_err, "stackwise")):
            if err:
                print(f"    {tool} failed: {err.strip()}")
        totals.update({"djch": len(d_found), "stackwise": len(s_lines), "both": both,
                       "djch_s": round(d_wall), "sw_s": round(s_wall)})
        if not args.no_timing:
            full, f_err = run_full(root)
            bare, b_err = run_full(root, "DJA")
            timings.append((project, full, bare))
            for err in (f_err, b_err):
                if err:
                    print(f"    full check failed: {err.strip()}")
        if args.list:
            for path, line in sorted(d_found):
                print(f"    djch      {path}:{line}{'  (both)' if (path, line) in s_lines else ''}")
            for f in sorted(s_found, key=lambda f: (str(f["path"]), int(str(f["line"])))):
                print(f"    stackwise {f['path']}:{f['line']} {f['code']} {f['message']}")
    print(f"total: djch {totals['djch']} lines in ~{totals['djch_s']}s, stackwise "
          f"{totals['stackwise']} lines in ~{totals['sw_s']}s, on the same line: {totals['both']}")
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
