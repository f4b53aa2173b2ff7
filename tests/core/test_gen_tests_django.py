"""Test generation for Django + DRF on examples/drf_tasks: pytest-django settings and database, DRF
token credentials, ModelViewSet actions (404 from get_object, paginated lists), FK payload fields."""

from __future__ import annotations

import ast

import pytest
from generated import function_source as _function
from generated import generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import plan_tests


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return scanned_example(tmp_path_factory, "drf_tasks")


@pytest.fixture(scope="module")
def files(example) -> dict[str, str]:
    return generated_files(*example)


def test_every_file_is_python_and_the_views_module_is_covered(files):
    assert sorted(files) == ["tests/integration/conftest.py", "tests/integration/test_taskhub_api.py",
                             "tests/integration/test_tasks_api.py", "tests/integration/test_tasks_tasks_api.py"]
    for text in files.values():
        ast.parse(text)
    views = _tests(files["tests/integration/test_tasks_tasks_api.py"])
    assert len(views) == 65
    assert "test_task_complete_of_other_user_returns_404" in views
    assert not [n for n in views if n.startswith("test_task_complete_rejects")]  # the action takes no payload


def test_plan_uses_drf_tokens_of_the_auth_user(example):
    root, project = example
    (suite,) = plan_tests(project, root=root)
    assert (suite.framework, suite.orm, suite.entry) == ("django", "django", "taskhub.settings")
    auth = suite.auth
    assert (auth.user_model, auth.header, auth.scheme, auth.admin_flag) == (
        "django.contrib.auth.models.User", "Authorization", "Token", "is_staff")
    assert auth.token_call == "Token.objects.get_or_create(user=user)[0].key"


def test_conftest_sets_up_django_after_the_env_file_and_uses_pytest_django(files):
    conftest = files["tests/integration/conftest.py"]
    order = [conftest.index(s) for s in ("_load_env_file()\n", "sys.path.insert(0, str(APP_ROOT))",
                                         "_setup_django()\n\nfrom", "from tasks.models import Project, Task")]
    assert order == sorted(order)
    assert 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskhub.settings")' in conftest
    assert "def _database(db, settings):" in conftest and "MD5PasswordHasher" in conftest
    assert "rolled back" in conftest and "TRUNCATE" not in conftest
    assert "return User.objects.create_user(**values)" in conftest
    assert 'values["project_id"] = make_project().pk' in conftest  # FKs by column, parents first
    assert '{"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}' in conftest
    assert "return APIClient()" in conftest


def test_create_seeds_the_projects_row_the_payload_names_and_checks_the_database(files):
    text = _function(files["tests/integration/test_tasks_tasks_api.py"], "test_task_create_persists_task_for_owner")
    assert "project = make_project(owner_id=user.id)" in text
    assert 'payload["project"] = project.id' in text
    assert 'client.post("/api/tasks/", payload, format="json", headers=auth_headers)' in text
    assert "row = Task.objects.filter(pk=body[\"id\"]).first()" in text
    assert 'assert row.due_date.isoformat() == payload["due_date"]' in text
    assert "assert row.owner_id == user.id" in text
    assert '"status": "todo"' in text  # the model's TextChoices, though the serializer does not say


def test_viewset_actions_get_404s_from_get_object_and_lists_read_results(files):
    views = files["tests/integration/test_tasks_tasks_api.py"]
    assert "assert response.status_code == 404" in _function(views, "test_task_retrieve_missing_returns_404")
    other = _function(views, "test_task_partial_update_of_other_user_returns_404")
    assert "other_task = make_task(owner_id=other_user.id)" in other and 'payload["project"] = project.id' in other
    listing = _function(views, "test_task_list_includes_task_of_current_user")
    assert 'for entry in body["results"]' in listing  # DEFAULT_PAGINATION_CLASS in settings


def test_login_registers_through_the_app_then_posts_the_token_form(files):
    login = files["tests/integration/test_taskhub_api.py"]
    assert _tests(login) == ["test_obtain_auth_token_returns_token_for_registered_user",
                             "test_obtain_auth_token_with_wrong_password_returns_400"]
    assert 'registered = client.post("/api/auth/register/", credentials, format="json")' in login
    assert '"username": "sample_username"' in login  # no spaces: Django's username validator
