"""Which containers a `seamline run` needs (testrun/commands.py `containers_needed`): none for an app whose
only data store is SQLite or whose outside services the generated tests answer in process; then the run
goes ahead with no compose file and no docker (tests/e2e/test_gen_flask_tutorial.py runs one)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import Suite, plan_tests
from seamline.core.generate.tests.model import Double
from seamline.core.model import Service
from seamline.testrun.commands import containers_needed

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
SMTP = Double(kind="smtp", fixture="fake_smtp", what="the SMTP server behind MAIL_SERVER")


def _suites(root: Path, project) -> list[Suite]:
    return [s for s in plan_tests(project, root=root) if s.modules]


def test_an_app_on_sqlite_alone_needs_no_container():
    root = APPS / "flask_tutorial"
    project = scan(root)
    assert {s.kind for s in project.services} == {"sqlite"}
    needed = containers_needed(root, project, _suites(root, project))
    assert needed.containers == ()
    assert needed.message.startswith("no services to start (sqlite needs no container)"), needed.message


def test_a_database_server_needs_its_container():
    root = APPS / "flask_tutorial_sqla"
    project = scan(root)
    needed = containers_needed(root, project, _suites(root, project))
    assert needed.containers == ("postgres",) and needed.message == ""


def test_a_mail_relay_needs_a_container_unless_the_tests_answer_it_in_process():
    root = APPS / "flask_tutorial"
    project = scan(root)
    project = dataclasses.replace(project, services=(*project.services, Service(kind="smtp", name="MAIL_SERVER")))
    suites = _suites(root, project)
    assert containers_needed(root, project, suites).containers == ("smtp",)

    faked = [dataclasses.replace(s, doubles=(SMTP,)) for s in suites]
    needed = containers_needed(root, project, faked)
    assert needed.containers == ()
    assert "smtp is answered in process by the generated tests" in needed.message, needed.message


def test_a_compose_file_in_the_workspace_is_brought_up_even_when_the_analysis_sees_no_service(tmp_path):
    """Its services may be ones the analysis cannot see: the user wrote it for the run."""
    root = tmp_path / "flask_tutorial"
    shutil.copytree(APPS / "flask_tutorial" / "flaskr", root / "flaskr", ignore=shutil.ignore_patterns("__pycache__"))
    project = scan(root)
    suites = _suites(root, project)
    assert suites and containers_needed(root, project, suites).containers == ()
    (root / "compose.test.yaml").write_text("services:\n  cache:\n    image: redis:7.4\n", encoding="utf-8")
    assert containers_needed(root, project, suites).containers == ("cache",)
    assert containers_needed(root, project, suites).message == ""
