"""Big-tree benchmark: a full `stackwise check` (every rule) on Home Assistant, Django, stdlib.

Prints figures; it is not a test and always exits 0. Fetches the latest Home Assistant core
wheel (it needs Python 3.13 to parse, so stackwise runs under a Python 3.13 virtualenv made in
benchmarks/.work/venv313 with `pip install -e .`), the Django sdist and that Python's standard
library, and for each prints: files, findings per code, SW000/SW001 counts (goal: no SW001, and
SW000 only for files that really do not parse, each listed), wall time cold, warm and after one
edit, peak memory, and the same figures for a bare 2-process parse, for the same parse followed
by an empty Python walk of every tree (the floor of any `ast`-based analysis in Python), and
for ruff and blockpath on the same tree.

Goals (2-core machine): Home Assistant cold within 2x the bare parse and under 1 GB peak;
warm under 1 s.

    python benchmarks/big_trees.py [--corpus homeassistant,django,stdlib] [--python PY313]
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

COLD_RATIO = 2.0
WARM_S = 1.0
PEAK_MB = 1024.0


def bench(corpus: c.Corpus, python: str, tools: Path | None, args: argparse.Namespace) -> None:
    t = args.timeout
    rows = c.peer_rows(python, corpus, tools, t, args.with_flake8)
    walk = c.safe(lambda: c.run_bare(python, corpus, t, walk=True), "parse + empty walk")
    cold, warm, touched = c.stackwise_runs(python, corpus, t, select=None)
    peers = rows[1:]
    rows += [walk, cold, warm, touched]
    c.print_table(f"== {corpus.name}: {corpus.description} ==", rows)
    bare = rows[0]
    print(f"  stackwise findings by code: {c.per_code_line(cold)}")
    sw000, sw001 = cold.per_code.get("SW000", 0), cold.per_code.get("SW001", 0)
    print(f"  SW001 (internal errors): {sw001} (goal: 0) -> {c.verdict(sw001 == 0)}")
    really_bad = set(bare.unparsed)
    extra = [p for p in cold.unparsed if p not in really_bad]
    print(f"  SW000 (could not analyse): {sw000}; files the bare parse also rejects: "
          f"{len(really_bad)}; SW000 on files that do parse: {len(extra)} -> "
          f"{c.verdict(not extra)}")
    for p in cold.unparsed:
        print(f"    SW000 {p}{'' if p in really_bad else '  (parses with ast.parse!)'}")
    for r in peers:
        print(f"  {r.tool}: findings by code: {c.per_code_line(r)}")
        versus = c.faster_or_slower(cold, r)
        if versus is not None:
            print(f"    stackwise cold is {versus}")
    print(f"  stackwise cold / bare parse: {c.ratio(cold.wall, bare.wall)} wall, "
          f"{c.ratio(cold.cpu, bare.cpu)} cpu; edit-one / bare parse: "
          f"{c.ratio(touched.wall, bare.wall)}")
    print(f"  floor for any analysis in Python: parse + empty walk / bare parse: "
          f"{c.ratio(walk.wall, bare.wall)} wall, {c.ratio(walk.cpu, bare.cpu)} cpu")
    peak = max((r.maxrss_mb or 0) for r in (cold, warm, touched))
    tree = max((r.tree_mb or 0) for r in (cold, warm, touched))
    if corpus.name == "homeassistant":
        ok_cold = None if cold.wall is None or bare.wall is None else \
            cold.wall <= COLD_RATIO * bare.wall
        print(f"  goal cold <= {COLD_RATIO}x bare parse: {c.verdict(ok_cold)}")
        print(f"  goal peak < 1 GB: {c.verdict(peak < PEAK_MB and tree < PEAK_MB)} "
              f"(largest process {peak:.0f} MB, whole tree {tree:.0f} MB)")
        ok_warm = None if warm.wall is None else warm.wall < WARM_S
        print(f"  goal warm < {WARM_S:.0f} s: {c.verdict(ok_warm)} ({c._fmt(warm.wall, '.2f')}s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Full stackwise check on Home Assistant, Django and the stdlib.",
        epilog=__doc__.split("\n\n", 2)[-1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus", default="homeassistant,django,stdlib",
                        help="comma-separated: homeassistant, django, stdlib (default: all)")
    parser.add_argument("--python", default=None,
                        help="a Python 3.13+ with stackwise installed (default: a virtualenv "
                             "made in benchmarks/.work/venv313 from a Python 3.13 found here)")
    parser.add_argument("--base-python", default=None,
                        help="the Python 3.13+ to make that virtualenv from")
    parser.add_argument("--with-flake8", action="store_true",
                        help="also run flake8 + flake8-async (slow: minutes per tree)")
    parser.add_argument("--no-peers", action="store_true", help="skip ruff and blockpath")
    parser.add_argument("--timeout", type=float, default=c.DEFAULT_TIMEOUT,
                        help="seconds before one tool run is stopped (default: %(default)s)")
    parser.add_argument("--refresh", action="store_true", help="download the corpora again")
    args = parser.parse_args(argv)

    python = args.python
    if python is None:
        base = c.find_python((3, 13), args.base_python)
        if base is None:
            print("no Python 3.13+ found: Home Assistant needs it to parse; pass --base-python")
            return 0
        try:
            python = str(c.ensure_venv(c.WORK / "venv313", base, (), editable=c.REPO))
        except Exception as exc:
            print(f"could not make the Python 3.13 virtualenv: {exc}")
            return 0
    tools: Path | None = None
    if not args.no_peers:
        try:
            tools = c.tools_venv(python if c.python_version(python) >= (3, 12) else
                                 c.find_python((3, 12)) or python)
        except Exception as exc:
            print(f"could not install the peers: {exc}")
    version = ".".join(map(str, c.python_version(python)))
    print(f"machine: {platform.machine()}, {c.os.cpu_count()} cores, {platform.system()}; "
          f"stackwise under Python {version} ({python})")
    if tools is not None:
        print(f"peers: {c.tool_version(tools / 'ruff', '--version')}; "
              f"{c.tool_version(tools / 'blockpath', '--version')}")
    for name in [n.strip() for n in args.corpus.split(",") if n.strip()]:
        try:
            if name == "homeassistant":
                if c.python_version(python) < (3, 13):
                    print("homeassistant: needs Python 3.13+ to parse; skipped")
                    continue
                corpus = c.homeassistant_corpus(python, refresh=args.refresh)
            elif name == "django":
                corpus = c.django_corpus(python, refresh=args.refresh)
            elif name == "stdlib":
                corpus = c.stdlib_corpus(python)
            else:
                print(f"unknown corpus {name!r} (homeassistant, django, stdlib)")
                continue
            bench(corpus, python, tools, args)
        except Exception as exc:
            print(f"{name}: benchmark failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
