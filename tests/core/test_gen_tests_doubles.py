"""Test doubles for the outside services an endpoint calls: which calls the generator finds (through the
app's own helpers), the cases it adds (the happy path checks the double was used; the double times
out, answers 503 or refuses the mail, and the app must not crash) and the conftest wiring (the app's
settings point at the doubles before it is imported). tests/e2e/test_gen_doubles_run.py runs them."""

from __future__ import annotations

import pytest
from generated import EXAMPLES, function_source, generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.core.generate.tests.code_facts import CodeFacts
from seamline.core.generate.tests.doubles import DoublePlanner, json_body
from seamline.core.generate.tests.model import AuthPlan, Case, Request
from seamline.core.generate.tests.outbound import outbound_calls
from seamline.core.model import App, Endpoint, Project, Service
from workspace import write_packages

PRICES = "tests/integration/test_prices_api.py"
NOTES = "tests/integration/test_notes_notes_api.py"


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "fastapi_items")
    return root, project, generated_files(root, project)


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "flask_notes")
    return root, project, generated_files(root, project)


# --- what the handlers call ------------------------------------------------------------------------

def test_calls_are_found_through_helpers_with_the_settings_that_name_them():
    (price,) = outbound_calls(CodeFacts(app_dir=EXAMPLES / "fastapi_items"), "app.api.routes.prices.read_item_price")
    assert (price.kind, price.client, price.via) == ("http", "httpx", "app.core.pricing.convert_cents")
    assert price.settings == ("PRICING_API_URL",)  # read inside an f-string: f"{settings.PRICING_API_URL}/convert"
    assert price.json_keys == (("result",),)  # response.json()["result"]
    (mail,) = outbound_calls(CodeFacts(app_dir=EXAMPLES / "flask_notes"), "notes.api.email_note")
    assert (mail.kind, mail.via, mail.settings, mail.port_settings) == (
        "smtp", "notes.mail.send_note", ("SMTP_HOST",), ("SMTP_PORT",))
    # message["To"] = to, where the view passed current_user.email; message["Subject"] is set
    assert (mail.to_caller, mail.subject, mail.tls) == (True, True, False)
    assert outbound_calls(CodeFacts(app_dir=EXAMPLES / "flask_notes"), "notes.api.get_note") == ()


def test_module_clients_async_clients_literal_hosts_and_the_calls_without_a_double(tmp_path):
    root = write_packages(tmp_path, {
        "svc/clients.py": """
            import os
            import boto3
            import httpx
            import requests
            import smtplib

            rates = httpx.Client(base_url=os.environ["RATES_URL"])

            def rate(code):
                data = rates.get(f"/latest/{code}").json()
                return data["rates"][code], data.get("date")

            async def geo(ip):
                async with httpx.AsyncClient() as client:
                    r = await client.get(f"https://geo.ipapi.co/{ip}/json")
                return r.json()["country"]["name"]

            def legacy():
                return requests.get(os.getenv("LEGACY_API_URL")).json()

            def upload(data):
                boto3.client("s3").put_object(Bucket="b", Key="k", Body=data)

            def secure_mail(msg):
                with smtplib.SMTP_SSL(os.environ["MAIL_HOST"], 465) as smtp:
                    smtp.send_message(msg)
        """,
    })
    code = CodeFacts(app_dir=root)
    (rate,) = outbound_calls(code, "svc.clients.rate")
    assert (rate.kind, rate.settings, rate.json_keys) == ("http", ("RATES_URL",), (("rates", ""), ("date",)))
    (geo,) = outbound_calls(code, "svc.clients.geo")
    assert (geo.settings, geo.hosts, geo.json_keys) == ((), ("geo.ipapi.co",), (("country", "name"),))
    assert [(c.kind, c.client) for c in outbound_calls(code, "svc.clients.legacy")] == [("http", "requests")]
    assert [(c.kind, c.client) for c in outbound_calls(code, "svc.clients.upload")] == [("s3", "boto3")]
    assert [c.tls for c in outbound_calls(code, "svc.clients.secure_mail")] == [True]
    assert json_body(rate.json_keys) == {"rates": {}, "date": 1}
    assert json_body(geo.json_keys, {"status": "sample"}) == {"status": "sample", "country": {"name": "sample"}}


def test_doubles_follow_the_settings_the_analysis_knows_and_notes_what_gets_none(tmp_path):
    root = write_packages(tmp_path, {
        "svc/views.py": """
            import requests
            import httpx
            from svc.config import settings

            def price():
                return httpx.get(settings.PRICING_API_URL + "/p").json()["amount"]

            def legacy():
                return requests.get(settings.LEGACY_URL).json()
        """,
    })
    project = Project(root=str(root), apps=(App(root="."),), services=(
        Service(kind="http", settings=("APP_PRICING_API_URL",)),))  # pydantic env_prefix="APP_"
    notes: list[str] = []
    planner = DoublePlanner(project, App(root="."), CodeFacts(app_dir=root), AuthPlan(), notes)
    happy = Case(name="test_price_returns_200", endpoint="GET /price", kind="happy", expect_status=200,
                 request=Request(method="GET", path="/price"))
    cases = planner.cases(_endpoint("/price", "svc.views.price"), [happy])
    assert [(c.name, c.kind, c.expect_status) for c in cases] == [
        ("test_price_returns_200", "happy", 200),
        ("test_price_when_pricing_api_times_out_is_handled", "outside-timeout", 0),
        ("test_price_when_pricing_api_answers_503_is_handled", "outside-error", 0),
    ]
    (double,) = planner.used()
    assert (double.fixture, double.settings, double.url, double.body) == (
        "fake_pricing_api", ("APP_PRICING_API_URL",), "https://pricing-api.seamline.test", {"amount": 1})
    assert planner.cases(_endpoint("/legacy", "svc.views.legacy"), [happy]) == [happy]
    assert notes and "requests" in notes[0] and "fakes httpx calls only" in notes[0]


def _endpoint(path: str, handler: str) -> Endpoint:
    return Endpoint(method="GET", path=path, handler=handler, framework="fastapi", file="svc/views.py", line=1)


# --- what the examples get -------------------------------------------------------------------------

def test_the_api_double_answers_the_happy_path_and_fails_in_two_ways(items):
    _, _, files = items
    names = _tests(files[PRICES])
    assert names[:3] == ["test_read_item_price_returns_item_of_current_user",
                         "test_read_item_price_when_pricing_api_times_out_is_handled",
                         "test_read_item_price_when_pricing_api_answers_503_is_handled"]
    happy = function_source(files[PRICES], names[0])
    assert "assert response.status_code == 200, response.text" in happy
    assert 'assert fake_pricing_api.called, "the app never called the API behind PRICING_API_URL"' in happy
    timeout = function_source(files[PRICES], names[1])
    assert "fake_pricing_api.mock(side_effect=httpx.ConnectTimeout)" in timeout
    assert "assert response.status_code != 500, response.text" in timeout and "fake_pricing_api.called" in timeout
    assert timeout.index(".mock(side_effect") < timeout.index("response = client.get(")
    assert "fake_pricing_api.respond(503)" in function_source(files[PRICES], names[2])
    assert "import httpx\nimport pytest\n" in files[PRICES]
    # an endpoint with no outside call gets no double cases
    assert not any("fake_" in function_source(files["tests/integration/test_items_api.py"], n)
                   for n in _tests(files["tests/integration/test_items_api.py"]))


def test_the_conftest_points_the_api_setting_at_respx_before_the_app_is_imported(items):
    _, _, files = items
    conftest = files["tests/integration/conftest.py"]
    assert 'OUTSIDE_APIS = {"PRICING_API_URL": "https://pricing-api.seamline.test"}' in conftest
    assert conftest.index("_load_env_file()\n") < conftest.index("os.environ.update(OUTSIDE_APIS)") < \
        conftest.index("from app.main import app  # noqa: E402")  # over `.seamline/env`, before the app reads it
    assert "@pytest.fixture(autouse=True)\ndef outside_apis():" in conftest
    assert 'router.route(name="fake_pricing_api", host="pricing-api.seamline.test")' in conftest
    assert 'json={"result": 1}' in conftest  # the key the app reads from the response
    assert "def fake_pricing_api(outside_apis):" in conftest and "import respx\n" in conftest


def test_the_mail_double_receives_the_callers_mail_and_refuses_it(notes):
    _, project, files = notes
    assert [(s.kind, s.settings) for s in project.services if s.kind == "smtp"] == [
        ("smtp", ("SMTP_HOST", "SMTP_PORT", "SMTP_TIMEOUT"))]
    names = _tests(files[NOTES])
    happy = function_source(files[NOTES], "test_email_note_returns_202")
    assert "assert response.status_code == 202, response.text" in happy
    assert "assert fake_smtp.messages" in happy and "mail = fake_smtp.messages[-1]" in happy
    assert "assert user.email in mail.recipients, mail.recipients" in happy  # the view mails current_user.email
    assert 'assert mail.subject, "the mail has no subject"' in happy
    assert names[names.index("test_email_note_returns_202") + 1] == "test_email_note_when_mail_is_refused_is_handled"
    refused = function_source(files[NOTES], "test_email_note_when_mail_is_refused_is_handled")
    assert "fake_smtp.refuse_mail()" in refused and "assert response.status_code != 500" in refused
    assert 'assert fake_smtp.refused, "the app never tried to send the mail"' in refused
    conftest = files["tests/integration/conftest.py"]
    assert "class FakeSmtpServer:" in conftest and "from aiosmtpd.controller import Controller" in conftest
    assert conftest.index("FAKE_SMTP = FakeSmtpServer()") < conftest.index("from notes import create_app")
    assert 'os.environ.update({"SMTP_HOST": FAKE_SMTP.host, "SMTP_PORT": str(FAKE_SMTP.port)})' in conftest
    assert "def fake_smtp():\n" in conftest and "FAKE_SMTP.reset()" in conftest
    assert "respx" not in conftest  # no HTTP API in this app


def test_apps_without_outside_calls_get_no_doubles(tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "drf_tasks")
    (suite,) = plan_tests(project, root=root)
    assert suite.doubles == ()
    assert not any("fake_" in f.content or "respx" in f.content for f in generate_tests(project, root=root))
