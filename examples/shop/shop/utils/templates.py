"""Tiny template rendering."""

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def render_template(name: str, **context: object) -> str:
    return read_template(name).format(**context)


def read_template(name: str) -> str:
    with open(TEMPLATES / name, encoding="utf-8") as fh:
        return fh.read()
