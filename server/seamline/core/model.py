"""The project model: plain, frozen, JSON-serialisable values.

Analysis produces a `Project`; generators, the CLI and the language server only read it.
Room is left for later seams (queues, workers, calls between services) through
`Service.kind` and `Finding.code` being open strings rather than enums.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """1-based lines; 0-based columns in code points (not UTF-8 bytes, not UTF-16)."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A place in the user's code; `file` is relative to the project root, POSIX separators."""

    file: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    location: str  # "path" | "query" | "body" | "header" | "cookie" | "form" | "file"
    type: str = "Any"  # annotation as written, e.g. "int", "Optional[str]", "ItemCreate"
    required: bool = True
    default: str | None = None  # source text of the default, if any
    constraints: tuple[tuple[str, str], ...] = ()  # ("gt", "0"), ("max_length", "50")


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaField:
    name: str
    type: str = "Any"
    required: bool = True
    default: str | None = None
    read_only: bool = False
    write_only: bool = False
    constraints: tuple[tuple[str, str], ...] = ()
    enum: tuple[str, ...] = ()  # allowed values when the type is an Enum/Literal/choices
    nested: str | None = None  # name of a nested Schema, if the field holds one (or a list of one)
    many: bool = False  # a list/sequence of `type`/`nested`


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    """A request/response shape: pydantic/SQLModel model, DRF serializer, marshmallow schema."""

    name: str  # dotted, e.g. "app.schemas.ItemCreate"
    kind: str  # "pydantic" | "sqlmodel" | "drf-serializer" | "marshmallow" | "dataclass"
    fields: tuple[SchemaField, ...] = ()
    file: str = ""
    line: int = 0
    model: str | None = None  # ORM model a ModelSerializer/SQLModel table is bound to
    envelope: str | None = None  # the body is sent wrapped in this key (a marshmallow @pre_load unwraps it)
    dump_envelope: str | None = None  # the body is answered wrapped in this key (a marshmallow @post_dump)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthRequirement:
    """What protects an endpoint."""

    kind: str  # "bearer" | "oauth2" | "jwt" | "session" | "basic" | "api-key" | "permission" | "custom"
    via: str  # dotted name of the dependency, decorator or class that enforces it
    scopes: tuple[str, ...] = ()
    detail: str = ""
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSource:
    """How this app issues credentials: a function that makes tokens or a login endpoint."""

    kind: str  # "function" | "endpoint"
    name: str  # dotted function name, or "POST /api/login"
    scheme: str = ""  # "jwt" | "session" | "drf-token" | ...
    file: str = ""
    line: int = 0
    app: str = "."


@dataclass(frozen=True, slots=True, kw_only=True)
class DataEffect:
    """An ORM model an endpoint touches, and how."""

    model: str  # dotted model name, e.g. "app.models.Item"
    action: str  # "create" | "read" | "update" | "delete"
    via: str = ""  # dotted function where the effect was seen (the handler or a helper it calls)
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """A FastAPI dependency (or similar injected callable), followed transitively."""

    name: str  # dotted name of the callable
    kind: str = "depends"  # "depends" | "security"
    scopes: tuple[str, ...] = ()
    children: tuple[str, ...] = ()  # dotted names of what it depends on in turn


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    method: str  # upper case
    path: str  # OpenAPI-style template with every prefix applied, e.g. /api/v1/items/{item_id}
    framework: str  # "fastapi" | "flask" | "django" | "drf"
    handler: str  # dotted name, e.g. "app.routers.items.create_item" or "snippets.views.SnippetViewSet.create"
    file: str
    line: int
    app: str = "."  # the app's folder relative to the workspace root
    span: Span | None = None  # the handler's def (or class) statement
    name: str = ""  # route name (Flask endpoint, Django url name, FastAPI name)
    params: tuple[Param, ...] = ()
    request_schema: str | None = None  # dotted Schema name
    response_schema: str | None = None
    status_code: int | None = None
    auth: tuple[AuthRequirement, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    effects: tuple[DataEffect, ...] = ()
    tags: tuple[str, ...] = ()
    decorator_lines: tuple[int, ...] = ()  # lines of the route decorators / urlconf entries
    # The file holding `decorator_lines` when it is not `file`: a Django urlconf entry or a DRF
    # `router.register(...)` call routing to a view written elsewhere. Last, so older pickles load.
    route_file: str | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    kind: str  # "dependency" | "import" | "setting" | "env" | "env-file" | "compose" | "url" | "code"
    detail: str
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """A backing service the app needs: postgres, mysql, sqlite, mongodb, redis, rabbitmq,
    kafka, celery, smtp, s3, http (an outside API) ..."""

    kind: str
    app: str = "."
    name: str = ""  # e.g. the outside API's host, or the settings key
    evidence: tuple[Evidence, ...] = ()
    settings: tuple[str, ...] = ()  # env vars / settings names that configure it, e.g. DATABASE_URL
    version: str | None = None  # a version hint found in the project (compose image tag, Dockerfile)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrmModel:
    name: str  # dotted
    orm: str  # "sqlalchemy" | "sqlmodel" | "django"
    table: str | None = None
    fields: tuple[SchemaField, ...] = ()
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """Something about the user's project the user should know: unresolvable code, bad
    input files, bugs found by generated tests. `code` is a stable kebab-case id."""

    code: str  # e.g. "syntax-error", "unresolved-prefix", "non-utf8"
    message: str
    severity: str = "warning"  # "error" | "warning" | "info"
    file: str = ""
    line: int = 0
    app: str = "."


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigValue:
    key: str
    value: Any
    source: str  # "inferred" | "pyproject.toml" | "seamline.toml" | "default" | "cli"


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    """One web service in the workspace."""

    root: str  # folder relative to the workspace root ("." for the root itself)
    frameworks: tuple[str, ...] = ()
    entry: str | None = None  # dotted "module:attr" of the app object/factory, or Django settings module
    config: tuple[ConfigValue, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    root: str  # absolute path of the scanned folder
    apps: tuple[App, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    services: tuple[Service, ...] = ()
    schemas: tuple[Schema, ...] = ()
    models: tuple[OrmModel, ...] = ()
    token_sources: tuple[TokenSource, ...] = ()
    findings: tuple[Finding, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The `seamline scan --format json` contract (see README, "Scan output")."""
        return _to_jsonable(self)


def _rebuild(cls: type, values: tuple) -> Any:
    return cls(**dict(zip(cls.__pickle_fields__, values)))  # type: ignore[attr-defined]


def _fast_reduce(self: Any) -> tuple:
    # The stdlib's pickling of slotted dataclasses calls dataclasses.fields() per object, which
    # dominated loading cached scan results; names are computed once per class instead.
    return (_rebuild, (type(self), tuple(getattr(self, n) for n in type(self).__pickle_fields__)))


for _cls in (Span, Location, Param, SchemaField, Schema, AuthRequirement, TokenSource, DataEffect, Dependency,
             Endpoint, Evidence, Service, OrmModel, Finding, ConfigValue, App):
    _cls.__pickle_fields__ = tuple(f.name for f in dataclasses.fields(_cls))  # type: ignore[attr-defined]
    _cls.__reduce__ = _fast_reduce  # type: ignore[method-assign]


def _to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Endpoint):
            out["key"] = value.key
        return out
    if isinstance(value, (tuple, list)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    return value
