"""What the Django rules' per-file facts cost: every file analysed with and without the DJA rules.

Usage:
    python benchmarks/django_facts_cost.py                 # every Django corpus
    python benchmarks/django_facts_cost.py --corpus pretix --repeat 5

One process, no cache, no project rules: each corpus's files are read once, then analysed with
every per-file rule and collector, and again without the DJA ones, `--repeat` times in turn;
the best `time.process_time()` of each counts. This is the part of a full check the Django
rules add that scales with the tree (`django_nplus1.py` times whole checks, which this
machine's drifting speed makes noisy); the corpora are the ones `django_nplus1.py` downloads.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django_nplus1 import DJANGO, EXTRA
from framework_precision import CORPORA, fetch

from stackwise.config import Settings
from stackwise.engine.extract import analyse_source
from stackwise.rules._api import Rule
from stackwise.rules.registry import manifest


def _rules() -> tuple[list[type[Rule]], list[type[Rule]]]:
    loaded = [ref.load() for ref in manifest()]
    per_file = [r for r in loaded if isinstance(r, type) and issubclass(r, Rule)]
    return per_file, [r for r in per_file if not r.code.startswith("DJA")]


def _analyse_all(files: list[tuple[bytes, str]], rules: list[type[Rule]],
                 settings: Settings) -> float:
    started = time.process_time()
    for data, path in files:
        module = path[:-3].replace("/", ".").removesuffix(".__init__")
        analyse_source(data, path, module, path.endswith("__init__.py"), settings, rules)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="", help="only corpora whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    every, without = _rules()
    settings = Settings()
    print(f"{'project':16} {'files':>5} {'all s':>7} {'no DJA s':>8} {'DJA adds':>8}")
    totals = [0.0, 0.0]
    for project, version in [*CORPORA, *EXTRA]:
        if project not in DJANGO or (args.corpus and args.corpus not in project):
            continue
        root = fetch(project, version)
        files = [(p.read_bytes(), p.relative_to(root).as_posix())
                 for p in sorted(root.rglob("*.py")) if p.is_file()]
        best = [float("inf"), float("inf")]
        for _ in range(max(1, args.repeat)):
            for i, rules in enumerate((every, without)):
                best[i] = min(best[i], _analyse_all(files, rules, settings))
        totals = [totals[0] + best[0], totals[1] + best[1]]
        print(f"{project:16} {len(files):5d} {best[0]:7.2f} {best[1]:8.2f} "
              f"{(best[0] / best[1] - 1) * 100:7.0f}%")
    if totals[1]:
        print(f"{'all':16} {'':5} {totals[0]:7.2f} {totals[1]:8.2f} "
              f"{(totals[0] / totals[1] - 1) * 100:7.0f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
