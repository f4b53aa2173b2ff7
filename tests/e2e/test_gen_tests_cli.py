"""`seamline gen tests` and `seamline run` through the CLI, without docker: with no services
configured (`--no-env`), every generated test fails for the same reason and `run` says it is the
environment, not the app, and exits 1."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from seamline.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_items"


def test_run_without_services_blames_the_environment(tmp_path, capsys, monkeypatch):
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("psycopg") is None:
        pytest.skip("the example's packages are not installed: pip install -e '.[examples]'")
    for name in ("DATABASE_URL", "SEAMLINE_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)

    assert main(["gen", "tests", str(root), "--endpoint", "GET /health"]) == 0
    out = capsys.readouterr().out
    assert "created      tests/integration/conftest.py" in out
    assert "created      tests/integration/test_health_api.py" in out
    assert not (root / "tests/integration/test_items_api.py").exists()

    assert main(["run", str(root), "--no-env", "--endpoint", "GET /health"]) == 1
    out = capsys.readouterr().out
    assert ".: 0 passed, 1 failed of 1" in out, out
    assert "environment problems:" in out and "settings are missing" in out
    assert "finding" not in out

    assert main(["gen", "tests", str(root), "--endpoint", "GET /health"]) == 0
    assert "unchanged    tests/integration/test_health_api.py" in capsys.readouterr().out
