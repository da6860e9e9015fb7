"""Summarise a CSV of expenses per category."""

import argparse
import csv
from collections import defaultdict
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def totals(rows: list[dict[str, str]]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        out[row["category"]] += float(row["amount"])
    return dict(out)


def format_report(sums: dict[str, float]) -> str:
    return "\n".join(f"{name:<20}{value:>10.2f}" for name, value in sorted(sums.items()))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(format_report(totals(read_rows(args.csv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
