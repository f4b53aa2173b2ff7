"""`seamline run` when no docker engine answers (DOCKER_HOST names a socket that does not exist; no
docker is needed): the generated suite runs against SQLite in place of Postgres, the output says plainly
that this is a fallback run, and every finding carries the label. With --require-docker or
REQUIRE_DOCKER=1 it refuses instead, with the how-to-start-docker message."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from seamline.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NEEDS = {
    "fastapi_items": ("fastapi", "sqlalchemy", "jwt", "pydantic_settings", "httpx"),
    "flask_notes": ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy"),
}
HEADER = "No docker engine: ran against SQLite in place of Postgres"
DEAD_POSTGRES = "postgresql+psycopg://seamline:seamline@127.0.0.1:1/gone"  # what a stale env file would name


def _copy(name: str, tmp_path: Path, monkeypatch) -> Path:
    missing = [m for m in NEEDS[name] if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the example's packages are not installed ({', '.join(missing)}): pip install -e '.[examples]'")
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.delenv("REQUIRE_DOCKER", raising=False)  # CI sets it for docker tests; this is about its absence
    return root


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_run_falls_back_to_sqlite_and_says_so(name, tmp_path, monkeypatch, capsys):
    root = _copy(name, tmp_path, monkeypatch)
    # A left-over env file from an earlier docker run names a Postgres that is gone: the fallback must not use it.
    (root / ".seamline").mkdir()
    (root / ".seamline" / "env").write_text(f"DATABASE_URL={DEAD_POSTGRES}\n", encoding="utf-8")

    assert main(["gen", "tests", str(root), "--flows"]) == 0
    tests = root / "tests" / "integration"
    generated = {p.name: p.read_text(encoding="utf-8") for p in tests.glob("*.py")}
    capsys.readouterr()

    code = main(["run", str(root), "--flows", "--format", "json"])
    out = capsys.readouterr()
    doc = json.loads(out.out)

    assert HEADER in out.err and "(fallback run — not the same as the real services)" in out.err, out.err[-3000:]
    assert "start docker" in out.err
    assert doc["ran"] is True and doc["fallback"] is True
    (app,) = doc["apps"]
    assert app["fallback"] is True
    assert {"service": "postgres", "by": "SQLite"}.items() <= next(
        s for s in app["stand_ins"] if s["service"] == "postgres").items()
    assert app["total"] > 20 and app["passed"] > 0
    # Nothing went to the dead Postgres: no failure is an environment problem, every one is a deliberate bug.
    assert [f["test"] for f in app["failures"] if f["category"] != "app-bug"] == []
    assert code == 1 and app["findings"], "the example's deliberate bugs are found without docker too"
    for finding in app["findings"]:
        assert finding["fallback"] is True
        assert finding["message"].startswith("[fallback run: SQLite in place of Postgres"), finding["message"]
    assert "missing-ownership-check" in {f["code"].removeprefix("app-bug-") for f in app["findings"]}
    # A fallback run's failures may come from the stand-ins: no marks are written into the generated tests.
    assert {p.name: p.read_text(encoding="utf-8") for p in tests.glob("*.py")} == generated


@pytest.mark.parametrize("how", ["flag", "env"])
def test_require_docker_refuses_the_fallback(how, tmp_path, monkeypatch, capsys):
    root = _copy("flask_notes", tmp_path, monkeypatch)
    argv = ["run", str(root), "--format", "json"]
    if how == "flag":
        argv.append("--require-docker")
    else:
        monkeypatch.setenv("REQUIRE_DOCKER", "1")

    code = main(argv)
    out = capsys.readouterr()

    assert code == 1
    assert json.loads(out.out) == {"ran": False, "fallback": None, "apps": []}
    assert "--require-docker (or REQUIRE_DOCKER=1) turns off the fallback" in out.err
    assert "sudo systemctl start docker" in out.err and "nothing was run" in out.err
    assert HEADER not in out.err


def test_a_conftest_pytest_cannot_load_is_reported_as_not_run(tmp_path, monkeypatch, capsys):
    root = _copy("flask_notes", tmp_path, monkeypatch)
    requirements = root / "requirements.txt"  # an app pinned below what the generated tests call
    requirements.write_text(requirements.read_text(encoding="utf-8") + "Werkzeug<2.1\n", encoding="utf-8")
    assert main(["gen", "tests", str(root)]) == 0
    assert "pins Werkzeug<2.1 (werkzeug); the generated tests need werkzeug >= 2.1" in capsys.readouterr().out
    conftest = root / "tests" / "integration" / "conftest.py"
    conftest.write_text(conftest.read_text(encoding="utf-8") + "\nimport seamline_no_such_module\n",
                        encoding="utf-8")
    capsys.readouterr()

    code = main(["run", str(root), "--format", "json"])
    out = capsys.readouterr()
    doc = json.loads(out.out)

    assert code == 1
    assert doc["ran"] is False, doc
    (app,) = doc["apps"]
    assert app["ran"] is False and app["passed"] == app["failed"] == 0
    assert "No module named 'seamline_no_such_module'" in app["error"], app["error"]
    assert "the tests did not run: pytest could not start" in out.err, out.err[-3000:]
    assert "note: .: requirements.txt:6 pins Werkzeug<2.1" in out.err
    assert any("pins Werkzeug<2.1" in n for n in app["notes"]), app["notes"]
