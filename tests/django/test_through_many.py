"""DJA300's fix for a relation read through a to-many relation: only prefetch_related loads it."""

from __future__ import annotations

from pathlib import Path

from stackwise import check

MODELS = '''from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=20)


class Author(models.Model):
    name = models.CharField(max_length=20)


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
'''

VIEWS = '''from app.models import Author


def page(request):
    out = []
    for a in Author.objects.prefetch_related("book_set"):
        for b in a.book_set.all():
            out.append(b.category.name)
    for a in Author.objects.select_related().prefetch_related("book_set__category"):
        for b in a.book_set.all():
            out.append(b.category.name)
    return out
'''


def test_a_foreign_key_behind_a_to_many_relation_is_prefetched(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    result = check([tmp_path], root=tmp_path, use_cache=False, jobs=1, select=["DJA300"])
    assert [(f.line, f.code) for f in result.findings] == [(8, "DJA300")]
    message = result.findings[0].message
    assert 'prefetch_related("book_set__category")' in message
    assert "select_related" not in message  # Django rejects select_related across a to-many
