"""Flask: the test client of the app its own factory builds (or of its app object), with Flask-Login
sessions made the way Flask-Login makes them. The database side is the SQLAlchemy adapter's: Flask-
SQLAlchemy models are SQLAlchemy models, and the app reads DATABASE_URL after `.seamline/env` is loaded.

No app context is held around a request: each request pushes its own, so the app's scoped session
is removed after it and a change the view never committed is lost, exactly as in production.
"""

from __future__ import annotations

import dataclasses

from ...analyze.expr import call_func, dotted, walk
from ...model import App, AuthRequirement, Endpoint, OrmModel, Project, Schema, SchemaField
from .adapters import Section, keyword_client_call
from .code_facts import CodeFacts, raised_statuses
from .model import AuthPlan, Request, Suite
from .naming import short

_SERIALIZERS = frozenset({"to_dict", "as_dict", "serialize", "to_json", "dump"})
_USER_NAMES = ("User", "Account", "Member")
_SESSION_EXPIRY = ("no expired-token tests: a Flask-Login session cookie has no expiry to set in the past (Flask "
                   "refuses only cookies signed longer ago than PERMANENT_SESSION_LIFETIME, 31 days by default)")


class FlaskAdapter:
    framework = "flask"
    validation_status = 400  # what hand-written checks and `abort(400)` answer
    bad_path_status = 404  # `<int:id>` does not match "not-a-number": no route
    validates_input = False

    def missing_credentials_status(self, endpoint: Endpoint) -> int:
        return 401  # Flask-Login without a login view, Flask-JWT-Extended, HTTPAuth

    def credentials(self, project: Project, app: App, models: dict[str, OrmModel]) -> AuthPlan | None:
        """Flask-Login: the signed session cookie Flask-Login reads, for a user row of the app's own."""
        endpoints = [e for e in project.endpoints if e.app == app.root]
        if not any(a.via.startswith("flask_login.") for e in endpoints for a in e.auth):
            return None
        user = next((m.name for m in models.values() for name in _USER_NAMES if short(m.name) == name), None)
        return AuthPlan(user_model=user, token_call="session_cookie(app, user)", header="Cookie", scheme="",
                        fixtures=("app",), expiry_note=_SESSION_EXPIRY) if user else None

    def role_check(self, auth: AuthRequirement) -> bool:
        return True

    def implicit_statuses(self, endpoint: Endpoint, code: CodeFacts) -> tuple[int, ...]:
        """Statuses the view answers by `return body, 404` or through a helper of its module that
        aborts (`_own_note_or_404(id)`)."""
        fn = code.function(endpoint.handler)
        if fn is None:
            return ()
        module = endpoint.handler.rsplit(".", 1)[0]
        found: list[int] = []
        for value in fn.returns_values:
            parts = value[1] if value and value[0] == "l" else ()
            status = parts[1][1] if len(parts) >= 2 and parts[1] and parts[1][0] == "k" else None
            if isinstance(status, int) and status >= 400:
                found.append(status)
        for call in fn.calls:
            name = dotted(call_func(call)) or ""
            if name and "." not in name:
                found += raised_statuses(code.function(f"{module}.{name}"))
        return tuple(dict.fromkeys(found))

    def list_key(self, endpoint: Endpoint, code: CodeFacts, app: App) -> str:
        return ""

    def response_many(self, endpoint: Endpoint, code: CodeFacts) -> bool:
        """A view that returns a list built in the return statement (`jsonify([n.to_dict() for ...])`)."""
        fn = code.function(endpoint.handler)
        if fn is None or endpoint.method != "GET":
            return False
        return any(node == ("x", "ListComp") for value in fn.returns_values for node in walk(value))

    def login_form(self, endpoint: Endpoint) -> tuple[str, str] | None:
        form = [p.name for p in endpoint.params if p.location == "form"]
        user = next((n for n in form if n in ("username", "email", "login")), None)
        password = next((n for n in form if "password" in n), None)
        return (user, password) if user and password else None

    def prepare_project(self, project: Project, code: CodeFacts) -> Project:
        """Flask views seldom declare schemas: a view that creates or changes rows of a model and has
        no request schema gets one made of the model's required columns (a password hash column is
        sent as `password`), and a view that answers `row.to_dict()` answers the model's columns."""
        models = {m.name: m for m in project.models}
        schemas = {s.name: s for s in project.schemas}
        endpoints = []
        for e in project.endpoints:
            if e.framework == "flask":
                e = self._with_inferred_schemas(e, models, schemas, code)
            endpoints.append(e)
        return dataclasses.replace(project, endpoints=tuple(endpoints), schemas=tuple(schemas.values()))

    def _with_inferred_schemas(self, e: Endpoint, models: dict[str, OrmModel], schemas: dict[str, Schema],
                               code: CodeFacts) -> Endpoint:
        written = next((models[x.model] for x in e.effects
                        if x.action in ("create", "update") and x.model in models), None)
        if written is None and e.method in ("PUT", "PATCH"):  # a write that never reaches the database
            written = next((models[x.model] for x in e.effects if x.model in models), None)
        request, response = e.request_schema, e.response_schema
        if request is None and written is not None and e.method in ("POST", "PUT", "PATCH") \
                and not any(p.location in ("body", "form") for p in e.params):
            name = f"{written.name}.inferred_request"
            schemas[name] = Schema(name=name, kind="inferred", model=written.name,
                                   fields=tuple(_request_field(f) for f in written.fields if _sent(f)))
            request = name
        fn = code.function(e.handler)
        # `note.to_dict()`, or a list built in the return (`[n.to_dict() for n in notes]`, opaque in facts)
        serialized = fn is not None and any(
            (node[0] == "a" and node[2] in _SERIALIZERS) or node == ("x", "ListComp")
            for value in fn.returns_values for node in walk(value) if isinstance(node, tuple) and node)
        target = written or next((models[x.model] for x in e.effects if x.model in models), None)
        if response is None and serialized and target is not None:
            name = f"{target.name}.inferred_response"
            schemas[name] = Schema(name=name, kind="inferred", model=target.name,
                                   fields=tuple(f for f in target.fields if "password" not in f.name))
            response = name
        return dataclasses.replace(e, request_schema=request, response_schema=response)

    def client_section(self, suite: Suite) -> Section:
        module, _, attr = suite.entry.partition(":")
        attr = attr or "app"
        build = f"{attr}()" if attr.startswith(("create", "make", "build")) else attr
        code = f'''
@pytest.fixture(scope="session")
def app():
    """The app as `{module}:{attr}` builds it, in testing mode: an unhandled error in a view is raised
    in the test, with the app's own traceback."""
    app = {build}
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    """Flask's test client. No app context is held around requests, so each request gets the app's
    own session and loses what it never committed. No cookie jar either: every request carries the
    credentials its test gives it (`headers=auth_headers`), nothing left over from an earlier one."""
    return app.test_client(use_cookies=False)


def session_cookie(app, user):
    """The session cookie Flask-Login sets when `user` logs in, signed with the app's secret key."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({{"_user_id": str(user.id), "_fresh": True}})
    return f"{{app.config['SESSION_COOKIE_NAME']}}={{value}}"
'''
        return Section(app=(f"from {module} import {attr}",), code=code)

    def request_code(self, request: Request, *, url: str, headers: str | None) -> str:
        return keyword_client_call(request, url=url, headers=headers, query_keyword="query_string")

    def json_code(self, response: str) -> str:
        return f"{response}.get_json()"


def _sent(f: SchemaField) -> bool:
    """Columns a client sends: required ones the app does not fill itself (no keys, no FKs)."""
    return f.required and not f.read_only and not f.type.startswith("fk:") and not f.many \
        and ("primary_key", "true") not in f.constraints


def _request_field(f: SchemaField) -> SchemaField:
    if "password" in f.name:  # `password_hash` is what the app stores; clients send the password
        return SchemaField(name="password", type="str", constraints=(("min_length", "8"), ("max_length", "128")))
    return dataclasses.replace(f, constraints=tuple(c for c in f.constraints if c[0] != "unique"))
