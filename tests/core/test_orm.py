"""ORM models and data effects (core/analyze/orm.py), on small projects written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from seamline.core.analyze import orm
from seamline.core.analyze.context import AppContext
from seamline.core.analyze.discover import discover
from seamline.core.analyze.index import Index
from seamline.core.analyze.resolve import Resolver
from seamline.core.config import AppConfig
from seamline.core.model import SchemaField
from workspace import write_packages


def make_ctx(root: Path, files: dict[str, str]) -> AppContext:
    """Write a project (packages get their __init__.py) and build the AppContext scan would."""
    write_packages(root, files)
    found = discover(root)
    results = Index().load(found.files)
    facts = [r.facts for r in results.values() if r.facts is not None]
    return AppContext(root=root, app=".", resolver=Resolver(facts), config=AppConfig())


def models_of(ctx: AppContext) -> dict:
    return {m.name: m for m in orm.collect_models(ctx)}


def fields_of(ctx: AppContext, name: str) -> dict[str, SchemaField]:
    return {f.name: f for f in models_of(ctx)[name].fields}


def effects(ctx: AppContext, module: str, fn: str) -> list[tuple[str, str]]:
    m = ctx.resolver.module(module)
    return [(e.model, e.action) for e in orm.effects_of(ctx, m, m.function(fn))]


def effect_list(ctx: AppContext, module: str, fn: str):
    m = ctx.resolver.module(module)
    return orm.effects_of(ctx, m, m.function(fn))


# ---- models: SQLAlchemy ----------------------------------------------------------------------

SA_CLASSIC = """
    import enum
    from sqlalchemy import Column, Integer, String, Text, ForeignKey, Enum, DateTime, Numeric, Boolean, func
    from sqlalchemy.orm import declarative_base, relationship

    Base = declarative_base()

    class Status(enum.Enum):
        active = "active"
        banned = "banned"

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        email = Column(String(120), nullable=False, unique=True)
        bio = Column(Text)
        status = Column(Enum(Status), nullable=False, default=Status.active)
        created = Column(DateTime, nullable=False, server_default=func.now())
        items = relationship("Item", back_populates="owner")

    class Item(Base):
        __tablename__ = "items"
        id = Column("item_id", Integer, primary_key=True, autoincrement=True)
        price = Column(Numeric(10, 2), nullable=False)
        sold = Column(Boolean, nullable=False)
        owner_id = Column(Integer, ForeignKey("users.id"), nullable=False)
        kind = Column(Enum("book", "film", name="kind"), nullable=False)

    class NotAModel:
        name = Column(String(5))
"""


def test_sqlalchemy_declarative_base_columns(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_CLASSIC})
    models = models_of(ctx)
    assert sorted(models) == ["app.models.Item", "app.models.User"]
    user = models["app.models.User"]
    assert (user.orm, user.table, user.file, user.line) == ("sqlalchemy", "users", "app/models.py", 12)
    assert [f.name for f in user.fields] == ["id", "email", "bio", "status", "created"]  # no relationship
    f = fields_of(ctx, "app.models.User")
    assert f["id"] == SchemaField(name="id", type="int", required=False, read_only=True,
                                  constraints=(("primary_key", "true"),))
    assert f["email"] == SchemaField(name="email", type="str", required=True,
                                     constraints=(("max_length", "120"), ("unique", "true")))
    assert (f["bio"].type, f["bio"].required) == ("str", False)  # Column() is nullable by default
    assert (f["status"].type, f["status"].enum, f["status"].required, f["status"].default) == \
        ("str", ("active", "banned"), False, "Status.active")
    assert (f["created"].type, f["created"].required) == ("datetime", False)
    item = fields_of(ctx, "app.models.Item")
    assert (item["id"].type, item["id"].required) == ("int", False)  # explicit column name skipped
    assert (item["price"].type, item["price"].required) == ("Decimal", True)
    assert item["owner_id"] == SchemaField(name="owner_id", type="fk:app.models.User", required=True,
                                           constraints=(("foreign_key", "users.id"),))
    assert item["kind"].enum == ("book", "film")


SA_MAPPED = """
    from typing import Annotated, List, Optional
    from datetime import datetime
    from sqlalchemy import ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    intpk = Annotated[int, mapped_column(primary_key=True)]

    class Base(DeclarativeBase):
        pass

    class Timestamped:
        created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)

    class Abstract(Base):
        __abstract__ = True
        id: Mapped[intpk]

    class Account(Timestamped, Abstract):
        __tablename__ = "user_account"
        name: Mapped[str] = mapped_column(String(30))
        fullname: Mapped[Optional[str]]
        nickname: Mapped[str | None] = mapped_column(String(20))
        addresses: Mapped[List["Address"]] = relationship(back_populates="user")

    class Address(Abstract):
        __tablename__ = "address"
        email: Mapped[str]
        user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
"""


def test_sqlalchemy_mapped_columns_mixins_and_abstract_bases(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MAPPED})
    models = models_of(ctx)
    assert sorted(models) == ["app.models.Account", "app.models.Address"]  # Base, Abstract are not tables
    acc = fields_of(ctx, "app.models.Account")
    assert list(acc) == ["id", "created_at", "name", "fullname", "nickname"]
    assert (acc["id"].type, acc["id"].required, acc["id"].constraints) == ("int", False, (("primary_key", "true"),))
    assert (acc["created_at"].type, acc["created_at"].required) == ("datetime", False)
    assert acc["name"] == SchemaField(name="name", type="str", required=True, constraints=(("max_length", "30"),))
    assert (acc["fullname"].type, acc["fullname"].required) == ("str", False)
    assert (acc["nickname"].type, acc["nickname"].required) == ("str", False)
    addr = fields_of(ctx, "app.models.Address")
    assert (addr["email"].type, addr["email"].required) == ("str", True)
    assert addr["user_id"].type == "fk:app.models.Account"


def test_registry_generate_base_and_flask_sqlalchemy(tmp_path):
    ctx = make_ctx(tmp_path, {
        "app/extensions.py": """
            from flask_sqlalchemy import SQLAlchemy
            db = SQLAlchemy()
        """,
        "app/models.py": """
            from sqlalchemy.orm import registry
            from sqlalchemy import Column, Integer
            from .extensions import db

            Legacy = registry().generate_base()

            class Ledger(Legacy):
                __tablename__ = "ledger"
                id = Column(Integer, primary_key=True)

            class BlogPost(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                title = db.Column(db.String(80), nullable=False)
        """,
    })
    models = models_of(ctx)
    assert {n: (m.orm, m.table) for n, m in models.items()} == {
        "app.models.Ledger": ("sqlalchemy", "ledger"),
        "app.models.BlogPost": ("sqlalchemy", "blog_post"),  # Flask-SQLAlchemy names tables itself
    }
    assert fields_of(ctx, "app.models.BlogPost")["title"].constraints == (("max_length", "80"),)


def test_unknown_table_name_is_a_finding(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": """
        from sqlalchemy import Column, Integer
        from sqlalchemy.orm import DeclarativeBase, declared_attr

        class Base(DeclarativeBase):
            @declared_attr.directive
            def __tablename__(cls):
                return make_name(cls)

        class Thing(Base):
            id = Column(Integer, primary_key=True)
    """})
    assert models_of(ctx)["app.models.Thing"].table is None
    assert [(f.code, f.file, f.line) for f in ctx.findings] == [("orm-table-unknown", "app/models.py", 10)]
    orm.collect_models(ctx)  # a second call (scan after the linkers) adds nothing
    assert len(ctx.findings) == 1


# ---- models: SQLModel ------------------------------------------------------------------------

SQLMODEL = """
    from typing import Optional
    from sqlmodel import Field, Relationship, SQLModel

    class Team(SQLModel, table=True):
        id: Optional[int] = Field(default=None, primary_key=True)
        name: str = Field(index=True, max_length=50, unique=True)

    class HeroBase(SQLModel):
        name: str = Field(index=True)
        age: int | None = Field(default=None, index=True)

    class Hero(HeroBase, table=True):
        id: int | None = Field(default=None, primary_key=True)
        secret_name: str
        team_id: Optional[int] = Field(default=None, foreign_key="team.id")
        team: Optional[Team] = Relationship(back_populates="heroes")

    class HeroCreate(HeroBase):
        pass
"""


def test_sqlmodel_tables_only(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SQLMODEL})
    models = models_of(ctx)
    assert {n: (m.orm, m.table) for n, m in models.items()} == {
        "app.models.Team": ("sqlmodel", "team"), "app.models.Hero": ("sqlmodel", "hero")}
    hero = fields_of(ctx, "app.models.Hero")
    assert list(hero) == ["name", "age", "id", "secret_name", "team_id"]
    assert (hero["name"].required, hero["age"].required, hero["secret_name"].required) == (True, False, True)
    assert (hero["id"].required, hero["id"].constraints) == (False, (("primary_key", "true"),))
    assert (hero["team_id"].type, hero["team_id"].constraints) == ("fk:app.models.Team",
                                                                   (("foreign_key", "team.id"),))
    team = fields_of(ctx, "app.models.Team")
    assert team["name"].constraints == (("max_length", "50"), ("unique", "true"))


# ---- models: Django --------------------------------------------------------------------------

DJANGO_MODELS = """
    from django.conf import settings
    from django.db import models

    STATUS = [("d", "Draft"), ("p", "Published")]

    class Color(models.TextChoices):
        RED = "red", "Red"
        BLUE = "blue", "Blue"

    class Stamped(models.Model):
        created = models.DateTimeField(auto_now_add=True)

        class Meta:
            abstract = True

    class Tag(models.Model):
        name = models.SlugField(max_length=40, unique=True)

        class Meta:
            db_table = "tags"

    class Post(Stamped):
        title = models.CharField(max_length=100)
        body = models.TextField(blank=True)
        status = models.CharField(max_length=1, choices=STATUS, default="d")
        color = models.CharField(max_length=5, choices=Color.choices)
        author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        editor = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL)
        parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE)
        tags = models.ManyToManyField(Tag)
        objects = models.Manager()
"""


def test_django_models_abstract_bases_and_relations(tmp_path):
    ctx = make_ctx(tmp_path, {"blog/models.py": DJANGO_MODELS})
    models = models_of(ctx)
    assert {n: (m.orm, m.table) for n, m in models.items()} == {
        "blog.models.Tag": ("django", "tags"), "blog.models.Post": ("django", "blog_post")}
    post = fields_of(ctx, "blog.models.Post")
    assert list(post) == ["id", "created", "title", "body", "status", "color", "author", "editor", "parent", "tags"]
    assert (post["id"].required, post["id"].constraints) == (False, (("primary_key", "true"),))
    assert (post["created"].type, post["created"].required, post["created"].read_only) == ("datetime", False, True)
    assert post["title"] == SchemaField(name="title", type="str", required=True, constraints=(("max_length", "100"),))
    assert post["body"].required is False
    assert (post["status"].enum, post["status"].default, post["status"].required) == (("d", "p"), "'d'", False)
    assert post["color"].enum == ("red", "blue")
    assert (post["author"].type, post["author"].required) == ("fk:django.contrib.auth.models.User", True)
    assert (post["editor"].type, post["editor"].required) == ("fk:django.contrib.auth.models.User", False)
    assert post["parent"].type == "fk:blog.models.Post"
    assert (post["tags"].type, post["tags"].many, post["tags"].required) == ("fk:blog.models.Tag", True, False)


def test_django_custom_user_model_from_settings(tmp_path):
    ctx = make_ctx(tmp_path, {
        "mysite/settings.py": 'AUTH_USER_MODEL = "accounts.Member"\n',
        "accounts/models.py": """
            from django.contrib.auth.models import AbstractUser
            from django.db import models

            class Member(AbstractUser):
                pass
        """,
        "shop/models.py": """
            from django.conf import settings
            from django.db import models

            class Order(models.Model):
                buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
                note = models.CharField(max_length=10, blank=True)
        """,
    })
    assert models_of(ctx)["accounts.models.Member"].table == "accounts_member"
    assert fields_of(ctx, "shop.models.Order")["buyer"].type == "fk:accounts.models.Member"


# ---- effects: SQLAlchemy / SQLModel ----------------------------------------------------------

SA_MODELS = """
    from sqlalchemy import Column, Integer, String, ForeignKey
    from sqlalchemy.orm import declarative_base

    Base = declarative_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)

    class Item(Base):
        __tablename__ = "items"
        id = Column(Integer, primary_key=True)
        title = Column(String(20))
        owner_id = Column(Integer, ForeignKey("users.id"))
"""


def test_sqlalchemy_session_effects(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MODELS, "app/views.py": """
        from sqlalchemy import select, update, delete, insert
        from .models import Item, User
        from . import models

        def create_inline(db, data):
            db.add(Item(**data))
            db.commit()

        def create_var(db, data):
            item = models.Item(title=data.title)
            db.add(item)
            db.commit()
            db.refresh(item)
            return item

        def create_many(session):
            session.add_all([Item(title="a"), User()])

        def read_query(db, item_id):
            return db.query(Item).filter(Item.id == item_id).first()

        def read_select(session):
            return session.scalars(select(Item.id, Item.title).where(Item.title != "")).all()

        def read_get(db):
            return db.session.get(User, 1)

        def update_loaded(db, item_id, title):
            item = db.query(Item).get(item_id)
            item.title = title
            db.add(item)
            db.commit()

        def update_attr_commit(db, item_id):
            item = db.get(Item, item_id)
            item.title = "x"
            db.commit()

        def attr_without_commit(db, item_id):
            item = db.get(Item, item_id)
            item.title = "x"

        def update_statement(session):
            session.execute(update(Item).where(Item.id == 1).values(title="t"))

        def delete_loaded(db, item_id):
            item = db.query(Item).filter_by(id=item_id).one()
            db.delete(item)
            db.commit()

        def delete_statement(session):
            session.execute(delete(User).where(User.id == 1))

        def delete_query(db):
            db.query(Item).filter(Item.title == None).delete()

        def insert_statement(session):
            session.execute(insert(User).values(id=1))

        async def async_delete(session, item_id):
            item = await session.get(Item, item_id)
            await session.delete(item)
            await session.commit()

        def not_orm(db, seen, payload):
            seen.add(payload)
            payload.get(Item, 2)
            return Item.title.desc()
    """})
    cases = {
        "create_inline": [("app.models.Item", "create")],
        "create_var": [("app.models.Item", "create")],
        "create_many": [("app.models.Item", "create"), ("app.models.User", "create")],
        "read_query": [("app.models.Item", "read")],
        "read_select": [("app.models.Item", "read")],
        "read_get": [("app.models.User", "read")],
        "update_loaded": [("app.models.Item", "read"), ("app.models.Item", "update")],
        "update_attr_commit": [("app.models.Item", "read"), ("app.models.Item", "update")],
        "attr_without_commit": [("app.models.Item", "read")],
        "update_statement": [("app.models.Item", "update")],
        "delete_loaded": [("app.models.Item", "read"), ("app.models.Item", "delete")],
        "delete_statement": [("app.models.User", "delete")],
        "delete_query": [("app.models.Item", "delete")],
        "insert_statement": [("app.models.User", "create")],
        "async_delete": [("app.models.Item", "read"), ("app.models.Item", "delete")],
    }
    for fn, expected in cases.items():
        assert sorted(effects(ctx, "app.views", fn)) == sorted(expected), fn
    # `payload.get(Item, 2)` reads like session.get; a plain set.add of an untyped value is not a write
    assert effects(ctx, "app.views", "not_orm") == [("app.models.Item", "read")]
    assert ctx.findings == []


def test_effect_location_and_dedupe(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MODELS, "app/views.py": """
        from .models import Item

        def twice(db):
            first = db.query(Item).first()
            second = db.query(Item).all()
            return first, second
    """})
    (eff,) = effect_list(ctx, "app.views", "twice")
    assert (eff.model, eff.action, eff.via, eff.file, eff.line) == \
        ("app.models.Item", "read", "app.views.twice", "app/views.py", 5)


def test_flask_sqlalchemy_query_property_and_model_methods(tmp_path):
    ctx = make_ctx(tmp_path, {
        "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "app/models.py": """
            from .extensions import db

            class CRUDMixin:
                @classmethod
                def create(cls, **kwargs):
                    instance = cls(**kwargs)
                    return instance.save()

                def save(self, commit=True):
                    db.session.add(self)
                    if commit:
                        db.session.commit()
                    return self

            class Article(CRUDMixin, db.Model):
                id = db.Column(db.Integer, primary_key=True)
                slug = db.Column(db.String(40), unique=True)
        """,
        "app/views.py": """
            from .extensions import db
            from .models import Article

            def show(slug):
                return Article.query.filter_by(slug=slug).first_or_404()

            def get_one(article_id):
                return db.get_or_404(Article, article_id)

            def make(data):
                return Article(**data).save()

            def make_classmethod(data):
                return Article.create(**data)

            def remove(slug):
                article = Article.query.filter_by(slug=slug).first()
                article.delete()

            def bulk_update():
                Article.query.filter_by(slug="x").update({"slug": "y"})

            def upsert(slug):
                article = Article.query.filter_by(slug=slug).first()
                if not article:
                    article = Article(slug=slug)
                article.save()

            def related(slug):
                article = Article.query.filter_by(slug=slug).first()
                comment = article.comments.filter_by(id=1).first()
                comment.delete()
        """,
    })
    assert effects(ctx, "app.views", "show") == [("app.models.Article", "read")]
    assert effects(ctx, "app.views", "get_one") == [("app.models.Article", "read")]
    assert effects(ctx, "app.views", "make") == [("app.models.Article", "create")]
    assert effects(ctx, "app.views", "make_classmethod") == [("app.models.Article", "create")]
    assert sorted(effects(ctx, "app.views", "remove")) == [("app.models.Article", "delete"),
                                                           ("app.models.Article", "read")]
    assert effects(ctx, "app.views", "bulk_update") == [("app.models.Article", "update")]
    assert effects(ctx, "app.views", "upsert") == [("app.models.Article", "read"), ("app.models.Article", "create"),
                                                  ("app.models.Article", "update")]
    # a related collection is another model: its delete is not the article's
    assert effects(ctx, "app.views", "related") == [("app.models.Article", "read")]
    assert ctx.findings == []


def test_sqlmodel_fastapi_handlers(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SQLMODEL, "app/main.py": """
        from fastapi import Depends, FastAPI, HTTPException
        from sqlmodel import Session, select
        from .models import Hero, HeroCreate

        app = FastAPI()

        @app.post("/heroes/")
        def create_hero(hero: HeroCreate, session: Session = Depends(get_session)):
            db_hero = Hero.model_validate(hero)
            session.add(db_hero)
            session.commit()
            return db_hero

        @app.post("/raw/")
        def create_raw(hero: Hero, session: Session = Depends(get_session)):
            session.add(hero)
            session.commit()
            return hero

        @app.get("/heroes/")
        def read_heroes(session: Session = Depends(get_session)):
            return session.exec(select(Hero).offset(0).limit(10)).all()

        @app.patch("/heroes/{hero_id}")
        def update_hero(hero_id: int, hero: HeroCreate, session: Session = Depends(get_session)):
            hero_db = session.get(Hero, hero_id)
            if not hero_db:
                raise HTTPException(status_code=404)
            hero_db.sqlmodel_update(hero.model_dump(exclude_unset=True))
            session.add(hero_db)
            session.commit()
            return hero_db
    """})
    assert effects(ctx, "app.main", "create_hero") == [("app.models.Hero", "create")]
    assert effects(ctx, "app.main", "create_raw") == [("app.models.Hero", "create")]
    assert effects(ctx, "app.main", "read_heroes") == [("app.models.Hero", "read")]
    assert sorted(effects(ctx, "app.main", "update_hero")) == [("app.models.Hero", "read"),
                                                               ("app.models.Hero", "update")]


def test_crud_helper_two_modules_away(tmp_path):
    ctx = make_ctx(tmp_path, {
        "app/models.py": SA_MODELS,
        "app/crud/items.py": """
            from app.models import Item

            def get(db, item_id):
                return db.query(Item).filter(Item.id == item_id).first()

            def create(db, data):
                db_item = Item(**data)
                db.add(db_item)
                db.commit()
                return db_item

            def persist(db, obj):
                db.add(obj)
                db.commit()
        """,
        "app/services/items.py": """
            from app.crud import items as crud_items

            def add_item(db, data):
                return crud_items.create(db, data)

            def retitle(db, item_id, title):
                item = crud_items.get(db, item_id)
                item.title = title
                crud_items.persist(db, item)
        """,
        "app/api/routes.py": """
            from app.services.items import add_item, retitle

            def post_item(db, payload):
                return add_item(db, payload.dict())

            def put_item(db, item_id, payload):
                retitle(db, item_id, payload.title)
        """,
    })
    (eff,) = effect_list(ctx, "app.api.routes", "post_item")
    assert (eff.model, eff.action, eff.via, eff.file, eff.line) == \
        ("app.models.Item", "create", "app.crud.items.create", "app/crud/items.py", 9)
    # the instance crud_items.get returns is bound to save()'s parameter: an update, not a create
    assert [(e.model, e.action, e.via) for e in effect_list(ctx, "app.api.routes", "put_item")] == [
        ("app.models.Item", "read", "app.crud.items.get"),
        ("app.models.Item", "update", "app.crud.items.persist"),
    ]


def test_generic_crud_base_binds_self_model(tmp_path):
    ctx = make_ctx(tmp_path, {
        "app/models.py": SA_MODELS,
        "app/crud/base.py": """
            from typing import Generic, TypeVar
            ModelType = TypeVar("ModelType")

            class CRUDBase(Generic[ModelType]):
                def __init__(self, model):
                    self.model = model

                def get(self, db, id):
                    return db.query(self.model).filter(self.model.id == id).first()

                def create(self, db, *, obj_in):
                    db_obj = self.model(**obj_in.dict())
                    db.add(db_obj)
                    db.commit()
                    return db_obj

                def remove(self, db, *, id):
                    obj = self.get(db, id)
                    db.delete(obj)
                    db.commit()
                    return obj
        """,
        "app/crud/crud_item.py": """
            from app.crud.base import CRUDBase
            from app.models import Item

            class CRUDItem(CRUDBase[Item]):
                pass

            item = CRUDItem(Item)
        """,
        "app/crud/__init__.py": "from .crud_item import item\n",
        "app/api/items.py": """
            from app import crud

            def create_item(db, item_in):
                return crud.item.create(db=db, obj_in=item_in)

            def delete_item(db, id):
                return crud.item.remove(db=db, id=id)
        """,
    })
    assert effects(ctx, "app.api.items", "create_item") == [("app.models.Item", "create")]
    assert sorted(effects(ctx, "app.api.items", "delete_item")) == [("app.models.Item", "delete"),
                                                                   ("app.models.Item", "read")]


def test_recursion_and_depth_are_bounded(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MODELS, "app/views.py": """
        from .models import Item, User

        def ping(db, n):
            db.query(Item).all()
            return pong(db, n)

        def pong(db, n):
            return ping(db, n - 1)

        def l1(db): return l2(db)
        def l2(db): return l3(db)
        def l3(db): return l4(db)
        def l4(db): return l5(db)
        def l5(db): return l6(db)
        def l6(db): return l7(db)
        def l7(db): return db.query(User).all()
    """})
    assert effects(ctx, "app.views", "pong") == [("app.models.Item", "read")]
    assert effects(ctx, "app.views", "l2") == [("app.models.User", "read")]  # 5 calls down
    assert effects(ctx, "app.views", "l1") == []  # 6 calls down: beyond the limit


def test_untyped_session_write_is_a_finding_once(tmp_path):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MODELS, "app/views.py": """
        def save_all(session, rows):
            for row in rows:
                session.add(row)
            session.commit()
    """})
    assert effects(ctx, "app.views", "save_all") == []
    effects(ctx, "app.views", "save_all")  # a second route on the same handler
    assert [(f.code, f.file, f.line) for f in ctx.findings] == [("orm-effect-unresolved", "app/views.py", 4)]


# ---- effects: Django / DRF -------------------------------------------------------------------

DJANGO_SHOP = """
    from django.db import models

    class Product(models.Model):
        name = models.CharField(max_length=50)
        stock = models.IntegerField(default=0)
"""


def test_django_orm_effects(tmp_path):
    ctx = make_ctx(tmp_path, {"shop/models.py": DJANGO_SHOP, "shop/views.py": """
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import User
        from django.shortcuts import get_object_or_404
        from .models import Product

        def create(request):
            Product.objects.create(name="x")
            Product.objects.get_or_create(name="y")

        def bulk(request):
            Product.objects.bulk_create([Product(name="a")])

        def listing(request):
            return Product.objects.filter(stock__gt=0).exclude(name="").order_by("name")

        def detail(request, pk):
            return get_object_or_404(Product, pk=pk)

        def restock(request):
            Product.objects.filter(stock=0).update(stock=10)

        def edit(request, pk):
            product = Product.objects.get(pk=pk)
            product.name = request.POST["name"]
            product.save()

        def add(request):
            product = Product(name="n")
            product.save()

        def remove(request, pk):
            product = get_object_or_404(Product, pk=pk)
            product.delete()

        def purge(request):
            qs = Product.objects.filter(stock=0)
            qs.delete()

        def signup(request):
            get_user_model().objects.create_user(username="u", password="p")
            return User.objects.count()
    """})
    p = "shop.models.Product"
    assert effects(ctx, "shop.views", "create") == [(p, "create")]
    assert effects(ctx, "shop.views", "bulk") == [(p, "create")]
    assert effects(ctx, "shop.views", "listing") == [(p, "read")]
    assert effects(ctx, "shop.views", "detail") == [(p, "read")]
    assert effects(ctx, "shop.views", "restock") == [(p, "update")]
    assert sorted(effects(ctx, "shop.views", "edit")) == [(p, "read"), (p, "update")]
    assert effects(ctx, "shop.views", "add") == [(p, "create")]
    assert sorted(effects(ctx, "shop.views", "remove")) == [(p, "delete"), (p, "read")]
    assert sorted(effects(ctx, "shop.views", "purge")) == [(p, "delete"), (p, "read")]
    assert effects(ctx, "shop.views", "signup") == [("django.contrib.auth.models.User", "create"),
                                                    ("django.contrib.auth.models.User", "read")]


def test_drf_serializer_save_and_viewset_hooks(tmp_path):
    ctx = make_ctx(tmp_path, {
        "snippets/models.py": """
            from django.db import models

            class Snippet(models.Model):
                code = models.TextField()
        """,
        "snippets/serializers.py": """
            from rest_framework import serializers
            from .models import Snippet

            class SnippetSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Snippet
                    fields = ["id", "code"]
        """,
        "snippets/forms.py": """
            from django import forms
            from .models import Snippet

            class SnippetForm(forms.ModelForm):
                class Meta:
                    model = Snippet
                    fields = ["code"]
        """,
        "snippets/views.py": """
            from rest_framework import generics, viewsets
            from .forms import SnippetForm
            from rest_framework.decorators import api_view
            from .models import Snippet
            from .serializers import SnippetSerializer

            @api_view(["POST"])
            def snippet_list(request):
                serializer = SnippetSerializer(data=request.data)
                if serializer.is_valid():
                    serializer.save()

            @api_view(["PUT"])
            def snippet_detail(request, pk):
                snippet = Snippet.objects.get(pk=pk)
                serializer = SnippetSerializer(snippet, data=request.data)
                if serializer.is_valid():
                    serializer.save()

            def form_view(request, pk):
                form = SnippetForm(request.POST)
                if form.is_valid():
                    form.save()
                edit = SnippetForm(request.POST, instance=Snippet.objects.get(pk=pk))
                edit.save()

            class SnippetViewSet(viewsets.ModelViewSet):
                queryset = Snippet.objects.all()
                serializer_class = SnippetSerializer

                def perform_create(self, serializer):
                    serializer.save(owner=self.request.user)

                def destroy(self, request, *args, **kwargs):
                    instance = self.get_object()
                    instance.delete()

                def partial(self, request, pk=None):
                    serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
                    serializer.save()
        """,
    })
    s = "snippets.models.Snippet"
    assert effects(ctx, "snippets.views", "snippet_list") == [(s, "create")]
    assert sorted(effects(ctx, "snippets.views", "snippet_detail")) == [(s, "read"), (s, "update")]
    assert effects(ctx, "snippets.views", "SnippetViewSet.perform_create") == [(s, "create")]
    assert sorted(effects(ctx, "snippets.views", "form_view")) == [(s, "create"), (s, "read"), (s, "update")]
    assert sorted(effects(ctx, "snippets.views", "SnippetViewSet.destroy")) == [(s, "delete"), (s, "read")]
    assert sorted(effects(ctx, "snippets.views", "SnippetViewSet.partial")) == [(s, "read"), (s, "update")]


@pytest.mark.parametrize("source", [
    pytest.param("def f(db):\n    return {}.get('x')\n", id="dict-get"),
    pytest.param("from pydantic import BaseModel\nclass In(BaseModel):\n    x: int\n"
                 "def f(db, data):\n    obj = In(**data)\n    db.add(obj)\n", id="pydantic-object"),
])
def test_no_effects_without_models(tmp_path, source):
    ctx = make_ctx(tmp_path, {"app/models.py": SA_MODELS, "app/views.py": source})
    assert effects(ctx, "app.views", "f") == []


def test_drf_inherited_viewset_actions(tmp_path):
    ctx = make_ctx(tmp_path, {
        "snippets/models.py": """
            from django.db import models

            class Snippet(models.Model):
                code = models.TextField()
        """,
        "snippets/views.py": """
            from rest_framework import viewsets
            from .models import Snippet

            class SnippetViewSet(viewsets.ModelViewSet):
                queryset = Snippet.objects.all()

                def perform_create(self, serializer):
                    serializer.save(owner=self.request.user)

            class AuditViewSet(viewsets.ModelViewSet):
                model = Snippet

                def perform_destroy(self, instance):
                    Snippet.objects.filter(pk=instance.pk).update(code="")
        """,
    })
    m = ctx.resolver.module("snippets.views")
    s = "snippets.models.Snippet"

    def acts(cls, action):
        return [(e.model, e.action, e.via, e.line) for e in orm.view_action_effects(ctx, m, m.cls(cls), action)]

    assert acts("SnippetViewSet", "list") == [(s, "read", "snippets.views.SnippetViewSet.list", 5)]
    assert acts("SnippetViewSet", "destroy") == [(s, "read", "snippets.views.SnippetViewSet.destroy", 5),
                                                 (s, "delete", "snippets.views.SnippetViewSet.destroy", 5)]
    # perform_create has no serializer class to go on here: the mixin's create still counts
    assert acts("SnippetViewSet", "create") == [(s, "create", "snippets.views.SnippetViewSet.create", 5)]
    assert acts("AuditViewSet", "destroy") == [(s, "update", "snippets.views.AuditViewSet.perform_destroy", 15),
                                               (s, "read", "snippets.views.AuditViewSet.destroy", 11),
                                               (s, "delete", "snippets.views.AuditViewSet.destroy", 11)]


def test_a_column_made_by_the_apps_own_helper_is_read_through_it(tmp_path):
    """cookiecutter-flask's `reference_col(tablename)` returns `Column(ForeignKey("{0}.{1}".format(
    tablename, pk_name)), nullable=nullable)`: the column is read from what the helper returns with the
    call's arguments in place, so `author_id` is a required foreign key to the profiles table."""
    ctx = make_ctx(tmp_path, {
        "app/database.py": """
            from flask_sqlalchemy import SQLAlchemy
            db = SQLAlchemy()
            Column = db.Column

            def reference_col(tablename, nullable=False, pk_name="id", **kwargs):
                return db.Column(db.ForeignKey("{0}.{1}".format(tablename, pk_name)), nullable=nullable, **kwargs)
        """,
        "app/models.py": """
            from app.database import Column, db, reference_col

            class Profile(db.Model):
                __tablename__ = "profiles"
                id = Column(db.Integer, primary_key=True)

            class Article(db.Model):
                id = Column(db.Integer, primary_key=True)
                author_id = reference_col("profiles")
                editor_id = reference_col("profiles", nullable=True)
                author = db.relationship("Profile")
        """,
    })
    fields = fields_of(ctx, "app.models.Article")
    assert fields["author_id"].type == "fk:app.models.Profile" and fields["author_id"].required
    assert ("foreign_key", "profiles.id") in fields["author_id"].constraints
    assert fields["editor_id"].type == "fk:app.models.Profile" and not fields["editor_id"].required
