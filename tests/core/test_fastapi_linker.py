"""Focused tests of the FastAPI linker on inline sources written to tmp_path."""

from textwrap import dedent

from seamline.core.analyze.scan import scan


def _scan(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return scan(tmp_path)


def _routes(project):
    return [(e.method, e.path, e.handler) for e in project.endpoints]


def _one(project, key):
    return next(e for e in project.endpoints if e.key == key)


# --- apps, routers, prefixes -----------------------------------------------------------------------


def test_module_alias_import_and_every_route_form(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        import fastapi as f

        app = f.FastAPI()

        @app.head("/h")
        def head_it(): ...

        @app.options("/o")
        def options_it(): ...

        @app.api_route("/both", methods=["GET", "post"])
        def both(): ...

        def listed(): ...

        app.add_api_route("/listed/{n}", listed, methods=["DELETE"])

        @app.get("/files/{file_path:path}")
        def read_file(file_path: str): ...
        """})
    assert _routes(p) == [
        ("GET", "/both", "main.both"), ("POST", "/both", "main.both"),
        ("GET", "/files/{file_path}", "main.read_file"),
        ("HEAD", "/h", "main.head_it"),
        ("DELETE", "/listed/{n}", "main.listed"),
        ("OPTIONS", "/o", "main.options_it"),
    ]
    assert p.apps[0].entry == "main:app"
    assert _one(p, "GET /files/{file_path}").params[0].location == "path"


def test_prefixes_compose_through_router_of_routers(tmp_path):
    p = _scan(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/main.py": """
            from fastapi import FastAPI
            from .api import api_router as routes_alias
            app = FastAPI()
            app.include_router(routes_alias, prefix="/api")
            """,
        "pkg/api/__init__.py": """
            from fastapi import APIRouter
            from .routes import items
            api_router = APIRouter(prefix="/v1")
            api_router.include_router(items.router, prefix="/shop")
            """,
        "pkg/api/routes/__init__.py": """
            from fastapi import APIRouter
            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            def read_item(item_id: int): ...
            """,
        "pkg/api/routes/items.py": """
            from . import router

            @router.post("/")
            def create_item(): ...
            """,
    })
    assert _routes(p) == [
        ("POST", "/api/v1/shop/items/", "pkg.api.routes.items.create_item"),
        ("GET", "/api/v1/shop/items/{item_id}", "pkg.api.routes.read_item"),
    ]


def test_unmounted_router_is_reported_with_its_own_prefix(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from fastapi import APIRouter, FastAPI
        app = FastAPI()
        orphan = APIRouter(prefix="/old")

        @orphan.get("/thing")
        def thing(): ...
        """})
    assert _routes(p) == [("GET", "/old/thing", "main.thing")]
    finding = next(f for f in p.findings if f.code == "unmounted-router")
    assert (finding.severity, finding.file, finding.line) == ("info", "main.py", 4)


def test_unresolved_router_becomes_a_finding(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from fastapi import FastAPI
        from somewhere_else import build_router
        app = FastAPI()
        app.include_router(build_router(), prefix="/x")
        """})
    assert [(f.code, f.line) for f in p.findings] == [("unresolved-router", 5)]


def test_factory_app_with_mount_and_no_module_level_app(tmp_path):
    p = _scan(tmp_path, {
        "service.py": """
            from fastapi import APIRouter, Depends, FastAPI

            def audit(): ...

            router = APIRouter()

            @router.get("/a")
            def a(): ...

            def create_app() -> FastAPI:
                application = FastAPI(dependencies=[Depends(audit)])
                application.include_router(router, prefix=PREFIX)
                application.mount("/sub", make_sub())
                return application

            def make_sub():
                sub = FastAPI()

                @sub.get("/nested-is-not-seen")
                def nested(): ...
                return sub

            PREFIX = "/root"
            subapp = FastAPI()

            @subapp.get("/ping")
            def ping(): ...
            """,
    })
    assert p.apps[0].entry == "service:create_app"
    assert _routes(p) == [("GET", "/ping", "service.ping"), ("GET", "/root/a", "service.a")]
    assert [d.name for d in _one(p, "GET /root/a").dependencies] == ["service.audit"]


def test_mounted_subapp_gets_the_mount_path_but_not_the_parent_dependencies(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from fastapi import Depends, FastAPI
        def audit(): ...
        app = FastAPI(dependencies=[Depends(audit)])
        sub = FastAPI()
        app.mount("/v2", sub)

        @sub.get("/ping")
        def ping(): ...

        @app.get("/")
        def root(): ...
        """})
    assert _routes(p) == [("GET", "/", "main.root"), ("GET", "/v2/ping", "main.ping")]
    assert _one(p, "GET /v2/ping").dependencies == ()
    assert p.apps[0].entry == "main:app"


def test_prefix_from_settings_object(tmp_path):
    p = _scan(tmp_path, {
        "config.py": """
            class Settings:
                API_V1_STR: str = "/api/v1"
            settings = Settings()
            """,
        "main.py": """
            from fastapi import FastAPI, APIRouter
            from config import settings
            router = APIRouter()

            @router.get("/x")
            def x(): ...

            app = FastAPI()
            app.include_router(router, prefix=settings.API_V1_STR)
            app.include_router(router, prefix=settings.MISSING)
            """,
    })
    assert _routes(p) == [("GET", "/api/v1/x", "main.x"), ("GET", "/x", "main.x")]
    assert [f.code for f in p.findings] == ["unresolved-prefix"]


# --- params ---------------------------------------------------------------------------------------------


def test_param_locations_defaults_and_constraints(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from typing import Annotated, Optional
        from fastapi import (BackgroundTasks, Body, Cookie, Depends, FastAPI, File, Form, Header, Path, Query,
                             Request, Response, UploadFile)
        from pydantic import BaseModel
        from sqlalchemy.orm import Session

        app = FastAPI()

        class Item(BaseModel):
            name: str

        def get_db(): ...

        @app.post("/items/{item_id}", status_code=201)
        async def create(
            request: Request,
            response: Response,
            tasks: BackgroundTasks,
            item_id: Annotated[int, Path(gt=0)],
            item: Item,
            q: Optional[str] = Query(None, min_length=3, max_length=50, pattern="^[a-z]+$"),
            page: Annotated[int, Query(ge=1)] = 1,
            old: str = Query(..., regex="^x"),
            size: int = 10,
            importance: int = Body(gt=0),
            user_agent: Annotated[str | None, Header()] = None,
            session_id: str = Cookie(),
            note: str = Form(default="n"),
            upload: UploadFile = File(...),
            db: Session = Depends(get_db),
        ): ...
        """})
    e = _one(p, "POST /items/{item_id}")
    assert [(x.name, x.location, x.type, x.required, x.default, x.constraints) for x in e.params] == [
        ("item_id", "path", "int", True, None, (("gt", "0"),)),
        ("item", "body", "Item", True, None, ()),
        ("q", "query", "Optional[str]", False, "None",
         (("min_length", "3"), ("max_length", "50"), ("pattern", "^[a-z]+$"))),
        ("page", "query", "int", False, "1", (("ge", "1"),)),
        ("old", "query", "str", True, None, (("regex", "^x"),)),
        ("size", "query", "int", False, "10", ()),
        ("importance", "body", "int", True, None, (("gt", "0"),)),
        ("user_agent", "header", "str | None", False, "None", ()),
        ("session_id", "cookie", "str", True, None, ()),
        ("note", "form", "str", False, "'n'", ()),
        ("upload", "file", "UploadFile", True, None, ()),
    ]
    assert e.request_schema == "main.Item"
    assert e.status_code == 201
    assert [d.name for d in e.dependencies] == ["main.get_db"]


# --- schemas ---------------------------------------------------------------------------------------------


def test_pydantic_v1_v2_nested_lists_and_sqlmodel_tables(tmp_path):
    p = _scan(tmp_path, {
        "models.py": """
            from typing import List, Optional
            from pydantic import BaseModel, Field, constr
            from sqlmodel import Field as SQLField, SQLModel

            class Tag(BaseModel):
                label: str = Field(..., regex="^[a-z]+$")

                class Config:
                    orm_mode = True

            class Owner(BaseModel):
                name: str
                tags: List[Tag] = []

            class Item(BaseModel):
                owner: Optional[Owner] = None
                tags: list[Tag] = Field(default_factory=list)
                score: float = Field(0.5, ge=0, le=1)

            class Hero(SQLModel, table=True):
                id: int | None = SQLField(default=None, primary_key=True)
                name: str = SQLField(index=True)
            """,
        "main.py": """
            from fastapi import FastAPI
            from models import Hero, Item

            app = FastAPI()

            @app.post("/items", response_model=list[Item])
            def create(item: Item): ...

            @app.get("/heroes/{hero_id}")
            def hero(hero_id: int) -> Hero: ...
            """,
    })
    schemas = {s.name: s for s in p.schemas}
    assert sorted(schemas) == ["models.Hero", "models.Item", "models.Owner", "models.Tag"]
    item = {f.name: f for f in schemas["models.Item"].fields}
    assert (item["owner"].nested, item["owner"].many, item["owner"].required) == ("models.Owner", False, False)
    assert (item["tags"].nested, item["tags"].many, item["tags"].default) == ("models.Tag", True, "list()")
    assert (item["score"].default, item["score"].constraints) == ("0.5", (("ge", "0"), ("le", "1")))
    assert [f.name for f in schemas["models.Tag"].fields] == ["label"]
    assert schemas["models.Tag"].fields[0].constraints == (("regex", "^[a-z]+$"),)
    hero = schemas["models.Hero"]
    assert (hero.kind, hero.model, hero.file, hero.line) == ("sqlmodel", "models.Hero", "models.py", 21)
    assert [(f.name, f.required) for f in hero.fields] == [("id", False), ("name", True)]
    assert _one(p, "POST /items").response_schema == "models.Item"
    assert _one(p, "GET /heroes/{hero_id}").response_schema == "models.Hero"


# --- dependencies and auth -----------------------------------------------------------------------------------


def test_security_schemes_scopes_and_class_dependencies(tmp_path):
    p = _scan(tmp_path, {
        "security.py": """
            from fastapi import Depends, HTTPException, Security
            from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBearer, OAuth2PasswordBearer
            from jose import jwt

            oauth2_scheme = OAuth2PasswordBearer("token", scopes={"items": "Read items."})
            api_key = APIKeyHeader(name="X-API-Key")
            basic = HTTPBasic()

            class JWTBearer(HTTPBearer):
                pass

            class RoleChecker:
                def __init__(self, roles):
                    self.roles = roles

                def __call__(self, user=Depends(basic)):
                    return user

            def decode(token):
                return jwt.decode(token, "k")

            async def get_current_user(token: str = Depends(oauth2_scheme)):
                return decode(token)

            async def get_current_active_user(user=Security(get_current_user, scopes=["me"])):
                return user

            def require_admin(key: str = Depends(api_key)):
                if key != "admin":
                    raise HTTPException(status_code=401)
            """,
        "main.py": """
            from fastapi import Depends, FastAPI, Security
            from security import JWTBearer, RoleChecker, get_current_active_user, require_admin

            app = FastAPI()

            @app.get("/me")
            def me(user=Security(get_current_active_user, scopes=["items"])): ...

            @app.get("/admin", dependencies=[Depends(require_admin)])
            def admin(): ...

            @app.get("/bearer", dependencies=[Depends(JWTBearer())])
            def bearer(): ...

            @app.get("/roles")
            def roles(_=Depends(RoleChecker(["admin"]))): ...

            @app.get("/open")
            def open_(): ...
            """,
    })
    me = _one(p, "GET /me")
    assert [(d.name, d.kind, d.scopes) for d in me.dependencies] == [
        ("security.get_current_active_user", "security", ("items",)),
        ("security.get_current_user", "security", ("me",)),
        ("security.oauth2_scheme", "depends", ()),
    ]
    assert [(a.kind, a.via, a.scopes, a.detail) for a in me.auth] == [
        ("jwt", "security.get_current_user", ("items", "me"), ""),
        ("oauth2", "security.oauth2_scheme", ("items", "me"), "tokenUrl=token"),
    ]
    assert [(a.kind, a.via, a.detail) for a in _one(p, "GET /admin").auth] == [
        ("bearer", "security.require_admin", ""), ("api-key", "security.api_key", "name=X-API-Key")]
    assert [(a.kind, a.via) for a in _one(p, "GET /bearer").auth] == [("bearer", "security.JWTBearer")]
    roles = _one(p, "GET /roles")
    assert [d.name for d in roles.dependencies] == ["security.RoleChecker", "security.basic"]
    assert [(a.kind, a.via) for a in roles.auth] == [("basic", "security.basic")]
    assert _one(p, "GET /open").auth == ()


def test_unresolvable_dependency_is_a_finding_not_a_guess(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from fastapi import Depends, FastAPI
        app = FastAPI()

        @app.get("/x")
        def x(v=Depends(lambda: 1)): ...
        """})
    assert _one(p, "GET /x").dependencies == ()
    assert [(f.code, f.line) for f in p.findings] == [("unresolved-dependency", 6)]


def test_token_endpoint_recognised_by_login_form_and_access_token(tmp_path):
    p = _scan(tmp_path, {"main.py": """
        from typing import Annotated
        from fastapi import Depends, FastAPI
        from fastapi.security import OAuth2PasswordRequestForm

        app = FastAPI()

        @app.post("/token")
        async def login(form_data: OAuth2PasswordRequestForm = Depends()):
            return {"access_token": form_data.username, "token_type": "bearer"}

        @app.post("/other")
        async def other(body: dict):
            return {"access_token": "x"}

        @app.post("/plain")
        async def plain(): ...
        """})
    assert sorted((t.kind, t.name, t.scheme) for t in p.token_sources) == [
        ("endpoint", "POST /other", "oauth2"), ("endpoint", "POST /token", "oauth2")]
    assert [d.name for d in _one(p, "POST /token").dependencies] == ["fastapi.security.OAuth2PasswordRequestForm"]
    assert _one(p, "POST /token").params == ()
