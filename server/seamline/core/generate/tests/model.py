"""Values the test generator passes around: what to test (cases) and what it writes (files).

A `Case` is framework-neutral: it says which request to make, with which seed data and credentials,
and what to expect of the response and of the database. Adapters turn it into code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedFile:
    path: str  # relative to the workspace root, POSIX
    content: str  # the full file as Seamline would write it fresh (header included, no hash line)
    endpoints: tuple[str, ...] = ()  # Endpoint.key of each endpoint the file tests


@dataclass(frozen=True, slots=True, kw_only=True)
class Seed:
    """A row created before the request: `var = make_<model>(<field>=<owner>.id)`."""

    var: str  # "item"
    model: str  # dotted OrmModel name
    owner_field: str | None = None  # FK column to the user model, when the row belongs to someone
    owner: str | None = None  # "user" (the caller) | "other_user"
    overrides: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One expectation after the request. kind:
    - "field": response field `name` equals `source` (a payload key or a seed attribute)
    - "contains": the list response holds the seed `source` (by `name`, usually "id")
    - "keys": the object `source` of the body ("body", "body[0]") has every key in `value` (a tuple)
    - "list": the body's field `name` is a list (`{"tags": [...]}`)
    - "redirect": the response redirects to the path `value` (its Location header)
    - "row": the row of `model` found by `source` has `name` == `value_from`
    - "row-exists" / "row-gone": the row of `model` found by `source` exists / is gone
    - "count": `model` has exactly `value` rows
    - "iso-datetime": response field `name` is an ISO 8601 datetime (`isoformat()` text)
    - "session-has" / "session-lacks": the session cookie the response sets holds / lacks key `name`
    - "flashed": the session the response sets carries the flashed message `value`
    - "double-called": the test double `name` (a fixture) was called by the app
    - "mail-sent": the fake SMTP server `name` received mail, to `source` (an expression) when set,
      with a subject when `value` is true
    - "mail-refused": the app tried to send mail through `name`, which refused it
    - "s3-stored": the fake S3 `name` holds an object, under a key starting with `source` when set
    """

    kind: str
    name: str = ""
    source: str = ""
    model: str = ""
    value_from: str = ""
    value: Any = None
    within: str = ""  # "contains": the rows are under this key of the body ("results" when paginated)


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    method: str
    path: str  # template with {param} placeholders
    path_values: tuple[tuple[str, str], ...] = ()  # param -> Python expression ("item_id", "999999")
    json: Any = None  # payload value (a dict) or None
    json_var: str | None = None  # the payload is a parametrized argument / local variable of this name
    form: Any = None
    form_var: str | None = None  # the form is a parametrized argument of this name
    query: Any = None
    query_var: str | None = None
    auth: str | None = None  # None | "user" | "other_user" | "admin" | "invalid" | "expired"
    json_refs: tuple[tuple[str, str], ...] = ()  # payload keys set from seeds: ("project", "project.id")
    envelope: str | None = None  # the body is sent as {envelope: payload} (Schema.envelope)
    response_envelope: str | None = None  # the answer's body is under this key (Schema.dump_envelope)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One generated test function (one or more pytest items, when parametrized)."""

    name: str  # test function name, stated as behaviour
    endpoint: str  # Endpoint.key
    kind: str  # happy | no-auth | bad-token | expired-token | forbidden-role | other-owner | not-found |
    #           invalid-body | invalid-query | edge-query (expect_status 0: anything below 500) | invalid-path |
    #           conflict | login | login-wrong-password | login-unknown-user | outside-timeout | outside-error |
    #           outside-refused |
    #           outside-missing (an outside service fails: expect_status 0, anything but a 500)
    expect_status: int
    request: Request
    seeds: tuple[Seed, ...] = ()
    checks: tuple[Check, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()  # parametrize: (id, value) for `param_name`
    param_name: str = ""
    register: Any = None  # login cases: the payload registered through the app first (path, payload)
    register_form: bool = False  # the sign-up endpoint takes a form, not JSON
    register_envelope: str | None = None  # the sign-up endpoint takes its JSON wrapped in this key
    doc: str = ""
    double: str = ""  # outside-* cases: the fixture of the test double the case makes fail


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One request of a flow. `capture` binds response fields to locals for later steps
    (("item_id", "id")); `expect` compares response fields with Python expressions."""

    endpoint: str  # Endpoint.key
    request: Request
    expect_status: int
    payload_var: str = "payload"  # local holding this step's JSON/form body
    capture: tuple[tuple[str, str], ...] = ()
    expect: tuple[tuple[str, str], ...] = ()
    headers: str | None = None  # an expression overriding the request's auth (a captured token)
    cookie_var: str = ""  # a local bound to the cookie the response sets (a session login)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """Requests across endpoints that feed each other: sign up -> log in -> call with the token;
    create -> read -> update -> read -> delete -> read, asserting what each step sees."""

    name: str
    kind: str  # "auth" | "crud"
    steps: tuple[Step, ...]
    payloads: tuple[tuple[str, Any], ...] = ()  # (local name, value) set up before the first step
    gone_model: str | None = None  # crud: the model whose row must be gone at the end
    gone_pk: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Double:
    """An outside service the app calls (an HTTP API, a mail relay), answered in the test process. The
    conftest points the app's settings at it before the app is imported; every test runs with it."""

    kind: str  # "http" | "smtp" | "s3"
    fixture: str  # the conftest fixture tests use: "fake_pricing_api", "fake_smtp", "fake_s3"
    what: str  # how tests name it in messages: "the API behind PRICING_API_URL"
    settings: tuple[str, ...] = ()  # env names given the double's address (http: base URL; smtp: host)
    port_settings: tuple[str, ...] = ()  # smtp: env names given the double's port
    host: str = ""  # http: the host the double answers for
    url: str = ""  # http: the base URL the settings get ("" when the code writes the host itself)
    body: Any = None  # http: the JSON the double answers with
    client: str = ""  # http: the library the app calls it with ("httpx": respx, "requests": responses)
    methods: tuple[str, ...] = ()  # http (requests): the verbs the app sends ("POST"); () for any
    buckets: tuple[str, ...] = ()  # s3: the bucket names the double creates, one per setting first
    unset: tuple[str, ...] = ()  # s3: env names of an endpoint URL, unset so the client talks to "AWS" (moto)


@dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    """The cases of one source module of handlers (a router / blueprint / views file)."""

    source: str  # handler file, relative to the app root
    file: str  # test file name, e.g. test_items_api.py
    cases: tuple[Case, ...] = ()
    endpoints: tuple[str, ...] = ()
    flows: tuple[Flow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginShape:
    """How a session login answers (Flask: read off the view): where a logged-in user's id lands in the
    session, and the messages a failed attempt flashes."""

    session_key: str  # "_user_id" (Flask-Login), "user_id" (`session["user_id"] = user["id"]`)
    flashes: tuple[str, ...] = ()  # constant messages the view flashes (`flash("Incorrect password.")`)
    failure_status: int | None = None  # a failure answered without an error status (200: the form again)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiredToken:
    """How a test makes a token for `user` that has expired (see expiry.py): fixture lines that bind
    `token`, with the imports they need."""

    lines: tuple[str, ...]
    stdlib: tuple[str, ...] = ()
    third_party: tuple[str, ...] = ()
    app: tuple[str, ...] = ()  # the app's modules: imported after the env file is loaded
    how: str = ""  # for the fixture's docstring: "the app's own `create_access_token` with ..."


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthPlan:
    """How generated tests get credentials, found from the app's own code."""

    user_model: str | None = None  # dotted OrmModel of the app's users
    token_function: str | None = None  # dotted, e.g. app.core.security.create_access_token
    token_call: str = ""  # Python expression making a token for `user`, e.g. create_access_token(str(user.id))
    header: str = "Authorization"
    scheme: str = "Bearer"
    admin_flag: str | None = None  # boolean column that makes a user an admin
    fixtures: tuple[str, ...] = ()  # fixtures `token_call` needs besides `user` (Flask: "app")
    expired: ExpiredToken | None = None  # how to make an expired token, when the app's tokens expire
    expiry_note: str = ""  # why the framework's credentials get no expired-token test (they never expire)
    # no user model to seed a caller with (sqlite3, no ORM): (sign-up Request, its credentials, login Request)
    # that `auth_headers` sends through the app, keeping the session cookie the login sets
    login: Any = None
    invalid_status: int | None = None  # what the framework answers a malformed token, when not the app's 401


@dataclass(frozen=True, slots=True, kw_only=True)
class Suite:
    """Everything planned for one app."""

    app: str  # app folder relative to the workspace root
    framework: str
    orm: str
    entry: str  # "module:attr"
    output: str  # output folder relative to the app root
    modules: tuple[Module, ...] = ()
    auth: AuthPlan = field(default_factory=AuthPlan)
    models: tuple[str, ...] = ()  # dotted OrmModel names the suite seeds or checks
    database_setting: str = "DATABASE_URL"
    notes: tuple[str, ...] = ()  # what could not be planned, and why
    pin_notes: tuple[str, ...] = ()  # of those, the app's pins older than what the tests call (versions.py)
    reused_fixtures: frozenset[str] = frozenset()  # the project's own fixtures the conftest uses instead of ours
    doubles: tuple[Double, ...] = ()  # outside services the suite answers in process
    # rows the app's sign-up makes with each user: (model, its foreign key to the user); plan.user_companions
    user_companions: tuple[tuple[str, str], ...] = ()
    # the app folder is itself a package (`__init__.py`; its modules import each other relatively)
    app_is_package: bool = False
    sqlite_setup: tuple[str, str] = ()  # sqlite3 with no ORM: (app.config key of the file, dotted schema function)
