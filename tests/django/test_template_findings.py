"""DJA300 in templates: where findings point, what they say, and that template edits count."""

from __future__ import annotations

import shutil
from pathlib import Path

from stackwise import Settings, check
from stackwise.findings import Finding

from ..conftest import FIXTURES

PROJECT = FIXTURES / "django" / "dja300_templates"


def _findings(root: Path, use_cache: bool = False) -> dict[tuple[str, int], Finding]:
    result = check([root], settings=Settings(select=("DJA300",)), root=root,
                   use_cache=use_cache, jobs=1)
    return {(f.path, f.line): f for f in result.findings}


def test_finding_points_at_the_read_and_names_the_fix() -> None:
    found = _findings(PROJECT)
    f = found[("shop/templates/shop/book_list.html", 3)]
    line = (PROJECT / "shop/templates/shop/book_list.html").read_text().splitlines()[2]
    assert line[f.column - 1: f.end_column - 1] == "book.author"
    assert "set `queryset = Book.objects.select_related(\"author\")` on `BookList`" in f.message
    chain = [(c.path, c.line) for c in f.chain]
    assert chain == [("shop/templates/shop/book_list.html", 3), ("shop/views.py", 8)]


def test_included_template_chain_goes_through_the_include() -> None:
    f = _findings(PROJECT)[("shop/templates/shop/_book_row.html", 1)]
    assert [c.path for c in f.chain] == [
        "shop/templates/shop/_book_row.html", "shop/templates/shop/cheap.html",
        "shop/views.py", "shop/views.py"]
    assert "`CheapBooks.get_queryset`" in f.message


def test_editing_a_template_is_seen_on_a_warm_run(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    before = _findings(root, use_cache=True)
    assert _findings(root, use_cache=True).keys() == before.keys()
    joined = root / "shop/templates/shop/joined.html"
    joined.write_text(joined.read_text() + "{% for b in object_list %}{{ b.publisher }}"
                      "{% endfor %}\n")
    after = _findings(root, use_cache=True)
    assert set(after) - set(before) == {("shop/templates/shop/joined.html", 5)}


def test_a_template_that_appears_is_seen_on_a_warm_run(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    # the project-level folder (DIRS) wins over the app's folder once the file exists
    before = _findings(root, use_cache=True)
    assert ("templates/shop/joined.html", 1) not in before
    (root / "templates/shop").mkdir()
    (root / "templates/shop/joined.html").write_text(
        "{% for b in object_list %}{{ b.publisher.name }}{% endfor %}\n")
    after = _findings(root, use_cache=True)
    assert ("templates/shop/joined.html", 1) in after
