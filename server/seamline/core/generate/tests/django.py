"""Django and Django REST framework: DRF's APIClient (Django's test Client for plain Django views)
over the project's real URLconf and middleware; the database through pytest-django.

Database: pytest-django creates the test database (one per xdist worker) and runs the project's
migrations once per session; every test runs in a transaction rolled back at its end. Rollback, not
truncation, is right here because Django commits nothing a view forgets to `save()`: the test reads
through the same connection and sees exactly what the view wrote, and nothing else.
"""

from __future__ import annotations

import ast
import dataclasses

from ...analyze.expr import string, walk
from ...model import App, AuthRequirement, Endpoint, OrmModel, Project, Schema, SchemaField
from .adapters import Section
from .code_facts import CodeFacts, calls_to
from .model import AuthPlan, LoginShape, Request, Suite
from .naming import plural, short, snake
from .values import seed_expr, seed_fields

AUTH_USER = "django.contrib.auth.models.User"
# django.contrib.auth's User as the generator needs it: what a factory fills and the admin flag
_AUTH_USER_FIELDS = (
    SchemaField(name="id", type="int", required=False, read_only=True, constraints=(("primary_key", "true"),)),
    SchemaField(name="username", type="str", constraints=(("max_length", "150"), ("unique", "true"))),
    SchemaField(name="email", type="EmailField", required=False),
    SchemaField(name="password", type="str", constraints=(("max_length", "128"),)),
    SchemaField(name="is_staff", type="bool", required=False, default="False"),
    SchemaField(name="is_superuser", type="bool", required=False, default="False"),
)
# DRF authentication that answers 401 with a WWW-Authenticate header; session auth alone answers 403
_CHALLENGING = frozenset({"drf-token", "basic", "jwt", "bearer", "oauth2", "token"})
_DRF_AUTH = "rest_framework.authentication."
_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
_SESSION_EXPIRY = ("no expired-token tests: the Django session of `force_login` has no expiry to set in the past "
                   "(it lasts SESSION_COOKIE_AGE)")
# permission classes that check who the caller is, not just that there is one (or what they own)
_ROLE_PERMISSIONS = frozenset({"IsAdminUser", "DjangoModelPermissions", "DjangoModelPermissionsOrAnonReadOnly",
                               "DjangoObjectPermissions"})
# generic view actions whose object comes from `get_object()` (404 when the lookup finds nothing)
_OBJECT_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy", "get", "put", "patch", "delete"})
# generic view actions that validate the payload with the view's serializer: 400 on a bad one, a
# duplicate included (a ModelSerializer checks the model's unique fields and unique sets it can see)
_VALIDATING_ACTIONS = frozenset({"create", "update", "partial_update", "post", "put", "patch"})


class DjangoAdapter:
    framework = "django"
    validation_status = 400
    bad_path_status = 404  # URL converters and DRF's lookup both answer 404
    validates_input = True

    def missing_credentials_status(self, endpoint: Endpoint, code: CodeFacts) -> int:
        """DRF answers an anonymous caller with its first authentication class's challenge: 401 with a
        WWW-Authenticate header (token, basic), 403 when that class has none (SessionAuthentication,
        first in DRF's default `[SessionAuthentication, BasicAuthentication]`)."""
        first = next((a.kind for a in endpoint.auth if a.kind != "permission"), None)
        return 401 if first in _CHALLENGING else 403

    def response_many(self, endpoint: Endpoint, code: CodeFacts) -> bool:
        return endpoint.handler.rsplit(".", 1)[-1] == "list"

    def prepare_project(self, project: Project, code: CodeFacts) -> Project:
        """A model field whose `choices` are computed when the app loads (drf-tutorial's pygments lexers)
        and that has a default: payloads send the default, the one choice known to be valid."""
        opaque = {(m.name, f.name): f.default.strip("'\"") for m in project.models if m.orm == "django"
                  for f in m.fields if not f.enum and f.default and _has_choices(code, m.name, f.name)}
        if not opaque:
            return project

        def known(model: str | None, f: SchemaField) -> SchemaField:
            choice = opaque.get((model or "", f.name))
            return dataclasses.replace(f, enum=(choice,)) if choice and not f.enum else f

        models = tuple(dataclasses.replace(m, fields=tuple(known(m.name, f) for f in m.fields)) for m in project.models)
        schemas = tuple(dataclasses.replace(s, fields=tuple(known(s.model, f) for f in s.fields))
                        for s in project.schemas)
        return dataclasses.replace(project, models=models, schemas=schemas)

    def list_key(self, endpoint: Endpoint, code: CodeFacts, app: App) -> str:
        """"results" when DRF paginates the list (settings' DEFAULT_PAGINATION_CLASS or the view's
        `pagination_class`), else "" (the body is the list)."""
        if endpoint.framework != "drf":
            return ""
        view = endpoint.handler.rsplit(".", 1)[0]
        module, _, cls = view.rpartition(".")
        facts = code.module(module)
        view_cls = facts.cls(cls) if facts is not None else None
        for name, _ann, value, _line in view_cls.attrs if view_cls is not None else ():
            if name == "pagination_class":
                return "" if value == ("k", None) else "results"
        settings = code.module(app.entry or "")
        conf = settings.assigned("REST_FRAMEWORK") if settings is not None else None
        for key, value in (conf[0][1] if conf and conf[0] and conf[0][0] == "d" else ()):
            if string(key) == "DEFAULT_PAGINATION_CLASS" and value != ("k", None):
                return "results"
        return ""

    def implicit_statuses(self, endpoint: Endpoint, code: CodeFacts) -> tuple[int, ...]:
        """404 from `get_object()` / `get_object_or_404()`, whether the framework's generic action or
        the view's own method calls it; 400 from DRF's serializer validation (`is_valid`), which the
        generic create and update actions run."""
        fn = code.function(endpoint.handler)
        action = endpoint.handler.rsplit(".", 1)[-1]
        if action in ("obtain_auth_token", "ObtainAuthToken"):
            return (400,)  # AuthTokenSerializer: wrong credentials are a validation error
        found = []
        generic = fn is None and endpoint.framework == "drf"
        if (generic and action in _OBJECT_ACTIONS) or calls_to(fn, "get_object") or calls_to(fn, "get_object_or_404"):
            found.append(404)
        if (generic and action in _VALIDATING_ACTIONS) or (endpoint.framework == "drf" and calls_to(fn, "is_valid")):
            found.append(400)
        fetches = (generic and action in _OBJECT_ACTIONS) or bool(calls_to(fn, "get_object"))
        checked = any(a.kind == "permission" and _object_permission(code, a.via) for a in endpoint.auth)
        if fetches and checked and not _scoped_queryset(code, endpoint):
            found.insert(0, 403)  # get_object() finds anyone's row; `check_object_permissions` refuses it
        return tuple(found)

    def role_check(self, auth: AuthRequirement) -> bool:
        return auth.via.rsplit(".", 1)[-1] in _ROLE_PERMISSIONS

    def credentials(self, project: Project, app: App, models: dict[str, OrmModel], code: CodeFacts
                    ) -> AuthPlan | None:
        """DRF token auth: a token row made with the app's own Token model, sent as `Token <key>`. Without
        it, DRF's default authentication: the session cookie of the user logged in by Django's own
        `force_login` (SessionAuthentication), or HTTP Basic with a password the test sets
        (BasicAuthentication alone)."""
        endpoints = [e for e in project.endpoints if e.app == app.root]
        kinds = {a.kind for e in endpoints for a in e.auth if a.via.startswith(_DRF_AUTH) or a.kind == "drf-token"}
        user = _user_model(models)
        admin = "is_staff" if user == AUTH_USER else None
        if "drf-token" in kinds:
            return AuthPlan(user_model=user, token_function="rest_framework.authtoken.models.Token",
                            token_call="Token.objects.get_or_create(user=user)[0].key", header="Authorization",
                            scheme="Token", admin_flag=admin)
        if "session" in kinds and (_sessions_on(code, app) or "basic" not in kinds):
            return AuthPlan(user_model=user, token_call="session_cookie(user)", header="Cookie", scheme="",
                            admin_flag=admin, expiry_note=_SESSION_EXPIRY)
        if "basic" in kinds:
            return AuthPlan(user_model=user, token_call="basic_credentials(user)", header="Authorization",
                            scheme="Basic", admin_flag=admin,
                            expiry_note="no expired-token tests: HTTP Basic credentials do not expire")
        return None

    def login_form(self, endpoint: Endpoint) -> tuple[str, str] | None:
        if endpoint.handler.endswith(("obtain_auth_token", "ObtainAuthToken.post")):
            return ("username", "password")
        return None

    def login_shape(self, endpoint: Endpoint, code: CodeFacts) -> LoginShape | None:
        return None  # logins answer a token

    def client_section(self, suite: Suite) -> Section:
        code = '''
@pytest.fixture
def client():
    """DRF's APIClient over the project's URLconf and middleware. An unhandled error in a view is
    raised in the test, with the app's own traceback."""
    return APIClient()
'''
        if suite.auth.token_call == "session_cookie(user)":
            return Section(app=("from rest_framework.test import APIClient", "from django.test import Client",
                                "from django.conf import settings as django_settings"), code=code + _SESSION_COOKIE)
        if suite.auth.token_call == "basic_credentials(user)":
            return Section(stdlib=("import base64",), app=("from rest_framework.test import APIClient",),
                           code=code + _BASIC_CREDENTIALS)
        return Section(app=("from rest_framework.test import APIClient",), code=code)

    def request_code(self, request: Request, *, url: str, headers: str | None) -> str:
        args = [url]
        if request.json is not None or request.json_var:
            args += [request.json_var or "payload", 'format="json"']
        elif request.form is not None:
            args.append("form")
        elif request.query_var:
            args.append(request.query_var)
        if headers:
            args.append(f"headers={headers}")
        return f"client.{request.method.lower()}({', '.join(args)})"

    def json_code(self, response: str) -> str:
        return f"{response}.json()"


_SESSION_COOKIE = '''

def session_cookie(user):
    """The session cookie of `user` logged in by Django's own `force_login`: what DRF's
    SessionAuthentication reads. (APIClient enforces no CSRF check, as Django's test client.)"""
    login = Client()
    login.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={login.cookies[django_settings.SESSION_COOKIE_NAME].value}"
'''
_BASIC_CREDENTIALS = '''

def basic_credentials(user, password="seamline-password"):
    """HTTP Basic credentials of `user` for DRF's BasicAuthentication, with a password set here (the
    factory's is hashed and not kept)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return base64.b64encode(f"{user.get_username()}:{password}".encode()).decode()
'''


def _sessions_on(code: CodeFacts, app: App) -> bool:
    """Whether the settings' MIDDLEWARE logs the session's user in (AuthenticationMiddleware): without
    it DRF's SessionAuthentication finds no user and only BasicAuthentication can authenticate."""
    settings = code.module(app.entry or "")
    found = settings.assigned("MIDDLEWARE") if settings is not None else None
    return found is not None and any(string(x) == _AUTH_MIDDLEWARE for x in walk(found[0]))


def _has_choices(code: CodeFacts, model: str, field: str) -> bool:
    """Whether the model's field is declared with `choices=` (`models.CharField(choices=LEXERS, ...)`)."""
    module, _, cls_name = model.rpartition(".")
    tree = code.tree(module)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name), None) if tree else None
    for node in cls.body if cls is not None else ():
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == field for t in node.targets):
            return isinstance(node.value, ast.Call) and any(k.arg == "choices" for k in node.value.keywords)
    return False


def _scoped_queryset(code: CodeFacts, endpoint: Endpoint) -> bool:
    """The view builds its queryset per request (`get_queryset`, usually the caller's rows): someone
    else's row is then not found (404) before any object permission is checked."""
    module, _, cls_name = endpoint.handler.rsplit(".", 1)[0].rpartition(".")
    facts = code.module(module)
    view = facts.cls(cls_name) if facts is not None else None
    return view is None or "get_queryset" in view.methods


def _object_permission(code: CodeFacts, via: str) -> bool:
    """A permission class of the app that checks each row (`has_object_permission`, IsOwnerOrReadOnly)."""
    module, _, name = via.rpartition(".")
    facts = code.module(module)
    cls = facts.cls(name) if facts is not None else None
    return cls is not None and "has_object_permission" in cls.methods


def _user_model(models: dict[str, OrmModel]) -> str:
    """The model the app's FKs to users point at (a custom AUTH_USER_MODEL, or django's User)."""
    targets = [f.type[3:] for m in models.values() for f in m.fields if f.type.startswith("fk:")]
    custom = [t for t in targets if t != AUTH_USER and short(t) in ("User", "CustomUser", "Account")]
    return custom[0] if custom and AUTH_USER not in targets else AUTH_USER


class DjangoOrmAdapter:
    orm = "django"
    database_doc = """
Database: pytest-django creates the test database and runs the project's migrations once per
session; every test runs in a transaction that is rolled back at its end. Rollback, not truncation,
because Django views write through the test's own connection: a test sees exactly what the view
saved (a view that forgets `save()` fails its test), and the rollback removes the factories' rows.

Parallel runs (pytest-xdist): pytest-django gives each worker its own test database.
"""

    def prepare_project(self, project: Project) -> Project:
        """Django models as the generated code uses them: foreign keys by their `<name>_id` column
        (what a factory sets and a test compares with `user.id`), plus django.contrib.auth's User
        when a model points at it; a ModelSerializer field without choices takes its model field's."""
        models = {m.name: m for m in project.models}
        schemas = tuple(_with_model_choices(s, models.get(s.model or "")) for s in project.schemas)
        return dataclasses.replace(project, models=self._models(project.models), schemas=schemas)

    def _models(self, models: tuple[OrmModel, ...]) -> tuple[OrmModel, ...]:
        out = [dataclasses.replace(m, fields=tuple(_fk_column(f) for f in m.fields)) if m.orm == "django" else m
               for m in models]
        if AUTH_USER not in {m.name for m in out} and any(f.type == f"fk:{AUTH_USER}" for m in out for f in m.fields):
            out.append(OrmModel(name=AUTH_USER, orm="django", table="auth_user", fields=_AUTH_USER_FIELDS))
        return tuple(out)

    def model_import(self, model: OrmModel) -> str:
        module, _, cls = model.name.rpartition(".")
        return f"from {module} import {cls}"

    def database_sections(self, suite: Suite, models: tuple[OrmModel, ...]) -> tuple[Section, ...]:
        settings = suite.entry.partition(":")[0]
        setup = f'''
def _setup_django() -> None:
    """Read the project's settings now, after `.seamline/env` is loaded, so DATABASES names the test
    services. pytest-django then creates the test database and runs the migrations."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings}")
    django.setup()
'''
        isolation = '''
@pytest.fixture(autouse=True)
def _database(db, settings):
    """Every test may use the database; pytest-django rolls its transaction back at the end. Passwords
    are hashed with a fast hasher here: the default one costs a fraction of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
'''
        return (Section(third_party=("import django",), setup="_setup_django()", code=setup),
                Section(code=isolation))

    def factory_section(self, suite: Suite, model: OrmModel, *, fk_parents: dict[str, OrmModel],
                        companions: tuple[tuple[OrmModel, str], ...] = ()) -> Section:
        cls = short(model.name)
        fks = {f.name: f.type[3:] for f in model.fields if f.type.startswith("fk:")}
        exprs = {f.name: seed_expr(f) for f in seed_fields(model, fk_fields=fks)}
        stdlib = ["import itertools"] + [f"import {m}" for m in ("datetime", "uuid")
                                         if any(f"{m}." in x for x in exprs.values())]
        parents = [(name, f"make_{snake(target)}") for name, target in fks.items()
                   if target in fk_parents and target != model.name
                   and next((f.required for f in model.fields if f.name == name), False)]
        values = "{" + ", ".join(f'"{k}": {v}' for k, v in exprs.items()) + "}"
        if len(values) > 80:
            values = "{\n" + "".join(f'            "{k}": {v},\n' for k, v in exprs.items()) + "        }"
        parent_lines = "".join(
            f'        if "{name}" not in values and "{name.removesuffix("_id")}" not in values:\n'
            f'            values["{name}"] = {factory}().pk\n' for name, factory in parents)
        create = "create_user" if model.name == AUTH_USER else "create"
        code = f'''
@pytest.fixture
def make_{snake(model.name)}({", ".join(["db", *dict.fromkeys(p for _, p in parents)])}):
    """Add `{model.table or plural(model.name)}` rows through the app's model {cls}; any field can be
    overridden. Values are numbered per test, so every run and every order gives the same data."""
    numbers = itertools.count(1)

    def make(**overrides):
        n = next(numbers)
        values = {values}
        values.update(overrides)
{parent_lines}        return {cls}.objects.{create}(**values)

    return make
'''
        return Section(stdlib=tuple(stdlib), app=(self.model_import(model),), code=code)

    def count_section(self, model: OrmModel) -> Section:
        code = f'''
@pytest.fixture
def count_{plural(model.name)}(db):
    """How many `{model.table or plural(model.name)}` rows there are right now."""

    def count():
        return {short(model.name)}.objects.count()

    return count
'''
        return Section(app=(self.model_import(model),), code=code)

    def fetch_lines(self, model: OrmModel, pk: str, var: str = "row") -> list[str]:
        return [f"{var} = {short(model.name)}.objects.filter(pk={pk}).first()"]


def _with_model_choices(schema: Schema, model: OrmModel | None) -> Schema:
    if model is None:
        return schema
    enums = {f.name: f.enum for f in model.fields if f.enum}
    fields = tuple(dataclasses.replace(f, enum=enums[f.name]) if not f.enum and f.name in enums else f
                   for f in schema.fields)
    return dataclasses.replace(schema, fields=fields)


def _fk_column(f: SchemaField) -> SchemaField:
    if not f.type.startswith("fk:") or f.many or f.name.endswith("_id"):
        return f
    return dataclasses.replace(f, name=f"{f.name}_id")
