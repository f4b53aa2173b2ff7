"""Smoke check of examples/drf_tasks against a real Postgres (DATABASE_URL from the environment).

Run from a copy of the example: `cd <copy> && DATABASE_URL=... python .../drf_tasks.py`. Runs the
migrations, drives the API through DRF's APIClient with token auth, and shows each deliberate bug.
Exits non-zero with the failed expectation otherwise. Not a generated test: the proof that the
example really works.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, ".")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskhub.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from tasks.models import Project, Task  # noqa: E402


def expect(what: str, got: object, want: object) -> None:
    if got != want:
        raise SystemExit(f"FAILED {what}: got {got!r}, want {want!r}")
    print(f"ok {what}")


def client_for(username: str) -> APIClient:
    client = APIClient(raise_request_exception=False)  # a server error is a 500 response, as in production
    r = client.post("/api/auth/register/", {"username": username, "email": f"{username}@example.com",
                                            "password": "s3cret-pass"}, format="json")
    expect(f"register {username}", r.status_code, 201)
    r = client.post("/api/auth/token/", {"username": username, "password": "s3cret-pass"}, format="json")
    expect(f"token for {username}", r.status_code, 200)
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    return client


def main() -> None:
    call_command("flush", interactive=False, verbosity=0) if _migrated() else None
    call_command("migrate", interactive=False, verbosity=0)

    anon = APIClient(raise_request_exception=False)
    expect("projects need a token", anon.get("/api/projects/").status_code, 401)
    expect("bad token", anon.get("/api/tasks/", HTTP_AUTHORIZATION="Token nope").status_code, 401)
    alice, bob = client_for("alice"), client_for("bob")
    expect("short password", anon.post("/api/auth/register/", {"username": "carol", "password": "x"},
                                       format="json").status_code, 400)

    r = alice.post("/api/projects/", {"name": "Home", "description": "chores"}, format="json")
    expect("create project", r.status_code, 201)
    project_id = r.json()["id"]
    expect("project owner", r.json()["owner"], "alice")
    expect("list own projects", [p["id"] for p in alice.get("/api/projects/").json()["results"]], [project_id])
    expect("other user's project is hidden", bob.get(f"/api/projects/{project_id}/").status_code, 404)

    r = alice.post("/api/tasks/", {"project": project_id, "title": "Water plants", "status": "todo"}, format="json")
    expect("create task", r.status_code, 201)
    task_id = r.json()["id"]
    expect("bad status", alice.post("/api/tasks/", {"project": project_id, "title": "x", "status": "later"},
                                    format="json").status_code, 400)
    expect("task in someone else's project", bob.post("/api/tasks/", {"project": project_id, "title": "x"},
                                                      format="json").status_code, 400)
    expect("other user's task list", bob.get("/api/tasks/").json()["results"], [])

    # bug 1: `complete` answers "done" but never saves.
    r = alice.post(f"/api/tasks/{task_id}/complete/")
    expect("complete answers done", (r.status_code, r.json()["status"]), (200, "done"))
    expect("BUG complete is not persisted", Task.objects.get(pk=task_id).status, "todo")

    # bug 2: a duplicate project name is an IntegrityError -> 500, not a 400.
    expect("BUG duplicate project name is a 500",
           alice.post("/api/projects/", {"name": "Home"}, format="json").status_code, 500)

    # bug 3: no IsOwner on tasks: another user can read, change and delete the task.
    expect("BUG other user reads the task", bob.get(f"/api/tasks/{task_id}/").status_code, 200)
    r = bob.patch(f"/api/tasks/{task_id}/", {"title": "Hijacked"}, format="json")
    expect("BUG other user renames the task", (r.status_code, Task.objects.get(pk=task_id).title), (200, "Hijacked"))
    expect("BUG other user deletes the task", bob.delete(f"/api/tasks/{task_id}/").status_code, 204)
    expect("task row is gone", Task.objects.filter(pk=task_id).exists(), False)

    expect("owner deletes the project", alice.delete(f"/api/projects/{project_id}/").status_code, 204)
    expect("project row is gone", Project.objects.filter(pk=project_id).exists(), False)
    call_command("flush", interactive=False, verbosity=0)


def _migrated() -> bool:
    from django.db import connection

    return "tasks_task" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
