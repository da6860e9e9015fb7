"""Generate docs/rules/*.md from the rules' own docstrings: `python -m stackwise.rules.docs DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

from stackwise.rules.registry import all_rules


def write_docs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rules = all_rules()
    index = ["# Rules", "", "| Code | Name | What to do instead |", "|---|---|---|"]
    for meta in rules.values():
        path = folder / f"{meta.code}.md"
        path.write_text(meta.markdown(), encoding="utf-8")
        written.append(path)
        index.append(f"| [{meta.code}]({meta.code}.md) | {meta.name} | {meta.summary} |")
    (folder / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    for p in write_docs(target):
        print(p)
