"""Classifying failures of generated tests: app bug (a finding at the handler), generator mistake,
environment. Outcomes are built the way pytest reports them (JUnit XML)."""

from __future__ import annotations

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import plan_tests
from seamline.testrun import classify
from seamline.testrun.runner import Outcome, read_junit

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_items"
ITEMS = "tests/integration/test_items_api.py"


@pytest.fixture(scope="module")
def planned():
    project = scan(EXAMPLE)
    return project, plan_tests(project, root=EXAMPLE)


def _failed(function: str, message: str, details: str = "", *, status: str = "failed", file: str = ITEMS):
    return Outcome(nodeid=f"{file}::{function}", function=function, status=status, message=message,
                       details=details)


def _one(planned, outcome):
    project, suites = planned
    report = classify([outcome], suites=suites, project=project, app_packages=["app"])
    assert report.passed == 0 and len(report.failed) == 1
    return report.failed[0], report.findings


def test_an_exception_in_the_apps_code_is_a_server_error_at_the_handler(planned):
    details = ("    def search_items(db, user, q=''):\n>       page_size = 100 // len(q)\n"
               "E       ZeroDivisionError: integer division or modulo by zero\n\n"
               "app/api/routes/items.py:24: ZeroDivisionError")
    c, findings = _one(planned, _failed("test_search_items_includes_item_of_current_user",
                                        "ZeroDivisionError: integer division or modulo by zero", details))
    assert c.category == "app-bug"
    assert [(f.code, f.file, f.line) for f in findings] == [("app-bug-server-error", "app/api/routes/items.py", 22)]
    assert "ZeroDivisionError at app/api/routes/items.py:24" in findings[0].message


def test_a_write_missing_from_the_database_is_reported_as_not_persisted(planned):
    details = ('>       assert row.title == payload["title"]\nE       AssertionError: assert \'Sample title 1\' == '
               "'Sample title'\n\ntests/integration/test_items_api.py:235: AssertionError")
    c, findings = _one(planned, _failed("test_update_item_persists_changes", "AssertionError", details))
    assert c.category == "app-bug" and findings[0].code == "app-bug-write-not-persisted"
    assert findings[0].line == 37


@pytest.mark.parametrize(("function", "code"), [
    pytest.param("test_delete_item_of_other_user_returns_404", "app-bug-missing-ownership-check", id="ownership"),
    pytest.param("test_read_item_without_token_returns_401", "app-bug-missing-auth-check", id="auth"),
])
def test_a_2xx_where_access_must_be_refused_is_a_missing_check(planned, function, code):
    status = "404" if "other_user" in function else "401"
    details = f">       assert response.status_code == {status}, response.text\nE       assert 204 == {status}"
    c, findings = _one(planned, _failed(function, f"AssertionError: \nassert 204 == {status}", details))
    assert c.category == "app-bug" and [f.code for f in findings] == [code]


def test_a_wrong_status_guess_and_an_accepted_payload_are_the_generators_fault(planned):
    details = ">       assert response.status_code == 401, response.text\nE       assert 403 == 401"
    c, findings = _one(planned, _failed("test_read_item_without_token_returns_401", "assert 403 == 401", details))
    assert (c.category, findings) == ("generator", ())
    details = ">       assert response.status_code == 422, response.text\nE       assert 201 == 422"
    c, _ = _one(planned, _failed("test_create_item_rejects_invalid_payload", "assert 201 == 422", details))
    assert c.category == "generator"  # pydantic validates: the generator misread the schema


def test_services_down_or_packages_missing_are_the_environment(planned):
    c, _ = _one(planned, _failed("test_read_item_missing_returns_404", "sqlalchemy.exc.OperationalError: "
                                 "connection to server at 127.0.0.1 port 5 failed: Connection refused",
                                 status="error"))
    assert c.category == "environment"
    c, _ = _one(planned, _failed("test_health_returns_200", "ModuleNotFoundError: No module named 'redis'",
                                 file="tests/integration/test_health_api.py"))
    assert c.category == "environment" and "redis" in c.reason


def test_tests_seamline_did_not_write_are_left_to_the_user(planned):
    c, _ = _one(planned, _failed("test_my_own_thing", "assert 1 == 2"))
    assert c.category == "user-test"


def test_junit_reports_are_read_per_test_with_parameters(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text("""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" time="1.5">
<testcase classname="tests.integration.test_items_api" name="test_a" time="0.1" />
<testcase classname="tests.integration.test_items_api" name="test_b[missing-title]" time="0.1">
<failure message="assert 201 == 422">&gt;   assert response.status_code == 422</failure></testcase>
<testcase classname="tests.integration.test_items_api" name="test_c" time="0.1"><skipped message="no" /></testcase>
</testsuite></testsuites>""")
    outcomes = read_junit(report, tests_root=tmp_path)
    assert [(o.nodeid, o.function, o.status) for o in outcomes] == [
        ("tests/integration/test_items_api.py::test_a", "test_a", "passed"),
        ("tests/integration/test_items_api.py::test_b[missing-title]", "test_b", "failed"),
        ("tests/integration/test_items_api.py::test_c", "test_c", "skipped"),
    ]
    assert outcomes[1].details == ">   assert response.status_code == 422"


def test_a_flow_blames_the_earlier_write_a_later_read_does_not_see(planned):
    project, _ = planned
    suites = plan_tests(project, root=EXAMPLE, flows=True)
    details = ("    def test_flow_item_create_read_update_delete(client, auth_headers, db):\n"
               "        # POST /api/v1/items/\n        # GET /api/v1/items/{item_id}\n"
               "        # PUT /api/v1/items/{item_id}\n        # GET /api/v1/items/{item_id}\n"
               '>       assert body["title"] == changes["title"], body\nE       AssertionError')
    outcome = _failed("test_flow_item_create_read_update_delete", "AssertionError", details,
                      file="tests/integration/test_flows_api.py")
    report = classify([outcome], suites=suites, project=project, app_packages=["app"])
    assert [(c.category, c.endpoint) for c in report.failed] == [("app-bug", "PUT /api/v1/items/{item_id}")]
    assert [(f.code, f.line) for f in report.findings] == [("app-bug-write-not-persisted", 37)]


# Edge-query values stay inside the parameters' declared bounds, so any 5xx to one is the app's bug.
_DATA_ERROR = (">       response = client.get(\"/api/v1/items/\", params=params, headers=auth_headers)\n\n"
               "tests/integration/test_items_api.py:46: \n"
               "app/api/routes/items.py:13: in list_items\n    return crud.list_items(db, owner_id=user.id, "
               "skip=skip, limit=limit)\napp/crud.py:31: in list_items\n    return list(db.scalars(stmt))\n"
               "/venv/lib/python3.12/site-packages/sqlalchemy/engine/default.py:941: in do_execute\n"
               "    cursor.execute(statement, parameters)\n"
               "E   sqlalchemy.exc.DataError: (psycopg.errors.InvalidRowCountInResultOffsetClause) OFFSET must not "
               "be negative\n\n/venv/lib/python3.12/site-packages/psycopg/cursor.py:97: DataError")


@pytest.mark.parametrize(("message", "details"), [
    pytest.param("sqlalchemy.exc.DataError: OFFSET must not be negative", _DATA_ERROR, id="exception-in-the-test"),
    pytest.param("AssertionError: Internal Server Error\nassert 500 < 500",
                 ">       assert response.status_code < 500, response.text\nE       AssertionError: Internal Server "
                 "Error\nE       assert 500 < 500", id="answered-500"),
])
def test_a_server_error_on_a_declared_edge_value_is_an_app_bug_at_the_handler(planned, message, details):
    outcome = Outcome(nodeid=f"{ITEMS}::test_list_items_survives_edge_query_values[negative-skip-limit]",
                      function="test_list_items_survives_edge_query_values", status="failed", message=message,
                      details=details)
    c, findings = _one(planned, outcome)
    assert c.category == "app-bug"
    assert [(f.code, f.file, f.line) for f in findings] == [("app-bug-server-error", "app/api/routes/items.py", 12)]
    assert "negative-skip-limit" in c.reason and "undeclared edge case" in c.reason


def test_list_endpoints_send_minus_one_only_where_the_declared_bounds_allow_it(planned):
    _project, suites = planned
    edges = {c.endpoint: dict(c.params) for s in suites for m in s.modules for c in m.cases if c.kind == "edge-query"}
    assert edges["GET /api/v1/items/"]["negative-skip-limit"] == {"skip": -1, "limit": -1}  # limit: le=100 only
    invalid = {c.endpoint: dict(c.params) for s in suites for m in s.modules for c in m.cases
               if c.kind == "invalid-query"}
    assert invalid["GET /api/v1/items/"]["limit-above-100"] == {"limit": 101}  # outside: a validation status


def test_minus_one_is_sent_only_inside_declared_bounds():
    from seamline.core.generate.tests.values import _negative_edges
    from seamline.core.model import Param

    def q(name, *constraints):
        return Param(name=name, location="query", type="int", constraints=constraints)

    assert _negative_edges((q("skip"), q("page", ("ge", "1")), q("offset", ("gt", "-5")), q("n", ("lt", "-1")))) == [
        ("negative-skip-offset", {"skip": -1, "offset": -1})]
    assert _negative_edges((q("page", ("ge", "0")),)) == []


_DDL_REFUSED = (
    "tests/integration/conftest.py:40: in _schema\n    Base.metadata.create_all(engine)\n"
    ".venv/lib/python3.11/site-packages/sqlalchemy/engine/default.py:922: in do_execute\n"
    "    cursor.execute(statement, parameters)\n"
    "E   sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InvalidForeignKey) there is no unique constraint "
    "matching given keys for referenced table \"users\"\nE   \nE   [SQL: \nE   CREATE TABLE items (\n"
    "E   \tid SERIAL NOT NULL, \nE   \towner_id INTEGER, \nE   \tFOREIGN KEY(owner_id) REFERENCES users (email)\n"
    "E   )\nE   ]\n\n.venv/lib/python3.11/site-packages/sqlalchemy/engine/default.py:922: ProgrammingError")


def test_the_database_refusing_the_apps_schema_is_an_app_bug_at_the_model(planned):
    project, suites = planned
    outcomes = [_failed(f, "failed on setup with \"sqlalchemy.exc.ProgrammingError: (psycopg2.errors."
                        "InvalidForeignKey) there is no unique constraint\"", _DDL_REFUSED, status="error")
                for f in ("test_read_item_missing_returns_404", "test_delete_item_of_other_user_returns_404")]
    report = classify(outcomes, suites=suites, project=project, app_packages=["app"])
    assert [c.category for c in report.failed] == ["app-bug", "app-bug"]
    assert [(f.code, f.file, f.line) for f in report.findings] == [("app-bug-schema", "app/models.py", 17)]
    assert "no unique constraint matching given keys" in report.findings[0].message
    assert "model Item" in report.findings[0].message


def test_setup_errors_out_of_the_app_stay_environment_or_generator(planned):
    unreachable = _DDL_REFUSED.replace("there is no unique constraint", "could not translate host name \"db\"")
    c, _ = _one(planned, _failed("test_read_item_missing_returns_404", "failed on setup", unreachable,
                                 status="error"))
    assert c.category == "environment"
    own = ("tests/integration/conftest.py:52: in make_item\n>       return Item(titel=title)\n"
           "E   TypeError: 'titel' is an invalid keyword argument for Item\n\n"
           "tests/integration/conftest.py:52: TypeError")
    c, findings = _one(planned, _failed("test_read_item_missing_returns_404", "failed on setup", own, status="error"))
    assert (c.category, findings) == ("generator", ())
    in_app = ("tests/integration/conftest.py:20: in client\n    app = create_app()\n"
              "app/main.py:12: in create_app\n>       raise RuntimeError('no SECRET')\nE   RuntimeError: no SECRET\n\n"
              "app/main.py:12: RuntimeError")
    c, findings = _one(planned, _failed("test_read_item_missing_returns_404", "failed on setup", in_app,
                                        status="error"))
    assert c.category == "app-bug"
    assert [(f.code, f.file, f.line) for f in findings] == [("app-bug-setup-error", "app/main.py", 12)]


def test_a_row_the_fixtures_insert_against_a_foreign_key_is_not_a_schema_bug(planned):
    seeded = ("tests/integration/conftest.py:61: in make_item\n    db.commit()\n"
              "E   sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) FOREIGN KEY constraint failed\n"
              "E   [SQL: INSERT INTO items (title, owner_id) VALUES (?, ?)]\n\n"
              ".venv/lib/python3.11/site-packages/sqlalchemy/engine/default.py:922: IntegrityError")
    c, findings = _one(planned, _failed("test_read_item_missing_returns_404", "failed on setup", seeded,
                                        status="error"))
    assert (c.category, findings) == ("generator", ())


def test_a_test_that_breaks_on_its_own_says_with_what(planned):
    """A test that fails with an exception of its own (a factory the app's model refuses) is the
    generator's, and the reason names the exception, not just the source line it stopped at."""
    details = (">       return model(**args, **values)\nE       TypeError: __init__() missing 1 required positional "
               "argument: 'author'\n\ntests/integration/conftest.py:88: TypeError")
    c, findings = _one(planned, _failed("test_update_item_persists_changes",
                                        "TypeError: __init__() missing 1 required positional argument: 'author'",
                                        details))
    assert c.category == "generator" and not findings
    assert c.reason == ("the test raised TypeError: __init__() missing 1 required positional argument: 'author' "
                        "at `return model(**args, **values)`")


def test_a_url_name_the_app_cannot_reverse_is_its_bug(planned):
    """Django's NoReverseMatch, raised inside Django while the app renders or redirects: the app
    names a URL its own urlconf lacks."""
    message = "django.urls.exceptions.NoReverseMatch: 'admin' is not a registered namespace"
    details = (">           raise NoReverseMatch(\"%s is not a registered namespace\" % key)\nE           "
               f"{message}\n\n/venv/lib/python3.13/site-packages/django/urls/base.py:80: NoReverseMatch")
    c, findings = _one(planned, _failed("test_update_item_persists_changes", message, details))
    assert c.category == "app-bug" and findings[0].code == "app-bug-broken-url-name"
    assert "'admin' is not a registered namespace" in findings[0].message


def test_a_key_missing_from_a_guessed_body_is_the_generators_shape_not_the_apps_bug():
    """A Flask view that declares no request schema got a body whose shape Seamline guessed; the app
    raising KeyError while reading it says the shape is wrong (an envelope, other names), so it is
    the generator's, where the same KeyError on a body the app declared is the app's."""
    root = Path(__file__).resolve().parents[2] / "examples" / "flask_notes"
    project = scan(root)
    suites = plan_tests(project, root=root)
    details = (">       title = data['note']['title']\nE       KeyError: 'note'\n\nnotes/api.py:40: KeyError")
    outcome = _failed("test_create_note_persists_note_for_owner", "KeyError: 'note'", details,
                      file="tests/integration/test_notes_notes_api.py")
    (c,) = classify([outcome], suites=suites, project=project).failed
    assert c.category == "generator" and c.finding is None
    assert c.reason.startswith("the app raised KeyError at notes/api.py:40 reading the body the test sent")
    other = _failed("test_create_note_persists_note_for_owner", "ZeroDivisionError: division by zero",
                    details.replace("KeyError: 'note'", "ZeroDivisionError: division by zero").replace(
                        ": KeyError", ": ZeroDivisionError"), file="tests/integration/test_notes_notes_api.py")
    (c,) = classify([other], suites=suites, project=project).failed
    assert c.category == "app-bug"
