"""Credentials from the framework's own auth where the app has no token function of its own: DRF's
default authentication (a `force_login` session, or HTTP Basic) on the drf-tutorial fixture, and
Flask-JWT-Extended's `create_access_token` (never the app's login view) on the flask_api fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from generated import function_source
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests

APPS = Path(__file__).parent.parent / "fixtures" / "apps"
_MIDDLEWARE = '''
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
'''


def _copy(tmp_path: Path, name: str, edits: dict[str, tuple[str, str]] = {}) -> Path:  # noqa: B006 (read only)
    root = tmp_path / name
    shutil.copytree(APPS / name, root)
    for rel, (old, new) in edits.items():
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new))
    return root


def _suite(root: Path):
    project = scan(root)
    (suite,) = plan_tests(project, root=root)
    cases = {c.name: c for m in suite.modules for c in m.cases}
    files = {f.path: f.content for f in generate_tests(project, root=root)}
    return suite, cases, files


_WRITES = ("snippet_create", "snippet_update", "snippet_partial_update", "snippet_destroy")


def test_drf_session_auth_logs_the_seeded_user_in_with_force_login(tmp_path):
    root = _copy(tmp_path, "django_snippets", {"tutorial/settings.py": ('ROOT_URLCONF', _MIDDLEWARE + 'ROOT_URLCONF')})
    suite, cases, files = _suite(root)
    assert (suite.auth.token_call, suite.auth.header, suite.auth.scheme) == ("session_cookie(user)", "Cookie", "")
    assert suite.auth.user_model == "django.contrib.auth.models.User"
    for write in _WRITES:  # SessionAuthentication first: no challenge, so DRF answers 403
        assert cases[f"test_{write}_without_token_returns_403"].expect_status == 403
    assert cases["test_snippet_create_persists_snippet_for_owner"].request.auth == "user"
    for write in _WRITES[1:]:  # IsOwnerOrReadOnly refuses someone else's snippet after get_object found it
        assert cases[f"test_{write}_of_other_user_returns_403"].kind == "other-owner"
    conftest = files["tests/integration/conftest.py"]
    helper = function_source(conftest, "session_cookie")
    assert "login.force_login(user)" in helper and "SESSION_COOKIE_NAME" in helper
    assert '{"Cookie": f"{session_cookie(user)}"}' in conftest
    assert not any("expired" in c for c in cases)
    # `choices=LANGUAGE_CHOICES` is computed from pygments at import time: the payload sends the default
    sent = cases["test_snippet_create_persists_snippet_for_owner"].request.json
    assert (sent["language"], sent["style"]) == ("python", "friendly")


def test_drf_without_auth_middleware_authenticates_with_http_basic(tmp_path):
    # the fixture's settings have no MIDDLEWARE: SessionAuthentication finds no user, BasicAuthentication can
    suite, cases, files = _suite(_copy(tmp_path, "django_snippets"))
    assert (suite.auth.token_call, suite.auth.header, suite.auth.scheme) == (
        "basic_credentials(user)", "Authorization", "Basic")
    for write in _WRITES:
        assert f"test_{write}_without_token_returns_403" in cases  # still SessionAuthentication's answer
    assert "test_snippet_destroy_of_other_user_returns_403" in cases
    helper = function_source(files["tests/integration/conftest.py"], "basic_credentials")
    assert "user.set_password(password)" in helper and "base64.b64encode" in helper


def test_drf_basic_authentication_alone_answers_401(tmp_path):
    only_basic = ('"PAGE_SIZE": 10,', '"PAGE_SIZE": 10,\n    "DEFAULT_AUTHENTICATION_CLASSES": '
                                     '["rest_framework.authentication.BasicAuthentication"],')
    suite, cases, _files = _suite(_copy(tmp_path, "django_snippets", {"tutorial/settings.py": only_basic}))
    assert suite.auth.scheme == "Basic"
    assert cases["test_snippet_create_without_token_returns_401"].expect_status == 401
    assert cases["test_snippet_update_with_invalid_token_returns_401"].request.auth == "invalid"


def test_flask_jwt_tokens_come_from_create_access_token_not_the_login_view(tmp_path):
    suite, cases, files = _suite(_copy(tmp_path, "flask_api"))
    auth = suite.auth
    assert auth.token_function == "flask_jwt_extended.create_access_token"
    assert auth.token_call == "in_app_context(app, lambda: create_access_token(identity=str(user.id)))"
    assert (auth.header, auth.scheme, auth.fixtures) == ("Authorization", "Bearer", ("app",))
    assert "login(" not in auth.token_call
    conftest = files["tests/integration/conftest.py"]
    assert "from flask_jwt_extended import create_access_token" in conftest
    assert "with app.app_context():" in function_source(conftest, "in_app_context")
    expired = function_source(conftest, "expired_auth_headers")
    assert "expires_delta=datetime.timedelta(seconds=-1)" in expired
    assert cases["test_item_list_post_with_invalid_token_returns_422"].expect_status == 422  # invalid_token_loader
    assert cases["test_item_list_post_without_token_returns_401"].expect_status == 401
    assert cases["test_item_list_post_with_expired_token_returns_401"].kind == "expired-token"  # expired: 401


def test_flask_jwt_reads_the_header_settings_and_the_identity_the_app_uses(tmp_path):
    root = _copy(tmp_path, "flask_api", {
        "api/__init__.py": ('app.config["JWT_SECRET_KEY"] = "change-me"',
                            'app.config["JWT_SECRET_KEY"] = "change-me"\n    app.config["JWT_HEADER_TYPE"] = "Token"\n'
                            '    app.config["JWT_HEADER_NAME"] = "X-Auth"'),
        "api/v1/auth.py": ("create_access_token(identity=str(user.id))", "create_access_token(identity=user)"),
    })
    suite, cases, files = _suite(root)
    assert (suite.auth.header, suite.auth.scheme) == ("X-Auth", "Token")
    assert suite.auth.token_call == "in_app_context(app, lambda: create_access_token(identity=user))"
    assert '{"X-Auth": f"Token {in_app_context(' in files["tests/integration/conftest.py"]


@pytest.mark.parametrize("loader", ["jwt.invalid_token_loader(lambda reason: ({'msg': reason}, 401))"])
def test_flask_jwt_app_with_its_own_invalid_token_answer_keeps_401(tmp_path, loader):
    root = _copy(tmp_path, "flask_api", {"api/extensions.py": ("jwt = JWTManager()", f"jwt = JWTManager()\n{loader}")})
    suite, cases, _files = _suite(root)
    assert suite.auth.invalid_status is None
    assert "test_item_list_post_with_invalid_token_returns_401" in cases
