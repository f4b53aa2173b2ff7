"""The generated suite of a SQLAlchemy app on MySQL/MariaDB is safe in parallel: each pytest-xdist worker
gets a database of its own on the server (`test_gw0`, `test_gw1`), so `seamline run --workers 2` in a random
global order under two seeds passes and fails exactly the tests a serial run does (the fixture app's
deliberate bug fails some), and no worker database is left on the server afterwards."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from docker_engine import RECIPE_IMAGES, require_engine
from gen_examples import copied_example, write_compose_without
from seamline.cli import main
from seamline.env import leftovers, prune
from test_parallel_generated import SEEDS, _env_value, _run, database_names

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "fastapi_mysql"
# Added to the generated suite: the app itself talks to the worker's database under xdist (to the configured
# one otherwise), so a run where workers shared a database would not match the serial run.
PROBE = """import os

from sqlalchemy import text

from app.db import engine


def test_the_app_uses_the_database_of_this_worker():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT DATABASE()")) == (f"test_{worker}" if worker else "test")
"""


@pytest.fixture(scope="module")
def mariadb_engine():
    return require_engine([RECIPE_IMAGES["mysql"]])


def _databases(url: str) -> set[str]:
    return set(database_names(url, "SHOW DATABASES"))


@pytest.mark.docker
def test_parallel_runs_on_mariadb_in_random_order_match_a_serial_run(tmp_path, mariadb_engine, capsys):
    root = copied_example(APP, ("fastapi", "httpx", "sqlalchemy", "pymysql"), tmp_path)
    project_name = f"seamline-e2e-{uuid.uuid4().hex[:8]}"
    write_compose_without(root, ("mysql",), ())
    (root / "tests" / "integration" / "test_worker_database.py").write_text(PROBE, encoding="utf-8")
    try:
        assert main(["env", "up", str(root), "-p", project_name]) == 0, capsys.readouterr()
        url = _env_value(root, "SEAMLINE_MYSQL_URL")
        before = _databases(url)
        serial, serial_findings, _ = _run(root)
        parallel = {seed: _run(root, "--workers", "2", "--pytest-args", "-v", "-p", "random_order",
                               "--random-order-bucket=global", f"--random-order-seed={seed}")
                    for seed in SEEDS}
        after = _databases(url)
    finally:
        prune(client=mariadb_engine, project=project_name)
    assert leftovers(project_name, client=mariadb_engine) == []
    assert url.startswith("mysql+pymysql://root:"), url  # root may create the workers' databases
    failed = sorted(t for t, s in serial.items() if s in ("failed", "error"))
    # the deliberate bug (update_note never commits) fails, nothing else: a test's own reads see what the app
    # committed (READ COMMITTED, not MySQL's REPEATABLE READ snapshot)
    assert failed and len(failed) < len(serial) and all("update" in t for t in failed), failed
    assert serial["tests/integration/test_worker_database.py::test_the_app_uses_the_database_of_this_worker"] \
        == "passed"
    for seed, (outcomes, findings, output) in parallel.items():
        assert "2 workers [" in output, output[-2000:]
        assert outcomes == serial, (seed, {t: (serial.get(t), outcomes.get(t)) for t in serial.keys() | outcomes.keys()
                                           if serial.get(t) != outcomes.get(t)})
        assert findings == serial_findings, seed
    assert after == before, "a worker's database outlived its run"
