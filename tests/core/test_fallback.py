"""What `seamline run` stands in with when no docker engine answers (testrun/fallback.py): planning only,
no docker and no pytest run (tests/e2e/test_run_without_docker.py runs the examples that way)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from generated import generated_files, scanned_example
from seamline.core.generate.tests import Suite
from seamline.core.model import Evidence, Finding, OrmModel, Project, Service
from seamline.testrun.classify import Report
from seamline.testrun.fallback import PLUGIN, SETTINGS_MODULE, label, plan_suite, render_header, sql_blockers

SUITE = Suite(app=".", framework="fastapi", orm="sqlalchemy", entry="app.main:app", output="tests/integration")
DJANGO = Suite(app=".", framework="django", orm="django", entry="shop.settings", output="tests/integration",
               database_setting="DATABASES")

PORTABLE = """
from sqlalchemy import Integer, String, func, text
from sqlalchemy.orm import mapped_column

class Item(Base):
    id = mapped_column(Integer, primary_key=True)
    name = mapped_column(String(50), server_default="unnamed")
    created = mapped_column(DateTime, server_default=func.now())
"""
POSTGRES_ONLY = """
from sqlalchemy import ARRAY, Integer, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import mapped_column

class Item(Base):
    id = mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))
    tags = mapped_column(ARRAY(String))
    extra = mapped_column(JSONB)
"""


def _project(root: Path, models: str, *, services: tuple[Service, ...], orm: str = "sqlalchemy",
             file: str = "app/models.py") -> Project:
    (root / file).parent.mkdir(parents=True, exist_ok=True)
    (root / file).write_text(models, encoding="utf-8")
    return Project(root=str(root), models=(OrmModel(name="app.models.Item", orm=orm, file=file),),
                   services=services)


POSTGRES = Service(kind="postgres", settings=("DATABASE_URL",),
                   evidence=(Evidence(kind="env", detail="DATABASE_URL = postgresql+psycopg://localhost"),))


def test_portable_models_run_on_a_sqlite_file(tmp_path):
    project = _project(tmp_path, PORTABLE, services=(POSTGRES,))
    plan = plan_suite(tmp_path, project, SUITE, workdir=tmp_path, python=sys.executable)
    assert plan.refused == ""
    assert plan.env["DATABASE_URL"] == f"sqlite:///{tmp_path}/app.sqlite3"
    assert plan.env["SEAMLINE_FALLBACK"] == "1"  # the generated conftest then ignores a stale .seamline/env
    assert [(s.service, s.by) for s in plan.stand_ins] == [("postgres", "SQLite")]
    assert "SQLite in place of Postgres (fallback run — not the same as the real services)" in render_header(
        "no docker engine answers", [plan])


def test_postgres_only_models_get_no_fallback_and_say_why(tmp_path):
    project = _project(tmp_path, POSTGRES_ONLY, services=(POSTGRES,))
    found = sql_blockers(tmp_path, project, SUITE)
    assert set(found) == {
        "imports sqlalchemy.dialects.postgresql.JSONB (app/models.py:3)",
        "server_default=text('gen_random_uuid()') (app/models.py:7)",
        "an ARRAY column (app/models.py:8)",
    }
    plan = plan_suite(tmp_path, project, SUITE, workdir=tmp_path, python=sys.executable)
    assert plan.refused.startswith("its models need Postgres: ") and plan.env == {}
    assert "no fallback for this app: its models need Postgres" in render_header("no engine", [plan])


def test_database_settings_that_are_not_one_url_get_no_fallback(tmp_path):
    split = Service(kind="postgres", settings=("POSTGRES_SERVER", "POSTGRES_PORT", "POSTGRES_DB"))
    project = _project(tmp_path, PORTABLE, services=(split,))
    plan = plan_suite(tmp_path, project, SUITE, workdir=tmp_path, python=sys.executable)
    assert "POSTGRES_SERVER" in plan.refused and "not one URL" in plan.refused


def test_django_gets_a_settings_module_with_sqlite_and_a_local_cache(tmp_path):
    models = "from django.db import models\n\nclass Item(models.Model):\n    name = models.CharField(max_length=5)\n"
    redis = Service(kind="redis", settings=("REDIS_URL",))
    project = _project(tmp_path, models, services=(POSTGRES, redis), orm="django", file="shop/models.py")
    (tmp_path / "shop" / "migrations").mkdir()
    (tmp_path / "shop" / "migrations" / "0001_initial.py").write_text("operations = []\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    plan = plan_suite(tmp_path, project, DJANGO, workdir=work, python=sys.executable)
    assert plan.refused == "" and plan.env["DJANGO_SETTINGS_MODULE"] == SETTINGS_MODULE
    assert "DATABASE_URL" not in plan.env  # the settings module replaces DATABASES whatever the URL says
    assert plan.env["REDIS_URL"] == "redis://127.0.0.1:1/0"  # never a developer's own Redis
    settings = (work / f"{SETTINGS_MODULE}.py").read_text(encoding="utf-8")
    assert "from shop.settings import *" in settings and "django.db.backends.sqlite3" in settings
    assert "LocMemCache" in settings
    assert str(work) in plan.env["PYTHONPATH"].split(":")


def test_a_django_migration_with_raw_sql_blocks_the_fallback(tmp_path):
    project = _project(tmp_path, "from django.db import models\n", services=(POSTGRES,), orm="django",
                       file="shop/models.py")
    (tmp_path / "shop" / "migrations").mkdir()
    (tmp_path / "shop" / "migrations" / "0002_trgm.py").write_text(
        "from django.db import migrations\n\noperations = [migrations.RunSQL('CREATE EXTENSION pg_trgm')]\n",
        encoding="utf-8")
    plan = plan_suite(tmp_path, project, DJANGO, workdir=tmp_path, python=sys.executable)
    assert "a migration runs raw SQL (shop/migrations/0002_trgm.py:3)" in plan.refused


@pytest.mark.skipif(importlib.util.find_spec("fakeredis") is None, reason="fakeredis is not installed")
def test_the_plugin_serves_redis_in_process(tmp_path):
    project = _project(tmp_path, PORTABLE, services=(POSTGRES, Service(kind="redis", settings=("REDIS_URL",))))
    plan = plan_suite(tmp_path, project, SUITE, workdir=tmp_path, python=sys.executable)
    assert ("redis", "fakeredis (in process)") in [(s.service, s.by) for s in plan.stand_ins]
    assert f"-p {PLUGIN}" in plan.env["PYTEST_ADDOPTS"]
    code = (f"import {PLUGIN}, redis\n"
            "redis.Redis.from_url('redis://127.0.0.1:1/0').set('k', 'v')\n"
            "print(redis.from_url('redis://127.0.0.1:1/0').get('k'))")  # port 1: nothing real answers there
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": plan.env["PYTHONPATH"]},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "b'v'", done.stderr


def test_findings_of_a_fallback_run_are_labelled(tmp_path):
    project = _project(tmp_path, PORTABLE, services=(POSTGRES,))
    plan = plan_suite(tmp_path, project, SUITE, workdir=tmp_path, python=sys.executable)
    report = Report(passed=3, failed=(), findings=(Finding(code="app-bug-server-error", message="GET /x: 500"),))
    (finding,) = label(report, plan).findings
    assert finding.message == "[fallback run: SQLite in place of Postgres] GET /x: 500"


def test_generated_conftest_leaves_the_env_file_alone_in_a_fallback_run(tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "fastapi_items")
    conftest = generated_files(root, project)["tests/integration/conftest.py"]
    loader = conftest[conftest.index("def _load_env_file"):]
    assert loader.index('if os.environ.get("SEAMLINE_FALLBACK") == "1":') < loader.index("for folder in")
