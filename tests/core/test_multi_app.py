"""Several apps in one workspace: each found on its own, with its own services and endpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan
from seamline.core.model import Project

MONOREPO = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "monorepo"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    dest = tmp_path_factory.mktemp("ws") / "monorepo"
    shutil.copytree(MONOREPO, dest)
    return scan(dest)


def test_each_app_is_found_on_its_own(project):
    assert [(a.root, a.frameworks) for a in project.apps] == [
        (".", ()), ("services/orders", ("fastapi",)), ("services/users", ("flask",))]
    orders = next(a for a in project.apps if a.root == "services/orders")
    assert [(c.key, c.value, c.source) for c in orders.config if c.key == "entry"] == [
        ("entry", "app.main:app", "pyproject.toml")]
    assert not any(f.severity in ("error", "warning") for f in project.findings), project.findings


def test_services_belong_to_their_app(project):
    assert [(s.app, s.kind, s.settings, s.version) for s in project.services] == [
        ("services/orders", "postgres", ("ORDERS_DATABASE_URL",), "16"),
        ("services/orders", "redis", ("ORDERS_REDIS_URL",), "7"),
        ("services/users", "mysql", ("USERS_DATABASE_URL",), "8.0"),
    ]
    for s in project.services:
        own = [e for e in s.evidence if e.kind != "compose"]
        assert own and all(e.file.startswith(s.app + "/") for e in own), s


def test_same_package_name_in_two_apps_stays_apart(project):
    # both apps have a top-level package called `app`; the frontend has no Python at all
    files = {e.file.split("/app/")[0] for e in project.endpoints}
    assert files == {"services/orders", "services/users"}


def test_endpoints_say_their_app(project):
    assert [(e.app, e.method, e.path, e.handler) for e in project.endpoints] == [
        ("services/orders", "GET", "/health", "app.main.health"),
        ("services/orders", "GET", "/orders/", "app.api.list_orders"),
        ("services/orders", "POST", "/orders/", "app.api.create_order"),
        ("services/orders", "GET", "/orders/{order_id}", "app.api.get_order"),
        ("services/users", "POST", "/users/", "app.views.create_user"),
        ("services/users", "GET", "/users/{user_id}", "app.views.get_user"),
    ]
