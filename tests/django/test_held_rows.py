"""DJA300 on rows a queryset method hands out from a container property (`_held_rows`)."""

from __future__ import annotations

from pathlib import Path

from stackwise import Settings, check
from stackwise.findings import Finding

MODELS = '''from collections import defaultdict

from django.db import models
from django.utils.functional import cached_property


class Project(models.Model):
    name = models.CharField(max_length=100)


class HookQuerySet(models.QuerySet):
    def for_event(self, project, event):
        return project.hooks_cache[event]


class Hook(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="hooks")
    owner = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20)
    name = models.CharField(max_length=100)

    objects = HookQuerySet.as_manager()


class Board(models.Model):
    name = models.CharField(max_length=100)

    @cached_property
    def hooks_cache(self):
        result = defaultdict(list)
        for hook in Hook.objects.filter(project__name=self.name):
            result[hook.event].append(hook)
        return result
'''

HANDLERS = '''from shop.models import Hook


def fire(project, event):
    return [hook.owner.name for hook in Hook.objects.for_event(project, event)]


def count(project, event):
    return len(Hook.objects.for_event(project, event))
'''


def _findings(tmp_path: Path, models: str, select: str = "DJA") -> list[Finding]:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(models)
    (tmp_path / "shop" / "handlers.py").write_text(HANDLERS)
    settings = Settings(select=(select,))
    result = check([tmp_path], settings=settings, root=tmp_path, use_cache=False, jobs=1)
    return sorted(result.findings, key=lambda f: (f.path, f.line, f.code))


def test_rows_from_the_property_are_followed_to_their_queryset(tmp_path: Path) -> None:
    [finding] = _findings(tmp_path, MODELS)
    assert (finding.path, finding.line, finding.code) == ("shop/handlers.py", 5, "DJA300")
    assert finding.message == (
        "N+1 query: `hook.owner` is loaded by one query per row of the `Hook` queryset built "
        "at shop/models.py:31 in `Board.hooks_cache`; add `.select_related(\"owner\")` to it")
    # the chain starts where the rows were loaded, in the property
    assert (finding.chain[0].path, finding.chain[0].line) == ("shop/models.py", 31)
    # (the only finding: `len()` of the list the method returns is no queryset test, DJA304)


def test_a_name_defined_twice_in_the_project_is_not_followed(tmp_path: Path) -> None:
    models = MODELS + '''

class Archive:
    @property
    def hooks_cache(self):
        return {}
'''
    assert _findings(tmp_path, models) == []


def test_a_class_attribute_of_the_same_name_is_not_followed(tmp_path: Path) -> None:
    models = MODELS.replace('''class Board(models.Model):
    name = models.CharField(max_length=100)
''', '''class Board(models.Model):
    name = models.CharField(max_length=100)


class Template(models.Model):
    hooks_cache = models.JSONField(default=dict)
''')
    assert _findings(tmp_path, models) == []


def test_a_plain_method_of_that_name_is_not_a_container(tmp_path: Path) -> None:
    models = MODELS.replace("    @cached_property\n    def hooks_cache", "    def hooks_cache")
    assert _findings(tmp_path, models) == []


def test_the_property_selecting_the_relation_keeps_it_silent(tmp_path: Path) -> None:
    models = MODELS.replace('Hook.objects.filter(project__name=self.name)',
                            'Hook.objects.filter(project__name=self.name).select_related("owner")')
    assert _findings(tmp_path, models) == []


def test_a_container_a_nested_function_can_change_is_not_followed(tmp_path: Path) -> None:
    models = MODELS.replace("        return result\n",
                            "        self.reset = lambda: result.clear()\n        return result\n")
    assert _findings(tmp_path, models) == []
