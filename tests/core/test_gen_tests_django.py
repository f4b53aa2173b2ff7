"""Test generation for Django + DRF on examples/drf_tasks: pytest-django settings and database, DRF
token credentials, ModelViewSet actions (404 from get_object, paginated lists), FK payload fields."""

from __future__ import annotations

import ast

import pytest
from generated import function_source as _function
from generated import generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import plan_tests
from seamline.core.generate.tests.model import Check


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return scanned_example(tmp_path_factory, "drf_tasks")


@pytest.fixture(scope="module")
def files(example) -> dict[str, str]:
    return generated_files(*example)


def test_every_file_is_python_and_the_views_module_is_covered(files):
    assert sorted(files) == ["tests/integration/conftest.py", "tests/integration/test_sharing_api.py",
                             "tests/integration/test_taskhub_api.py", "tests/integration/test_tasks_api.py",
                             "tests/integration/test_tasks_tasks_api.py"]
    for text in files.values():
        ast.parse(text)
    views = _tests(files["tests/integration/test_tasks_tasks_api.py"])
    assert len(views) == 67
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
                             "test_obtain_auth_token_with_wrong_password_returns_400",
                             "test_obtain_auth_token_with_unknown_user_returns_400"]
    assert 'registered = client.post("/api/auth/register/", credentials, format="json")' in login
    assert '"username": "sample_username"' in login  # no spaces: Django's username validator


def test_model_meta_unique_sets_reach_the_model_fields(example):
    _root, project = example
    fields = {f.name: f.constraints for m in project.models if m.name == "tasks.models.Project" for f in m.fields}
    assert ("unique_together", "owner,name") in fields["owner"]  # Meta.constraints' UniqueConstraint
    assert ("unique_together", "owner,name") in fields["name"]
    assert not any(k.startswith("unique") for k, _v in fields["description"])


def test_a_create_repeating_a_unique_set_with_the_caller_expects_the_validation_status(files):
    views = files["tests/integration/test_tasks_tasks_api.py"]
    text = _function(views, "test_project_create_with_taken_name_returns_400")
    # the existing row shares the set (owner, name): the caller owns it, the payload names it
    assert text.index('payload = {"name": "Sample name"') < text.index('make_project(owner_id=user.id, '
                                                                         'name=payload["name"])')
    assert "assert response.status_code == 400, response.text" in text  # DRF's validation status, not 500
    assert "assert count_projects() == 1" in text


def test_a_create_repeating_a_unique_column_seeds_that_column_only(files):
    views = files["tests/integration/test_tasks_tasks_api.py"]
    text = _function(views, "test_register_post_with_taken_username_returns_400")
    assert 'make_user(username=payload["username"])' in text and "auth_headers" not in text
    assert "assert count_users() == 1" in text


def test_an_action_changing_the_row_checks_the_database_holds_what_it_answered(files):
    text = _function(files["tests/integration/test_tasks_tasks_api.py"], "test_task_complete_saves_its_changes")
    lines = [ln.strip() for ln in text.splitlines()]
    at = lines.index("body = response.json()")
    assert lines[at - 2].startswith('response = client.post(f"/api/tasks/{task_id}/complete/"')
    assert lines[at + 1] == "assert set(body) >= {"  # every field TaskSerializer declares, then the row
    assert lines[lines.index("row = Task.objects.filter(pk=task_id).first()"):] == [
        "row = Task.objects.filter(pk=task_id).first()",
        'assert row is not None, "no tasks_task row with this id after the request"',
        'assert row.status == body["status"]',  # the response says "done"; so must the row
        'assert row.title == body["title"]',
    ]


def test_returned_row_checks_compare_columns_the_payload_does_not_already(example):
    root, project = example
    (suite,) = plan_tests(project, root=root)
    cases = {c.name: c for m in suite.modules for c in m.cases}
    complete = cases["test_task_complete_saves_its_changes"]
    # `owner` is the username (a computed ReadOnlyField), not the owner column: not compared
    assert [(c.kind, c.name) for c in complete.checks if c.kind != "keys"] == \
        [("row-exists", ""), ("row", "status"), ("row", "title")]
    update = cases["test_task_update_persists_changes"]  # every column it returns is one the payload sets
    assert [c.name for c in update.checks if c.value_from.startswith("body[")] == []


def test_an_action_answering_a_body_of_its_own_gets_no_row_checks(tmp_path):
    """`Response({"detail": ...})` says nothing about the row, whatever serializer the view declares."""
    import shutil

    from generated import EXAMPLES
    from seamline.core.analyze.scan import scan

    root = tmp_path / "drf_tasks"
    shutil.copytree(EXAMPLES / "drf_tasks", root)
    views = root / "tasks" / "views.py"
    source = views.read_text()
    assert "return Response(self.get_serializer(task).data)" in source
    views.write_text(source.replace("return Response(self.get_serializer(task).data)",
                                    'return Response({"detail": "completed"})'))
    (suite,) = plan_tests(scan(root), root=root)
    cases = {c.name: c for m in suite.modules for c in m.cases if c.endpoint == "POST /api/tasks/{pk}/complete/"}
    happy = next(c for c in cases.values() if c.kind == "happy")
    # no row checks: only the constant it answers with
    assert (happy.name, happy.checks) == ("test_task_complete_returns_200",
                                          (Check(kind="field", name="detail", source='"completed"'),))


def test_flows_follow_drf_detail_routes_but_not_creates_needing_parent_rows(example):
    from seamline.core.generate.tests import generate_tests

    root, project = example
    flows = {f.path: f.content for f in generate_tests(project, root=root, flows=True)}
    text = flows["tests/integration/test_flows_api.py"]
    assert _tests(text) == ["test_flow_project_create_read_update_delete"]  # a task needs a project first
    assert 'client.put(f"/api/projects/{project_id}/", changes, format="json", headers=auth_headers)' in text



def _classified(example, function: str, message: str, details: str):
    from seamline.testrun import classify
    from seamline.testrun.runner import Outcome

    root, project = example
    outcome = Outcome(nodeid=f"tests/integration/test_tasks_tasks_api.py::{function}", function=function,
                      status="failed", message=message, details=details)
    report = classify([outcome], suites=plan_tests(project, root=root), project=project, app_packages=["tasks"])
    (failed,) = report.failed
    return failed, [(f.code, f.file, f.line) for f in report.findings]


def test_a_duplicate_the_database_refuses_is_an_app_bug_at_the_viewset(example):
    details = ('>       response = client.post("/api/projects/", payload, format="json", headers=auth_headers)\n\n'
               "tests/integration/test_tasks_tasks_api.py:164: \n"
               "/venv/lib/python3.12/site-packages/rest_framework/mixins.py:24: in perform_create\n"
               "    serializer.save()\ntasks/views.py:27: in perform_create\n"
               "    serializer.save(owner=self.request.user)\n"
               "/venv/lib/python3.12/site-packages/django/db/backends/utils.py:105: in _execute\n"
               "    return self.cursor.execute(sql, params)\nE   django.db.utils.IntegrityError: duplicate key value "
               'violates unique constraint "unique_project_name_per_owner"\n\n'
               "/venv/lib/python3.12/site-packages/psycopg/cursor.py:97: IntegrityError")
    c, findings = _classified(example, "test_project_create_with_taken_name_returns_400",
                              "django.db.utils.IntegrityError: duplicate key value", details)
    assert c.category == "app-bug" and "IntegrityError at tasks/views.py:27" in c.reason
    assert findings == [("app-bug-unhandled-unique-violation", "tasks/views.py", 17)]


def test_an_action_whose_row_differs_from_its_answer_did_not_persist_its_write(example):
    details = ('>       assert row.status == body["status"]\nE       AssertionError: assert \'todo\' == \'done\'\n\n'
               "tests/integration/test_tasks_tasks_api.py:777: AssertionError")
    c, findings = _classified(example, "test_task_complete_saves_its_changes", "AssertionError", details)
    assert c.category == "app-bug" and "a missing save or commit?" in c.reason
    assert findings == [("app-bug-write-not-persisted", "tasks/views.py", 46)]


def test_unique_together_and_unconditional_unique_constraints_are_read(tmp_path):
    from seamline.core.analyze.scan import scan

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text('''from django.db import models


class Tag(models.Model):
    slug = models.CharField(max_length=20)
    site = models.IntegerField()
    label = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)

    class Meta:
        unique_together = (("site", "slug"),)
        constraints = [
            models.UniqueConstraint(fields=["label"], name="one_label"),
            models.UniqueConstraint(fields=["kind", "site"], condition=models.Q(kind="x"), name="partial"),
        ]
''')
    (model,) = scan(tmp_path).models
    unique = {f.name: [c for c in f.constraints if c[0].startswith("unique")] for f in model.fields}
    assert unique == {"id": [], "slug": [("unique_together", "site,slug")], "site": [("unique_together", "site,slug")],
                      "label": [("unique", "true")], "kind": []}  # a conditional constraint binds only some rows
