"""The project's own fixtures: a `client` or `auth_headers` the project defines above the output folder is
reused when it is the same thing; one that points the app elsewhere (dependency overrides, another
database) is not, and the suite's notes say which and why."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest
from generated import EXAMPLES
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.core.generate.tests.adapters import Section
from seamline.core.generate.tests.project_fixtures import conftests_in_scope, project_fixtures, without_fixtures

CONFTEST = "tests/integration/conftest.py"

FASTAPI_PLAIN = '''
import pytest
from fastapi.testclient import TestClient

from app.main import app


@pytest.fixture
def client():
    """The project's own client."""
    with TestClient(app) as test_client:
        yield test_client
'''

FASTAPI_OVERRIDES = '''
import pytest
from fastapi.testclient import TestClient

from app.main import app
from app.api.deps import get_db


@pytest.fixture
def client(db):
    app.dependency_overrides[get_db] = lambda: db
    yield TestClient(app)
    app.dependency_overrides.clear()


@pytest.fixture
def db():
    yield None
'''


def _copy(tmp_path, example: str, conftest: str, where: str = "tests/conftest.py"):
    root = tmp_path / example
    shutil.copytree(EXAMPLES / example, root)
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text(textwrap.dedent(conftest).lstrip(), encoding="utf-8")
    return root, scan(root)


def _generated(root, project) -> tuple[str, tuple[str, ...]]:
    conftest = {f.path: f.content for f in generate_tests(project, root=root)}[CONFTEST]
    (suite,) = plan_tests(project, root=root)
    return conftest, suite.notes


def test_a_plain_fastapi_client_is_reused(tmp_path):
    conftest, notes = _generated(*_copy(tmp_path, "fastapi_items", FASTAPI_PLAIN))
    assert "def client(" not in conftest
    assert "TestClient" not in conftest  # its imports went with it
    assert "def db(" in conftest and "def auth_headers(" in conftest
    assert "reusing your `client` fixture from tests/conftest.py:8" in notes


def test_a_client_that_overrides_dependencies_is_not_reused(tmp_path):
    conftest, notes = _generated(*_copy(tmp_path, "fastapi_items", FASTAPI_OVERRIDES))
    assert "def client():" in conftest
    assert ("your `client` fixture (tests/conftest.py:9) overrides get_db; the generated tests use their own so "
            "they hit the test database") in notes
    assert any(n.startswith("your `db` fixture (tests/conftest.py:16) is not used by the generated tests")
               for n in notes)
    assert not any(n.startswith("reusing") for n in notes)


@pytest.mark.parametrize(("fixture", "why"), [
    pytest.param("@pytest.fixture(scope='session')\ndef client():\n    return TestClient(app)\n",
                 "is session-scoped", id="session-scoped"),
    pytest.param("@pytest.fixture\ndef client():\n    return TestClient(other)\n",
                 "is made for `app.other:other`", id="another-app"),
    pytest.param("@pytest.fixture\ndef client(settings):\n    return TestClient(app)\n",
                 "requests `settings`", id="unknown-fixture"),
    pytest.param("@pytest.fixture\ndef client():\n    return TestClient(app, base_url='sqlite:///x.db')\n",
                 "uses `sqlite:///x.db`", id="sqlite"),
    pytest.param("@pytest.fixture\ndef client():\n    return make_client()\n",
                 "does not make the fastapi test client", id="not-a-client"),
])
def test_a_client_that_is_not_the_same_thing_is_kept_out(tmp_path, fixture, why):
    source = "import pytest\nfrom fastapi.testclient import TestClient\nfrom app.main import app\n" \
             "from app.other import other\n\n\n" + fixture
    conftest, notes = _generated(*_copy(tmp_path, "fastapi_items", source))
    assert "def client():" in conftest
    assert any(n.startswith("your `client` fixture (tests/conftest.py:") and why in n for n in notes), notes


def test_auth_headers_are_reused_only_when_made_from_user(tmp_path):
    made_from_user = FASTAPI_PLAIN + '''

@pytest.fixture
def auth_headers(user):
    return {"Authorization": f"Bearer {user.id}"}
'''
    conftest, notes = _generated(*_copy(tmp_path / "a", "fastapi_items", made_from_user))
    assert "def auth_headers(" not in conftest
    assert "def user(" in conftest and "def headers_for(" in conftest  # still used by the tests
    assert "reusing your `auth_headers` fixture from tests/conftest.py:15" in notes

    fixed_token = FASTAPI_PLAIN + '\n\n@pytest.fixture\ndef auth_headers():\n    return {"Authorization": "Bearer x"}\n'
    conftest, notes = _generated(*_copy(tmp_path / "b", "fastapi_items", fixed_token))
    assert "def auth_headers(headers_for, user):" in conftest
    assert ("your `auth_headers` fixture (tests/conftest.py:15) does not make its headers from the `user` fixture "
            "alone; the generated tests use their own") in notes


def test_a_flask_client_of_the_app_fixture_is_reused_with_the_generated_app(tmp_path):
    source = '''
    import pytest

    from notes import create_app


    @pytest.fixture
    def app():
        return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


    @pytest.fixture
    def client(app):
        return app.test_client()


    @pytest.fixture
    def session(app):
        yield None
    '''
    conftest, notes = _generated(*_copy(tmp_path, "flask_notes", source, where="conftest.py"))
    assert "def client(" not in conftest
    assert "def app():" in conftest and "def session_cookie(" in conftest  # ours: TESTING, the test database
    assert "reusing your `client` fixture from conftest.py:12 with the generated `app` fixture" in notes
    assert any(n.startswith("your `session` fixture (conftest.py:17) is not used") for n in notes)


def test_a_flask_client_that_sets_the_database_is_not_reused(tmp_path):
    source = '''
    import pytest

    from notes import create_app


    @pytest.fixture
    def client():
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        return app.test_client()
    '''
    conftest, notes = _generated(*_copy(tmp_path, "flask_notes", source))
    assert "def client(app):" in conftest
    assert any(n.startswith("your `client` fixture (tests/conftest.py:7) sets SQLALCHEMY_DATABASE_URI") for n in notes)


def test_seamlines_own_conftest_and_nearer_definitions(tmp_path):
    root = tmp_path / "app"
    (root / "tests" / "integration").mkdir(parents=True)
    (root / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\ndef client():\n    return 1\n")
    (root / "tests" / "conftest.py").write_text("from pytest import fixture\n\n\n@fixture(name='client')\n"
                                                "def _client():\n    return 2\n")
    (root / "tests" / "integration" / "conftest.py").write_text(
        "# seamline-hash: " + "0" * 64 + "\nimport pytest\n\n\n@pytest.fixture\ndef client():\n    return 3\n")
    assert conftests_in_scope(root, "tests/integration") == [root / "conftest.py", root / "tests" / "conftest.py"]
    found = project_fixtures(root, "tests/integration")
    assert found["client"].where == "tests/conftest.py:5"  # the nearest wins, as in pytest


def test_without_fixtures_drops_only_the_named_functions():
    code = '\n@pytest.fixture(scope="session")\ndef app():\n    return 1\n\n\n@pytest.fixture\ndef client(app):\n' \
           '    return app.test_client()\n\n\ndef helper():\n    return 2\n'
    kept = without_fixtures(Section(app=("from x import y",), code=code), frozenset({"client"}))
    assert "def client" not in kept.code and "def app():" in kept.code and "def helper():" in kept.code
    assert kept.app == ("from x import y",)
    assert without_fixtures(Section(app=("from x import y",), code="@pytest.fixture\ndef client():\n    pass\n"),
                            frozenset({"client"})) == Section()


def test_generated_tests_collect_with_the_reused_client(tmp_path):
    root, project = _copy(tmp_path, "fastapi_items", FASTAPI_PLAIN)
    for f in generate_tests(project, root=root):
        (root / f.path).parent.mkdir(parents=True, exist_ok=True)
        (root / f.path).write_text(f.content, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "--fixtures-per-test", "tests/integration/test_health_api.py"],
                         cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert "error" not in run.stdout.lower(), run.stdout + run.stderr
    assert "client -- tests/conftest.py:" in run.stdout, run.stdout  # pytest found the project's `client`
    assert "tests/integration/conftest.py" in run.stdout  # and still the generated fixtures (`engine`, ...)
