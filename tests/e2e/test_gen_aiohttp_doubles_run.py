"""The generated tests of an aiohttp call, run through `seamline run`: on
tests/fixtures/apps/fastapi_aiohttp they pass, and on a copy whose handler no longer turns the rates
API's failure into a 502 the timeout and 503 cases fail and are classified as the app's bug at the
handler. The API is answered by aioresponses in the test process and the database is SQLite, so no
service is started and no docker is needed."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from seamline.cli import main

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "fastapi_aiohttp"
HANDLED = ('    try:\n        rate = await rates.usd_rate(currency)\n    except rates.RatesUnavailable:\n'
           '        raise HTTPException(status_code=502, detail="exchange rates are unavailable right now")\n')


@pytest.mark.parametrize("mutant", [pytest.param(False, id="app"), pytest.param(True, id="uncaught-outage")])
def test_generated_aiohttp_double_tests_pass_and_catch_an_unhandled_outage(tmp_path, mutant, capsys):
    missing = [m for m in ("fastapi", "aiohttp", "aioresponses", "sqlalchemy") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the fixture app's packages are not installed ({', '.join(missing)}): pip install -e "
                    "'.[examples]'")
    root = tmp_path / "fastapi_aiohttp"
    shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    if mutant:  # the handler lets RatesUnavailable escape: a crash where a 502 was due
        main_py = root / "app/main.py"
        text = main_py.read_text(encoding="utf-8")
        assert HANDLED in text, "the fixture app changed"
        main_py.write_text(text.replace(HANDLED, "    rate = await rates.usd_rate(currency)\n"), encoding="utf-8")

    code = main(["run", str(root), "--no-mark", "--format", "json"])
    out = capsys.readouterr()
    (app,) = json.loads(out.out)["apps"]

    assert "no services to start" in out.err and app["fallback"] is False, out.err[-3000:]
    if not mutant:
        assert code == 0 and app["failed"] == 0 and app["passed"] == app["total"] >= 5, out.err[-3000:]
        return
    assert code == 1
    assert sorted(f["test"].rsplit("::", 1)[1] for f in app["failures"]) == [
        "test_convert_when_rates_api_answers_503_is_handled", "test_convert_when_rates_api_times_out_is_handled"]
    assert {f["category"] for f in app["failures"]} == {"app-bug"}
    assert [(f["code"], f["file"], f["line"]) for f in app["findings"]] == [
        ("app-bug-server-error", "app/main.py", 15)]
    assert "ServerTimeoutError" in out.err and "ClientResponseError" in out.err  # the doubles' failures, raised
