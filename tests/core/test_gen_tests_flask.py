"""Test generation for Flask + Flask-SQLAlchemy + Flask-Login on examples/flask_notes: the app factory,
session cookies made the way Flask-Login reads them, payloads inferred from the models a view writes,
abort() in a module helper, boundary values for query parameters, JSON login and ISO timestamps; and on
the Flask tutorial's views over Flask-SQLAlchemy (tests/fixtures/apps/flask_tutorial_sqla): form login,
a hand-written session, flashed errors, redirects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from generated import function_source as _function
from generated import generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import generate_tests, plan_tests

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
    assert 'data = {"_user_id": str(user.id), "_fresh": True} if key is None else {key: user.id}' in conftest
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


def test_json_login_through_a_helper_gets_session_login_tests(files):
    """`data = json_body()` (a helper that calls `request.get_json`), then `data.get("email")`: the login
    tests send JSON, check Flask-Login's `_user_id` in the session cookie, and fail a wrong password and
    a user nobody registered with the 401 the view returns."""
    auth = files["tests/integration/test_auth_api.py"]
    assert {"test_login_logs_in_registered_user", "test_login_with_wrong_password_returns_401",
            "test_login_with_unknown_user_returns_401"} <= set(_tests(auth))
    ok = _function(auth, "test_login_logs_in_registered_user")
    assert 'registered = client.post("/auth/register", json=credentials)' in ok
    assert 'client.post("/auth/login", json=payload)' in ok and "assert response.status_code == 200" in ok
    assert 'assert "_user_id" in session_of(response)' in ok
    assert 'assert body["email"] == payload["email"], body' in ok  # `jsonify(user.to_dict())`
    wrong = _function(auth, "test_login_with_wrong_password_returns_401")
    assert '"password": "S3cret-password-wrong"' in wrong and 'assert "_user_id" not in session_of(response)' in wrong
    unknown = _function(auth, "test_login_with_unknown_user_returns_401")
    assert "registered" not in unknown and '"email": "nobody-user@example.com"' in unknown
    conftest = files["tests/integration/conftest.py"]
    assert "def session_of(app):" in conftest and "serializer.loads(value)" in conftest


def test_flow_signs_up_logs_in_and_calls_with_the_session_cookie(example):
    flows = {f.path: f.content for f in generate_tests(example[1], root=example[0], flows=True)}
    flow = _function(flows["tests/integration/test_flows_api.py"], "test_flow_sign_up_log_in_and_call_me")
    assert 'response = client.post("/auth/login", json=login)' in flow
    assert 'cookie = response.headers["Set-Cookie"].split(";", 1)[0]' in flow
    assert 'client.get("/auth/me", headers={"Cookie": cookie})' in flow


def test_iso_created_at_of_to_dict_is_parsed_and_matched_with_the_row(files):
    """`"created_at": self.created_at.isoformat()` in `Note.to_dict`: parsed back, and compared with the
    row where the test reads it; `User.to_dict` answers no `created_at`, so nothing is asserted there."""
    notes = files[NOTES]
    assert "from datetime import datetime" in notes
    create = _function(notes, "test_create_note_persists_note_for_owner")
    assert 'assert datetime.fromisoformat(body["created_at"]), body' in create
    assert 'assert row.created_at.isoformat() == body["created_at"]' in create
    read = _function(notes, "test_get_note_returns_note_of_current_user")
    assert 'assert datetime.fromisoformat(body["created_at"]), body' in read
    assert "created_at" not in files["tests/integration/test_auth_api.py"]


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    """The Flask tutorial's views (form register/login, `session["user_id"]`, a redirecting
    `login_required`) on Flask-SQLAlchemy."""
    import shutil

    from seamline.core.analyze.scan import scan

    root = tmp_path_factory.mktemp("apps") / "flask_tutorial_sqla"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "apps" / "flask_tutorial_sqla", root)
    return root, scan(root)


@pytest.fixture(scope="module")
def tutorial_files(tutorial) -> dict[str, str]:
    return generate_tests(tutorial[1], root=tutorial[0], flows=True)


def test_form_login_registers_with_the_form_and_checks_the_session_and_the_flash(tutorial_files):
    auth = {f.path: f.content for f in tutorial_files}["tests/integration/test_auth_api.py"]
    assert _tests(auth)[-4:] == ["test_login_logs_in_registered_user", "test_login_with_wrong_password_returns_200",
                                 "test_login_with_unknown_user_returns_200", "test_logout_returns_302"]
    ok = _function(auth, "test_login_logs_in_registered_user")
    assert 'form = credentials\n    registered = client.post("/auth/register", data=form)' in ok
    assert 'client.post("/auth/login", data=form)' in ok
    assert "assert response.status_code == 302" in ok  # `return redirect(url_for("index"))`
    assert 'assert "user_id" in session_of(response)' in ok
    for name in ("test_login_with_wrong_password_returns_200", "test_login_with_unknown_user_returns_200"):
        failed = _function(auth, name)  # flash() and the form again: 200, no user in the session
        assert "assert response.status_code == 200" in failed
        assert 'assert "user_id" not in session_of(response)' in failed
        assert 'message = "Incorrect username or password."' in failed
        assert "assert message in flashed or message in response.text, flashed" in failed
    register = _function(auth, "test_register_persists_user")
    assert 'form = {"username": "sample_username", "password": "S3cret-password"}' in register
    assert 'client.post("/auth/register", data=form)' in register and "assert count_users() == 1" in register


def test_hand_written_session_login_makes_credentials_and_redirects_anonymous_users(tutorial, tutorial_files):
    (suite,) = plan_tests(tutorial[1], root=tutorial[0])
    assert suite.auth.token_call == "session_cookie(app, user, key='user_id')"
    files = {f.path: f.content for f in tutorial_files}
    blog = files["tests/integration/test_blog_api.py"]
    assert "test_create_without_token_returns_302" in _tests(blog)  # `login_required` redirects to the login page
    create = _function(blog, "test_create_persists_post_for_owner")
    assert 'client.post("/create", data=form, headers=auth_headers)' in create
    conftest = files["tests/integration/conftest.py"]
    assert 'return {"Cookie": f"{session_cookie(app, user, key=\'user_id\')}"}' in conftest
    flow = _function(files["tests/integration/test_flows_api.py"], "test_flow_sign_up_log_in_and_call_create")
    assert "form = credentials" in flow and "form = login" in flow
    assert 'client.get("/create", headers={"Cookie": cookie})' in flow


def test_sqlite3_tutorial_gets_a_fresh_database_per_test_and_login_tests(tmp_path):
    """The tutorial as written (sqlite3, no ORM): the database file comes from the config key the app connects
    with, the schema from its own `init_db`; login tests go through its register and login forms."""
    import shutil

    from seamline.core.analyze.scan import scan

    root = tmp_path / "flask_tutorial"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "apps" / "flask_tutorial", root)
    project = scan(root)
    (suite,) = plan_tests(project, root=root, flows=True)
    assert (suite.orm, suite.sqlite_setup) == ("sqlite3", ("DATABASE", "flaskr.db.init_db"))
    files = {f.path: f.content for f in generate_tests(project, root=root, flows=True)}
    conftest = files["tests/integration/conftest.py"]
    assert "from flaskr.db import init_db  # noqa: E402" in conftest
    assert 'app.config["DATABASE"] = str(tmp_path / "app.sqlite")\n    with app.app_context():\n        init_db()' \
        in conftest
    auth = files["tests/integration/test_auth_api.py"]
    assert {"test_login_logs_in_registered_user", "test_login_with_wrong_password_returns_200",
            "test_login_with_unknown_user_returns_200", "test_logout_returns_302"} <= set(_tests(auth))
    assert 'client.post("/auth/register", data=form)' in _function(auth, "test_login_logs_in_registered_user")
    flow = _function(files["tests/integration/test_flows_api.py"], "test_flow_sign_up_log_in_and_call_create")
    assert 'client.get("/create", headers={"Cookie": cookie})' in flow
    # no user model to seed a caller: `auth_headers` signs up and logs in through the app's own forms
    assert suite.auth.login is not None and not suite.auth.user_model
    assert 'registered = client.post("/auth/register", data=credentials)' in conftest
    assert 'response = client.post("/auth/login", data=login)' in conftest
    assert 'return {"Cookie": response.headers["Set-Cookie"].split(";", 1)[0]}' in conftest
    blog = files["tests/integration/test_blog_api.py"]
    create = _function(blog, "test_create_returns_302")
    assert 'client.post("/create", data=form, headers=auth_headers)' in create
    assert "test_delete_without_token_returns_302" in _tests(blog)
    assert "test_update_rejects_invalid_payload" not in _tests(blog)  # no post to seed: get_post() answers 404


@pytest.mark.parametrize(("function", "failing", "shown"), [
    pytest.param("test_login_with_wrong_password_returns_200", "assert response.status_code == 200, response.text",
                 "assert 302 == 200", id="redirected-to-the-app"),
    pytest.param("test_login_with_unknown_user_returns_200",
                 'assert "user_id" not in session_of(response), "a user was logged in"',
                 "AssertionError: a user was logged in", id="user-in-the-session"),
])
def test_a_login_that_lets_wrong_credentials_in_is_an_app_bug(tutorial, function, failing, shown):
    from seamline.testrun import classify
    from seamline.testrun.runner import Outcome

    root, project = tutorial
    suites = plan_tests(project, root=root)
    outcome = Outcome(nodeid=f"tests/integration/test_auth_api.py::{function}", function=function,
                      status="failed", message=shown, details=f">       {failing}\nE       {shown}")
    report = classify([outcome], suites=suites, project=project, app_packages=["flaskr"])
    assert [(c.category, f.code, f.file) for c, f in zip(report.failed, report.findings)] == \
        [("app-bug", "app-bug-accepts-wrong-credentials", "flaskr/auth.py")]
