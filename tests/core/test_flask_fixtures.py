"""The Flask linker on the two fixture apps: expected endpoints asserted exactly."""

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan

APPS = Path(__file__).parent.parent / "fixtures" / "apps"


def _scan(name):
    return scan(APPS / name)


def _rows(project):
    return sorted(((e.method, e.path, e.handler) for e in project.endpoints), key=lambda r: (r[1], r[0]))


@pytest.fixture(scope="module")
def tutorial():
    return _scan("flask_tutorial")


@pytest.fixture(scope="module")
def api():
    return _scan("flask_api")


def test_tutorial_endpoints_are_exactly_the_flaskr_routes(tutorial):
    assert _rows(tutorial) == [
        ("GET", "/", "flaskr.blog.index"),
        ("GET", "/auth/login", "flaskr.auth.login"),
        ("POST", "/auth/login", "flaskr.auth.login"),
        ("GET", "/auth/logout", "flaskr.auth.logout"),
        ("GET", "/auth/register", "flaskr.auth.register"),
        ("POST", "/auth/register", "flaskr.auth.register"),
        ("GET", "/create", "flaskr.blog.create"),
        ("POST", "/create", "flaskr.blog.create"),
        ("GET", "/hello", "flaskr.create_app.<locals>.hello"),
        ("POST", "/{id}/delete", "flaskr.blog.delete"),
        ("GET", "/{id}/update", "flaskr.blog.update"),
        ("POST", "/{id}/update", "flaskr.blog.update"),
    ]


def test_tutorial_entry_names_and_locations(tutorial):
    assert tutorial.apps[0].entry == "flaskr:create_app"
    assert tutorial.apps[0].frameworks == ("flask",)
    by_key = {e.key: e for e in tutorial.endpoints}
    update = by_key["POST /{id}/update"]
    assert (update.name, update.file, update.line, update.decorator_lines) == \
        ("blog.update", "flaskr/blog.py", 39, (37,))
    assert update.span.line == 39 and update.span.end_line > 39
    assert by_key["GET /hello"].name == "hello"
    assert all(e.framework == "flask" and e.app == "." for e in tutorial.endpoints)


def test_tutorial_custom_login_required_is_a_session_requirement(tutorial):
    protected = sorted(e.key for e in tutorial.endpoints if e.auth)
    assert protected == ["GET /create", "GET /{id}/update", "POST /create", "POST /{id}/delete",
                         "POST /{id}/update"]
    auth = next(e for e in tutorial.endpoints if e.key == "POST /create").auth
    assert [(a.kind, a.via, a.file) for a in auth] == [("session", "flaskr.auth.login_required", "flaskr/auth.py")]


def test_tutorial_login_view_is_the_session_token_source(tutorial):
    assert [(t.kind, t.name, t.scheme) for t in tutorial.token_sources] == \
        [("endpoint", "POST /auth/login", "session")]


def test_tutorial_form_params_only_on_post(tutorial):
    by_key = {e.key: e for e in tutorial.endpoints}
    post = by_key["POST /{id}/update"]
    assert [(p.name, p.location, p.type, p.required) for p in post.params] == [
        ("id", "path", "int", True), ("title", "form", "str", True), ("body", "form", "str", False)]
    assert [p.name for p in by_key["GET /{id}/update"].params] == ["id"]


def test_api_endpoints_compose_nested_blueprint_prefixes(api):
    assert _rows(api) == [
        ("GET", "/admin/stats", "api.admin.stats"),
        ("POST", "/api/v1/auth/login", "api.v1.auth.login"),
        ("GET", "/api/v1/auth/me", "api.v1.auth.me"),
        ("GET", "/api/v1/items/", "api.v1.items.ItemListAPI.get"),
        ("POST", "/api/v1/items/", "api.v1.items.ItemListAPI.post"),
        ("GET", "/api/v1/items/files/{name}", "api.v1.items.download"),
        ("GET", "/api/v1/items/search", "api.v1.items.search"),
        ("GET", "/api/v1/items/search/{threshold}", "api.v1.items.search"),
        ("DELETE", "/api/v1/items/{item_id}", "api.v1.items.ItemAPI.delete"),
        ("GET", "/api/v1/items/{item_id}", "api.v1.items.ItemAPI.get"),
        ("PUT", "/api/v1/items/{item_id}", "api.v1.items.ItemAPI.put"),
        ("POST", "/api/v1/items/{token}/share", "api.v1.items.share"),
        ("GET", "/export", "api.views.ExportView.dispatch_request"),
        ("POST", "/export", "api.views.ExportView.dispatch_request"),
        ("GET", "/health", "api.create_app.<locals>.health"),
    ]


def test_api_endpoint_names_follow_flask(api):
    names = {e.key: e.name for e in api.endpoints}
    assert names["POST /api/v1/auth/login"] == "v1.auth.login"
    assert names["GET /api/v1/items/{item_id}"] == "v1.items.item"
    assert names["GET /api/v1/items/"] == "v1.items.item_list"
    assert names["GET /export"] == "export"
    assert names["GET /admin/stats"] == "admin.stats"


def test_api_auth_kinds(api):
    auth = {e.key: [(a.kind, a.via) for a in e.auth] for e in api.endpoints}
    jwt = [("jwt", "flask_jwt_extended.jwt_required")]
    assert auth["GET /api/v1/auth/me"] == jwt
    assert auth["GET /api/v1/items/{item_id}"] == jwt  # MethodView `decorators = [...]`
    assert auth["POST /api/v1/items/"] == jwt  # decorator on the method
    assert auth["GET /api/v1/items/"] == []
    assert auth["GET /api/v1/items/search"] == [("custom", "api.security.require_api_key")]
    assert auth["POST /api/v1/auth/login"] == []


def test_api_params_and_converters(api):
    params = {e.key: [(p.name, p.location, p.type) for p in e.params] for e in api.endpoints}
    assert params["POST /api/v1/items/{token}/share"] == [("token", "path", "uuid")]
    assert params["GET /api/v1/items/files/{name}"] == [("name", "path", "path")]
    assert params["GET /api/v1/items/search/{threshold}"] == [("threshold", "path", "float"), ("q", "query", "str")]
    assert params["GET /api/v1/items/"] == [("page", "query", "int")]
    assert params["POST /api/v1/auth/login"] == [("username", "body", "Any"), ("password", "body", "Any")]


def test_api_token_sources_and_entry(api):
    assert api.apps[0].entry == "api:create_app"
    assert sorted((t.kind, t.name, t.scheme) for t in api.token_sources) == [
        ("endpoint", "POST /api/v1/auth/login", "jwt"), ("function", "api.v1.auth.login", "jwt")]


def test_api_unregistered_blueprint_is_an_info_finding(api):
    found = [(f.code, f.severity, f.file) for f in api.findings if f.code.endswith("blueprint")]
    assert found == [("unregistered-blueprint", "info", "api/admin.py")]
