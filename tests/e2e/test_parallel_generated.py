"""The generated suites are safe in parallel and in any order: each example's suite, run by `seamline run
--workers 2` (pytest-xdist, a database per worker) in a random global order under two seeds
(pytest-random-order), passes and fails exactly the tests a serial run passes and fails, with the same
findings. The examples have deliberate bugs, so both sets are non-empty. Afterwards no worker database
is left on the server and the environment is gone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from gen_examples import copied_example, write_compose_without
from seamline.cli import _scan_root, build_parser, main
from seamline.env import leftovers, prune
from seamline.testrun.commands import verify
from sqlalchemy import create_engine, text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# example -> (packages its suite needs, kinds of service its environment runs, kinds its suite answers
# in process: no container, see gen_examples.run_generated)
CASES = {
    "fastapi_items": (("fastapi", "httpx", "sqlalchemy", "psycopg", "pydantic_settings", "email_validator", "jwt",
                       "redis"), ("postgres", "redis"), ()),
    "flask_notes": (("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "psycopg", "aiosmtpd"), ("postgres",),
                    ("smtp",)),
    "drf_tasks": (("django", "rest_framework", "pytest_django", "psycopg", "requests", "responses", "boto3", "moto"),
                  ("postgres",), ("s3",)),
}
SEEDS = (1, 2)


def _run(root: Path, *flags: str):
    """One `seamline run --no-env` against the environment already up: {test id: status}, and the findings."""
    args = build_parser().parse_args(["run", str(root), "--no-env", *flags])
    _, project = _scan_root(str(root))
    (run,) = verify(root, project, args)
    assert run.result.outcomes, run.result.output[-3000:]
    outcomes = {o.nodeid: o.status for o in run.result.outcomes}
    return outcomes, {(f.code, f.file, f.line) for f in run.report.findings}, run.result.output


def _env_value(root: Path, name: str) -> str:
    for line in (root / ".seamline" / "env").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not in .seamline/env")


def database_names(url: str, query: str = "SELECT datname FROM pg_database WHERE datname LIKE '%gw%'"
                   ) -> list[str]:
    """The databases on the server at `url` (by default Postgres databases of xdist workers)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text(query)))
    finally:
        engine.dispose()


@pytest.mark.docker
@pytest.mark.parametrize("example", list(CASES))
def test_parallel_runs_in_random_order_pass_and_fail_what_a_serial_run_does(example, tmp_path, docker_engine,
                                                                             capsys):
    needs, kinds, faked = CASES[example]
    root = copied_example(EXAMPLES / example, needs, tmp_path)
    project_name = f"seamline-e2e-{uuid.uuid4().hex[:8]}"
    write_compose_without(root, kinds, faked)
    try:
        assert main(["env", "up", str(root), "-p", project_name]) == 0, capsys.readouterr()
        serial, serial_findings, _ = _run(root)
        parallel = {seed: _run(root, "--workers", "2", "--pytest-args", "-v", "-p", "random_order",
                               "--random-order-bucket=global", f"--random-order-seed={seed}")
                    for seed in SEEDS}
        left_databases = database_names(_env_value(root, "SEAMLINE_POSTGRES_URL"))
    finally:
        prune(client=docker_engine, project=project_name)
    assert leftovers(project_name, client=docker_engine) == []
    failed = sorted(t for t, s in serial.items() if s in ("failed", "error"))
    assert failed and len(failed) < len(serial), failed  # the deliberate bugs fail; the rest pass
    for seed, (outcomes, findings, output) in parallel.items():
        assert "2 workers [" in output, output[-2000:]  # `-v` undoes the runner's `-q`, so xdist says so
        assert outcomes == serial, (seed, {t: (serial.get(t), outcomes.get(t)) for t in serial.keys() | outcomes.keys()
                                           if serial.get(t) != outcomes.get(t)})
        assert findings == serial_findings, seed
    assert left_databases == [], "a worker's database outlived its run"
