"""Planner mistakes found on public apps (fixture tests/fixtures/apps/fastapi_planner_edges): an update
with no path parameter, one endpoint's planning failing, DELETE's default status, required query
parameters, and path parameters named after a column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from generated import function_source
from seamline.cli import main
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.core.generate.tests.plan import _Planner

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "fastapi_planner_edges"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("edges") / "app"
    shutil.copytree(FIXTURE, root)
    return root, scan(root)


@pytest.fixture(scope="module")
def cases(app):
    root, project = app
    [suite] = plan_tests(project, root=root)
    return {c.name: c for m in suite.modules for c in m.cases}


@pytest.fixture(scope="module")
def files(app):
    root, project = app
    return {Path(f.path).name: f.content for f in generate_tests(project, root=root)}


def test_an_update_with_no_path_parameter_gets_a_happy_path(cases):
    happy = cases["test_update_current_user_returns_200"]
    assert (happy.endpoint, happy.kind, happy.expect_status) == ("PUT /api/user", "happy", 200)
    assert happy.request.path_values == () and happy.request.json == {"bio": "Sample bio"}
    assert [c.name for c in happy.checks if c.kind == "field"] == ["bio"]


def test_an_update_of_the_current_user_checks_the_callers_row(files):
    text = files["test_app_api.py"]
    assert "from app.models import Article, User" in text
    body = function_source(text, "test_patch_current_user_persists_changes")
    assert "row = db.get(User, user.id)" in body and 'assert row.bio == payload["bio"]' in body


def test_a_planner_error_costs_one_endpoint_its_tests_and_is_noted(app, monkeypatch):
    root, project = app
    plan = _Planner.plan

    def broken(self, e):
        if e.key == "GET /api/articles/{slug}":
            raise KeyError("slug")
        return plan(self, e)

    monkeypatch.setattr(_Planner, "plan", broken)
    [suite] = plan_tests(project, root=root)
    planned = {c.endpoint for m in suite.modules for c in m.cases}
    assert "GET /api/articles/{slug}" not in planned
    assert {"PUT /api/user", "DELETE /api/articles/{article_id}", "GET /convert"} <= planned
    assert "GET /api/articles/{slug}: no tests generated, a Seamline generator mistake (KeyError: 'slug'); " \
           "please report it" in suite.notes


def test_gen_tests_for_one_endpoint_reports_only_the_notes_of_its_router(app, monkeypatch, capsys):
    root, _ = app

    def broken(self, e):
        raise RuntimeError(f"boom in {e.key}")

    monkeypatch.setattr(_Planner, "plan", broken)
    assert main(["gen", "tests", str(root), "--endpoint", "GET /convert", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "GET /convert: no tests generated" in out
    assert "PUT /api/user" not in out  # another router: not planned, so nothing to say about it


def test_delete_without_a_declared_status_expects_the_frameworks_200(cases, files):
    assert cases["test_delete_article_removes_article"].expect_status == 200
    text = function_source(files["test_app_api.py"], "test_delete_article_removes_article")
    assert "assert response.status_code == 200, response.text" in text


def test_required_query_parameters_are_sent_where_the_request_must_pass_validation(cases, files):
    happy = cases["test_convert_returns_200"]
    assert (happy.request.query, happy.request.query_var) == ({"amount": 9.5}, "params")
    text = function_source(files["test_convert_api.py"], "test_convert_returns_200")
    assert 'params = {"amount": 9.5}' in text and 'client.get("/convert", params=params)' in text
    # the query cases vary one parameter; the required one keeps a valid value beside it
    edges = dict(cases["test_convert_survives_edge_query_values"].params)
    assert edges == {"amount-zero": {"amount": 0}, "rate-zero": {"amount": 9.5, "rate": 0}}
    invalid = dict(cases["test_convert_rejects_invalid_query"].params)
    assert invalid["rate-wrong-type"] == {"amount": 9.5, "rate": "not-a-number"}


def test_path_parameters_named_after_a_column_send_that_column(cases, files):
    assert cases["test_read_article_returns_article"].request.path_values == (("slug", "article.slug"),)
    assert cases["test_read_profile_returns_user"].request.path_values == (("username", "user.username"),)
    assert cases["test_delete_article_removes_article"].request.path_values == (("article_id", "article_id"),)
    text = function_source(files["test_app_api.py"], "test_read_article_returns_article")
    assert 'response = client.get(f"/api/articles/{article.slug}")' in text
