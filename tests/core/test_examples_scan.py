"""The scan of the example apps in examples/ (the demo's and the generators' inputs): every
endpoint with its full path, handler, auth and data effects, asserted exactly, plus the models,
token sources and services the test generators rely on. The `xfail(strict=True)` tests record what
a real app does that the scan still misses; they fail loudly (XPASS) once the linker learns it."""

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _rows(project):
    """(method, path, handler, auth kinds, effects) per endpoint, sorted by path then method."""
    rows = []
    for e in project.endpoints:
        auth = ",".join(sorted({a.kind for a in e.auth})) or "-"
        effects = ",".join(sorted(f"{x.action}:{x.model}" for x in e.effects)) or "-"
        rows.append((e.method, e.path, e.handler, auth, effects))
    return sorted(rows, key=lambda r: (r[1], r[0]))


@pytest.fixture(scope="module")
def flask_notes():
    return scan(EXAMPLES / "flask_notes")


@pytest.fixture(scope="module")
def drf_tasks():
    return scan(EXAMPLES / "drf_tasks")


# --- flask_notes ----------------------------------------------------------------------------------

NOTE, USER = "notes.models.Note", "notes.models.User"


def test_flask_notes_endpoints_with_nested_blueprint_prefixes_auth_and_effects(flask_notes):
    assert _rows(flask_notes) == [
        ("GET", "/api/notes/", "notes.api.list_notes", "session", f"read:{NOTE}"),
        ("POST", "/api/notes/", "notes.api.create_note", "session", f"create:{NOTE}"),
        ("DELETE", "/api/notes/{note_id}", "notes.api.delete_note", "session", f"delete:{NOTE},read:{NOTE}"),
        ("GET", "/api/notes/{note_id}", "notes.api.get_note", "session", f"read:{NOTE}"),
        # the deliberate bug: attribute writes never committed, so no update effect (see README)
        ("PATCH", "/api/notes/{note_id}", "notes.api.update_note", "session", f"read:{NOTE}"),
        ("POST", "/api/notes/{note_id}/email", "notes.api.email_note", "session", f"read:{NOTE}"),
        ("POST", "/auth/login", "notes.auth.login", "-", f"read:{USER}"),
        ("POST", "/auth/logout", "notes.auth.logout", "session", "-"),
        ("GET", "/auth/me", "notes.auth.me", "session", "-"),
        ("POST", "/auth/register", "notes.auth.register", "-", f"create:{USER},read:{USER}"),
        ("GET", "/health", "notes.create_app.<locals>.health", "-", "-"),
    ]


def test_flask_notes_entry_models_login_and_database(flask_notes):
    assert flask_notes.apps[0].entry == "notes:create_app"
    assert flask_notes.findings == ()
    assert {m.name: m.table for m in flask_notes.models} == {NOTE: "notes", USER: "users"}
    assert [(t.kind, t.name, t.scheme) for t in flask_notes.token_sources] == [
        ("endpoint", "POST /auth/login", "session")]
    assert [(s.kind, s.settings) for s in flask_notes.services] == [
        ("postgres", ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI")),
        ("smtp", ("SMTP_HOST", "SMTP_PORT", "SMTP_TIMEOUT"))]  # smtplib in notes/mail.py
    params = {e.key: [(p.name, p.location, p.type) for p in e.params] for e in flask_notes.endpoints}
    assert params["GET /api/notes/"] == [("page", "query", "int"), ("pinned", "query", "str")]
    assert params["DELETE /api/notes/{note_id}"] == [("note_id", "path", "int")]


def test_flask_notes_status_codes_from_return_tuples(flask_notes):
    status = {e.key: e.status_code for e in flask_notes.endpoints}
    assert (status["POST /api/notes/"], status["POST /auth/register"], status["DELETE /api/notes/{note_id}"]) == \
        (201, 201, 204)


# --- drf_tasks ------------------------------------------------------------------------------------

PROJECT, TASK = "tasks.models.Project", "tasks.models.Task"
OWNED = "drf-token,permission"


def _crud(prefix: str, view: str, model: str) -> list[tuple[str, str, str, str, str]]:
    return [
        ("GET", f"/api/{prefix}/", f"{view}.list", OWNED, f"read:{model}"),
        ("POST", f"/api/{prefix}/", f"{view}.create", OWNED, f"create:{model}"),
        ("DELETE", f"/api/{prefix}/{{pk}}/", f"{view}.destroy", OWNED, f"delete:{model}"),
        ("GET", f"/api/{prefix}/{{pk}}/", f"{view}.retrieve", OWNED, f"read:{model}"),
        ("PATCH", f"/api/{prefix}/{{pk}}/", f"{view}.partial_update", OWNED, f"update:{model}"),
        ("PUT", f"/api/{prefix}/{{pk}}/", f"{view}.update", OWNED, f"update:{model}"),
    ]


def test_drf_tasks_router_viewsets_action_and_token_endpoints(drf_tasks):
    rows = _rows(drf_tasks)
    register = next(r for r in rows if r[1] == "/api/auth/register/")
    assert register[:4] == ("POST", "/api/auth/register/", "tasks.views.RegisterView.post", "-")
    assert sorted(r for r in rows if r is not register) == sorted([
        ("GET", "/api/", "rest_framework.routers.APIRootView", OWNED, "-"),
        ("POST", "/api/auth/token/", "rest_framework.authtoken.views.obtain_auth_token", "-", "-"),
        *_crud("projects", "tasks.views.ProjectViewSet", PROJECT),
        *_crud("tasks", "tasks.views.TaskViewSet", TASK),
        # the deliberate bug: no save(), so only the read is an effect
        ("POST", "/api/tasks/{pk}/complete/", "tasks.views.TaskViewSet.complete", OWNED, f"read:{TASK}"),
        # a second viewset on the `projects` prefix: actions calling a webhook (requests) and S3 (boto3)
        ("POST", "/api/projects/{pk}/export/", "tasks.sharing.ProjectSharingViewSet.export", OWNED, f"read:{PROJECT}"),
        ("POST", "/api/projects/{pk}/share/", "tasks.sharing.ProjectSharingViewSet.share", OWNED, f"read:{PROJECT}"),
    ])


def test_drf_tasks_permissions_show_the_missing_is_owner(drf_tasks):
    perms = {e.key: sorted(a.via for a in e.auth if a.kind == "permission") for e in drf_tasks.endpoints}
    owner = ["rest_framework.permissions.IsAuthenticated", "tasks.permissions.IsOwner"]
    assert perms["GET /api/projects/{pk}/"] == perms["DELETE /api/projects/{pk}/"] == owner
    assert perms["GET /api/tasks/{pk}/"] == perms["DELETE /api/tasks/{pk}/"] == owner[:1]
    assert perms["POST /api/auth/register/"] == []


def test_drf_tasks_entry_schemas_models_token_and_database(drf_tasks):
    assert drf_tasks.apps[0].entry == "taskhub.settings"
    assert drf_tasks.findings == ()
    assert [(t.kind, t.name, t.scheme) for t in drf_tasks.token_sources] == [
        ("endpoint", "POST /api/auth/token/", "drf-token")]
    assert {m.name: m.table for m in drf_tasks.models} == {PROJECT: "tasks_project", TASK: "tasks_task"}
    by_key = {e.key: e for e in drf_tasks.endpoints}
    create = by_key["POST /api/tasks/"]
    assert (create.request_schema, create.status_code) == ("tasks.serializers.TaskSerializer", 201)
    assert by_key["DELETE /api/projects/{pk}/"].status_code == 204
    # the `complete` action only serializes get_object(): it answers with a task but takes no payload
    complete = by_key["POST /api/tasks/{pk}/complete/"]
    assert (complete.request_schema, complete.response_schema) == (None, "tasks.serializers.TaskSerializer")
    schema = {s.name: s for s in drf_tasks.schemas}["tasks.serializers.TaskSerializer"]
    writable = [(f.name, f.type, f.required) for f in schema.fields if not f.read_only]
    assert writable == [("project", "int", True), ("title", "str", True), ("status", "str", False),
                        ("due_date", "date", False)]
    # S3 for the exports (boto3); the webhook's TEAM_WEBHOOK_URL is an outside API, not a service to run
    assert [s.kind for s in drf_tasks.services] == ["postgres", "s3"]
    assert "DATABASE_URL" in drf_tasks.services[0].settings


def test_drf_tasks_register_serializer_model_is_the_auth_user(drf_tasks):
    # `User = get_user_model()` in the serializers module, then `Meta.model = User`
    schema = {s.name: s for s in drf_tasks.schemas}["tasks.serializers.RegisterSerializer"]
    assert schema.model == "django.contrib.auth.models.User"
    assert {f.name: f.type for f in schema.fields}["username"] == "str"
    register = {e.key: e for e in drf_tasks.endpoints}["POST /api/auth/register/"]
    assert [(x.action, x.model) for x in register.effects] == [("create", "django.contrib.auth.models.User")]


def test_drf_tasks_model_choices_from_a_nested_text_choices_class(drf_tasks):
    task = {m.name: m for m in drf_tasks.models}[TASK]
    assert {f.name: f.enum for f in task.fields}["status"] == ("todo", "doing", "done")


@pytest.mark.xfail(strict=True, reason="a ModelSerializer field's choices come from drf_serializers' own reading "
                                       "of the model, which handles neither `X.choices` nor nested classes")
def test_drf_tasks_serializer_choices_follow_the_model(drf_tasks):
    schema = {s.name: s for s in drf_tasks.schemas}["tasks.serializers.TaskSerializer"]
    assert {f.name: f.enum for f in schema.fields}["status"] == ("todo", "doing", "done")
