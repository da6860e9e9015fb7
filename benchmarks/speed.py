"""Speed benchmark: stackwise against a bare parse and its peers on the stdlib and Django.

Prints figures; it is not a test and always exits 0. For each corpus, in the same run and the
same process tree: a bare "read and ast.parse every file on 2 processes" baseline, `ruff check
--select ASYNC`, `blockpath check`, optionally flake8 + flake8-async (`--with-flake8`, ~100 s on
the stdlib), and `stackwise check --select ASY` cold (empty cache), warm (cache, nothing
changed) and after one file is edited.

Targets (2-core machine): cold at most 1.5x the bare parse; warm at most 0.25 s on the standard
library; peak memory under 300 MB.

    python benchmarks/speed.py [--corpus stdlib,django] [--with-flake8] [--python PY]

Corpora and tools are fetched into benchmarks/.work/ (gitignored) on the first run.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

COLD_RATIO = 1.5
WARM_STDLIB_S = 0.25
PEAK_MB = 300.0


def bench(corpus: c.Corpus, python: str, tools: Path | None, args: argparse.Namespace) -> bool:
    t = args.timeout
    rows = c.peer_rows(python, corpus, tools, t, args.with_flake8 and corpus.name == "stdlib")
    cold, warm, touched = c.stackwise_runs(python, corpus, t, select="ASY")
    rows += [cold, warm, touched]
    c.print_table(f"== {corpus.name}: {corpus.description} ==", rows)
    bare = rows[0]
    print(f"  findings by code: stackwise {c.per_code_line(cold)}")
    for r in rows[1:-3]:
        print(f"                    {r.tool.split()[0]} {c.per_code_line(r)}")
    if cold.unparsed:
        print(f"  files stackwise could not parse (SW000): {', '.join(cold.unparsed)}")
    print(f"  stackwise cold / bare parse: {c.ratio(cold.wall, bare.wall)} wall, "
          f"{c.ratio(cold.cpu, bare.cpu)} cpu")
    print(f"  stackwise edit-one / bare parse: {c.ratio(touched.wall, bare.wall)}")
    for peer in rows[1:-3]:
        versus = c.faster_or_slower(cold, peer)
        if versus is not None and peer.findings is not None:
            print(f"  stackwise cold vs {peer.tool}: {versus}, warm {warm.wall or 0:.2f}s")
    ok_cold = None if cold.wall is None or bare.wall is None else \
        cold.wall <= COLD_RATIO * bare.wall
    peak = max((r.maxrss_mb or 0) for r in (cold, warm, touched))
    ok_peak = None if cold.maxrss_mb is None else peak < PEAK_MB
    print(f"  target cold <= {COLD_RATIO}x bare parse: {c.verdict(ok_cold)}")
    if corpus.name == "stdlib":
        ok_warm = None if warm.wall is None else warm.wall <= WARM_STDLIB_S
        print(f"  target warm <= {WARM_STDLIB_S}s: {c.verdict(ok_warm)} "
              f"({c._fmt(warm.wall, '.2f')}s)")
    print(f"  target peak memory < {PEAK_MB:.0f} MB: {c.verdict(ok_peak)} ({peak:.0f} MB)")
    return bool(ok_cold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Speed of stackwise vs a bare parse, ruff, blockpath and flake8-async.",
        epilog=__doc__.split("\n\n", 2)[-1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus", default="stdlib,django",
                        help="comma-separated: stdlib, django (default: both)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs stackwise and the bare parse; its standard "
                             "library is the stdlib corpus (default: this one)")
    parser.add_argument("--with-flake8", action="store_true",
                        help="also run flake8 + flake8-async on the stdlib (about 100 s on an "
                             "idle machine)")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip ruff, blockpath and flake8 (no tools virtualenv)")
    parser.add_argument("--timeout", type=float, default=c.DEFAULT_TIMEOUT,
                        help="seconds before one tool run is stopped (default: %(default)s)")
    parser.add_argument("--refresh", action="store_true", help="download the corpora again")
    args = parser.parse_args(argv)

    python = args.python
    try:
        c.python_version(python)
        import_check = c.measure([python, "-c", "import stackwise"], timeout=120)
        if import_check.returncode != 0:
            print(f"stackwise is not importable by {python}; install it with "
                  f"`{python} -m pip install -e {c.REPO}`")
            return 0
    except Exception as exc:  # the benchmark prints, never fails
        print(f"cannot use {python}: {exc}")
        return 0
    tools: Path | None = None
    if not args.no_peers:
        peer_python = c.find_python((3, 12))
        if peer_python is None:
            print("no Python 3.12+ found for the peers (blockpath needs it); skipping them")
        else:
            try:
                tools = c.tools_venv(peer_python)
            except Exception as exc:
                print(f"could not install the peers: {exc}")
    print(f"machine: {platform.machine()}, {c.os.cpu_count()} cores, {platform.system()}; "
          f"stackwise under Python {'.'.join(map(str, c.python_version(python)))}")
    if tools is not None:
        print(f"peers: {c.tool_version(tools / 'ruff', '--version')}; "
              f"{c.tool_version(tools / 'blockpath', '--version')}; "
              f"flake8 {c.tool_version(tools / 'flake8', '--version')}")
    for name in [n.strip() for n in args.corpus.split(",") if n.strip()]:
        try:
            if name == "stdlib":
                corpus = c.stdlib_corpus(python)
            elif name == "django":
                corpus = c.django_corpus(python, refresh=args.refresh)
            else:
                print(f"unknown corpus {name!r} (stdlib, django)")
                continue
            bench(corpus, python, tools, args)
        except Exception as exc:
            print(f"{name}: benchmark failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
