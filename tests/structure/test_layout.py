"""`stackwise layout`: the kind, style and layers a reader would name, on small trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackwise.cli import main
from stackwise.structure import detect_layout

FIXTURES = Path(__file__).parent.parent / "fixtures"


def make(root: Path, files: list[str]) -> Path:
    """Create empty modules; every folder on the way gets an `__init__.py` unless it is
    `src`, `tests` or ends with `/` in the list (a plain folder)."""
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        folder = path.parent
        while folder != root and folder.name not in ("src", "tests"):
            (folder / "__init__.py").touch()
            folder = folder.parent
    return root


def test_by_layer_fixture() -> None:
    layout = detect_layout(FIXTURES / "layers" / "by_layer")
    assert (layout.kind, layout.style, layout.app_root) == ("medium-app", "by-layer", "app")
    assert [e.layer for e in layout.layers] == [
        "api", "dependencies", "services", "repositories", "models", "schemas", "core"]
    assert layout.features == ()
    assert "app/routes/ -> layer api" in layout.evidence


def test_by_feature_fixture() -> None:
    layout = detect_layout(FIXTURES / "layers" / "by_feature")
    assert (layout.kind, layout.style) == ("medium-app", "by-feature")
    assert [f.name for f in layout.features] == ["notifications", "orders", "users"]
    users = next(f for f in layout.features if f.name == "users")
    assert users.layers == ("api", "services", "models", "schemas")


def test_declared_contract_replaces_the_inferred_layers() -> None:
    layout = detect_layout(FIXTURES / "layers" / "declared")
    assert [e.layer for e in layout.layers] == ["http", "application", "domain"]
    assert [f.package for f in layout.features] == ["shop.domain.catalog", "shop.domain.checkout"]


def test_single_module_is_a_script(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    layout = detect_layout(tmp_path)
    assert (layout.kind, layout.style) == ("script", "flat")


def test_src_layout_by_layer(tmp_path: Path) -> None:
    make(tmp_path, ["src/shop/api/routes.py", "src/shop/services/orders.py",
                    "src/shop/models/order.py", "src/shop/core/config.py", "tests/test_x.py"])
    layout = detect_layout(tmp_path)
    assert (layout.kind, layout.style, layout.packages) == ("src-layout", "by-layer", ("shop",))


def test_app_one_level_down_is_found(tmp_path: Path) -> None:
    make(tmp_path, ["backend/app/routers/users.py", "backend/app/services/users.py",
                    "backend/app/schemas/users.py"])
    layout = detect_layout(tmp_path)
    assert layout.style == "by-layer"
    assert layout.app_root == "backend.app"


def test_django_apps_are_features(tmp_path: Path) -> None:
    make(tmp_path, ["mysite/settings.py", "mysite/urls.py", "polls/models.py", "polls/views.py",
                    "polls/admin.py", "accounts/models.py", "accounts/views.py",
                    "accounts/forms.py"])
    (tmp_path / "manage.py").write_text("")
    layout = detect_layout(tmp_path)
    assert layout.style == "by-feature"
    assert [f.name for f in layout.features] == ["accounts", "polls"]


def test_features_in_a_container_package(tmp_path: Path) -> None:
    make(tmp_path, ["app/modules/users/router.py", "app/modules/users/service.py",
                    "app/modules/billing/router.py", "app/modules/billing/models.py",
                    "app/core/config.py", "app/main.py"])
    layout = detect_layout(tmp_path)
    assert layout.style == "by-feature"
    assert [f.package for f in layout.features] == ["app.modules.billing", "app.modules.users"]


def test_mixed_layout(tmp_path: Path) -> None:
    make(tmp_path, ["app/api/deps.py", "app/models/base.py", "app/schemas/common.py",
                    "app/users/router.py", "app/users/service.py",
                    "app/orders/router.py", "app/orders/service.py"])
    assert detect_layout(tmp_path).style == "mixed"


def test_a_library_without_layers_is_flat(tmp_path: Path) -> None:
    make(tmp_path, ["textkit/tokenize.py", "textkit/stem.py", "textkit/utils.py"])
    layout = detect_layout(tmp_path)
    assert (layout.kind, layout.style, layout.features) == ("medium-app", "flat", ())


def test_a_project_template_inside_a_package_is_not_an_app(tmp_path: Path) -> None:
    make(tmp_path, ["cms/admin/views.py", "cms/admin/models.py", "cms/images/views.py",
                    "cms/images/models.py"])
    template = tmp_path / "cms" / "project_template" / "home"
    template.mkdir(parents=True)
    (template / "__init__.py").touch()
    (template / "models.py").touch()
    layout = detect_layout(tmp_path)
    assert layout.packages == ("cms",)
    assert layout.style == "by-feature"


def test_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(FIXTURES / "layers" / "by_feature")
    assert main(["layout", folder]) == 0
    out = capsys.readouterr().out
    assert "style:    by-feature" in out
    assert "users" in out
    assert main(["layout", folder, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["style"] == "by-feature"
    assert {f["name"] for f in data["features"]} == {"notifications", "orders", "users"}
