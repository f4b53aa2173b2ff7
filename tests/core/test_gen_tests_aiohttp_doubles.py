"""aiohttp calls get a test double like httpx and requests ones: aioresponses answers the API in the test
process (an `AiohttpApi` in the conftest, shaped like a respx route), the happy path checks it was
called, and it times out (aiohttp.ServerTimeoutError) or answers 503 while the app must not crash.
The app is tests/fixtures/apps/fastapi_aiohttp; tests/e2e/test_gen_aiohttp_doubles_run.py runs its suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from generated import function_source, generated_files
from generated import test_names as _tests
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import plan_tests
from seamline.core.generate.tests.code_facts import CodeFacts
from seamline.core.generate.tests.outbound import outbound_calls

APP = Path(__file__).resolve().parents[1] / "fixtures" / "apps" / "fastapi_aiohttp"
TESTS = "tests/integration/test_app_api.py"


@pytest.fixture(scope="module")
def rates(tmp_path_factory):
    root = tmp_path_factory.mktemp("aio") / "fastapi_aiohttp"
    shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    project = scan(root)
    return root, project, generated_files(root, project)


def test_the_aiohttp_call_is_found_with_its_setting_and_the_keys_read():
    (call,) = outbound_calls(CodeFacts(app_dir=APP), "app.main.convert")
    assert (call.kind, call.client, call.via, call.method) == ("http", "aiohttp", "app.rates.usd_rate", "GET")
    # `async with session.get(f"{config.RATES_API_URL}/latest") as response: data = await response.json()`
    assert (call.settings, call.json_keys) == (("RATES_API_URL",), (("rate",),))


def test_the_aiohttp_double_answers_the_happy_path_and_fails_in_two_ways(rates):
    root, project, files = rates
    (suite,) = plan_tests(project, root=root)
    assert [(d.kind, d.fixture, d.client, d.methods, d.url, d.body) for d in suite.doubles] == [
        ("http", "fake_rates_api", "aiohttp", ("GET",), "https://rates-api.seamline.test", {"rate": 1})]
    names = _tests(files[TESTS])
    assert names[:3] == ["test_convert_returns_200", "test_convert_when_rates_api_times_out_is_handled",
                         "test_convert_when_rates_api_answers_503_is_handled"]
    happy = function_source(files[TESTS], names[0])
    assert 'assert fake_rates_api.called, "the app never called the API behind RATES_API_URL"' in happy
    timeout = function_source(files[TESTS], names[1])
    assert "fake_rates_api.mock(side_effect=aiohttp.ServerTimeoutError)" in timeout
    assert timeout.index(".mock(side_effect") < timeout.index("response = client.get(")
    assert "assert response.status_code != 500, response.text" in timeout and "fake_rates_api.called" in timeout
    error = function_source(files[TESTS], names[2])
    assert "fake_rates_api.respond(503)" in error and "assert response.status_code != 500" in error
    assert "import aiohttp\nimport pytest\n" in files[TESTS] and "import httpx" not in files[TESTS]
    # the endpoint without an outside call gets no double
    assert "fake_" not in function_source(files[TESTS], "test_list_conversions_returns_200")


def test_the_conftest_answers_the_api_with_aioresponses_before_the_app_is_imported(rates):
    _, _, files = rates
    conftest = files["tests/integration/conftest.py"]
    assert 'OUTSIDE_APIS = {"RATES_API_URL": "https://rates-api.seamline.test"}' in conftest
    assert conftest.index("os.environ.update(OUTSIDE_APIS)") < conftest.index("from app.main import app")
    assert "from aioresponses import CallbackResult, aioresponses\n" in conftest
    assert "from http import HTTPStatus\n" in conftest  # the reason phrase aiohttp's raise_for_status() needs
    assert "class AiohttpApi:" in conftest and "with aioresponses() as mock:" in conftest
    assert '"fake_rates_api": AiohttpApi(mock, "rates-api.seamline.test", ("GET",), {"rate": 1}),' in conftest
    assert "def fake_rates_api(outside_aiohttp):" in conftest
    assert 'return outside_aiohttp["fake_rates_api"]' in conftest
    assert "import respx" not in conftest and "RequestsApi" not in conftest
    compile(conftest, "conftest.py", "exec")  # the wrapper class renders as valid Python
