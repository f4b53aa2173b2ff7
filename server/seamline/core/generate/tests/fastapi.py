"""FastAPI: Starlette's TestClient over the real app object (the ASGI stack, dependencies,
validation and exception handlers all run as in production)."""

from __future__ import annotations

import json
from dataclasses import replace

from ...analyze.expr import dotted
from ...model import App, AuthRequirement, Endpoint, OrmModel, Param, Project
from .adapters import Section, keyword_client_call
from .code_facts import CodeFacts, decorator_keyword
from .model import AuthPlan, LoginShape, Request, Suite
from .nodb import fixed_keys

_LIST_TYPES = frozenset({"list", "List", "Sequence", "typing.List", "typing.Sequence", "set", "tuple"})


class FastApiAdapter:
    framework = "fastapi"
    validation_status = 422
    bad_path_status = 422
    validates_input = True  # pydantic: an accepted invalid payload means the generator misread the schema

    def missing_credentials_status(self, endpoint: Endpoint, code: CodeFacts) -> int:
        # OAuth2PasswordBearer, HTTPBearer (FastAPI >= 0.115) and APIKey* answer 401 without credentials;
        # a fixed key read with `Header()` is a required parameter: its absence fails validation
        if any(where == "header" for where, _, _ in fixed_keys(endpoint)):
            return self.validation_status
        return 401

    def credentials(self, project: Project, app: App, models: dict[str, OrmModel], code: CodeFacts
                    ) -> AuthPlan | None:
        """A fixed header key a dependency compares with a constant (`X-Token: fake-super-secret-token`);
        else None: FastAPI apps make tokens with a function of their own, which the planner finds."""
        keys = [k for e in project.endpoints if e.app == app.root for k in fixed_keys(e) if k[0] == "header"]
        if not keys:
            return None
        _, name, value = keys[0]
        return AuthPlan(token_call=json.dumps(value), header=name, scheme="",
                        expiry_note=f"no expired-token tests: the `{name}` header key is a constant of the app")

    def role_check(self, auth: AuthRequirement) -> bool:
        return True  # a permission dependency (`get_current_admin`) is a role check

    def implicit_statuses(self, endpoint: Endpoint, code: CodeFacts) -> tuple[int, ...]:
        return ()

    def prepare_project(self, project: Project, code: CodeFacts) -> Project:
        """A fixed query key (`token == "jessica"` in an app-wide dependency) becomes a required query
        parameter of each endpoint it guards, sent with its valid value like any other."""
        endpoints = []
        for e in project.endpoints:
            query = {name: value for where, name, value in fixed_keys(e) if where == "query"}
            if query:
                kept = tuple(a for a in e.auth if not (a.kind == "api-key" and a.detail.startswith("query:")))
                added = tuple(Param(name=n, location="query", type="str", required=True, constraints=(("const", v),))
                              for n, v in query.items() if n not in {p.name for p in e.params})
                e = replace(e, auth=kept, params=(*e.params, *added))
            endpoints.append(e)
        return replace(project, endpoints=tuple(endpoints))

    def list_key(self, endpoint: Endpoint, code: CodeFacts, app: App) -> str:
        return ""

    def response_many(self, endpoint: Endpoint, code: CodeFacts) -> bool:
        fn = code.function(endpoint.handler)
        model = decorator_keyword(fn, "response_model")
        if model is None and fn is not None:
            model = fn.returns
        return bool(model) and model[0] == "s" and (dotted(model[1]) or "") in _LIST_TYPES

    def login_form(self, endpoint: Endpoint) -> tuple[str, str] | None:
        if any(d.name.endswith("OAuth2PasswordRequestForm") or d.name.endswith("OAuth2PasswordRequestFormStrict")
               for d in endpoint.dependencies):
            return ("username", "password")
        form = [p.name for p in endpoint.params if p.location == "form"]
        user = next((n for n in form if n in ("username", "email", "login")), None)
        password = next((n for n in form if "password" in n), None)
        return (user, password) if user and password else None

    def login_shape(self, endpoint: Endpoint, code: CodeFacts) -> LoginShape | None:
        return None  # logins answer a token

    def client_section(self, suite: Suite) -> Section:
        module, _, attr = suite.entry.partition(":")
        attr = attr or "app"
        code = f'''
@pytest.fixture
def client():
    """The real app over HTTP (TestClient runs its lifespan). Unhandled errors in the app are raised
    in the test, with the app's own traceback."""
    with TestClient({attr}) as test_client:
        yield test_client
'''
        return Section(third_party=("from fastapi.testclient import TestClient",),
                       app=(f"from {module} import {attr}",),
                       code=code)

    def request_code(self, request: Request, *, url: str, headers: str | None) -> str:
        return keyword_client_call(request, url=url, headers=headers, query_keyword="params",
                                   delete_body_via_request=True)

    def json_code(self, response: str) -> str:
        return f"{response}.json()"
