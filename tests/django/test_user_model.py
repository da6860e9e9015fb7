"""`get_user_model()` and `ForeignKey(settings.AUTH_USER_MODEL)` follow the project's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackwise import check

MODELS = '''from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Member(AbstractUser):
    team = models.ForeignKey("accounts.Team", null=True, on_delete=models.SET_NULL)

    objects = UserManager()


class Team(models.Model):
    name = models.CharField(max_length=20)


class Note(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
'''

TASKS = '''from django.contrib.auth import get_user_model

from accounts.models import Note

User = get_user_model()


def team_names():
    return [u.team.name for u in User.objects.all()]


def note_teams():
    return [n.author.team.name for n in Note.objects.select_related("author")]
'''


def _project(tmp_path: Path, settings: dict[str, str]) -> list[tuple[str, int]]:
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "__init__.py").write_text("")
    (tmp_path / "accounts" / "models.py").write_text(MODELS)
    (tmp_path / "accounts" / "tasks.py").write_text(TASKS)
    for name, value in settings.items():
        (tmp_path / name).write_text(f'INSTALLED_APPS = ["django.contrib.auth", "accounts"]\n'
                                     f"AUTH_USER_MODEL = {value}\n")
    result = check([tmp_path], root=tmp_path, use_cache=False, jobs=1)
    return sorted((f.path, f.line) for f in result.findings if f.code == "DJA300")


def test_the_settings_user_model_is_followed(tmp_path: Path) -> None:
    found = _project(tmp_path, {"settings.py": '"accounts.Member"'})
    assert found == [("accounts/tasks.py", 9), ("accounts/tasks.py", 13)]


@pytest.mark.parametrize("settings", [
    {},  # django.contrib.auth's own User: not a model of the project
    {"settings.py": '"accounts.Member"', "settings_other.py": '"other.Person"'},
    {"settings.py": 'env("USER_MODEL")'},
], ids=["no-setting", "two-settings-disagree", "not-a-literal"])
def test_an_unknown_user_model_stays_silent(tmp_path: Path, settings: dict[str, str]) -> None:
    assert _project(tmp_path, settings) == []
