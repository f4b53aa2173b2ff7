"""Test generation for Flask + Flask-SQLAlchemy + Flask-Login on examples/flask_notes: the app factory,
session cookies made the way Flask-Login reads them, payloads inferred from the models a view writes,
abort() in a module helper, and boundary values for query parameters."""

from __future__ import annotations

import ast

import pytest
from generated import function_source as _function
from generated import generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import plan_tests

NOTES = "tests/integration/test_notes_notes_api.py"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return scanned_example(tmp_path_factory, "flask_notes")


@pytest.fixture(scope="module")
def files(example) -> dict[str, str]:
    return generated_files(*example)


def test_files_are_python_per_blueprint_module(files):
    assert sorted(files) == ["tests/integration/conftest.py", "tests/integration/test_auth_api.py",
                             "tests/integration/test_notes_api.py", NOTES]
    for text in files.values():
        ast.parse(text)
    assert _tests(files["tests/integration/test_auth_api.py"])[:3] == [
        "test_register_persists_user", "test_register_rejects_invalid_payload",
        "test_register_with_taken_email_returns_409"]


def test_plan_logs_in_with_a_flask_login_session_cookie(example):
    root, project = example
    (suite,) = plan_tests(project, root=root)
    assert (suite.framework, suite.orm, suite.entry, suite.database_setting) == (
        "flask", "sqlalchemy", "notes:create_app", "DATABASE_URL")
    auth = suite.auth
    assert (auth.user_model, auth.header, auth.scheme, auth.fixtures) == ("notes.models.User", "Cookie", "", ("app",))
    assert auth.token_call == "session_cookie(app, user)"


def test_conftest_builds_the_app_from_its_factory_and_signs_sessions_like_flask(files):
    conftest = files["tests/integration/conftest.py"]
    assert "from notes import create_app  # noqa: E402" in conftest
    assert "app = create_app()\n    app.config.update(TESTING=True)" in conftest
    assert "return app.test_client(use_cookies=False)" in conftest  # explicit cookies reach the app
    assert 'serializer.dumps({"_user_id": str(user.id), "_fresh": True})' in conftest
    assert "def headers_for(app):" in conftest and 'return {"Cookie": f"{session_cookie(app, user)}"}' in conftest
    assert "TRUNCATE" in conftest  # the SQLAlchemy adapter: the app commits through its own session


def test_payloads_come_from_the_written_models_columns(files):
    create = _function(files[NOTES], "test_create_note_persists_note_for_owner")
    assert 'payload = {"title": "Sample title"}' in create
    assert 'client.post("/api/notes/", json=payload, headers=auth_headers)' in create
    assert "assert response.status_code == 201" in create  # from `return jsonify(...), 201`
    assert 'assert row.title == payload["title"]' in create and "assert row.owner_id == user.id" in create
    register = _function(files["tests/integration/test_auth_api.py"], "test_register_persists_user")
    assert '"password": "S3cret-password"' in register and "password_hash" not in register


def test_helper_aborts_give_not_found_and_ownership_cases(files):
    names = _tests(files[NOTES])
    assert {"test_get_note_missing_returns_404", "test_get_note_of_other_user_returns_404",
            "test_delete_note_of_other_user_returns_404", "test_update_note_of_other_user_returns_404"} <= set(names)
    update = _function(files[NOTES], "test_update_note_persists_changes")
    assert "client.patch(f\"/api/notes/{note_id}\", json=payload, headers=auth_headers)" in update
    assert 'assert row.title == payload["title"]' in update


def test_queries_get_edge_values_but_no_wrong_type_expectations(files):
    names = _tests(files[NOTES])
    assert "test_list_notes_survives_edge_query_values" in names
    assert "test_list_notes_rejects_invalid_query" not in names  # `args.get(type=int)` falls back silently
    edge = _function(files[NOTES], "test_list_notes_survives_edge_query_values")
    assert "query_string=params" in edge and "assert response.status_code < 500" in edge
    source = files[NOTES]
    assert 'pytest.param({"page": 0}, id="page-zero")' in source and 'id="empty-pinned"' in source
