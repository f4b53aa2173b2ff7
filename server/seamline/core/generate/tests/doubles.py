"""Test doubles for the outside services an endpoint calls: an HTTP API (httpx calls faked by respx,
`requests` calls by responses, aiohttp calls by aioresponses), a mail relay (smtplib, faked by an
aiosmtpd server in the test process) and S3 (boto3, faked by moto).

The conftest points the app's settings for those services at the doubles before the app is imported
(settings objects read the environment at import), so no test ever reaches the real service, and
every test runs with the doubles answering. On top of the endpoint's ordinary cases, its happy path
asserts that the double was used (and, for mail, what was sent; for S3, what was stored), and failure
cases make the double time out, answer 503, refuse the mail or lose the bucket: the app must answer with
an error of its own or a fallback, never crash with a 500.
"""

from __future__ import annotations

import json
import logging
import re
import textwrap
from dataclasses import dataclass, replace
from typing import Any

from ...model import App, Endpoint, Project
from .adapters import Section
from .code_facts import CodeFacts
from .model import AuthPlan, Case, Check, Double, Module
from .naming import handler_name
from .outbound import OutboundCall, outbound_calls

log = logging.getLogger(__name__)

FAILURE_KINDS = frozenset({"outside-timeout", "outside-error", "outside-refused", "outside-missing"})
FAKE_DOMAIN = "seamline.test"  # `.test` is reserved (RFC 2606): a fake host never resolves to anyone
_URL_SUFFIXES = ("_base_url", "_url", "_uri", "_endpoint", "_host", "_addr")
_TEXT_KEYS = re.compile(r"(name|title|status|message|text|description|currency|code|email|token|type|slug|label|"
                        r"error|reason)$", re.IGNORECASE)
_URL_KEYS = re.compile(r"(url|uri|href|link)$", re.IGNORECASE)
_FAKED_HTTP = ("httpx", "requests", "aiohttp")  # the clients a double answers (respx, responses, aioresponses)
# what a test raises to make the API time out, per library; aiohttp's is also an asyncio.TimeoutError
_TIMEOUTS = {"httpx": "httpx.ConnectTimeout", "requests": "requests.ConnectTimeout",
             "aiohttp": "aiohttp.ServerTimeoutError"}
_ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# moto answers any credentials; these only keep boto3 from looking for real ones (and from using them)
_FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
             "AWS_SECURITY_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class DoublePlanner:
    """Finds the outside calls of each endpoint and adds the double's cases; remembers the doubles the
    suite's conftest must provide."""

    def __init__(self, project: Project, app: App, code: CodeFacts, auth: AuthPlan, notes: list[str]) -> None:
        self.code, self.notes = code, notes
        self.services = [s for s in project.services if s.app == app.root]
        user = next((m for m in project.models if m.name == auth.user_model), None)
        self.user_email = user is not None and any(f.name == "email" for f in user.fields)
        self._used: dict[str, Double] = {}

    def used(self) -> tuple[Double, ...]:
        return tuple(self._used[k] for k in sorted(self._used))

    def cases(self, e: Endpoint, cases: list[Case]) -> list[Case]:
        """`cases` with the happy path checking the doubles and a failure case per double after it."""
        calls = outbound_calls(self.code, e.handler)
        doubles: dict[str, tuple[Double, OutboundCall]] = {}
        for call in calls:
            double = self._double(e, call)
            if double is not None:
                doubles.setdefault(double.fixture, (double, call))
        if not doubles:
            return cases
        at = next((i for i, c in enumerate(cases) if c.kind == "happy"), None)
        if at is None:
            self.notes.append(f"{e.key}: calls {', '.join(d.what for d, _ in doubles.values())} but has no "
                              "happy-path test to build the success and failure cases on")
            return cases
        happy = cases[at]
        checks, failures = list(happy.checks), []
        for double, call in doubles.values():
            checks.append(self._success_check(double, call, happy))
            failures += self._failures(e, double, happy)
        return [*cases[:at], replace(happy, checks=tuple(checks)), *failures, *cases[at + 1:]]

    # --- which double, and its cases ------------------------------------------------------------
    def _double(self, e: Endpoint, call: OutboundCall) -> Double | None:
        where = f"{call.file}:{call.line}"
        if call.kind == "http":
            if call.client not in _FAKED_HTTP:
                self.notes.append(f"{e.key}: calls an HTTP API with {call.client} ({where}); Seamline fakes httpx "
                                  "(respx), requests (responses) and aiohttp (aioresponses) calls only, so its tests "
                                  "reach whatever that URL names")
                return None
            return self._http_double(e, call, where)
        if call.kind == "smtp":
            return self._smtp_double(e, call, where)
        if call.kind == "s3":
            return self._s3_double(e, call, where)
        self.notes.append(f"{e.key}: calls {call.kind} with {call.client} ({where}); no test double for it yet, "
                          "its tests use the service of the test environment")
        return None

    def _http_double(self, e: Endpoint, call: OutboundCall, where: str) -> Double | None:
        env = self._env_names("http", call.settings)
        if env:
            stem = _api_stem(call.settings[0])  # the name the code reads, without a settings prefix
            host = f"{stem.replace('_', '-')}.{FAKE_DOMAIN}"
            url = f"https://{host}"
            what = f"the API behind {env[0]}"
        elif call.hosts:
            host, url = call.hosts[0], ""
            stem, what = _api_stem(host), f"the API at {host}"
        else:
            self.notes.append(f"{e.key}: calls an HTTP API ({where}) at a URL read from no setting Seamline "
                              "can see; no test double")
            return None
        fixture = f"fake_{stem}"
        known = self._used.get(fixture)
        if known is not None and known.client != call.client:
            self.notes.append(f"{e.key}: calls {what} with {call.client} ({where}) and elsewhere with "
                              f"{known.client}; one double answers one library, this call gets none")
            return None
        body = json_body(call.json_keys, known.body if known is not None else None)
        methods = () if known is not None and not known.methods or not call.method else \
            tuple(dict.fromkeys((*(known.methods if known else ()), call.method)))
        double = Double(kind="http", fixture=fixture, what=what, settings=env, host=host, url=url, body=body,
                        client=call.client, methods=methods if call.client in _ROUTED_BY_VERB else ())
        self._used[fixture] = double
        return double

    def _s3_double(self, e: Endpoint, call: OutboundCall, where: str) -> Double | None:
        """One fake S3 for the suite: a bucket per setting the code names buckets with (the setting gets
        the fake bucket's name) and per bucket name written in the code."""
        named = self._env_names("s3", call.bucket_settings)
        if not named and not call.buckets:
            self.notes.append(f"{e.key}: writes to S3 ({where}) in a bucket named by no setting or literal "
                              "Seamline can see; no test double")
            return None
        known = self._used.get("fake_s3")
        settings = tuple(dict.fromkeys((*(known.settings if known else ()), *named)))
        # the settings' buckets first (the conftest pairs them up), then the literal ones
        buckets = tuple(dict.fromkeys((*(_bucket_name(s) for s in settings), *(known.buckets if known else ()),
                                       *call.buckets)))
        unset = tuple(dict.fromkeys((*(known.unset if known else ()), *self._env_names("s3", call.settings))))
        what = f"the S3 bucket behind {settings[0]}" if settings else f"the S3 bucket {buckets[0]}"
        double = Double(kind="s3", fixture="fake_s3", what=what, settings=settings, unset=unset, buckets=buckets)
        self._used["fake_s3"] = double
        return double

    def _smtp_double(self, e: Endpoint, call: OutboundCall, where: str) -> Double | None:
        if call.tls:
            self.notes.append(f"{e.key}: sends mail over TLS (SMTP_SSL/STARTTLS, {where}); the fake SMTP server "
                              "speaks plain SMTP only, no test double")
            return None
        host, port = self._env_names("smtp", call.settings), self._env_names("smtp", call.port_settings)
        if not host or not port:
            self.notes.append(f"{e.key}: sends mail ({where}) to a host or port read from no setting Seamline can "
                              "see; no test double")
            return None
        known = self._used.get("fake_smtp")
        double = Double(kind="smtp", fixture="fake_smtp", what=f"the SMTP server behind {host[0]}",
                        settings=tuple(dict.fromkeys((*(known.settings if known else ()), *host))),
                        port_settings=tuple(dict.fromkeys((*(known.port_settings if known else ()), *port))))
        self._used["fake_smtp"] = double
        return double

    def _env_names(self, kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """The environment names behind the names the code reads (`settings.X` of a pydantic
        `env_prefix="APP_"` model is APP_X); a name the analysis does not know stays as it is."""
        known = [s for svc in self.services if svc.kind == kind for s in svc.settings]
        return tuple(dict.fromkeys(next((k for k in known if k == n or k.endswith("_" + n)), n) for n in names))

    def _success_check(self, double: Double, call: OutboundCall, happy: Case) -> Check:
        if double.kind == "http":
            return Check(kind="double-called", name=double.fixture)
        if double.kind == "s3":
            return Check(kind="s3-stored", name=double.fixture, source=call.key_prefix)
        caller = happy.request.auth if happy.request.auth in ("user", "admin") else None
        to = f"{caller}.email" if call.to_caller and caller and self.user_email else ""
        return Check(kind="mail-sent", name=double.fixture, source=to, value=call.subject)

    def _failures(self, e: Endpoint, double: Double, happy: Case) -> list[Case]:
        name = handler_name(e.handler)
        crash = "the app must answer with an error of its own (such as a 503) or a fallback, never crash with a 500."
        base = replace(happy, expect_status=0, double=double.fixture, params=(), param_name="")
        if double.kind == "smtp":
            return [replace(base, name=f"test_{name}_when_mail_is_refused_is_handled", kind="outside-refused",
                            checks=(Check(kind="mail-refused", name=double.fixture),),
                            doc=f"{_cap(double.what)} refuses the mail: {crash}")]
        if double.kind == "s3":
            return [replace(base, name=f"test_{name}_when_s3_bucket_is_missing_is_handled", kind="outside-missing",
                            checks=(), doc=f"{_cap(double.what)} is gone (S3 answers NoSuchBucket): {crash}")]
        stem = double.fixture.removeprefix("fake_")
        called = (Check(kind="double-called", name=double.fixture),)
        return [
            replace(base, name=f"test_{name}_when_{stem}_times_out_is_handled", kind="outside-timeout", checks=called,
                    doc=f"{_cap(double.what)} times out: {crash}"),
            replace(base, name=f"test_{name}_when_{stem}_answers_503_is_handled", kind="outside-error",
                    checks=called, doc=f"{_cap(double.what)} answers 503: {crash}"),
        ]


def json_body(paths: tuple[tuple[str, ...], ...], start: Any = None) -> dict[str, Any]:
    """A JSON object holding every key path the code reads: (("result",),) -> {"result": 1}; a path
    ending in "" is a mapping read with computed keys, left empty."""
    body: dict[str, Any] = json.loads(json.dumps(start)) if isinstance(start, dict) else {}
    for path in sorted(paths, key=len, reverse=True):
        node = body
        for i, key in enumerate(path):
            if not key:
                break
            if i == len(path) - 1:
                node.setdefault(key, _leaf(key))
            else:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
    return body


def _leaf(key: str) -> Any:
    if _URL_KEYS.search(key):
        return f"https://files.{FAKE_DOMAIN}/sample"
    return "sample" if _TEXT_KEYS.search(key) else 1


def _api_stem(name: str) -> str:
    """PRICING_API_URL -> pricing_api; PAYMENTS_BASE_URL -> payments_api; api.exchangerate.host ->
    exchangerate_api."""
    if "." in name:
        labels = [p for p in name.lower().split(".")[:-1] if p not in ("api", "www")]
        stem = re.sub(r"\W", "_", labels[-1]) if labels else "outside"
    else:
        stem = name.lower()
        for suffix in _URL_SUFFIXES:
            if stem.endswith(suffix) and stem != suffix:
                stem = stem[: -len(suffix)]
                break
    return stem if stem.endswith("api") else f"{stem}_api"


def _bucket_name(setting: str) -> str:
    """The fake bucket a bucket setting gets: EXPORTS_BUCKET -> seamline-exports-bucket (a valid name)."""
    return "seamline-" + re.sub(r"[^a-z0-9]+", "-", setting.lower()).strip("-")[:50]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- rendering -----------------------------------------------------------------------------------
def docstring(text: str, width: int) -> list[str]:
    """`text` as the lines of a triple-quoted docstring, none wider than `width`."""
    lines = textwrap.wrap(text, width=width - 6)
    lines[0] = '"""' + lines[0]
    lines[-1] += '"""'
    return lines


def arrange_lines(case: Case, doubles: tuple[Double, ...]) -> list[str]:
    """The line that makes the double fail, before the request."""
    if case.kind == "outside-timeout":
        return [f"{case.double}.mock(side_effect={_TIMEOUTS[_library(case.double, doubles)]})"]
    if case.kind == "outside-error":
        return [f"{case.double}.respond(503)"]
    if case.kind == "outside-refused":
        return [f"{case.double}.refuse_mail()"]
    if case.kind == "outside-missing":
        return [f"{case.double}.remove_buckets()"]
    return []


def _library(fixture: str, doubles: tuple[Double, ...]) -> str:
    """The HTTP library whose exceptions the double `fixture` raises: the one the app calls it with."""
    return next((d.client for d in doubles if d.fixture == fixture and d.client), "httpx")


def check_lines(check: Check, doubles: tuple[Double, ...]) -> list[str]:
    double = next((d for d in doubles if d.fixture == check.name), None)
    if double is None:
        return []
    if check.kind == "double-called":
        return [f'assert {check.name}.called, "the app never called {double.what}"']
    if check.kind == "mail-refused":
        return [f'assert {check.name}.refused, "the app never tried to send the mail"']
    if check.kind == "s3-stored":
        lines = [f'assert {check.name}.keys(), "the app stored nothing in {double.what}"']
        if check.source:
            lines.append(f"assert any(key.startswith({json.dumps(check.source)}) for key in {check.name}.keys()), "
                         f"{check.name}.keys()")
        return lines
    if check.kind != "mail-sent":
        return []
    lines = [f'assert {check.name}.messages, "no mail reached {double.what}"']
    if check.source or check.value:
        lines.append(f"mail = {check.name}.messages[-1]")
    if check.source:
        lines.append(f"assert {check.source} in mail.recipients, mail.recipients")
    if check.value:
        lines.append('assert mail.subject, "the mail has no subject"')
    return lines


def _route_line(double: Double, line: int) -> str:
    """`router.route(...).respond(200, json=...)` in the `outside_apis` fixture, split when too wide."""
    route = f"{' ' * 8}router.route(name={json.dumps(double.fixture)}, host={json.dumps(double.host)})"
    one = f"{route}.respond(200, json={json.dumps(double.body)})"
    if len(one) <= line:
        return one
    body = json.dumps(double.body)
    if len(body) + 18 > line:
        body = json.dumps(double.body, indent=4).replace("\n", "\n" + " " * 12)
    return f"{route}.respond(\n{' ' * 12}200,\n{' ' * 12}json={body},\n{' ' * 8})"


def module_imports(module: Module, doubles: tuple[Double, ...]) -> set[str]:
    return {f"import {_library(c.double, doubles)}" for c in module.cases if c.kind == "outside-timeout"}


def conftest_sections(doubles: tuple[Double, ...], *, line: int) -> list[Section]:
    """The conftest's doubles, for code `line` characters wide."""
    apis = [d for d in doubles if d.kind == "http"]
    smtp = next((d for d in doubles if d.kind == "smtp"), None)
    sections: list[Section] = []
    pointed = {s: d.url for d in apis if d.url for s in d.settings}
    if pointed:
        sections.append(Section(code=_OUTSIDE_APIS.format(apis=json.dumps(pointed)),
                                setup="os.environ.update(OUTSIDE_APIS)"))
    routed = [d for d in apis if d.client not in _FAKERS]  # httpx: respx routes
    if routed:
        routes = "\n".join(_route_line(d, line) for d in routed)
        code = _APIS_FIXTURE.format(routes=routes)
        for d in routed:
            doc = docstring(f"The stand-in for {d.what} (a respx route). `.called` tells whether the app called "
                            "it; a test makes it fail with `.mock(side_effect=httpx.ConnectTimeout)` or "
                            "`.respond(503)`.", line - 4)
            code += _API_FIXTURE.format(fixture=d.fixture, doc="\n    ".join(doc))
        sections.append(Section(third_party=("import respx",), code=code))
    for client, faker in _FAKERS.items():
        sections += _library_sections([d for d in apis if d.client == client], faker, line=line)
    if smtp is not None:
        env = ", ".join([f'"{s}": FAKE_SMTP.host' for s in smtp.settings] +
                        [f'"{s}": str(FAKE_SMTP.port)' for s in smtp.port_settings])
        sections.append(Section(
            stdlib=("import atexit", "import socket", "from dataclasses import dataclass", "from email import "
                    "message_from_bytes", "from email.message import Message"),
            third_party=("from aiosmtpd.controller import Controller", "from aiosmtpd.smtp import AuthResult"),
            code=_SMTP_SERVER, setup=f"FAKE_SMTP = FakeSmtpServer()\nos.environ.update({{{env}}})"))
        names = " and ".join((smtp.settings[0], smtp.port_settings[0]))
        doc = docstring(f"The SMTP server {names} name (in this process, started before the app was imported): "
                        "empty and accepting mail at the start of every test.", line - 4)
        sections.append(Section(code=_SMTP_FIXTURE.format(doc="\n    ".join(doc))))
    s3 = next((d for d in doubles if d.kind == "s3"), None)
    if s3 is not None:
        sections.append(_s3_section(s3, line=line))
    return sections


@dataclass(frozen=True, slots=True, kw_only=True)
class _Faker:
    """How the conftest answers the APIs the app calls with one library other than httpx: a class shaped
    like a respx route (one instance per API) and an autouse fixture holding them by fixture name."""

    cls: str  # the class in the conftest: "RequestsApi"
    fixture: str  # the autouse fixture: "outside_requests"
    route: str  # how a fixture's docstring names what answers: "a `responses` route"
    imports: tuple[str, ...]
    stdlib: tuple[str, ...] = ()
    code: str  # the class
    fixture_code: str  # the fixture, `{apis}` standing for the instances


def _library_sections(apis: list[Double], faker: _Faker, *, line: int) -> list[Section]:
    """The APIs the app calls with one library: an instance of `faker.cls` per API."""
    if not apis:
        return []
    entries = []
    for d in apis:
        head = f"{' ' * 12}{json.dumps(d.fixture)}: {faker.cls}("
        entry = f"{head}mock, {json.dumps(d.host)}, {_tuple(d.methods or _ANY_METHOD)}, {json.dumps(d.body)}),"
        if len(entry) > line:
            body = json.dumps(d.body)
            if len(body) + 17 > line:
                body = json.dumps(d.body, indent=4).replace("\n", "\n" + " " * 16)
            entry = (f"{head}\n{' ' * 16}mock, {json.dumps(d.host)}, "
                     f"{_tuple(d.methods or _ANY_METHOD)},\n{' ' * 16}{body},\n{' ' * 12}),")
        entries.append(entry)
    code = faker.code + faker.fixture_code.format(apis="\n".join(entries))
    for d in apis:
        doc = docstring(f"The stand-in for {d.what} ({faker.route}). `.called` tells whether the app "
                        f"called it; a test makes it fail with `.mock(side_effect={_TIMEOUTS[d.client]})` or "
                        "`.respond(503)`.", line - 4)
        code += _API_FIXTURE.format(fixture=d.fixture, doc="\n    ".join(doc)).replace(
            "outside_apis", faker.fixture)
    return [Section(stdlib=faker.stdlib, third_party=faker.imports, code=code)]


def _s3_section(s3: Double, *, line: int) -> Section:
    """moto's S3 in the test process: fake credentials and the bucket settings set before the app is
    imported, an endpoint URL setting removed (so the app's client talks to "AWS", which moto answers)."""
    env = {**_FAKE_AWS, **dict(zip(s3.settings, s3.buckets))}
    setup = f"os.environ.update({json.dumps(env)})"
    if len(setup) > line:
        setup = "os.environ.update(" + json.dumps(env, indent=4) + ")"
    if s3.unset:
        setup += f"\nfor _name in {_tuple(s3.unset)}:\n    os.environ.pop(_name, None)"
    named = [f"{b} for {s}" for s, b in zip(s3.settings, s3.buckets)] + list(s3.buckets[len(s3.settings):])
    doc = docstring(f"S3 in this process (moto): the buckets the app writes to ({', '.join(named)}) exist, "
                    "empty, at the start of every test; no request reaches AWS. `.keys()` lists what the app "
                    "stored, `.remove_buckets()` makes its writes fail with NoSuchBucket.", line - 4)
    return Section(third_party=("import boto3", "from moto import mock_aws"),
                   code=_S3_FAKE.format(buckets=_tuple(s3.buckets)) + _S3_FIXTURE.format(doc="\n    ".join(doc)),
                   setup=setup)


def _tuple(items: tuple[str, ...]) -> str:
    return "(" + ", ".join(json.dumps(i) for i in items) + ("," if len(items) == 1 else "") + ")"


_OUTSIDE_APIS = '''
# Outside HTTP APIs the app calls: each setting gets a host only the doubles below answer (respx for
# httpx, responses for requests, aioresponses for aiohttp), set before the app is imported and over
# `.seamline/env`, so no test reaches the real API.
OUTSIDE_APIS = {apis}
'''

_APIS_FIXTURE = '''
@pytest.fixture(autouse=True)
def outside_apis():
    """Every outside HTTP API the app calls, answered in this process by respx in every test: 200 with
    the JSON the app reads. respx lets no request out, so an unexpected outside call fails the test."""
    with respx.mock(assert_all_called=False) as router:
{routes}
        yield router
'''

_API_FIXTURE = '''

@pytest.fixture
def {fixture}(outside_apis):
    {doc}
    return outside_apis["{fixture}"]
'''

_SMTP_SERVER = '''
@dataclass
class SentMail:
    """One message the fake SMTP server received."""

    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return self.message["Subject"] or ""


class FakeSmtpServer:
    """An SMTP server in this process (aiosmtpd on 127.0.0.1) standing in for the app's mail relay. It
    keeps what it receives in `messages`; after `refuse_mail()` it answers every message with 554, as a
    relay that rejects mail does, and counts those in `refused`. Any login is accepted."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.messages: list[SentMail] = []
        self.refused = 0
        self._refusing = False
        with socket.socket() as probe:  # a free port: aiosmtpd connects to the port it is given to start
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname=self.host, port=self.port, auth_require_tls=False,
                                      authenticator=lambda *args: AuthResult(success=True))
        self._controller.start()
        atexit.register(self._controller.stop)

    def reset(self) -> None:
        self.messages.clear()
        self.refused = 0
        self._refusing = False

    def refuse_mail(self) -> None:
        self._refusing = True

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self._refusing:
            self.refused += 1
            return "554 5.7.1 Message refused (Seamline test double)"
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.messages.append(SentMail(sender=envelope.mail_from, recipients=list(envelope.rcpt_tos),
                                      message=message))
        return "250 2.0.0 OK"
'''

_SMTP_FIXTURE = '''
@pytest.fixture(autouse=True)
def fake_smtp():
    {doc}
    FAKE_SMTP.reset()
    return FAKE_SMTP
'''

_REQUESTS_API = '''
class RequestsApi:
    """An outside HTTP API the app calls with `requests`, answered in this process by `responses` for
    every path of `host`: 200 with the JSON the app reads. Shaped like a respx route: `.called`,
    `.respond(503)`, `.mock(side_effect=requests.ConnectTimeout)`."""

    def __init__(self, mock, host, methods, body):
        self._mock, self._methods = mock, methods
        self._url = re.compile(rf"https?://{re.escape(host)}([/?].*)?$")
        self._routes = []
        self._answer(json=body)

    @property
    def called(self) -> bool:
        return any(route.call_count for route in self._routes)

    def respond(self, status, json=None):
        self._answer(status=status, json=json)

    def mock(self, side_effect):
        self._answer(body=side_effect("no answer from the API (Seamline test double)"))

    def _answer(self, **answer):
        for route in self._routes:
            self._mock.remove(route)
        self._routes = [self._mock.add(method, self._url, **answer) for method in self._methods]
'''

_REQUESTS_FIXTURE = '''

@pytest.fixture(autouse=True)
def outside_requests():
    """Every outside HTTP API the app calls with `requests`, answered in this process by `responses` in
    every test. `responses` lets no request out: an unexpected outside call raises ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield {{
{apis}
        }}
'''

_AIOHTTP_API = '''
class AiohttpApi:
    """An outside HTTP API the app calls with aiohttp, answered in this process by aioresponses for
    every path of `host`: 200 with the JSON the app reads. Shaped like a respx route: `.called`,
    `.respond(503)`, `.mock(side_effect=aiohttp.ServerTimeoutError)`."""

    def __init__(self, mock, host, methods, body):
        self.calls = 0
        self._status, self._body, self._failure = 200, body, None
        url = re.compile(rf"https?://{re.escape(host)}([/?].*)?$")
        for method in methods:
            mock.add(url, method=method, callback=self._answer, repeat=True)

    @property
    def called(self) -> bool:
        return self.calls > 0

    def respond(self, status, json=None):
        self._status, self._body, self._failure = status, json, None

    def mock(self, side_effect):
        self._failure = side_effect

    def _answer(self, url, **kwargs):
        self.calls += 1
        if self._failure is not None:  # raised inside the app's `session.get(...)`, as a real timeout is
            raise self._failure("no answer from the API (Seamline test double)")
        # a reason phrase, as a real server sends: aiohttp's raise_for_status() expects one
        return CallbackResult(status=self._status, payload=self._body, reason=HTTPStatus(self._status).phrase)
'''

_AIOHTTP_FIXTURE = '''

@pytest.fixture(autouse=True)
def outside_aiohttp():
    """Every outside HTTP API the app calls with aiohttp, answered in this process by aioresponses in
    every test. aioresponses lets no request out: an unexpected outside call raises
    ClientConnectionError."""
    with aioresponses() as mock:
        yield {{
{apis}
        }}
'''

# the libraries answered by a class of the conftest (httpx is answered by respx routes themselves)
_FAKERS = {
    "requests": _Faker(cls="RequestsApi", fixture="outside_requests", route="a `responses` route",
                       imports=("import responses",), code=_REQUESTS_API, fixture_code=_REQUESTS_FIXTURE),
    "aiohttp": _Faker(cls="AiohttpApi", fixture="outside_aiohttp", route="an aioresponses route",
                      imports=("from aioresponses import CallbackResult, aioresponses",),
                      stdlib=("from http import HTTPStatus",),
                      code=_AIOHTTP_API, fixture_code=_AIOHTTP_FIXTURE),
}
_ROUTED_BY_VERB = tuple(_FAKERS)  # their doubles answer the verbs the app sends, not every verb

_S3_FAKE = '''
class FakeS3:
    """S3 answered by moto (its `mock_aws` is on while a test runs): the app's buckets exist, empty."""

    buckets = {buckets}

    def __init__(self) -> None:
        self.client = boto3.client("s3", region_name="us-east-1")
        for bucket in self.buckets:
            self.client.create_bucket(Bucket=bucket)

    def keys(self) -> list[str]:
        """The keys of every object the app stored, in any of its buckets."""
        there = {{b["Name"] for b in self.client.list_buckets()["Buckets"]}}
        return [o["Key"] for bucket in self.buckets if bucket in there
                for o in self.client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def read(self, key: str) -> bytes:
        """The content of the object the app stored under `key`."""
        bucket = next(b for b in self.buckets if key in {{
            o["Key"] for o in self.client.list_objects_v2(Bucket=b).get("Contents", [])}})
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def remove_buckets(self) -> None:
        """Delete the buckets: the app's next write fails with NoSuchBucket, as with a wrong setting."""
        for bucket in self.buckets:
            for o in self.client.list_objects_v2(Bucket=bucket).get("Contents", []):
                self.client.delete_object(Bucket=bucket, Key=o["Key"])
            self.client.delete_bucket(Bucket=bucket)
'''

_S3_FIXTURE = '''

@pytest.fixture(autouse=True)
def fake_s3():
    {doc}
    with mock_aws():
        yield FakeS3()
'''
