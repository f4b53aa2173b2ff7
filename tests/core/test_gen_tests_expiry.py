"""Expired-token cases: planned for every protected endpoint of an app whose tokens expire, with a token
made the app's way (its token function's lifetime set in the past, or its claims signed again with its
own key); skipped with a note for credentials that never expire (Flask-Login sessions, DRF tokens)."""

from __future__ import annotations

import sys

import jwt
import pytest
from generated import function_source, generated_files, scanned_example
from seamline.core.generate.tests import plan_tests
from seamline.core.generate.tests.code_facts import CodeFacts
from seamline.core.generate.tests.expiry import expired_token
from seamline.core.generate.tests.model import ExpiredToken
from workspace import write_packages


@pytest.fixture(scope="module")
def fastapi_items(tmp_path_factory):
    return scanned_example(tmp_path_factory, "fastapi_items")


def _cases(suites, kind):
    return [c for s in suites for m in s.modules for c in m.cases if c.kind == kind]


def test_every_protected_endpoint_gets_an_expired_token_case_expecting_the_invalid_token_status(fastapi_items):
    root, project = fastapi_items
    suites = plan_tests(project, root=root)
    expired, invalid = _cases(suites, "expired-token"), _cases(suites, "bad-token")
    assert invalid and {c.endpoint for c in expired} == {c.endpoint for c in invalid}
    assert {c.expect_status for c in expired} == {401}
    assert all(c.request.auth == "expired" for c in expired)
    assert not [n for s in suites for n in s.notes if "expired" in n]


def test_the_expired_token_comes_from_the_apps_own_function_with_its_lifetime_in_the_past(fastapi_items):
    files = generated_files(*fastapi_items)
    conftest = files["tests/integration/conftest.py"]
    fixture = function_source(conftest, "expired_auth_headers")
    assert "token = create_access_token(str(user.id), expires_minutes=-5)" in fixture
    assert 'return {"Authorization": f"Bearer {token}"}' in fixture
    test = function_source(files["tests/integration/test_users_api.py"], "test_read_me_with_expired_token_returns_401")
    assert test.splitlines() == [
        "def test_read_me_with_expired_token_returns_401(client, expired_auth_headers):",
        '    response = client.get("/api/v1/users/me", headers=expired_auth_headers)',
        "    assert response.status_code == 401, response.text",
    ]


@pytest.mark.parametrize(("call", "expected"), [
    pytest.param("make(user.email)", "make(user.email, expires_delta=timedelta(minutes=-5))", id="added"),
    pytest.param("make(user.email, expires_delta=timedelta(minutes=30))",
                 "make(user.email, expires_delta=timedelta(minutes=-5))", id="keyword-replaced"),
    pytest.param("make(user.email, timedelta(hours=1))", "make(user.email, timedelta(minutes=-5))",
                 id="positional-replaced"),
])
def test_a_timedelta_lifetime_is_set_five_minutes_back_in_the_apps_own_call(tmp_path, call, expected):
    root = write_packages(tmp_path, {"svc/security.py": """
        from datetime import datetime, timedelta, timezone
        import jwt

        def make(subject: str, expires_delta: timedelta | None = None) -> str:
            expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))
            return jwt.encode({"sub": subject, "exp": expire}, "k", algorithm="HS256")
    """})
    found = expired_token(CodeFacts(app_dir=root), "svc.security.make", call)
    assert found == ExpiredToken(lines=(f"token = {expected}",), stdlib=("from datetime import timedelta",),
                                 how="the app's own `make` with `expires_delta=timedelta(minutes=-5)`")


def test_without_a_lifetime_the_claims_are_signed_again_with_the_apps_key_and_expire(tmp_path, monkeypatch):
    root = write_packages(tmp_path, {
        "expiring/config.py": """
            class Settings:
                SECRET_KEY = "s3cret"

            settings = Settings()
        """,
        "expiring/security.py": """
            from datetime import datetime, timedelta, timezone
            import jwt
            from expiring.config import settings

            ALGORITHM = "HS384"

            def issue(user_id: int) -> str:
                key = settings.SECRET_KEY
                claims = {"sub": str(user_id), "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
                return jwt.encode(claims, key, algorithm=ALGORITHM)
        """,
    })
    found = expired_token(CodeFacts(app_dir=root), "expiring.security.issue", "issue(user.id)")
    assert isinstance(found, ExpiredToken), found
    assert found.lines == (
        'claims = jwt.decode(issue(user.id), options={"verify_signature": False})',
        'claims["exp"] = int(time.time()) - 300  # five minutes ago',
        "token = jwt.encode(claims, security.settings.SECRET_KEY, algorithm=security.ALGORITHM)",
    )
    assert (found.stdlib, found.third_party, found.app) == (("import time",), ("import jwt",),
                                                           ("from expiring import security",))
    # The lines as the conftest runs them: the app's own key accepts the signature, the expiry refuses it.
    monkeypatch.syspath_prepend(str(root))
    namespace = {"user": type("User", (), {"id": 7})()}
    try:
        exec("\n".join([*found.stdlib, *found.third_party, *found.app, "from expiring.security import issue",
                        *found.lines]), namespace)
    finally:
        for name in [m for m in sys.modules if m == "expiring" or m.startswith("expiring.")]:
            del sys.modules[name]
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(namespace["token"], "s3cret", algorithms=["HS384"])
    assert jwt.decode(namespace["token"], "s3cret", algorithms=["HS384"], options={"verify_exp": False})["sub"] == "7"


def test_a_token_function_with_no_lifetime_and_an_unknown_key_gets_a_note(tmp_path):
    root = write_packages(tmp_path, {"svc/security.py": """
        import jwt

        def issue(user_id, secret):
            return jwt.encode({"sub": user_id}, secret + "x", algorithm="HS256")
    """})
    found = expired_token(CodeFacts(app_dir=root), "svc.security.issue", "issue(user.id)")
    assert isinstance(found, str) and "no expired-token tests" in found and "svc.security.issue" in found


@pytest.mark.parametrize(("example", "says"), [
    pytest.param("flask_notes", "Flask-Login session cookie", id="flask-login"),
    pytest.param("drf_tasks", "`Token` credentials", id="drf-token"),
])
def test_credentials_that_never_expire_get_a_note_instead_of_a_case(tmp_path_factory, example, says):
    root, project = scanned_example(tmp_path_factory, example)
    suites = plan_tests(project, root=root)
    assert _cases(suites, "bad-token") and not _cases(suites, "expired-token")
    notes = [n for s in suites for n in s.notes if n.startswith("no expired-token tests")]
    assert len(notes) == 1 and says in notes[0], notes
