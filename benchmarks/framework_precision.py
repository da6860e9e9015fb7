"""Run `stackwise check` on real framework projects from PyPI and print findings per code.

Usage:
    python benchmarks/framework_precision.py                 # counts per corpus and code
    python benchmarks/framework_precision.py --sample 20     # + 20 findings per code to review
    python benchmarks/framework_precision.py --select FAS201 --sample 50 --context 2

Each corpus is a (PyPI project, version) pair: the wheel (or, without one, the sdist) is
downloaded with `pip download --no-deps` into the git-ignored `benchmarks/.work/` and its Python
files are checked with the default settings, as a user would run `stackwise check` on them.
Only codes starting with one of PREFIXES are counted. Samples are drawn with a fixed seed, so a
reviewer and a re-run see the same findings; the precision read from them by hand is written
down in docs/precision.md.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

# (PyPI project, version): real applications (or libraries shipping one) per framework.
CORPORA: list[tuple[str, str]] = [
    # FastAPI
    ("open-webui", "0.12.4"),
    ("litellm", "1.110.2"),
    ("prefect", "3.9.1"),
    ("chainlit", "2.12.0"),
    ("lnbits", "1.6.2"),
    ("opal-server", "0.9.9"),
    ("fastapi-users", "15.0.5"),
    ("freqtrade", "2026.9"),
    ("lightrag-hku", "1.5.7"),
    ("langflow-base", "1.13.0"),
    ("zenml", "0.98.0"),
    ("khoj", "1.42.10"),  # FastAPI routes over Django models
    ("skyvern", "1.0.56"),
    ("gpustack", "2.3.0"),
    ("dstack", "0.22.5"),
    ("cognee", "1.6.5"),
    # Flask
    ("apache-superset", "6.1.0"),
    ("fittrackee", "1.3.6"),
    ("privacyidea", "3.14"),
    ("changedetection-io", "0.60.10"),
    ("mlflow", "3.18.0"),
    ("flask-appbuilder", "5.3.0"),
    ("flaskbb", "2.0.2"),
    ("calibreweb", "0.6.27"),
    ("pgadmin4", "9.18"),
    ("ihatemoney", "7.2.1"),
    ("archivy", "1.7.7"),
    # Django
    ("wagtail", "8.0.1"),
    ("django-oscar", "4.2.1"),
    ("pretix", "2026.8.0"),
    ("weblate", "5.14.3"),
    ("kiwitcms", "12.4"),
    ("mezzanine", "6.1.1"),
    ("django-cms", "5.1.3"),
    ("misago", "0.39.6"),
    ("django-helpdesk", "2.6.1"),
    ("pulpcore", "3.123.1"),
]

# Code prefixes this benchmark reports on.
PREFIXES: list[str] = ["FAS", "FLK", "ERR", "DJA"]

WORK = Path(__file__).resolve().parent / ".work"


def fetch(project: str, version: str) -> Path:
    """Download and unpack one distribution; returns the folder to check (cached)."""
    target = WORK / "src" / f"{project}-{version}"
    marker = target / ".with-templates"  # older extractions kept Python files only
    if target.is_dir() and marker.exists():
        return target
    dist = WORK / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    spec = f"{project}=={version}"
    for mode in ("--only-binary=:all:", "--no-binary=:all:"):
        found = _existing(dist, project, version)
        if found is not None:
            break
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", mode, "-d",
             str(dist), spec],
            check=False, capture_output=True,
        )
    found = _existing(dist, project, version)
    if found is None:
        raise SystemExit(f"could not download {spec}")
    target.mkdir(parents=True, exist_ok=True)
    if found.suffix == ".whl":
        with zipfile.ZipFile(found) as zf:
            for name in zf.namelist():
                if _extracted(name):
                    zf.extract(name, target)
    else:
        with tarfile.open(found) as tf:
            members = [m for m in tf.getmembers()
                       if m.isfile() and _extracted(m.name)]
            tf.extractall(target, members=members, filter="data")
    marker.touch()
    return target


def _extracted(name: str) -> bool:
    """Python files, and the templates DJA300 reads (`.html`/`.txt` under `templates/`)."""
    if ".." in name:
        return False
    return name.endswith(".py") or ("templates/" in name and name.endswith((".html", ".txt")))


def _existing(dist: Path, project: str, version: str) -> Path | None:
    stem = project.replace("-", "_").lower()
    for path in sorted(dist.iterdir()):
        name = path.name.lower().replace("-", "_")
        if name.startswith(f"{stem}_{version}") and path.suffix in (".whl", ".gz", ".zip"):
            return path
    return None


def wanted(code: str, select: list[str]) -> bool:
    return any(code.startswith(p) for p in PREFIXES) and (
        not select or any(code.startswith(s) for s in select))


def main(argv: list[str] | None = None) -> int:
    from stackwise import Settings, check

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=0, help="findings to print per code")
    parser.add_argument("--select", default="", help="comma-separated codes or prefixes")
    parser.add_argument("--corpus", default="",
                        help="comma-separated: only corpora whose name contains one of these")
    parser.add_argument("--skip", default="",
                        help="comma-separated: leave out corpora whose name contains one of these")
    parser.add_argument("--context", type=int, default=0, help="source lines around a sample")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    select = [s.strip() for s in args.select.split(",") if s.strip()]

    findings = []
    totals: Counter[str] = Counter()
    only = [c for c in args.corpus.split(",") if c]
    skip = [c for c in args.skip.split(",") if c]
    for project, version in CORPORA:
        if (only and not any(c in project for c in only)) or any(c in project for c in skip):
            continue
        root = fetch(project, version)
        result = check([root], settings=Settings(), root=root, use_cache=False, jobs=args.jobs)
        counts: Counter[str] = Counter()
        for f in result.findings:
            if wanted(f.code, select):
                counts[f.code] += 1
                findings.append((project, root, f))
        totals.update(counts)
        listed = ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) or "none"
        print(f"{project} {version}: {result.files_checked} files, "
              f"{result.seconds:.1f}s: {listed}")
    print("total: " + (", ".join(f"{c} {n}" for c, n in sorted(totals.items())) or "none"))

    if args.sample:
        by_code: dict[str, list[tuple[str, Path, object]]] = {}
        for item in findings:
            by_code.setdefault(item[2].code, []).append(item)
        for code in sorted(by_code):
            items = by_code[code]
            rng = random.Random(code)
            picked = items if len(items) <= args.sample else rng.sample(items, args.sample)
            picked.sort(key=lambda i: (i[0], i[2].path, i[2].line))
            print(f"\n=== {code}: {len(picked)} of {len(items)} ===")
            for n, (project, root, f) in enumerate(picked, 1):
                path = Path(f.path) if Path(f.path).is_absolute() else root / f.path
                print(f"[{n}] {project}: {path.relative_to(root)}:{f.line}: {f.message}")
                _show(path, f.line, args.context)
    return 0


def _show(path: Path, line: int, context: int) -> None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for i in range(max(1, line - context), min(len(lines), line + context) + 1):
        mark = ">" if i == line else " "
        print(f"    {mark}{i:5d} {lines[i - 1].rstrip()[:140]}")


if __name__ == "__main__":
    raise SystemExit(main())
