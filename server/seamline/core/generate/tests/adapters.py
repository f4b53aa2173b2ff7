"""The framework-specific seams of test generation, behind two small interfaces.

A web adapter knows a framework's HTTP test client and its conventions (which status a failed
validation gets, how a login form is posted); an ORM adapter knows how to create the schema, isolate
tests, seed rows and read them back. Everything else (planning cases, payloads, names, file layout,
headers, merging) is shared. Flask and Django add one module each and register it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...model import App, AuthRequirement, Endpoint, OrmModel, Project
from .code_facts import CodeFacts
from .model import AuthPlan, LoginShape, Request, Suite


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A piece of the generated conftest: import lines (merged and sorted by the renderer) and code."""

    stdlib: tuple[str, ...] = ()
    third_party: tuple[str, ...] = ()  # imported before the env file is loaded: must not read settings
    app: tuple[str, ...] = ()  # the app's modules: imported after the env file is loaded
    setup: str = ""  # a call made at import time, after the env file is loaded (`_prepare_database()`)
    code: str = ""


class WebAdapter(Protocol):
    framework: str
    validation_status: int  # a body/query the framework's validation rejects (FastAPI 422, DRF 400)
    bad_path_status: int  # a path parameter of the wrong type (FastAPI 422, Flask/Django converters 404)
    validates_input: bool  # the framework rejects input that breaks the declared schema by itself

    def missing_credentials_status(self, endpoint: Endpoint, code: CodeFacts) -> int: ...

    def credentials(self, project: Project, app: App, models: dict[str, OrmModel], code: CodeFacts
                    ) -> AuthPlan | None:
        """How the framework's own auth makes credentials (DRF tokens, a Flask-Login session), or None
        to use the app's token function."""

    def role_check(self, auth: AuthRequirement) -> bool:
        """Whether a "permission" requirement checks the caller's role (admin), not just a login."""

    def implicit_statuses(self, endpoint: Endpoint, code: CodeFacts) -> tuple[int, ...]:
        """Statuses the framework answers for the handler that its code does not raise itself
        (DRF's `get_object()` 404)."""

    def list_key(self, endpoint: Endpoint, code: CodeFacts, app: App) -> str:
        """The key a list response keeps its rows under ("results" for DRF pagination), "" for a bare list."""

    def prepare_project(self, project: Project, code: CodeFacts) -> Project:
        """The project as the planner should see it (Flask: request/response shapes inferred from the
        models a view writes, where it declares none)."""

    def response_many(self, endpoint: Endpoint, code: CodeFacts) -> bool: ...

    def login_form(self, endpoint: Endpoint) -> tuple[str, str] | None:
        """(username field, password field) when the endpoint takes a login form, else None."""

    def login_shape(self, endpoint: Endpoint, code: CodeFacts) -> LoginShape | None:
        """How a login endpoint that keeps the user in a session answers (None: it answers a token)."""

    def client_section(self, suite: Suite) -> Section: ...

    def request_code(self, request: Request, *, url: str, headers: str | None) -> str:
        """`client.post(url, json=payload, headers=auth_headers)`; payload/params/form are locals named
        `payload`, `params`, `form` when the request has them."""

    def json_code(self, response: str) -> str: ...


class OrmAdapter(Protocol):
    orm: str
    database_doc: str  # the conftest docstring's paragraphs on schema, isolation and parallel runs

    def database_sections(self, suite: Suite, models: tuple[OrmModel, ...]) -> tuple[Section, ...]:
        """Engine, schema creation, isolation between tests and the tests' own session; a section with
        `setup` runs at import time (per-worker databases under xdist)."""

    def factory_section(self, suite: Suite, model: OrmModel, *, fk_parents: dict[str, OrmModel],
                        companions: tuple[tuple[OrmModel, str], ...] = ()) -> Section:
        """A `make_<model>` fixture; `companions`: (model, foreign key) rows made with each row."""

    def count_section(self, model: OrmModel) -> Section: ...

    def fetch_lines(self, model: OrmModel, pk: str, var: str = "row") -> list[str]:
        """Lines that load the committed row with primary key `pk` into `var` (None when gone)."""

    def model_import(self, model: OrmModel) -> str: ...

    def prepare_project(self, project: Project) -> Project:
        """The project as the generated code sees it (Django: FKs by `<name>_id`, the auth user model,
        a ModelSerializer field's choices from its model)."""


def keyword_client_call(request: Request, *, url: str, headers: str | None, query_keyword: str,
                        delete_body_via_request: bool = False) -> str:
    """`client.post(url, json=payload, headers=...)` for test clients that take keyword arguments
    (Starlette's TestClient and Flask's test client differ in the query-string keyword, and
    Starlette's `delete()` takes no body, so a DELETE with one goes through `client.request`)."""
    args = [url]
    has_json = request.json is not None or bool(request.json_var)
    if has_json:
        sent = request.json_var or "payload"
        args.append(f'json={{"{request.envelope}": {sent}}}' if request.envelope else f"json={sent}")
    if request.form is not None or request.form_var:
        args.append(f"data={request.form_var or 'form'}")
    if request.query_var:
        args.append(f"{query_keyword}={request.query_var}")
    if headers:
        args.append(f"headers={headers}")
    method = request.method.lower()
    if method == "delete" and has_json and delete_body_via_request:
        return f'client.request("DELETE", {", ".join(args)})'
    return f"client.{method}({', '.join(args)})"


def web_adapter(framework: str) -> WebAdapter | None:
    if framework == "fastapi":
        from .fastapi import FastApiAdapter

        return FastApiAdapter()
    if framework == "django":
        from .django import DjangoAdapter

        return DjangoAdapter()
    if framework == "flask":
        from .flask import FlaskAdapter

        return FlaskAdapter()
    return None


def orm_adapter(orm: str) -> OrmAdapter | None:
    if orm in ("sqlalchemy", "sqlmodel"):
        from .sqlalchemy import SqlAlchemyAdapter

        return SqlAlchemyAdapter()
    if orm == "django":
        from .django import DjangoOrmAdapter

        return DjangoOrmAdapter()
    if orm == "sqlite3":
        from .sqlite3_db import Sqlite3Adapter

        return Sqlite3Adapter()
    if orm == "none":  # no database at all: HTTP answers only
        from .nodb import NoDbAdapter

        return NoDbAdapter()
    return None
