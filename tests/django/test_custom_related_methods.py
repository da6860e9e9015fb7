"""Custom queryset methods on related managers, and managers of well-known third-party packages."""

from __future__ import annotations

from pathlib import Path

from stackwise import Settings, check
from stackwise.findings import Finding

MODELS = '''from django.db import models
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey


class EventQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(public=True)


class Event(models.Model):
    public = models.BooleanField(default=True)

    objects = EventQuerySet.as_manager()


class Channel(models.Model):
    name = models.CharField(max_length=20)


class OrderQuerySet(models.QuerySet):
    def paid(self):
        return self.filter(status="p")


class Order(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="orders")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    status = models.CharField(max_length=1)

    objects = OrderQuerySet.as_manager()


class JoinedTreeManager(TreeManager):
    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class Category(MPTTModel):
    parent = TreeForeignKey("self", null=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=20)

    objects = JoinedTreeManager()
'''

TASKS = '''from shop.models import Category, Event


def paid_orders():
    for event in Event.objects.all():
        list(event.orders.paid())


def filtered_orders():
    for event in Event.objects.all():
        list(event.orders.filter(status="p"))


def upcoming_orders():
    # `upcoming()` belongs to Event's queryset, not to Order's: not followed
    for event in Event.objects.all():
        for o in event.orders.upcoming():
            print(o.channel.name)


def parents():
    # the project's TreeManager subclass joins the parent in get_queryset()
    return [c.parent.name for c in Category.objects.all()]
'''


def _findings(tmp_path: Path) -> list[Finding]:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    (tmp_path / "shop" / "tasks.py").write_text(TASKS)
    settings = Settings(select=("DJA300", "DJA301"))
    result = check([tmp_path], settings=settings, root=tmp_path, use_cache=False, jobs=1)
    return sorted(result.findings, key=lambda f: (f.path, f.line, f.code))


def test_custom_method_on_a_related_manager_is_a_query_per_row(tmp_path: Path) -> None:
    found = {(f.line, f.code): f.message for f in _findings(tmp_path)}
    assert sorted(found) == [(6, "DJA301"), (11, "DJA301")]
    custom, builtin = found[6, "DJA301"], found[11, "DJA301"]
    assert "`event.orders.paid()` runs a new query for each row of the `Event` queryset" in custom
    # a branch of a custom method may return the manager's rows unchanged: no claim about a
    # prefetch, which `.filter()` always bypasses
    assert "even when prefetched" not in custom
    assert "even when prefetched" in builtin
