"""Run stackwise's layer rules, import-linter and tach on the same tree; print findings and time.

    python benchmarks/layers_vs_import_linter.py                    # the by-layer fixture
    python benchmarks/layers_vs_import_linter.py tests/fixtures/layers/by_feature
    python benchmarks/layers_vs_import_linter.py PROJECT --runs 5   # any project folder

The contract given to the peers is the one `stackwise layout` infers for the tree, written in
each tool's own configuration (`.importlinter`, `tach.toml`), so the three tools judge the same
rules; the configurations are printed, which also shows how to move a stackwise contract to
import-linter. The peers are installed with pip into a virtualenv under $STACKWISE_BENCH_DIR
(default ~/.cache/stackwise-bench), and run on a copy of the tree. Times are the best of
--runs wall-clock runs of each command line, cold (no stackwise cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from stackwise.rules.layers._contracts import RANK
from stackwise.structure import Layout, detect_layout

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent / "tests" / "fixtures" / "layers" / "by_layer"
RANKED = sorted(RANK, key=lambda layer: -RANK[layer])  # api first


def peers_venv() -> Path:
    base = Path(os.environ.get("STACKWISE_BENCH_DIR", Path.home() / ".cache" / "stackwise-bench"))
    env = base / "peers-venv"
    bin_dir = env / ("Scripts" if os.name == "nt" else "bin")
    if not (bin_dir / "lint-imports").exists() or not (bin_dir / "tach").exists():
        print(f"installing import-linter and tach into {env} ...", file=sys.stderr)
        venv.create(env, with_pip=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q",
                        "import-linter", "tach"], check=True)
    return bin_dir


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    best = float("inf")
    result: subprocess.CompletedProcess[str] | None = None
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def layer_modules(layout: Layout) -> list[tuple[str, list[str]]]:
    found = {e.layer: list(e.modules) for e in layout.layers}
    return [(layer, found[layer]) for layer in RANKED if layer in found]


def importlinter_config(layout: Layout) -> str:
    root = (layout.app_root or layout.packages[0]).split(".")[0]
    lines = ["[importlinter]", f"root_package = {root}", ""]
    if layout.style == "by-layer" or not layout.features:
        lines += ["[importlinter:contract:layers]", "name = Layers (as stackwise infers them)",
                  "type = layers", "exhaustive = false", "layers ="]
        lines += [f"    {' : '.join(mods)}" for _, mods in layer_modules(layout)]
        schemas = next((e.modules for e in layout.layers if e.layer == "schemas"), ())
        upper = [m for layer, mods in layer_modules(layout) if RANK[layer] >= 2 for m in mods]
        if schemas and upper:
            lines += ["", "[importlinter:contract:schemas]",
                      "name = Schemas import no api, dependencies or services module",
                      "type = forbidden", "source_modules ="]
            lines += [f"    {m}" for m in schemas] + ["forbidden_modules ="]
            lines += [f"    {m}" for m in upper]
    else:
        words = {"api": "router", "services": "service", "models": "models"}
        containers = [f.package for f in layout.features]
        lines += ["[importlinter:contract:layers]",
                  "name = Layers inside each feature (as stackwise infers them)",
                  "type = layers", "containers ="]
        lines += [f"    {c}" for c in containers]
        lines += ["layers =", *[f"    ({words[w]})" for w in ("api", "services", "models")]]
        lines += ["", "[importlinter:contract:features]",
                  "name = Features are independent (stricter than LAY701)",
                  "type = independence", "modules ="]
        lines += [f"    {c}" for c in containers]
    return "\n".join(lines) + "\n"


def tach_config(layout: Layout) -> str | None:
    if layout.style != "by-layer":
        return None  # tach's layers need one module per layer; by-feature is not expressed here
    ranked = layer_modules(layout)
    out = ['source_roots = ["."]', 'exclude = ["tests", ".*"]',
           "layers = [" + ", ".join(f'"{layer}"' for layer, _ in ranked) + "]", ""]
    for layer, mods in ranked:
        for m in mods:
            out += ["[[modules]]", f'path = "{m}"', f'layer = "{layer}"', ""]
    upper = [m for layer, mods in ranked if RANK[layer] >= 2 for m in mods]
    for e in layout.layers:
        if e.layer in ("schemas", "core"):
            for m in e.modules:
                out += ["[[modules]]", f'path = "{m}"']
                out += ([f"cannot_depend_on = {json.dumps(upper)}"] if e.layer == "schemas"
                        else ["utility = true"])
                out.append("")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = Path(args.project).resolve()
    layout = detect_layout(source)
    print(f"project: {source}\nlayout: {layout.kind}, {layout.style}, app root "
          f"{layout.app_root or '-'}")
    if layout.style == "flat":
        print("no layers recognised: nothing to compare")
        return 1
    bin_dir = peers_venv()
    stackwise = [sys.executable, "-m", "stackwise", "check", ".", "--select", "LAY",
                 "--no-cache", "--format", "json"]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / source.name
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns(
            ".stackwise_cache", "__pycache__", ".importlinter", "tach.toml"))
        (tree / ".importlinter").write_text(importlinter_config(layout))
        tach = tach_config(layout)
        if tach is not None:
            (tree / "tach.toml").write_text(tach)
        print("\n--- .importlinter (what the inferred contract is in import-linter's terms) ---")
        print((tree / ".importlinter").read_text())
        if tach is not None:
            print("--- tach.toml ---")
            print(tach)

        rows: list[tuple[str, float, int, str]] = []
        seconds, run = timed(stackwise, tree, args.runs)
        findings = json.loads(run.stdout or "[]")
        findings = findings.get("findings", findings) if isinstance(findings, dict) else findings
        print("--- stackwise (LAY700/LAY701/LAY702) ---")
        for f in findings:
            print(f"{f['path']}:{f['line']} {f['code']} {f['message'][:110]}")
        rows.append(("stackwise check --select LAY", seconds, len(findings), ""))

        seconds, run = timed([str(bin_dir / "lint-imports"), "--no-cache"], tree, args.runs)
        text = run.stdout + run.stderr
        broken = [line for line in text.splitlines() if "is not allowed to import" in line
                  or "must not import" in line]
        print("--- import-linter ---")
        print("\n".join(broken) or text[-1500:])
        rows.append(("lint-imports", seconds, len(broken), "violations (chains counted once)"))

        if tach is not None:
            seconds, run = timed([str(bin_dir / "tach"), "check"], tree, args.runs)
            fails = [line for line in (run.stdout + run.stderr).splitlines() if "[FAIL]" in line]
            print("--- tach ---")
            print("\n".join(fails) or (run.stdout + run.stderr)[-1500:])
            rows.append(("tach check", seconds, len(fails), ""))

    print(f"\n{'tool':32} {'best of ' + str(args.runs):>12} {'findings':>9}")
    for name, secs, count, note in rows:
        print(f"{name:32} {secs:>11.2f}s {count:>9}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
