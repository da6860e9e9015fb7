"""Where one file's analysis time goes: the parse, the engine with no rule, every rule.

Prints figures; not a test. Runs in this process (one core) on every N-th `.py` file of a tree,
with `time.process_time`, the best of K passes for each layer, the layers interleaved so that a
drift in the machine's speed hits them alike:

* `bare parse`: `ast.parse` with the cyclic garbage collector on, as `_bare_parse.py` runs it;
* `parse, gc paused`: the same with the collector paused, as stackwise parses;
* `parse + empty walk`: every node visited once in Python, doing nothing;
* `engine, no rule`: `extract.analyse_source` with no rule (decode, parse, parents, scopes,
  bindings, imports, call facts with their resolved targets, suppressions);
* `every rule`: the same with every per-file rule and fact collector.

    python benchmarks/engine_layers.py TREE [--step 10] [--repeat 3]

Home Assistant needs Python 3.13 to parse: run it with `benchmarks/.work/venv313/bin/python`
(made by `big_trees.py`) on `benchmarks/.work/corpora/homeassistant-*`.
"""

from __future__ import annotations

import argparse
import ast
import gc
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bare_parse import SKIP_DIRS, empty_walk

from stackwise.config import Settings
from stackwise.engine import extract
from stackwise.rules import registry


def _files(tree: Path, step: int) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for p in sorted(tree.rglob("*.py")):
        if any(part in SKIP_DIRS for part in p.parts):
            continue
        out.append((str(p), p.read_bytes()))
    return out[::step]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--step", type=int, default=10, help="every N-th file (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per layer (default 3)")
    args = parser.parse_args(argv)
    files = _files(args.tree, max(1, args.step))
    parsed: list[tuple[str, bytes]] = []
    for path, data in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the same files for every layer: those that parse here
        parsed.append((path, data))
    rules = registry.file_rules()
    settings = Settings()

    def parse() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _, data in parsed:
                ast.parse(data)

    def parse_paused() -> None:
        gc.disable()
        try:
            parse()
        finally:
            gc.enable()

    def walk() -> None:
        gc.disable()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _, data in parsed:
                    empty_walk(ast.parse(data))
        finally:
            gc.enable()

    def analyse(with_rules: bool) -> Callable[[], None]:
        chosen = rules if with_rules else ()

        def run() -> None:
            for path, data in parsed:
                extract.analyse_source(data, path, "corpus.module", False, settings, chosen)
        return run

    layers: list[tuple[str, Callable[[], None]]] = [
        ("bare parse (gc on)", parse), ("parse, gc paused", parse_paused),
        ("parse + empty walk", walk), ("engine, no rule", analyse(False)),
        ("every rule", analyse(True)),
    ]
    best = {name: float("inf") for name, _ in layers}
    for _ in range(max(1, args.repeat)):
        for name, fn in layers:
            start = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - start)
    size = sum(len(d) for _, d in parsed) / 1e6
    print(f"{args.tree}: {len(parsed)} files ({size:.1f} MB), Python {sys.version.split()[0]}, "
          f"best of {args.repeat}, cpu seconds")
    base = best["bare parse (gc on)"]
    for name, _ in layers:
        print(f"  {name:22} {best[name]:7.2f} s  {best[name] / base:5.2f}x the bare parse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
