"""Smoke check of examples/flask_notes against a real Postgres (DATABASE_URL from the environment).

Run from a copy of the example: `cd <copy> && DATABASE_URL=... python .../flask_notes.py`. Creates the
schema, drives the app through Flask's test client, and shows each deliberate bug. Exits non-zero
with the failed expectation otherwise. Not a generated test: the proof that the example really works.
"""

from __future__ import annotations

import sys

sys.path.insert(0, ".")

from notes import create_app  # noqa: E402
from notes.extensions import db  # noqa: E402
from notes.models import Note  # noqa: E402


def expect(what: str, got: object, want: object) -> None:
    if got != want:
        raise SystemExit(f"FAILED {what}: got {got!r}, want {want!r}")
    print(f"ok {what}")


def login(app, email: str):
    client = app.test_client()
    r = client.post("/auth/register", json={"email": email, "password": "s3cret-pass"})
    expect(f"register {email}", r.status_code, 201)
    r = client.post("/auth/login", json={"email": email, "password": "s3cret-pass"})
    expect(f"login {email}", r.status_code, 200)
    return client


def main() -> None:
    app = create_app()  # not TESTING: errors become 500 responses, as in production
    with app.app_context():
        db.drop_all()
        db.create_all()

    anon = app.test_client()
    expect("health", anon.get("/health").get_json(), {"status": "ok"})
    expect("notes need login", anon.get("/api/notes/").status_code, 401)
    alice, bob = login(app, "alice@example.com"), login(app, "bob@example.com")
    expect("duplicate email", anon.post("/auth/register", json={"email": "alice@example.com",
                                                                  "password": "s3cret-pass"}).status_code, 409)
    expect("wrong password", anon.post("/auth/login", json={"email": "bob@example.com",
                                                             "password": "nope"}).status_code, 401)
    expect("me", alice.get("/auth/me").get_json()["email"], "alice@example.com")

    r = alice.post("/api/notes/", json={"title": "Groceries", "body": "milk", "pinned": True})
    expect("create note", r.status_code, 201)
    note_id = r.get_json()["id"]
    expect("missing title", alice.post("/api/notes/", json={"body": "x"}).status_code, 400)
    expect("list own notes", [n["id"] for n in alice.get("/api/notes/?pinned=true").get_json()], [note_id])
    expect("other user's list is empty", bob.get("/api/notes/").get_json(), [])
    expect("other user's note is hidden", bob.get(f"/api/notes/{note_id}").status_code, 404)
    expect("unknown note", alice.get("/api/notes/999999").status_code, 404)

    # bug 1: PATCH answers with the change but never commits it.
    r = alice.patch(f"/api/notes/{note_id}", json={"title": "Shopping"})
    expect("patch answers with the new title", r.get_json()["title"], "Shopping")
    expect("BUG patch is not persisted", alice.get(f"/api/notes/{note_id}").get_json()["title"], "Groceries")

    # bug 2: page=0 makes a negative OFFSET -> 500.
    expect("BUG page=0 is a 500", alice.get("/api/notes/?page=0").status_code, 500)

    # bug 3: anyone logged in can delete anyone's note.
    expect("BUG other user deletes the note", bob.delete(f"/api/notes/{note_id}").status_code, 204)
    with app.app_context():
        expect("note row is gone", db.session.get(Note, note_id), None)

    expect("logout", alice.post("/auth/logout").status_code, 204)
    expect("after logout", alice.get("/auth/me").status_code, 401)
    with app.app_context():
        db.drop_all()


if __name__ == "__main__":
    main()
