"""Generated tests on the Flask tutorial, run for real: form register and login, the user id in Flask's
session, flashed errors, a `login_required` that redirects. The tutorial as written (sqlite3, no ORM:
tests/fixtures/apps/flask_tutorial) goes through `seamline run` with no services, so no compose file and
no docker: a fresh SQLite file per test; its port
to Flask-SQLAlchemy (tests/fixtures/apps/flask_tutorial_sqla) goes through `seamline run` against
Postgres in docker. Everything passes on the apps as written; with the password check taken out of the
login view, the wrong-password test fails, and no other."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from gen_examples import run_generated
from seamline.cli import main

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
APP = APPS / "flask_tutorial_sqla"
NEEDS = ("flask", "flask_sqlalchemy", "sqlalchemy", "psycopg")
CHECK = "if user is None or not check_password_hash(user.password, password):"
RAW_CHECK = 'if user is None or not check_password_hash(user["password"], password):'


def _run_raw_tutorial(root: Path, capsys, *, break_login: bool) -> tuple[dict, str]:
    """(`seamline run --format json`'s app document: outcomes read from pytest's junit report, failures
    classified, findings; what it said on stderr) for the generated suite of a copy of the sqlite3
    tutorial at `root`."""
    shutil.copytree(APPS / "flask_tutorial", root, ignore=shutil.ignore_patterns("__pycache__", "tests", "instance"))
    if break_login:
        auth = root / "flaskr" / "auth.py"
        assert RAW_CHECK in auth.read_text()
        auth.write_text(auth.read_text().replace(RAW_CHECK, "if user is None:"))
    assert main(["gen", "tests", str(root), "--flows"]) == 0
    capsys.readouterr()
    code = main(["run", str(root), "--flows", "--require-docker", "--format", "json"])
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["ran"] is True and doc["fallback"] is False, out.err[-3000:]
    (app,) = doc["apps"]
    assert code == (1 if app["failed"] else 0), out.err[-3000:]
    return app, out.err


def test_generated_suite_on_the_sqlite3_tutorial_passes_and_catches_a_login_without_password_check(
        tmp_path, monkeypatch, capsys):
    """`seamline run` on an app whose only data store is SQLite: no services, so no compose file and no
    docker (DOCKER_HOST names a socket that does not exist, and --require-docker does not refuse); a real
    run, not a fallback one."""
    if importlib.util.find_spec("flask") is None:
        pytest.skip("flask is not installed: pip install -e '.[examples]'")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    app, err = _run_raw_tutorial(tmp_path / "as-written" / "flask_tutorial", capsys, break_login=False)
    assert "no services to start (sqlite needs no container)" in err, err[-3000:]
    assert "No docker engine" not in err and "fallback" not in err, err[-3000:]
    assert not list((tmp_path / "as-written" / "flask_tutorial").glob("compose*.y*ml"))
    assert app["failed"] == 0 and app["passed"] == app["total"] >= 30, app
    assert app["findings"] == []

    app, _ = _run_raw_tutorial(tmp_path / "broken" / "flask_tutorial", capsys, break_login=True)
    assert [(f["test"].rsplit("::", 1)[-1], f["category"]) for f in app["failures"]] == \
        [("test_login_with_wrong_password_returns_200", "app-bug")], app["failures"]
    assert [(f["code"], f["file"], f["fallback"]) for f in app["findings"]] == \
        [("app-bug-accepts-wrong-credentials", "flaskr/auth.py", False)]


@pytest.mark.docker
def test_generated_suite_on_the_flask_tutorial_passes_and_catches_a_login_without_password_check(
        tmp_path, docker_engine, capsys):
    report = run_generated(APP, NEEDS, tmp_path / "as-written", docker_engine, capsys, kinds=("postgres",))
    suite = tmp_path / "as-written" / APP.name / "tests" / "integration"
    written = "".join(p.read_text() for p in suite.glob("test_*.py"))
    for name in ("test_login_logs_in_registered_user", "test_login_with_unknown_user_returns_200",
                 "test_flow_sign_up_log_in_and_call_create", "test_create_persists_post_for_owner"):
        assert f"def {name}(" in written, name
    assert report.total >= 18 and report.failed == (), report.failed

    broken = tmp_path / "broken" / APP.name
    shutil.copytree(APP, broken, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "tests"))
    auth = broken / "flaskr" / "auth.py"
    assert CHECK in auth.read_text()
    auth.write_text(auth.read_text().replace(CHECK, "if user is None:"))
    report = run_generated(broken, NEEDS, tmp_path / "broken-run", docker_engine, capsys, kinds=("postgres",))
    assert [(c.outcome.nodeid.rsplit("::", 1)[-1], c.category) for c in report.failed] == \
        [("test_login_with_wrong_password_returns_200", "app-bug")], report.failed
    assert [(f.code, f.file) for f in report.findings] == [("app-bug-accepts-wrong-credentials", "flaskr/auth.py")]
