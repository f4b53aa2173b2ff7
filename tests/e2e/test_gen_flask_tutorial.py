"""Generated tests on the Flask tutorial, run for real: form register and login, the user id in Flask's
session, flashed errors, a `login_required` that redirects. The tutorial as written (sqlite3, no ORM:
tests/fixtures/apps/flask_tutorial) runs its suite with pytest on a fresh SQLite file per test; its port
to Flask-SQLAlchemy (tests/fixtures/apps/flask_tutorial_sqla) goes through `seamline run` against
Postgres in docker. Everything passes on the apps as written; with the password check taken out of the
login view, the wrong-password test fails, and no other."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gen_examples import run_generated
from seamline.cli import main

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
APP = APPS / "flask_tutorial_sqla"
NEEDS = ("flask", "flask_sqlalchemy", "sqlalchemy", "psycopg")
CHECK = "if user is None or not check_password_hash(user.password, password):"
RAW_CHECK = 'if user is None or not check_password_hash(user["password"], password):'


def _run_raw_tutorial(root: Path, *, break_login: bool) -> tuple[list[str], list[str]]:
    """(passed, failed) test names of the generated suite of a copy of the sqlite3 tutorial at `root`."""
    shutil.copytree(APPS / "flask_tutorial", root, ignore=shutil.ignore_patterns("__pycache__", "tests", "instance"))
    if break_login:
        auth = root / "flaskr" / "auth.py"
        assert RAW_CHECK in auth.read_text()
        auth.write_text(auth.read_text().replace(RAW_CHECK, "if user is None:"))
    assert main(["gen", "tests", str(root), "--flows"]) == 0
    junit = root / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                    "tests/integration"], cwd=root, capture_output=True, timeout=300, check=False)
    cases = ET.parse(junit).getroot().iter("testcase")
    outcomes = [(c.get("name"), c.find("failure") is None and c.find("error") is None) for c in cases]
    return [n for n, ok in outcomes if ok], [n for n, ok in outcomes if not ok]


def test_generated_suite_on_the_sqlite3_tutorial_passes_and_catches_a_login_without_password_check(tmp_path):
    if importlib.util.find_spec("flask") is None:
        pytest.skip("flask is not installed: pip install -e '.[examples]'")
    passed, failed = _run_raw_tutorial(tmp_path / "as-written" / "flask_tutorial", break_login=False)
    assert failed == [] and len(passed) >= 30, (passed, failed)
    assert {"test_login_logs_in_registered_user", "test_login_with_wrong_password_returns_200",
            "test_login_with_unknown_user_returns_200", "test_flow_sign_up_log_in_and_call_create",
            "test_create_returns_302", "test_delete_without_token_returns_302"} <= set(passed)
    passed, failed = _run_raw_tutorial(tmp_path / "broken" / "flask_tutorial", break_login=True)
    assert failed == ["test_login_with_wrong_password_returns_200"], (passed, failed)


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
