"""Download real applications from PyPI and print what `stackwise layout` says about each.

    python benchmarks/layout_real_projects.py            # the list below
    python benchmarks/layout_real_projects.py NAME ...   # other PyPI projects

Each project's wheel is downloaded with pip (`--no-deps`, nothing is installed or run) into
$STACKWISE_BENCH_DIR (default ~/.cache/stackwise-bench) and unpacked; the layout is detected
from its module names. EXPECTED is what a reader of each tree would call it, so a changed
verdict shows up as a mismatch. The LAY findings and the time of `stackwise check --select LAY`
on the same tree are printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from stackwise import check
from stackwise.structure import detect_layout

# name, pinned version, what a reader calls the tree
PROJECTS: list[tuple[str, str, str]] = [
    ("fastapi-users", "15.0.5", "by-layer"),   # router/, schemas.py, models.py, db/, manager.py
    ("lnbits", "1.6.2", "by-layer"),           # lnbits/core/{views,services,crud,models}/
    ("fittrackee", "1.3.6", "by-feature"),     # users/, workouts/, equipments/... each with models
    ("opal-server", "0.9.9", "by-feature"),    # data/, policy/, scopes/, security/ each with api
    ("wagtail", "8.0.1", "mixed"),             # Django apps by feature beside models/, api/, views
]


def fetch(name: str, version: str | None, cache: Path) -> Path:
    target = cache / f"{name}-{version or 'latest'}"
    if target.is_dir():
        return target
    downloads = cache / "wheels"
    downloads.mkdir(parents=True, exist_ok=True)
    spec = f"{name}=={version}" if version else name
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                    ":all:", "-q", "-d", str(downloads), spec], check=True)
    stem = name.replace("-", "_").lower()
    wheels = sorted(p for p in downloads.glob("*.whl") if p.name.lower().startswith(stem + "-")
                    and (version is None or f"-{version}-" in p.name))
    if not wheels:
        raise SystemExit(f"no wheel of {spec} was downloaded")
    with zipfile.ZipFile(wheels[-1]) as zf:
        zf.extractall(target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="PyPI project names (default: the list)")
    args = parser.parse_args()
    cache = Path(os.environ.get("STACKWISE_BENCH_DIR",
                                Path.home() / ".cache" / "stackwise-bench"))
    wanted = ([(n, None, "?") for n in args.names] if args.names
              else [(n, v, e) for n, v, e in PROJECTS])
    mismatches = 0
    for name, version, expected in wanted:
        tree = fetch(name, version, cache)
        layout = detect_layout(tree)
        started = time.perf_counter()
        result = check([tree], root=tree, use_cache=False, select=["LAY"])
        seconds = time.perf_counter() - started
        counts: dict[str, int] = {}
        for f in result.findings:
            counts[f.code] = counts.get(f.code, 0) + 1
        verdict = "" if expected in ("?", layout.style) else f"  MISMATCH (expected {expected})"
        mismatches += bool(verdict)
        print(f"== {name} {version or ''}: {layout.kind}, {layout.style}, app root "
              f"{layout.app_root or '-'}{verdict}")
        for e in layout.layers:
            shown = ", ".join(e.modules[:4]) + (" ..." if len(e.modules) > 4 else "")
            print(f"   layer {e.layer:<13} {shown}")
        if layout.features:
            print(f"   features ({len(layout.features)}): "
                  + ", ".join(f.name for f in layout.features[:12]))
        print(f"   LAY findings: {counts or 'none'} in {result.files_checked} files, "
              f"{seconds:.2f}s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
