"""The proof for test generation on examples/drf_tasks (Django + DRF, pytest-django): generate the
suite (flows included), bring up Postgres in docker, run it, classify every failure. At least 90% pass
on the first run, every failure is a real bug of the app, and each of the README's three deliberate
bugs comes back as a finding at its handler. The share/export actions' webhook (`requests`) and S3
(boto3) are answered in process (responses, moto): no S3 container is started."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_examples import run_generated

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "drf_tasks"
NEEDS = ("django", "rest_framework", "pytest_django", "psycopg", "requests", "responses", "boto3", "moto")

# The README's deliberate bugs: (finding code, handler file, handler line).
FINDINGS = {
    # TaskViewSet (line 30) and its `complete` action (line 46) let anyone act on anyone's task
    ("app-bug-missing-ownership-check", "tasks/views.py", 30),
    ("app-bug-missing-ownership-check", "tasks/views.py", 46),
    # `complete` answers "done" but never saves: the row checked after the action still says "todo"
    ("app-bug-write-not-persisted", "tasks/views.py", 46),
    # ProjectViewSet.create: a name the owner already uses hits the (owner, name) UniqueConstraint in
    # the database (IntegrityError, 500) because the serializer cannot see it (owner is read-only)
    ("app-bug-unhandled-unique-violation", "tasks/views.py", 17),
}


@pytest.mark.docker
def test_generated_suite_on_drf_tasks_finds_its_three_bugs(tmp_path, docker_engine, capsys):
    report = run_generated(EXAMPLE, NEEDS, tmp_path, docker_engine, capsys, kinds=("postgres",), faked=("s3",))
    root = tmp_path / EXAMPLE.name
    assert (root / "tests/integration/test_flows_api.py").is_file()  # DRF's `/{pk}/` detail routes have flows
    assert report.total >= 100
    assert report.passed / report.total >= 0.9, [(c.outcome.nodeid, c.reason) for c in report.failed]
    assert [(c.outcome.nodeid, c.category) for c in report.failed if c.category != "app-bug"] == []
    assert {(f.code, f.file, f.line) for f in report.findings} == FINDINGS, report.findings
    by_test = {c.outcome.nodeid.rsplit("::", 1)[-1]: c for c in report.failed}
    assert "IntegrityError at tasks/views.py:27" in by_test["test_project_create_with_taken_name_returns_400"].reason
    assert "row.status" in by_test["test_task_complete_saves_its_changes"].reason
