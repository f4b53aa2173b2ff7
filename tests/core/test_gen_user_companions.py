"""An app whose sign-up makes a profile row with every user, and whose views rely on it
(`current_user.profile`, tests/fixtures/apps/flask_profiles): the user factory makes that row too,
the profile factory hands back the user's own row, a plain Flask JSON view (`request.get_json()["x"]`)
is sent the body it reads, and a view that crashes on an invalid body is the app's bug."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from seamline.cli import main
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import plan_tests

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "flask_profiles"


@pytest.fixture
def root(tmp_path) -> Path:
    copy = tmp_path / "flask_profiles"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_users_sign_up_companion_is_planned_and_made_with_each_user(root):
    (suite,) = plan_tests(scan(root), root=root)
    assert suite.user_companions == (("profiles.models.Profile", "user_id"),)
    assert main(["gen", "tests", str(root)]) == 0
    conftest = (root / "tests" / "integration" / "conftest.py").read_text()
    assert 'db.add(_new_row(db, Profile, {"user_id": row.id}))' in conftest
    # the profile factory gives the user's own profile rather than a second one
    assert "row = db.scalars(select(Profile).filter_by(user_id=owner)).first()" in conftest
    tests = (root / "tests" / "integration" / "test_profiles_api.py").read_text()
    assert 'json={"email": ' in tests or "payload = {" in tests  # the body the view reads is sent


def test_the_suite_passes_where_the_app_is_right_and_files_its_crashes(root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/profiles.db")
    assert main(["gen", "tests", str(root)]) == 0
    capsys.readouterr()
    main(["run", str(root), "--no-env", "--no-mark", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    (app,) = doc["apps"]
    failures = {f["test"].split("::")[1]: f for f in app["failures"]}
    # `GET /me/profile` reads `current_user.profile.id`: it passes only with the profile made with the user
    assert "test_my_profile_returns_200" not in failures and "test_update_my_profile_returns_200" not in failures
    # a seeded profile is the one made with its user (a second one would orphan the first)
    assert "test_get_profile_returns_profile" not in failures
    assert app["passed"] == 13 and len(failures) == 5, failures
    # the fixture app checks no input: each invalid body crashes it, which is its bug, not a wrong guess
    assert failures and all(f["category"] == "app-bug" for f in failures.values()), failures
    assert {f["code"] for f in app["findings"]} == {"app-bug-crashes-on-invalid-input"}
