"""DJA301 on a loop row's related manager passed to a helper that returns it filtered."""

from __future__ import annotations

from pathlib import Path

from stackwise import Settings, check
from stackwise.findings import Finding

MODELS = '''from django.db import models


class Bundle(models.Model):
    name = models.CharField(max_length=20)


class SubscriptionType(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="types")
    visible = models.BooleanField(default=True)
    trial_days = models.PositiveIntegerField(default=0)
'''

FORMS = '''from shop.models import Bundle


class PartForm:
    def fields(self):
        out = []
        for bundle in Bundle.objects.all():
            for subscription_type in self.type_filter(bundle.types):
                out.append((bundle.name, subscription_type.pk))
        return out

    def type_filter(self, qs):
        return qs.filter(visible=True)


class ContinueForm(PartForm):
    def type_filter(self, qs):
        return super().type_filter(qs).exclude(trial_days__gt=0)
'''


def _findings(tmp_path: Path, forms: str) -> list[Finding]:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    (tmp_path / "shop" / "forms.py").write_text(forms)
    settings = Settings(select=("DJA301",))
    result = check([tmp_path], settings=settings, root=tmp_path, use_cache=False, jobs=1)
    return sorted(result.findings, key=lambda f: (f.path, f.line, f.code))


def test_helper_filtering_the_row_relation_is_reported_with_the_helper(tmp_path: Path) -> None:
    [finding] = _findings(tmp_path, FORMS)
    assert (finding.path, finding.line, finding.code) == ("shop/forms.py", 8, "DJA301")
    assert finding.message.startswith(
        "query per row: `self.type_filter(bundle.types)` returns `qs.filter(...)` "
        "(`PartForm.type_filter` at shop/forms.py:12)")
    assert "`Prefetch(\"types\", queryset=..., to_attr=\"types_list\")`" in finding.message
    # the chain goes from the queryset and the call to the helper
    assert [(f.path, f.line) for f in finding.chain][-1] == ("shop/forms.py", 12)


def test_an_override_returning_something_else_keeps_it_silent(tmp_path: Path) -> None:
    forms = FORMS.replace("return super().type_filter(qs).exclude(trial_days__gt=0)",
                          "return list(super().type_filter(qs))")
    assert _findings(tmp_path, forms) == []


def test_an_override_in_a_subclass_of_a_subclass_is_checked(tmp_path: Path) -> None:
    forms = FORMS + '''

class AdminForm(ContinueForm):
    def type_filter(self, qs):
        return qs
'''
    assert _findings(tmp_path, forms) == []
