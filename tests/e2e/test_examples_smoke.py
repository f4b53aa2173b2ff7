"""The Flask and Django example apps really work against a real Postgres, and their deliberate bugs
are observable: gen compose -> env up -> migrate/create schema -> drive the app through its own test
client (tests/e2e/example_smoke/<app>.py, run in a subprocess because each app owns its process:
Django settings and module names like `notes`/`tasks` would collide) -> env down, nothing left.

Skips without a docker engine or the example's packages; fails instead under REQUIRE_DOCKER=1."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docker_engine import RECIPE_IMAGES, unavailable
from gen_examples import write_compose_without
from seamline.cli import main
from seamline.core.generate.compose import project_name
from seamline.core.generate.envfile import ENV_FILE, parse_env
from seamline.env import leftovers

REPO = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).with_name("example_smoke")
EXAMPLES = {"flask_notes": ("flask", "flask_sqlalchemy", "flask_login", "psycopg"),
            "drf_tasks": ("django", "rest_framework", "psycopg")}
BUGS = {"flask_notes": 3, "drf_tasks": 5}  # "ok BUG ..." lines each smoke script prints
# services a smoke script never reaches (the notes app's mail relay, the task app's S3): no container, and none
# could be pulled here
UNUSED = {"flask_notes": ("smtp",), "drf_tasks": ("s3",)}


@pytest.mark.docker
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_runs_on_real_postgres_and_shows_its_bugs(example, docker_engine, tmp_path):
    missing = [m for m in EXAMPLES[example] if importlib.util.find_spec(m) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not installed (pip install -e '.[examples]')")
    copy = tmp_path / example  # compose and .seamline/env go into the copy, never into examples/
    shutil.copytree(REPO / "examples" / example, copy, ignore=shutil.ignore_patterns("__pycache__", ".seamline"))
    if example in UNUSED:
        write_compose_without(copy, ("postgres",), UNUSED[example])
    else:
        assert main(["gen", "compose", str(copy), "--image", f"postgres={RECIPE_IMAGES['postgres']}"]) == 0
    project = project_name(copy.resolve())
    try:
        assert main(["env", "up", str(copy)]) == 0
        env = {**os.environ, **parse_env((copy / ENV_FILE).read_text())}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        run = subprocess.run([sys.executable, str(SMOKE / f"{example}.py")], cwd=copy, env=env, check=False,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-4000:]}"
        assert run.stdout.count("ok BUG") == BUGS[example], run.stdout
    finally:
        main(["env", "down", str(copy)])
    assert leftovers(project, client=docker_engine) == []
