"""The FastAPI linker on two small, realistic fixture apps: exact endpoint lists, plus the
auth, schema and token facts the test generators rely on."""

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan

APPS = Path(__file__).parent.parent / "fixtures" / "apps"


@pytest.fixture(scope="module")
def bigger():
    return scan(APPS / "fastapi_bigger")


@pytest.fixture(scope="module")
def sqlmodel_app():
    return scan(APPS / "fastapi_sqlmodel")


def _routes(project):
    return [(e.method, e.path, e.handler) for e in project.endpoints]


def _endpoint(project, key):
    return next(e for e in project.endpoints if e.key == key)


def test_bigger_app_endpoints_have_every_prefix(bigger):
    assert _routes(bigger) == [
        ("GET", "/", "app.main.root"),
        ("POST", "/admin/", "app.internal.admin.update_admin"),
        ("GET", "/items/", "app.routers.items.read_items"),
        ("GET", "/items/{item_id}", "app.routers.items.read_item"),
        ("PUT", "/items/{item_id}", "app.routers.items.update_item"),
        ("GET", "/users/", "app.routers.users.read_users"),
        ("GET", "/users/me", "app.routers.users.read_user_me"),
        ("GET", "/users/{username}", "app.routers.users.read_user"),
    ]
    assert bigger.apps[0].entry == "app.main:app"
    assert [f.code for f in bigger.findings if f.code.startswith("unresolved")] == []


def test_bigger_app_dependencies_come_from_app_include_and_router(bigger):
    admin = _endpoint(bigger, "POST /admin/")
    assert [d.name for d in admin.dependencies] == ["app.dependencies.get_query_token",
                                                     "app.dependencies.get_token_header"]
    assert admin.tags == ("admin",)
    users = _endpoint(bigger, "GET /users/me")
    assert [d.name for d in users.dependencies] == ["app.dependencies.get_query_token"]


def test_bigger_app_update_item_params_schema_status(bigger):
    update = _endpoint(bigger, "PUT /items/{item_id}")
    assert update.tags == ("items", "custom")
    assert update.status_code == 202
    assert update.request_schema == "app.routers.items.Item"
    assert [(p.name, p.location, p.required, p.constraints) for p in update.params] == [
        ("item", "body", True, ()), ("item_id", "path", True, (("min_length", "3"),))]
    assert update.decorator_lines == (45,)
    assert (update.file, update.line) == ("app/routers/items.py", 47)
    item = next(s for s in bigger.schemas if s.name == "app.routers.items.Item")
    assert [(f.name, f.required, f.enum) for f in item.fields] == [
        ("name", True, ()), ("price", True, ()), ("size", False, ("S", "L")), ("note", False, ())]


def test_sqlmodel_app_endpoints_through_factory_nested_routers_and_mount(sqlmodel_app):
    assert _routes(sqlmodel_app) == [
        ("GET", "/api/health", "app.api.health_check"),
        ("GET", "/api/v1/items/", "app.api.v1.routes.items.read_items"),
        ("POST", "/api/v1/items/", "app.api.v1.routes.items.create_item"),
        ("DELETE", "/api/v1/items/{id}", "app.api.v1.routes.items.delete_item"),
        ("GET", "/api/v1/items/{id}", "app.api.v1.routes.items.read_item"),
        ("PUT", "/api/v1/items/{id}", "app.api.v1.routes.items.update_item"),
        ("POST", "/api/v1/login/access-token", "app.api.v1.routes.login.login_access_token"),
        ("POST", "/api/v1/login/test-token", "app.api.v1.routes.login.test_token"),
        ("GET", "/api/v1/users/", "app.api.v1.routes.users.read_users"),
        ("POST", "/api/v1/users/", "app.api.v1.routes.users.create_user"),
        ("GET", "/api/v1/users/me", "app.api.v1.routes.users.read_user_me"),
        ("GET", "/api/v1/users/{user_id}", "app.api.v1.routes.users.read_user_by_id"),
        ("GET", "/legacy/ping", "app.legacy.ping"),
    ]
    assert sqlmodel_app.apps[0].entry == "app.main:app"
    assert sqlmodel_app.findings == ()


def test_sqlmodel_app_auth_follows_annotated_aliases_across_modules(sqlmodel_app):
    me = _endpoint(sqlmodel_app, "GET /api/v1/users/me")
    assert [(a.kind, a.via, a.detail) for a in me.auth] == [
        ("jwt", "app.api.deps.get_current_user", ""),
        ("oauth2", "app.api.deps.reusable_oauth2", "tokenUrl=/api/v1/login/access-token"),
    ]
    assert me.auth[1].file == "app/api/deps.py" and me.auth[1].line == 16
    current = next(d for d in me.dependencies if d.name == "app.api.deps.get_current_user")
    assert current.children == ("app.api.deps.get_db", "app.api.deps.reusable_oauth2")
    admin_only = _endpoint(sqlmodel_app, "GET /api/v1/users/")
    assert admin_only.auth[0].kind == "permission"
    assert not _endpoint(sqlmodel_app, "GET /api/health").auth
    assert not _endpoint(sqlmodel_app, "POST /api/v1/login/access-token").auth


def test_sqlmodel_app_params_schemas_and_status(sqlmodel_app):
    listing = _endpoint(sqlmodel_app, "GET /api/v1/items/")
    assert [(p.name, p.location, p.type, p.required, p.default, p.constraints) for p in listing.params] == [
        ("skip", "query", "int", False, "0", ()),
        ("limit", "query", "int", False, "100", (("gt", "0"), ("le", "100"))),
        ("status", "query", "ItemStatus | None", False, "None", ()),
    ]
    assert listing.response_schema == "app.models.ItemsPublic"
    create = _endpoint(sqlmodel_app, "POST /api/v1/items/")
    assert (create.status_code, create.request_schema, create.response_schema) == (
        201, "app.models.ItemCreate", "app.models.ItemPublic")  # response from the return annotation
    schemas = {s.name: s for s in sqlmodel_app.schemas}
    page = schemas["app.models.ItemsPublic"]
    assert page.kind == "sqlmodel"
    assert [(f.name, f.nested, f.many) for f in page.fields] == [
        ("data", "app.models.ItemPublic", True), ("count", None, False)]
    public = {f.name: f for f in schemas["app.models.ItemPublic"].fields}
    assert list(public) == ["title", "description", "status", "visibility", "id", "owner_id"]  # inherited first
    assert public["status"].enum == ("draft", "published")
    assert public["visibility"].enum == ("private", "team")
    assert public["description"].required is False
    assert public["title"].constraints == (("min_length", "1"), ("max_length", "255"))
    update = {f.name: f for f in schemas["app.models.ItemUpdate"].fields}
    assert update["title"].required is False  # overridden in the subclass


def test_sqlmodel_app_token_sources(sqlmodel_app):
    assert [(t.kind, t.name, t.scheme) for t in sqlmodel_app.token_sources] == [
        ("function", "app.core.security.create_access_token", "jwt"),
        ("endpoint", "POST /api/v1/login/access-token", "jwt"),
    ]


def test_sqlmodel_app_handlers_carry_their_data_effects(sqlmodel_app):
    create = _endpoint(sqlmodel_app, "POST /api/v1/items/")
    assert ("app.models.Item", "create") in {(e.model, e.action) for e in create.effects}
    assert _endpoint(sqlmodel_app, "GET /api/health").effects == ()
