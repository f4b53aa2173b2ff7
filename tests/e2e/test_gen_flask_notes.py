"""The proof for test generation on examples/flask_notes: generate the suite (flows included), bring up
Postgres in docker, run it, classify every failure. Every failure is one of the example's three
deliberate bugs, each reported as a finding at its handler; the environment is gone afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_examples import run_generated

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_notes"
NEEDS = ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "psycopg", "aiosmtpd")

# The README's deliberate bugs: (finding code, handler file, handler line).
BUGS = {
    ("app-bug-write-not-persisted", "notes/api.py", 57),  # PATCH never commits
    ("app-bug-server-error", "notes/api.py", 23),  # list: page=0 -> negative OFFSET -> 500
    ("app-bug-missing-ownership-check", "notes/api.py", 72),  # DELETE without ownership check
}


@pytest.mark.docker
def test_generated_suite_on_flask_notes_fails_only_on_its_three_bugs(tmp_path, docker_engine, capsys):
    # mail goes to the suite's in-process SMTP server (`fake_smtp`), not to a container
    report = run_generated(EXAMPLE, NEEDS, tmp_path, docker_engine, capsys, kinds=("postgres",), faked=("smtp",))
    assert report.total >= 40
    assert report.passed / report.total >= 0.9, report.failed  # the rest are the deliberate bugs, see below
    assert [(c.outcome.nodeid, c.category) for c in report.failed if c.category != "app-bug"] == []
    assert {(f.code, f.file, f.line) for f in report.findings} == BUGS, report.findings
