"""Test doubles for the outside services an endpoint calls: which calls the generator finds (through the
app's own helpers), the cases it adds (the happy path checks the double was used; the double times
out, answers 503 or refuses the mail, and the app must not crash) and the conftest wiring (the app's
settings point at the doubles before it is imported). tests/e2e/test_gen_doubles_run.py runs them."""

from __future__ import annotations

import pytest
from generated import EXAMPLES, function_source, generated_files, scanned_example
from generated import test_names as _tests
from seamline.core.generate.tests import plan_tests
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
    assert [(c.kind, c.client, c.method) for c in outbound_calls(code, "svc.clients.legacy")] == [
        ("http", "requests", "GET")]
    assert [(c.kind, c.client, c.buckets, c.bucket_settings, c.key_prefix)
            for c in outbound_calls(code, "svc.clients.upload")] == [("s3", "boto3", ("b",), (), "k")]
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
    # `requests` calls get the same cases, from a `responses` double answering the verb the code sends
    legacy = planner.cases(_endpoint("/legacy", "svc.views.legacy"), [happy])
    assert [c.kind for c in legacy] == ["happy", "outside-timeout", "outside-error"]
    assert [(d.fixture, d.client, d.methods, d.url) for d in planner.used()] == [
        ("fake_legacy_api", "requests", ("GET",), "https://legacy-api.seamline.test"),
        ("fake_pricing_api", "httpx", (), "https://pricing-api.seamline.test")]
    assert notes == []


def test_s3_doubles_create_the_literal_and_configured_buckets_and_note_unknown_ones(tmp_path):
    root = write_packages(tmp_path, {
        "svc/files.py": """
            import os
            import boto3

            s3 = boto3.resource("s3")

            def avatar(data):
                boto3.resource("s3").Bucket("avatars").put_object(Key="u/1.png", Body=data)

            def report(path):
                client = boto3.client("s3", endpoint_url=os.getenv("S3_ENDPOINT_URL"))
                client.upload_file(path, os.environ["REPORTS_BUCKET"], f"reports/{path}")

            def anywhere(bucket, data):
                boto3.client("s3").put_object(Bucket=bucket.name, Key="x", Body=data)
        """,
    })
    code = CodeFacts(app_dir=root)
    (avatar,) = outbound_calls(code, "svc.files.avatar")
    assert (avatar.buckets, avatar.bucket_settings, avatar.key_prefix) == (("avatars",), (), "u/1.png")
    (report,) = outbound_calls(code, "svc.files.report")
    assert (report.buckets, report.bucket_settings, report.key_prefix, report.settings) == (
        (), ("REPORTS_BUCKET",), "reports/", ("S3_ENDPOINT_URL",))
    notes: list[str] = []
    planner = DoublePlanner(Project(root=str(root), apps=(App(root="."),)), App(root="."), code, AuthPlan(), notes)
    happy = Case(name="test_up_returns_201", endpoint="POST /up", kind="happy", expect_status=201,
                 request=Request(method="POST", path="/up"))
    cases = planner.cases(_endpoint("/a", "svc.files.avatar"), [happy])
    assert [(c.name, c.kind) for c in cases] == [
        ("test_up_returns_201", "happy"), ("test_avatar_when_s3_bucket_is_missing_is_handled", "outside-missing")]
    assert [(c.kind, c.source) for c in cases[0].checks] == [("s3-stored", "u/1.png")]
    planner.cases(_endpoint("/r", "svc.files.report"), [happy])
    (double,) = planner.used()  # one fake S3 for the suite, with every bucket
    assert (double.settings, double.buckets, double.unset) == (
        ("REPORTS_BUCKET",), ("seamline-reports-bucket", "avatars"), ("S3_ENDPOINT_URL",))
    assert planner.cases(_endpoint("/x", "svc.files.anywhere"), [happy]) == [happy]
    assert len(notes) == 1 and "no setting or literal" in notes[0]


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


# --- drf_tasks: a webhook called with `requests`, an export written to S3 with boto3 ---------------

SHARING = "tests/integration/test_sharing_api.py"


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "drf_tasks")
    return root, project, generated_files(root, project)


def test_requests_and_s3_calls_are_found_with_their_settings_bucket_and_key():
    code = CodeFacts(app_dir=EXAMPLES / "drf_tasks")
    (hook,) = outbound_calls(code, "tasks.sharing.ProjectSharingViewSet.share")
    assert (hook.kind, hook.client, hook.method, hook.via) == ("http", "requests", "POST",
                                                               "tasks.outside.post_to_webhook")
    assert (hook.settings, hook.json_keys) == (("TEAM_WEBHOOK_URL",), (("permalink",),))
    (s3,) = outbound_calls(code, "tasks.sharing.ProjectSharingViewSet.export")
    assert (s3.kind, s3.client, s3.via) == ("s3", "boto3", "tasks.outside.store_export")
    # put_object(Bucket=settings.EXPORTS_BUCKET, Key=key), `key` being the view's f"exports/project-{...}"
    assert (s3.bucket_settings, s3.buckets, s3.key_prefix) == (("EXPORTS_BUCKET",), (), "exports/project-")
    assert s3.settings == ("AWS_S3_ENDPOINT_URL",)  # endpoint_url=settings.AWS_S3_ENDPOINT_URL


def test_the_requests_double_answers_the_webhook_and_fails_in_two_ways(tasks):
    root, project, files = tasks
    (suite,) = plan_tests(project, root=root)
    assert [(d.kind, d.fixture, d.client, d.methods, d.body) for d in suite.doubles] == [
        ("s3", "fake_s3", "", (), None),
        ("http", "fake_team_webhook_api", "requests", ("POST",), {"permalink": "https://files.seamline.test/sample"})]
    names = _tests(files[SHARING])
    at = names.index("test_project_sharing_share_returns_200")
    assert names[at + 1:at + 3] == ["test_project_sharing_share_when_team_webhook_api_times_out_is_handled",
                                    "test_project_sharing_share_when_team_webhook_api_answers_503_is_handled"]
    happy = function_source(files[SHARING], names[at])
    assert 'assert fake_team_webhook_api.called, "the app never called the API behind TEAM_WEBHOOK_URL"' in happy
    timeout = function_source(files[SHARING], names[at + 1])
    assert "fake_team_webhook_api.mock(side_effect=requests.ConnectTimeout)" in timeout
    assert "assert response.status_code != 500, response.text" in timeout
    assert "fake_team_webhook_api.respond(503)" in function_source(files[SHARING], names[at + 2])
    assert "import pytest\nimport requests\n" in files[SHARING] and "import httpx" not in files[SHARING]
    conftest = files["tests/integration/conftest.py"]
    assert 'OUTSIDE_APIS = {"TEAM_WEBHOOK_URL": "https://team-webhook-api.seamline.test"}' in conftest
    assert "class RequestsApi:" in conftest and "import responses\n" in conftest and "import respx" not in conftest
    routes = conftest[conftest.index('"fake_team_webhook_api": RequestsApi('):]
    assert routes.index('mock, "team-webhook-api.seamline.test", ("POST",),') < \
        routes.index('"permalink": "https://files.seamline.test/sample"') < routes.index("}")
    assert "def fake_team_webhook_api(outside_requests):" in conftest
    # django.setup() reads the settings: the doubles' environment is set before it
    assert conftest.index("os.environ.update(OUTSIDE_APIS)") < conftest.index("_setup_django()\n")


def test_the_s3_double_creates_the_bucket_checks_the_key_and_loses_the_bucket(tasks):
    _, _, files = tasks
    names = _tests(files[SHARING])
    at = names.index("test_project_sharing_export_returns_201")  # the action answers 201 Created
    assert names[at + 1] == "test_project_sharing_export_when_s3_bucket_is_missing_is_handled"
    happy = function_source(files[SHARING], names[at])
    assert 'assert fake_s3.keys(), "the app stored nothing in the S3 bucket behind EXPORTS_BUCKET"' in happy
    assert 'assert any(key.startswith("exports/project-") for key in fake_s3.keys()), fake_s3.keys()' in happy
    missing = function_source(files[SHARING], names[at + 1])
    assert "fake_s3.remove_buckets()" in missing and "assert response.status_code != 500" in missing
    conftest = files["tests/integration/conftest.py"]
    assert "from moto import mock_aws\n" in conftest and "import boto3\n" in conftest
    assert 'buckets = ("seamline-exports-bucket",)' in conftest
    assert "with mock_aws():\n        yield FakeS3()" in conftest
    env = conftest[conftest.index('os.environ.update({\n    "AWS_ACCESS_KEY_ID"'):conftest.index("_setup_django()\n")]
    assert '"EXPORTS_BUCKET": "seamline-exports-bucket"' in env and '"AWS_DEFAULT_REGION": "us-east-1"' in env
    assert 'for _name in ("AWS_S3_ENDPOINT_URL",):\n    os.environ.pop(_name, None)' in env  # moto answers "AWS"


def test_endpoints_without_outside_calls_get_no_double_cases(tasks):
    _, _, files = tasks
    text = files["tests/integration/test_tasks_api.py"]
    assert not any("fake_" in function_source(text, n) for n in _tests(text))
