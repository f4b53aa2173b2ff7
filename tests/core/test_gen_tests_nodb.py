"""Apps with no database (FastAPI's "bigger applications"): the fixed keys the analysis records, the
HTTP-only suite the generator writes for them, and that suite run against the real app."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from generated import function_source
from generated import test_names as names_in
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests

APPS = Path(__file__).parent.parent / "fixtures" / "apps"
DB_FIXTURES = ("make_", "count_", "db_session", "database")


@pytest.fixture(scope="module")
def bigger(tmp_path_factory):
    root = tmp_path_factory.mktemp("nodb") / "fastapi_bigger"
    shutil.copytree(APPS / "fastapi_bigger", root)
    project = scan(root)
    return root, project, {f.path: f.content for f in generate_tests(project, root=root)}


def test_fixed_keys_are_recorded_with_the_literal_compared_against(bigger):
    _, project, _ = bigger
    item = next(e for e in project.endpoints if e.key == "GET /items/{item_id}")
    assert sorted((a.kind, a.via, a.detail) for a in item.auth) == [
        ("api-key", "app.dependencies.get_query_token", "query:token=jessica"),
        ("api-key", "app.dependencies.get_token_header", "header:x-token=fake-super-secret-token"),
    ]
    root_ep = next(e for e in project.endpoints if e.key == "GET /")
    assert [a.detail for a in root_ep.auth] == ["query:token=jessica"]


def test_app_without_database_gets_an_http_only_suite(bigger):
    root, project, files = bigger
    (suite,) = plan_tests(project, root=root)
    assert suite.orm == "none" and suite.modules
    assert not any("not supported" in n for n in suite.notes)
    items = files["tests/integration/test_items_api.py"]
    assert names_in(items) == [
        "test_read_items_returns_200", "test_read_items_without_token_returns_422",
        "test_read_items_with_invalid_token_returns_400", "test_read_items_survives_edge_query_values",
        "test_read_item_returns_200", "test_read_item_without_token_returns_422",
        "test_read_item_with_invalid_token_returns_400", "test_read_item_missing_returns_404",
        "test_read_item_survives_edge_query_values", "test_update_item_returns_202",
        "test_update_item_without_token_returns_422", "test_update_item_with_invalid_token_returns_400",
        "test_update_item_rejects_invalid_payload", "test_update_item_survives_edge_query_values",
    ]
    # the path values the handlers accept: a key of the module-level dict, the literal compared with
    happy = function_source(items, "test_read_item_returns_200")
    assert 'client.get("/items/plumbus"' in happy and 'assert body["item_id"] == "plumbus"' in happy
    assert '"/items/plumbus"' in function_source(items, "test_update_item_returns_202")
    assert 'params = {"token": "jessica"}' in happy  # the app-wide query key, valid everywhere
    conftest = files["tests/integration/conftest.py"]
    assert 'return {"x-token": "fake-super-secret-token"}' in conftest
    every = "\n".join(files.values())
    assert not any(f"def {name}" in every or f"({name}" in every for name in DB_FIXTURES)
    users = files["tests/integration/test_users_api.py"]
    assert 'body["username"]' not in function_source(users, "test_read_users_returns_200")  # a list of rows


def test_generated_suite_passes_against_the_real_app(bigger, tmp_path):
    root, _, files = bigger
    run = tmp_path / "app"
    shutil.copytree(root, run)
    for path, content in files.items():
        (run / path).parent.mkdir(parents=True, exist_ok=True)
        (run / path).write_text(content)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/integration"],
                          cwd=run, capture_output=True, text=True, timeout=120)
    # the one failure is the fixture app's own: read_item answers no `price`, which its response_model needs
    assert "33 passed" in done.stdout and "1 failed" in done.stdout, done.stdout[-3000:]
    assert "FAILED tests/integration/test_items_api.py::test_read_item_returns_200" in done.stdout


def test_flask_app_without_database_is_supported(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from flask import Flask, abort, jsonify

        app = Flask(__name__)
        NOTES = {"first": "hello"}


        @app.get("/notes/<name>")
        def read_note(name):
            if name not in NOTES:
                abort(404)
            return jsonify(name=name, text=NOTES[name])
    '''))
    project = scan(tmp_path)
    files = {f.path: f.content for f in generate_tests(project, root=tmp_path)}
    text = files["tests/integration/test_app_api.py"]
    assert 'client.get("/notes/first")' in function_source(text, "test_read_note_returns_200")
    assert "test_read_note_missing_returns_404" in names_in(text)


def test_an_app_folder_that_is_a_package_runs_with_its_relative_imports(tmp_path, capsys):
    """The workspace is the package itself (FastAPI's docs_src/bigger_applications/app: `main.py`
    does `from .dependencies import ...`): the tests name its modules from the folder (`from main
    import app`), and the conftest imports them inside the package, as the same module objects the
    app uses. `seamline run` then runs the suite; its one failure is the app's response-model bug."""
    import json

    from seamline.cli import main

    root = tmp_path / "app"
    shutil.copytree(APPS / "fastapi_bigger" / "app", root)
    project = scan(root)
    (suite,) = plan_tests(project, root=root)
    assert suite.app_is_package and project.apps[0].entry == "main:app"
    assert main(["gen", "tests", str(root)]) == 0
    conftest = (root / "tests" / "integration" / "conftest.py").read_text()
    assert "_import_app_as_package()" in conftest and "sys.path.insert(0, str(APP_ROOT))" not in conftest
    capsys.readouterr()
    assert main(["run", str(root), "--no-env", "--no-mark", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    (app,) = doc["apps"]
    assert doc["ran"] is True and app["passed"] == 33 and app["failed"] == 1, doc
    (finding,) = app["findings"]
    assert finding["code"] == "app-bug-response-model-mismatch" and finding["file"] == "routers/items.py"
