"""Flask: the test client of the app its own factory builds (or of its app object), with Flask-Login
sessions made the way Flask-Login makes them. The database side is the SQLAlchemy adapter's: Flask-
SQLAlchemy models are SQLAlchemy models, and the app reads DATABASE_URL after `.seamline/env` is loaded.

No app context is held around a request: each request pushes its own, so the app's scoped session
is removed after it and a change the view never committed is lost, exactly as in production.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from ...analyze.expr import MaybeExpr, arg, call_func, const, dotted, is_call, is_str, render, string, walk
from ...analyze.facts import FunctionFacts
from ...model import App, AuthRequirement, Endpoint, OrmModel, Param, Project, Schema, SchemaField
from .adapters import Section, keyword_client_call
from .code_facts import CodeFacts, calls_to, raised_statuses
from .model import AuthPlan, ExpiredToken, LoginShape, Request, Suite
from .naming import short

_SERIALIZERS = frozenset({"to_dict", "as_dict", "serialize", "to_json", "dump"})
_USER_NAMES = ("User", "Account", "Member")
_JSON_READS = frozenset({"request.get_json", "request.json", "flask.request.get_json", "flask.request.json"})
_JWT = "flask_jwt_extended."
# what a login passes as the identity, with its user renamed `user`: `user`, `str(user.id)`, `user.email`
_IDENTITY = re.compile(r"(?:(?P<fn>str|int)\()?(?P<name>[A-Za-z_]\w*)"
                       r"(?P<attr>\.(?:id|pk|uuid|public_id|email|username))?\)?")
_SESSION_EXPIRY = ("no expired-token tests: a {what} session cookie has no expiry to set in the past (Flask "
                   "refuses only cookies signed longer ago than PERMANENT_SESSION_LIFETIME, 31 days by default)")


class FlaskAdapter:
    framework = "flask"
    validation_status = 400  # what hand-written checks and `abort(400)` answer
    bad_path_status = 404  # `<int:id>` does not match "not-a-number": no route
    validates_input = False

    def missing_credentials_status(self, endpoint: Endpoint, code: CodeFacts) -> int:
        """401 (Flask-Login without a login view, Flask-JWT-Extended, HTTPAuth), or 302 for a hand-written
        `login_required` that redirects anonymous users to the login page (the Flask tutorial's)."""
        if any(a.kind == "session" and _redirects(code, a.via) for a in endpoint.auth):
            return 302
        return 401

    def credentials(self, project: Project, app: App, models: dict[str, OrmModel], code: CodeFacts
                    ) -> AuthPlan | None:
        """The signed session cookie the app's login sets, for a user row of the app's own: Flask-Login's,
        or the one a hand-written login view fills (`session["user_id"] = user.id`)."""
        endpoints = [e for e in project.endpoints if e.app == app.root]
        user = next((m.name for m in models.values() for name in _USER_NAMES if short(m.name) == name), None)
        if user is None:
            return None
        if any(a.via.startswith(_JWT) for e in endpoints for a in e.auth):
            return _jwt_plan(project, app, code, user)
        if any(a.via.startswith("flask_login.") for e in endpoints for a in e.auth):
            return AuthPlan(user_model=user, token_call="session_cookie(app, user)", header="Cookie", scheme="",
                            fixtures=("app",), expiry_note=_SESSION_EXPIRY.format(what="Flask-Login"))
        if not any(a.kind == "session" for e in endpoints for a in e.auth):
            return None
        logins = {t.name for t in project.token_sources if t.kind == "endpoint" and t.app == app.root}
        shape = next((s for e in endpoints if e.key in logins for s in (self.login_shape(e, code),) if s), None)
        if shape is None:
            return None
        return AuthPlan(user_model=user, token_call=f"session_cookie(app, user, key='{shape.session_key}')",
                        header="Cookie", scheme="", fixtures=("app",), expiry_note=_SESSION_EXPIRY.format(what="Flask"))

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
        """The credential fields of a login form (`request.form["username"]`) or JSON body
        (`data.get("email")`): the plan sends them the way the view reads them."""
        form = [p.name for p in endpoint.params if p.location in ("form", "body")]
        user = next((n for n in form if n in ("username", "email", "login")), None)
        password = next((n for n in form if "password" in n), None)
        return (user, password) if user and password else None

    def login_shape(self, endpoint: Endpoint, code: CodeFacts) -> LoginShape | None:
        """A login view keeps the user in Flask's session: Flask-Login's `login_user(user)` stores
        `_user_id`, a hand-written one `session["user_id"] = user["id"]`. A failed attempt that flashes
        and falls through to the form again (`render_template`) answers 200."""
        fn = code.function(endpoint.handler)
        if fn is None:
            return None
        key = "_user_id" if calls_to(fn, "login_user") else next(
            (k for base, key_expr, _v, _line in fn.item_assigns if base == "session"
             for k in (string(key_expr),) if k), None)
        if key is None:
            return None
        flashes = tuple(m for call in calls_to(fn, "flash") for m in (string(arg(call, 0, "message")),) if m)
        redirects = [v for v in fn.returns_values if _redirect(v)]
        form_again = redirects and any(not _redirect(v) and not _error_return(v) for v in fn.returns_values)
        return LoginShape(session_key=key, flashes=flashes, failure_status=200 if form_again else None)

    def prepare_project(self, project: Project, code: CodeFacts) -> Project:
        """Flask views seldom declare schemas: a view that creates or changes rows of a model and has
        no request schema gets one made of the model's required columns (a password hash column is
        sent as `password`), and a view that answers `row.to_dict()` answers the model's columns."""
        models = {m.name: m for m in project.models}
        schemas = {s.name: s for s in project.schemas}
        endpoints = []
        logins = {t.name for t in project.token_sources if t.kind == "endpoint"}
        for e in project.endpoints:
            if e.framework == "flask":
                if e.key in logins:
                    e = _with_helper_json_keys(e, code)
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
        form = [p for p in e.params if p.location == "form"]
        if request is None and form and e.method in ("POST", "PUT", "PATCH"):  # `request.form["title"]`
            request = f"{e.handler}.form"
            schemas[request] = Schema(name=request, kind="form", model=written.name if written else None,
                                      fields=tuple(SchemaField(name=p.name, type="str", required=p.required)
                                                   for p in form))
        body = [p for p in e.params if p.location == "body"]
        if request is None and body and e.method in ("POST", "PUT", "PATCH"):  # `request.get_json()["email"]`
            request = f"{e.handler}.json"
            # a key's type: the column of that name in the model the view writes, else what the code says
            columns = {f.name: f.type for f in written.fields if not f.type.startswith("fk:")} if written else {}
            schemas[request] = Schema(name=request, kind="inferred", model=written.name if written else None,
                                      fields=tuple(SchemaField(name=p.name, required=p.required,
                                                               type=columns.get(p.name) or
                                                               (p.type if p.type not in ("Any", "") else "str"))
                                                   for p in body))
        fn = code.function(e.handler)
        redirects = [_redirect(v) for v in fn.returns_values] if fn is not None else []
        if e.status_code is None and any(redirects) and (e.method == "POST" or all(redirects)):
            # a form post answered by a redirect (POST/redirect/GET), or a view that only redirects (logout)
            e = dataclasses.replace(e, status_code=302)
        if request is None and written is not None and e.method in ("POST", "PUT", "PATCH") \
                and not any(p.location in ("body", "form") for p in e.params):
            name = f"{written.name}.inferred_request"
            schemas[name] = Schema(name=name, kind="inferred", model=written.name,
                                   fields=tuple(_request_field(f) for f in written.fields if _sent(f)))
            request = name
        # `note.to_dict()`, or a list built in the return (`[n.to_dict() for n in notes]`, opaque in facts)
        serialized = fn is not None and any(
            (node[0] == "a" and node[2] in _SERIALIZERS) or node == ("x", "ListComp")
            for value in fn.returns_values for node in walk(value) if isinstance(node, tuple) and node)
        target = written or next((models[x.model] for x in e.effects if x.model in models), None)
        if response is None and serialized and target is not None:
            name = f"{target.name}.inferred_response"
            schemas[name] = Schema(name=name, kind="inferred", model=target.name,
                                   fields=_serialized_fields(target, code))
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


@pytest.fixture
def session_of(app):
    """Reads the session a response sets: the cookie verified with the app's secret key and decoded
    as Flask decodes it ({{}} when the response sets none)."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]

    def read(response):
        for cookie in response.headers.getlist("Set-Cookie"):
            key, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if key == name and value:
                return dict(serializer.loads(value))
        return {{}}

    return read


def in_app_context(app, make):
    """What `make()` returns inside the app's context (Flask-JWT-Extended reads the app's JWT settings)."""
    with app.app_context():
        return make()


def session_cookie(app, user, key=None):
    """The session cookie the app sets when `user` logs in, signed with the app's secret key: Flask-Login's,
    or, with `key`, the one the app's own login view fills (`session[key] = user.id`)."""
    serializer = app.session_interface.get_signing_serializer(app)
    data = {{"_user_id": str(user.id), "_fresh": True}} if key is None else {{key: user.id}}
    value = serializer.dumps(data)
    return f"{{app.config['SESSION_COOKIE_NAME']}}={{value}}"
'''
        return Section(app=(f"from {module} import {attr}",), code=code)

    def request_code(self, request: Request, *, url: str, headers: str | None) -> str:
        return keyword_client_call(request, url=url, headers=headers, query_keyword="query_string")

    def json_code(self, response: str) -> str:
        return f"{response}.get_json()"


def _jwt_plan(project: Project, app: App, code: CodeFacts, user: str) -> AuthPlan:
    """Flask-JWT-Extended: tokens from its own `create_access_token`, called in the app's context (it reads
    the app's JWT settings) with the identity the app's login passes, sent in the header the app's
    JWT_HEADER_NAME / JWT_HEADER_TYPE name. The app's views are never called to make one."""
    modules = _config_modules(project, app, code)
    header = _config_value(code, modules, "JWT_HEADER_NAME") or "Authorization"
    scheme = _config_value(code, modules, "JWT_HEADER_TYPE")
    identity = _jwt_identity(project, app, code, modules)
    make = f"in_app_context(app, lambda: create_access_token(identity={identity}{{extra}}))"
    expired = ExpiredToken(lines=(f"token = {make.format(extra=', expires_delta=datetime.timedelta(seconds=-1)')}",),
                           stdlib=("import datetime",), app=("from flask_jwt_extended import create_access_token",),
                           how="Flask-JWT-Extended's own `create_access_token` with `expires_delta` in the past")
    # a malformed token gets Flask-JWT-Extended's `invalid_token_loader` answer: 422 unless the app sets its own
    own_invalid = _calls_attr(code, modules, "invalid_token_loader")
    return AuthPlan(user_model=user, token_function="flask_jwt_extended.create_access_token",
                    token_call=make.format(extra=""), header=header, scheme="Bearer" if scheme is None else scheme,
                    fixtures=("app",), expired=expired, invalid_status=None if own_invalid else 422)


def _jwt_identity(project: Project, app: App, code: CodeFacts, modules: list[str]) -> str:
    """The identity the app's own logins pass to `create_access_token` (login views first), with the
    user renamed `user`; else the user object when the app registers a `user_identity_loader`, else
    `str(user.id)`."""
    handlers = {e.key: e.handler for e in project.endpoints if e.app == app.root}
    logins = sorted((t.name for t in project.token_sources if t.kind == "endpoint" and t.app == app.root),
                    key=lambda key: "login" not in key)
    for key in logins:
        for call in calls_to(code.function(handlers.get(key, "")), "create_access_token"):
            text = render(arg(call, 0, "identity"))
            found = _IDENTITY.fullmatch(text)
            if found and bool(found["fn"]) == text.endswith(")"):  # `str(user.id)` or `user.id`, not `user.id)`
                inner = f"user{found['attr'] or ''}"
                return f"{found['fn']}({inner})" if found["fn"] else inner
    return "user" if _calls_attr(code, modules, "user_identity_loader") else "str(user.id)"


def _calls_attr(code: CodeFacts, modules: list[str], attr: str) -> bool:
    """Whether the modules name `<something>.attr` (`jwt.user_identity_loader(...)` or as a decorator)."""
    return any(isinstance(n, ast.Attribute) and n.attr == attr
               for m in modules for tree in (code.tree(m),) if tree is not None for n in ast.walk(tree))


def _config_modules(project: Project, app: App, code: CodeFacts) -> list[str]:
    """Modules that may set the app's config: the entry module, the modules it imports (a settings
    module of Config classes, the extensions) and the login views'."""
    entry = (app.entry or "").partition(":")[0]
    facts = code.module(entry) if entry else None
    imported = [target.rpartition(".")[0] if code.module(target) is None else target
                for _alias, target in (facts.imports if facts is not None else ())]
    views = [t.file.removesuffix(".py").replace("/", ".") for t in project.token_sources if t.app == app.root]
    return [m for m in dict.fromkeys((entry, *imported, *views)) if m and code.module(m) is not None]


def _config_value(code: CodeFacts, modules: list[str], key: str) -> str | None:
    """A string the app sets for config `key`: `KEY = "..."` in a Config class or module, or
    `app.config["KEY"] = "..."`."""
    for module in modules:
        for node in ast.walk(code.tree(module) or ast.Module(body=[], type_ignores=[])):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant) \
                    or not isinstance(node.value.value, str):
                continue
            for target in node.targets:
                name = target.id if isinstance(target, ast.Name) else \
                    target.slice.value if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                    else None
                if name == key:
                    return node.value.value
    return None


def _sent(f: SchemaField) -> bool:
    """Columns a client sends: required ones the app does not fill itself (no keys, no FKs)."""
    return f.required and not f.read_only and not f.type.startswith("fk:") and not f.many \
        and ("primary_key", "true") not in f.constraints


def _request_field(f: SchemaField) -> SchemaField:
    if "password" in f.name:  # `password_hash` is what the app stores; clients send the password
        return SchemaField(name="password", type="str", constraints=(("min_length", "8"), ("max_length", "128")))
    return dataclasses.replace(f, constraints=tuple(c for c in f.constraints if c[0] != "unique"))


def _redirects(code: CodeFacts, via: str) -> bool:
    """Whether a view decorator (or the wrapper it defines) answers with `redirect(...)`."""
    found = code.locate(via)
    if found is None:
        return False
    module, fn = found
    inner = f"{fn.qualname}.<locals>."
    wrappers = [f for f in module.local_functions if f.qualname.startswith(inner)]
    return any(_redirect(v) for f in (fn, *wrappers) for v in f.returns_values)


def _redirect(value: MaybeExpr) -> bool:
    """`return redirect(url_for("index"))`."""
    return is_call(value) and (dotted(call_func(value)) or "").rsplit(".", 1)[-1] == "redirect"


def _error_return(value: MaybeExpr) -> bool:
    """`return jsonify(error=...), 401`: a return with an error status."""
    parts = value[1] if value and value[0] == "l" else ()
    status = const(parts[1]) if len(parts) >= 2 else None
    return isinstance(status, int) and status >= 400


def _serialized_fields(model: OrmModel, code: CodeFacts) -> tuple[SchemaField, ...]:
    """The fields the model's own serializer answers (`to_dict` returning a dict literal): exactly its
    keys, a column formatted with `.isoformat()` marked so (tests parse it back). Without one, every
    column but the password hash."""
    columns = {f.name: f for f in model.fields if "password" not in f.name}
    for method in _SERIALIZERS:
        fn = code.function(f"{model.name}.{method}")
        bodies = [v for v in fn.returns_values if v and v[0] == "d"] if fn is not None else []
        if len(bodies) != 1 or any(not is_str(k) for k, _v in bodies[0][1]):
            continue
        out = []
        for k, v in bodies[0][1]:
            name = k[1]
            field = columns.get(name, SchemaField(name=name, read_only=True))
            if dotted(call_func(v) if is_call(v) else None) == f"self.{name}.isoformat" and name in columns:
                field = dataclasses.replace(field, constraints=(*field.constraints, ("format", "isoformat")))
            out.append(field)
        return tuple(out)
    return tuple(columns.values())


def _with_helper_json_keys(e: Endpoint, code: CodeFacts) -> Endpoint:
    """A login view that reads its JSON through a helper of the app (`data = json_body()`, whose body
    calls `request.get_json()`): the keys it reads off that local (`data.get("email")`,
    `data["password"]`) are body parameters, so the tests send them."""
    if any(p.location in ("body", "form") and p.name != "body" for p in e.params):
        return e
    found = code.locate(e.handler)
    if found is None:
        return e
    module, fn = found
    imports = dict(module.imports)
    local_module = e.handler.rsplit(".", 1)[0]
    bound = set()
    for target, value, _line in fn.assigns:
        callee = dotted(call_func(value)) if is_call(value) else None
        if callee and "." not in target and _reads_json(code.function(imports.get(callee, f"{local_module}.{callee}"))):
            bound.add(target)
    if not bound:
        return e
    keys: dict[str, bool] = {}
    for top in (*fn.calls, *(v for _t, v, _line in fn.assigns)):
        for node in walk(top):
            if is_call(node):
                f = call_func(node)
                if f and f[0] == "a" and f[2] == "get" and dotted(f[1]) in bound and string(arg(node, 0, "key")):
                    keys.setdefault(string(arg(node, 0, "key")), False)
            elif node and node[0] == "s" and dotted(node[1]) in bound and string(node[2]):
                keys[string(node[2])] = True
    params = [p for p in e.params if not (p.location == "body" and p.name == "body")]
    params += [Param(name=k, location="body", type="str", required=required) for k, required in keys.items()]
    return dataclasses.replace(e, params=tuple(params))


def _reads_json(fn: FunctionFacts | None) -> bool:
    """A helper that reads the request's JSON body: `request.get_json(...)` or `request.json`."""
    if fn is None:
        return False
    exprs = (*fn.calls, *(v for _t, v, _line in fn.assigns), *fn.returns_values)
    return any(dotted(call_func(x) if is_call(x) else x) in _JSON_READS
               for top in exprs for x in walk(top) if isinstance(x, tuple))
