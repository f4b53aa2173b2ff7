#!/usr/bin/env python
"""Scan benchmark: generate a large synthetic FastAPI + Flask + Django/DRF workspace and time
Seamline's analyser on it against the floor of merely parsing every file.

    .venv/bin/python benchmarks/scan.py                 # ~1,000 modules, ~150k lines, ~5,000 endpoints
    .venv/bin/python benchmarks/scan.py --modules 100   # quick smoke run
    .venv/bin/python benchmarks/scan.py --json          # machine-readable figures on stdout

See benchmarks/README.md for what each figure means. The generated project is never imported;
only the tiny runtime-comparison app is (in a subprocess), and only if FastAPI is installed.
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "server"
if str(SERVER) not in sys.path:
    sys.path.insert(0, str(SERVER))

TARGETS = {
    "cold_over_floor": 5.0,  # cold scan <= 5x the parse floor
    "warm_over_cold": 0.10,  # warm scan <= 10% of cold
    "incremental_ms": 50.0,  # one-file rescan < 50 ms (median over FastAPI, Flask and Django edits, and per kind)
    "peak_mb": 400.0,  # peak RSS of a cold scan < 400 MB
    "endpoint_recall": 1.0,  # every declared endpoint found
}

# --------------------------------------------------------------------------------------------
# Synthetic project generator
# --------------------------------------------------------------------------------------------

NOUNS = [
    "account",
    "invoice",
    "order",
    "product",
    "customer",
    "shipment",
    "payment",
    "refund",
    "coupon",
    "cart",
    "warehouse",
    "supplier",
    "ticket",
    "comment",
    "article",
    "author",
    "review",
    "rating",
    "category",
    "tag",
    "label",
    "project",
    "task",
    "milestone",
    "sprint",
    "team",
    "member",
    "invite",
    "role",
    "permission",
    "session",
    "device",
    "token",
    "webhook",
    "event",
    "subscription",
    "plan",
    "quota",
    "report",
    "dashboard",
    "widget",
    "metric",
    "alert",
    "incident",
    "runbook",
    "deployment",
    "release",
    "artifact",
    "build",
    "pipeline",
    "job",
    "schedule",
    "calendar",
    "booking",
    "room",
    "venue",
    "seat",
    "reservation",
    "document",
    "folder",
    "attachment",
    "note",
    "message",
    "thread",
    "channel",
    "notification",
    "campaign",
    "segment",
    "audience",
    "lead",
    "deal",
    "contract",
    "vendor",
    "asset",
    "license",
    "policy",
    "claim",
    "patient",
    "visit",
    "prescription",
    "course",
    "lesson",
    "quiz",
    "grade",
    "enrollment",
    "library",
    "book",
    "loan",
    "vehicle",
    "route",
    "driver",
    "trip",
    "fleet",
    "sensor",
    "reading",
    "gateway",
    "firmware",
    "region",
    "zone",
    "store",
]

ADJ = [
    "active",
    "archived",
    "pending",
    "draft",
    "public",
    "private",
    "internal",
    "legacy",
    "primary",
    "secondary",
    "recent",
    "global",
]

VERBS = [
    "archive",
    "restore",
    "publish",
    "approve",
    "reject",
    "assign",
    "close",
    "reopen",
    "export",
    "import",
    "sync",
    "verify",
    "lock",
    "unlock",
    "duplicate",
    "merge",
    "split",
    "rotate",
    "refresh",
]

UTIL_TOPICS = [
    "strings",
    "dates",
    "money",
    "pagination",
    "retry",
    "cache",
    "crypto",
    "validation",
    "formatting",
    "geo",
    "csvio",
    "jsonio",
    "http_client",
    "rate_limit",
    "feature_flags",
    "audit",
    "metrics",
    "tracing",
    "email_render",
    "slugify",
    "ids",
    "serialization",
    "config_loader",
    "text_search",
    "sorting",
    "batching",
    "diffing",
]


@dataclass
class Declared:
    """One endpoint the generator put in the project."""

    method: str
    path: str  # OpenAPI-style, every prefix applied
    framework: str  # "fastapi" | "flask" | "drf" | "django"
    construct: str  # which source construct declares it (for diagnosing misses)
    file: str  # relative to the workspace root


@dataclass
class Generated:
    root: Path
    endpoints: list[Declared] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    # a FastAPI router file the incremental step edits, and the full prefix its routes get
    edit_file: Path | None = None
    edit_prefix: str = ""
    # the same resource's SQLAlchemy model module (model class name) and crud helper module
    edit_model_file: Path | None = None
    edit_model: str = ""
    edit_crud_file: Path | None = None
    # a Flask blueprint module (and the prefix its routes get) and a Django app folder (with its
    # URL prefix) the incremental step edits too
    edit_flask_file: Path | None = None
    edit_flask_prefix: str = ""
    edit_django_dir: Path | None = None
    edit_django_prefix: str = ""
    seconds: float = 0.0


class Writer:
    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self.lines = 0

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not text.endswith("\n"):
            text += "\n"
        path.write_text(text, encoding="utf-8")
        if rel.endswith(".py"):
            self.files += 1
            self.lines += text.count("\n")
        return path


def camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def unique_names(rng: random.Random, count: int, used: set[str]) -> list[str]:
    """`count` distinct snake_case resource names not in `used` (which they are added to)."""
    pool = getattr(rng, "_name_pool", None)
    if pool is None:
        nouns = sorted(NOUNS)
        combos = sorted(f"{a}_{n}" for a in ADJ for n in NOUNS)
        rng.shuffle(nouns)
        rng.shuffle(combos)
        pool = rng._name_pool = nouns + combos  # type: ignore[attr-defined]
        rng._name_next = 0  # type: ignore[attr-defined]
    out: list[str] = []
    while len(out) < count:
        i = rng._name_next  # type: ignore[attr-defined]
        rng._name_next += 1  # type: ignore[attr-defined]
        name = pool[i] if i < len(pool) else f"{pool[i % len(pool)]}_{i // len(pool)}"
        if name in used:
            continue
        used.add(name)
        out.append(name)
    return out


def join(*parts: str) -> str:
    """Concatenate URL prefixes the way the frameworks do; a trailing slash of the last part stays."""
    path = "/" + "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    last = next((p for p in reversed(parts) if p), "")
    if last.endswith("/") and not path.endswith("/"):
        path += "/"
    return path


# ---- FastAPI --------------------------------------------------------------------------------

FASTAPI_STATIC = {
    "fastapi_svc/requirements.txt": "fastapi>=0.110\nuvicorn[standard]\nsqlalchemy>=2.0\npydantic>=2\n"
    "psycopg2-binary\npython-jose[cryptography]\npasslib[bcrypt]\nredis>=5\n",
    "fastapi_svc/.env.example": "DATABASE_URL=postgresql://app:app@localhost:5432/app\n"
    "REDIS_URL=redis://localhost:6379/0\nSECRET_KEY=change-me\n",
    "fastapi_svc/app/__init__.py": "",
    "fastapi_svc/app/api/__init__.py": "",
    "fastapi_svc/app/api/v1/__init__.py": "",
    "fastapi_svc/app/api/v1/endpoints/__init__.py": "",
    "fastapi_svc/app/models/__init__.py": "",
    "fastapi_svc/app/schemas/__init__.py": "",
    "fastapi_svc/app/crud/__init__.py": "",
    "fastapi_svc/app/core/__init__.py": "",
    "fastapi_svc/app/db/__init__.py": "",
    "fastapi_svc/app/utils/__init__.py": "",
    "fastapi_svc/app/core/config.py": """
        import os
        from functools import lru_cache

        from pydantic import BaseModel


        class Settings(BaseModel):
            project_name: str = "Synthetic API"
            database_url: str = os.environ.get("DATABASE_URL", "postgresql://app:app@localhost:5432/app")
            redis_url: str = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
            secret_key: str = os.environ.get("SECRET_KEY", "change-me")
            access_token_expire_minutes: int = 60 * 24


        @lru_cache
        def get_settings() -> Settings:
            return Settings()


        settings = get_settings()
    """,
    "fastapi_svc/app/core/security.py": """
        from datetime import datetime, timedelta, timezone
        from typing import Any

        from jose import jwt
        from passlib.context import CryptContext

        from app.core.config import settings

        pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")
        ALGORITHM = "HS256"


        def create_access_token(subject: str | Any, expires_delta: timedelta | None = None) -> str:
            expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))
            to_encode = {"exp": expire, "sub": str(subject)}
            return jwt.encode(to_encode, settings.secret_key, algorithm=ALGORITHM)


        def verify_password(plain_password: str, hashed_password: str) -> bool:
            return pwd_context.verify(plain_password, hashed_password)


        def get_password_hash(password: str) -> str:
            return pwd_context.hash(password)
    """,
    "fastapi_svc/app/db/base_class.py": """
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass
    """,
    "fastapi_svc/app/db/session.py": """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        from app.core.config import settings

        engine = create_engine(settings.database_url, pool_pre_ping=True)
        SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    """,
    "fastapi_svc/app/models/user.py": """
        from sqlalchemy import Boolean, Column, Integer, String

        from app.db.base_class import Base


        class User(Base):
            __tablename__ = "users"

            id = Column(Integer, primary_key=True, index=True)
            email = Column(String(255), unique=True, index=True, nullable=False)
            full_name = Column(String(255), index=True)
            hashed_password = Column(String(255), nullable=False)
            is_active = Column(Boolean(), default=True)
            is_superuser = Column(Boolean(), default=False)
    """,
    "fastapi_svc/app/api/deps.py": """
        from typing import Generator

        from fastapi import Depends, HTTPException, status
        from fastapi.security import OAuth2PasswordBearer
        from jose import JWTError, jwt
        from sqlalchemy.orm import Session

        from app.core import security
        from app.core.config import settings
        from app.db.session import SessionLocal
        from app.models.user import User

        oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token")


        def get_db() -> Generator[Session, None, None]:
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()


        def get_current_user(db: Session = Depends(get_db), token: str = Depends(oauth2_scheme)) -> User:
            try:
                payload = jwt.decode(token, settings.secret_key, algorithms=[security.ALGORITHM])
            except JWTError:
                raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Could not validate credentials")
            user = db.query(User).filter(User.id == int(payload["sub"])).first()
            if user is None:
                raise HTTPException(status_code=404, detail="User not found")
            return user


        def get_current_active_superuser(current_user: User = Depends(get_current_user)) -> User:
            if not current_user.is_superuser:
                raise HTTPException(status_code=400, detail="The user doesn't have enough privileges")
            return current_user
    """,
    "fastapi_svc/app/api/v1/endpoints/login.py": """
        from datetime import timedelta

        from fastapi import APIRouter, Depends, HTTPException
        from fastapi.security import OAuth2PasswordRequestForm
        from sqlalchemy.orm import Session

        from app.api.deps import get_db
        from app.core import security
        from app.core.config import settings
        from app.models.user import User

        router = APIRouter()


        @router.post("/login/access-token")
        def login_access_token(db: Session = Depends(get_db), form_data: OAuth2PasswordRequestForm = Depends()):
            user = db.query(User).filter(User.email == form_data.username).first()
            if not user or not security.verify_password(form_data.password, user.hashed_password):
                raise HTTPException(status_code=400, detail="Incorrect email or password")
            expires = timedelta(minutes=settings.access_token_expire_minutes)
            return {"access_token": security.create_access_token(user.id, expires_delta=expires), "token_type": "bearer"}
    """,
}


def fa_schema_module(res: str, rng: random.Random) -> str:
    C = camel(res)
    extra = rng.sample(["title", "summary", "status", "priority", "code", "region", "currency", "notes"], 4)
    fields = "\n".join(
        f"    {f}: Optional[str] = Field(None, max_length={rng.choice([32, 64, 128, 255])})"
        for f in extra[1:]
    )
    return f"""
from datetime import datetime
from typing import List, Optional

from pydantic import BaseModel, ConfigDict, Field


class {C}Base(BaseModel):
    name: str = Field(..., min_length=1, max_length=120)
    {extra[0]}: Optional[str] = None
    quantity: int = Field(0, ge=0, le=100000)
    is_active: bool = True
{fields}


class {C}Create({C}Base):
    pass


class {C}Update(BaseModel):
    name: Optional[str] = Field(None, min_length=1, max_length=120)
    quantity: Optional[int] = Field(None, ge=0)
    is_active: Optional[bool] = None


class {C}Read({C}Base):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    created_at: datetime
    updated_at: Optional[datetime] = None


class {C}Page(BaseModel):
    items: List[{C}Read]
    total: int
    skip: int = 0
    limit: int = 100


class {C}Note(BaseModel):
    body: str = Field(..., min_length=1, max_length=4000)
    pinned: bool = False


class {C}Bulk(BaseModel):
    items: List[{C}Create] = Field(..., max_length=500)
"""


def fa_model_module(res: str, rng: random.Random) -> str:
    C = camel(res)
    return f'''
from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from app.db.base_class import Base


class {C}(Base):
    __tablename__ = "{res}s"

    id = Column(Integer, primary_key=True, index=True)
    name = Column(String(120), index=True, nullable=False)
    quantity = Column(Integer, default=0)
    is_active = Column(Boolean, default=True)
    owner_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)
    updated_at = Column(DateTime, onupdate=datetime.utcnow)

    owner = relationship("User")
    notes = relationship("{C}Note", back_populates="parent", cascade="all, delete-orphan")


class {C}Note(Base):
    __tablename__ = "{res}_notes"

    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("{res}s.id"), nullable=False)
    body = Column(Text, nullable=False)
    pinned = Column(Boolean, default=False)

    parent = relationship("{C}", back_populates="notes")
'''


def fa_crud_module(res: str) -> str:
    C = camel(res)
    return f"""
from typing import List, Optional

from sqlalchemy.orm import Session

from app.models.{res} import {C}, {C}Note
from app.schemas.{res} import {C}Create, {C}Note as {C}NoteIn, {C}Update


def get(db: Session, id: int) -> Optional[{C}]:
    return db.query({C}).filter({C}.id == id).first()


def get_multi(db: Session, *, owner_id: int, skip: int = 0, limit: int = 100) -> List[{C}]:
    return (
        db.query({C})
        .filter({C}.owner_id == owner_id)
        .order_by({C}.id)
        .offset(skip)
        .limit(limit)
        .all()
    )


def count(db: Session, *, owner_id: int) -> int:
    return db.query({C}).filter({C}.owner_id == owner_id).count()


def search(db: Session, *, owner_id: int, q: str, limit: int = 20) -> List[{C}]:
    return db.query({C}).filter({C}.owner_id == owner_id, {C}.name.ilike(f"%{{q}}%")).limit(limit).all()


def create(db: Session, *, obj_in: {C}Create, owner_id: int) -> {C}:
    db_obj = {C}(**obj_in.model_dump(), owner_id=owner_id)
    db.add(db_obj)
    db.commit()
    db.refresh(db_obj)
    return db_obj


def create_many(db: Session, *, items: List[{C}Create], owner_id: int) -> List[{C}]:
    objs = [{C}(**item.model_dump(), owner_id=owner_id) for item in items]
    db.add_all(objs)
    db.commit()
    return objs


def update(db: Session, *, db_obj: {C}, obj_in: {C}Update) -> {C}:
    for key, value in obj_in.model_dump(exclude_unset=True).items():
        setattr(db_obj, key, value)
    db.add(db_obj)
    db.commit()
    db.refresh(db_obj)
    return db_obj


def set_active(db: Session, *, db_obj: {C}, active: bool) -> {C}:
    db_obj.is_active = active
    db.add(db_obj)
    db.commit()
    return db_obj


def remove(db: Session, *, id: int) -> Optional[{C}]:
    obj = db.query({C}).get(id)
    if obj is not None:
        db.delete(obj)
        db.commit()
    return obj


def list_notes(db: Session, *, parent_id: int) -> List[{C}Note]:
    return db.query({C}Note).filter({C}Note.parent_id == parent_id).all()


def add_note(db: Session, *, parent_id: int, note: {C}NoteIn) -> {C}Note:
    obj = {C}Note(parent_id=parent_id, body=note.body, pinned=note.pinned)
    db.add(obj)
    db.commit()
    return obj
"""


def fa_router_module(res: str, rng: random.Random, router_prefix: str, use_const: bool):
    """Return (source, [(method, route_path, construct)])."""
    C = camel(res)
    pid = f"{res}_id"
    routes: list[tuple[str, str, str]] = []
    funcs: list[str] = []
    verbs = rng.sample(VERBS, 4)

    def add(method: str, path: str, body: str, construct: str = "fastapi:router.method"):
        routes.append((method, path, construct))
        funcs.append(body)

    add(
        "GET",
        "/",
        f"""
@router.get("/", response_model={C}Page)
def list_{res}s(
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    items = crud_{res}.get_multi(db, owner_id=current_user.id, skip=skip, limit=limit)
    return {{"items": items, "total": crud_{res}.count(db, owner_id=current_user.id), "skip": skip, "limit": limit}}
""",
    )
    add(
        "POST",
        "/",
        f"""
@router.post("/", response_model={C}Read, status_code=status.HTTP_201_CREATED)
def create_{res}(
    payload: {C}Create,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    return crud_{res}.create(db, obj_in=payload, owner_id=current_user.id)
""",
    )
    add(
        "GET",
        "/search",
        f"""
@router.get("/search", response_model=List[{C}Read])
async def search_{res}s(
    q: str = Query(..., min_length=2, max_length=64),
    limit: int = 20,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    return crud_{res}.search(db, owner_id=current_user.id, q=q, limit=limit)
""",
    )
    add(
        "POST",
        "/bulk",
        f"""
@router.post("/bulk", response_model=List[{C}Read], status_code=201)
def bulk_create_{res}s(
    payload: {C}Bulk,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    return crud_{res}.create_many(db, items=payload.items, owner_id=current_user.id)
""",
    )
    add(
        "GET",
        f"/{{{pid}}}",
        f'''
@router.get("/{{{pid}}}", response_model={C}Read)
def read_{res}(
    {pid}: int = Path(..., gt=0),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    obj = crud_{res}.get(db, id={pid})
    if obj is None or obj.owner_id != current_user.id:
        raise HTTPException(status_code=404, detail="{C} not found")
    return obj
''',
    )
    add(
        "PUT",
        f"/{{{pid}}}",
        f'''
@router.put("/{{{pid}}}", response_model={C}Read)
def update_{res}(
    {pid}: int,
    payload: {C}Update,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404, detail="{C} not found")
    return crud_{res}.update(db, db_obj=obj, obj_in=payload)
''',
    )
    add(
        "PATCH",
        f"/{{{pid}}}",
        f'''
@router.patch("/{{{pid}}}", response_model={C}Read)
def patch_{res}(
    {pid}: int,
    payload: {C}Update,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404, detail="{C} not found")
    return crud_{res}.update(db, db_obj=obj, obj_in=payload)
''',
    )
    add(
        "DELETE",
        f"/{{{pid}}}",
        f'''
@router.delete("/{{{pid}}}", status_code=204)
def delete_{res}(
    {pid}: int,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_active_superuser),
):
    if crud_{res}.remove(db, id={pid}) is None:
        raise HTTPException(status_code=404, detail="{C} not found")
''',
    )
    add(
        "GET",
        f"/{{{pid}}}/notes",
        f"""
@router.get("/{{{pid}}}/notes", response_model=List[{C}Note])
def list_{res}_notes({pid}: int, db: Session = Depends(get_db), current_user: User = Depends(get_current_user)):
    return crud_{res}.list_notes(db, parent_id={pid})
""",
    )
    add(
        "POST",
        f"/{{{pid}}}/notes",
        f"""
@router.post("/{{{pid}}}/notes", response_model={C}Note, status_code=201)
def add_{res}_note(
    {pid}: int,
    note: {C}Note,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    return crud_{res}.add_note(db, parent_id={pid}, note=note)
""",
    )
    for v in verbs[:2]:
        add(
            "POST",
            f"/{{{pid}}}/{v}",
            f'''
@router.post("/{{{pid}}}/{v}", response_model={C}Read)
def {v}_{res}({pid}: int, db: Session = Depends(get_db), current_user: User = Depends(get_current_user)):
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404, detail="{C} not found")
    return crud_{res}.set_active(db, db_obj=obj, active={v!r} != "archive")
''',
        )
    # api_route with several methods
    add(
        "GET",
        f"/{{{pid}}}/{verbs[2]}",
        f"""
@router.api_route("/{{{pid}}}/{verbs[2]}", methods=["GET", "POST"], response_model={C}Read)
def {verbs[2]}_{res}({pid}: int, db: Session = Depends(get_db), current_user: User = Depends(get_current_user)):
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404)
    return obj
""",
        "fastapi:api_route-methods",
    )
    routes.append(("POST", f"/{{{pid}}}/{verbs[2]}", "fastapi:api_route-methods"))
    add(
        "GET",
        f"/{{{pid}}}/attachments",
        f'''
@router.get("/{{{pid}}}/attachments", response_model=List[dict])
def list_{res}_attachments(
    {pid}: int,
    kind: Optional[str] = Query(None, pattern="^(image|document|other)$"),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    """List the files attached to one {res.replace("_", " ")}, optionally of one kind."""
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404, detail="{C} not found")
    files = [{{"id": n.id, "name": n.body[:40], "kind": "document"}} for n in crud_{res}.list_notes(db, parent_id={pid})]
    if kind is not None:
        files = [f for f in files if f["kind"] == kind]
    return files
''',
    )
    add(
        "POST",
        f"/{{{pid}}}/attachments",
        f'''
@router.post("/{{{pid}}}/attachments", status_code=201)
async def upload_{res}_attachment(
    {pid}: int,
    file: UploadFile = File(...),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    """Attach an uploaded file to a {res.replace("_", " ")}; the body is kept as a note."""
    content = await file.read()
    if len(content) > 5 * 1024 * 1024:
        raise HTTPException(status_code=413, detail="file too large")
    note = crud_{res}.add_note(db, parent_id={pid}, note={C}Note(body=file.filename or "upload"))
    return {{"id": note.id, "size": len(content)}}
''',
    )
    add(
        "DELETE",
        f"/{{{pid}}}/attachments/{{attachment_id}}",
        f'''
@router.delete("/{{{pid}}}/attachments/{{attachment_id}}", status_code=204)
def delete_{res}_attachment(
    {pid}: int,
    attachment_id: int,
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_active_superuser),
):
    """Remove one attachment."""
    if crud_{res}.remove(db, id=attachment_id) is None:
        raise HTTPException(status_code=404, detail="attachment not found")
''',
    )
    add(
        "GET",
        f"/{{{pid}}}/history",
        f'''
@router.get("/{{{pid}}}/history")
def {res}_history(
    {pid}: int,
    since: Optional[datetime] = None,
    x_request_id: Optional[str] = Header(None),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
) -> dict:
    """Changes made to a {res.replace("_", " ")}, newest first."""
    obj = crud_{res}.get(db, id={pid})
    if obj is None:
        raise HTTPException(status_code=404, detail="{C} not found")
    events = []
    if obj.created_at and (since is None or obj.created_at >= since):
        events.append({{"at": obj.created_at.isoformat(), "event": "created"}})
    if obj.updated_at and (since is None or obj.updated_at >= since):
        events.append({{"at": obj.updated_at.isoformat(), "event": "updated"}})
    return {{"id": {pid}, "events": sorted(events, key=lambda e: e["at"], reverse=True), "request_id": x_request_id}}
''',
    )
    add(
        "GET",
        "/export",
        f'''
@router.get("/export")
def export_{res}s(
    fmt: str = Query("csv", pattern="^(csv|json)$"),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    """Every {res.replace("_", " ")} of the current user, as CSV or JSON."""
    rows = crud_{res}.get_multi(db, owner_id=current_user.id, skip=0, limit=10000)
    if fmt == "json":
        return [{C}Read.model_validate(r) for r in rows]
    lines = ["id,name,quantity,is_active"]
    for r in rows:
        lines.append(f"{{r.id}},{{r.name}},{{r.quantity}},{{int(r.is_active)}}")
    return Response(content="\\n".join(lines), media_type="text/csv")
''',
    )
    add(
        "POST",
        "/import",
        f'''
@router.post("/import", response_model=List[{C}Read], status_code=201)
async def import_{res}s(
    file: UploadFile = File(...),
    dry_run: bool = Form(False),
    db: Session = Depends(get_db),
    current_user: User = Depends(get_current_user),
):
    """Create {res.replace("_", " ")}s from an uploaded CSV with a `name,quantity` header."""
    text = (await file.read()).decode("utf-8", errors="replace")
    items = []
    for i, line in enumerate(text.splitlines()):
        if i == 0 or not line.strip():
            continue
        name, _, qty = line.partition(",")
        items.append({C}Create(name=name.strip(), quantity=int(qty or 0)))
    if dry_run:
        return []
    return crud_{res}.create_many(db, items=items, owner_id=current_user.id)
''',
    )
    add(
        "GET",
        "/stats/summary",
        f'''
@router.get("/stats/summary")
async def {res}_stats(db: Session = Depends(get_db), current_user: User = Depends(get_current_user)) -> dict:
    total = crud_{res}.count(db, owner_id=current_user.id)
    return {{"total": total, "resource": "{res}"}}
''',
    )

    if router_prefix and use_const:
        header_router = f'PREFIX = "{router_prefix}"\n\nrouter = APIRouter(prefix=PREFIX, tags=["{res}"])'
    elif router_prefix:
        header_router = f'router = APIRouter(prefix="{router_prefix}", tags=["{res}"])'
    else:
        header_router = f'router = APIRouter(tags=["{res}"])'
    src = f'''"""HTTP API for {res.replace("_", " ")}s."""
from datetime import datetime
from typing import List, Optional

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Path, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from app.api.deps import get_current_active_superuser, get_current_user, get_db
from app.crud import crud_{res}
from app.models.user import User
from app.schemas.{res} import {C}Bulk, {C}Create, {C}Note, {C}Page, {C}Read, {C}Update

{header_router}

''' + "\n".join(funcs)
    return src, routes


def gen_fastapi(
    w: Writer, rng: random.Random, n_routers: int, used: set[str], decl: list[Declared], gen: Generated
):
    for rel, text in FASTAPI_STATIC.items():
        w.write(rel, textwrap.dedent(text).lstrip("\n"))
    decl.append(
        Declared(
            "POST",
            "/api/v1/login/access-token",
            "fastapi",
            "fastapi:include-no-prefix",
            "fastapi_svc/app/api/v1/endpoints/login.py",
        )
    )
    n_domains = max(1, round(n_routers / 8))
    domains = unique_names(rng, n_domains, used)
    resources = unique_names(rng, n_routers, used)
    per_domain: dict[str, list[str]] = defaultdict(list)
    for i, res in enumerate(resources):
        per_domain[domains[i % n_domains]].append(res)

    api_imports = ["from app.api.v1.endpoints import login"]
    api_includes = ['api_router.include_router(login.router, tags=["login"])']
    for d in domains:
        dpkg = f"fastapi_svc/app/api/v1/endpoints/{d}"
        agg_imports, agg_includes = [], []
        dom_prefix = f"/{d.replace('_', '-')}"
        for res in per_domain[d]:
            style = rng.random()
            seg = f"/{res.replace('_', '-')}s"
            if style < 0.4:  # prefix on APIRouter(...)
                rp, ip, construct_pre = seg, "", "router-prefix"
            elif style < 0.8:  # prefix on include_router(...)
                rp, ip, construct_pre = "", seg, "include-prefix"
            else:  # split across both
                rp, ip, construct_pre = "/v2", seg, "router+include-prefix"
            use_const = bool(rp) and rng.random() < 0.3
            src, routes = fa_router_module(res, rng, rp, use_const)
            rel = f"{dpkg}/{res}.py"
            path = w.write(rel, src)
            full_prefix = join("/api/v1", dom_prefix, ip, rp)
            for method, rpath, construct in routes:
                c = construct + "," + construct_pre + (",const-prefix" if use_const else "")
                decl.append(Declared(method, join(full_prefix, rpath), "fastapi", c, rel))
            w.write(f"fastapi_svc/app/schemas/{res}.py", fa_schema_module(res, rng))
            model = w.write(f"fastapi_svc/app/models/{res}.py", fa_model_module(res, rng))
            crud = w.write(f"fastapi_svc/app/crud/crud_{res}.py", fa_crud_module(res))
            if gen.edit_file is None:
                gen.edit_file, gen.edit_prefix = path, full_prefix
                gen.edit_model_file, gen.edit_model, gen.edit_crud_file = model, camel(res), crud
            agg_imports.append(res)
            if ip:
                agg_includes.append(f'router.include_router({res}.router, prefix="{ip}")')
            else:
                agg_includes.append(f"router.include_router({res}.router)")
        w.write(f"{dpkg}/__init__.py", "")
        w.write(
            f"fastapi_svc/app/api/v1/{d}.py",
            f'"""Routes of the {d} domain."""\nfrom fastapi import APIRouter\n\n'
            f"from app.api.v1.endpoints.{d} import {', '.join(agg_imports)}\n\n"
            f"router = APIRouter()\n" + "\n".join(agg_includes),
        )
        api_imports.append(f"from app.api.v1 import {d}")
        api_includes.append(f'api_router.include_router({d}.router, prefix="{dom_prefix}")')
    w.write(
        "fastapi_svc/app/api/v1/api.py",
        "from fastapi import APIRouter\n\n"
        + "\n".join(api_imports)
        + "\n\napi_router = APIRouter()\n"
        + "\n".join(api_includes),
    )
    w.write(
        "fastapi_svc/app/main.py",
        """from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.v1.api import api_router
from app.core.config import settings

app = FastAPI(title=settings.project_name, openapi_url="/api/v1/openapi.json")
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
app.include_router(api_router, prefix="/api/v1")


@app.get("/health", tags=["meta"])
def health() -> dict:
    return {"status": "ok"}
""",
    )
    decl.append(Declared("GET", "/health", "fastapi", "fastapi:app.get", "fastapi_svc/app/main.py"))
    return resources


# ---- Flask ----------------------------------------------------------------------------------

FLASK_STATIC = {
    "flask_svc/requirements.txt": "Flask>=3.0\nFlask-SQLAlchemy>=3.1\nFlask-Login>=0.6\nredis>=5\ncelery>=5.3\n",
    "flask_svc/app/blueprints/__init__.py": "",
    "flask_svc/app/models/__init__.py": "",
    "flask_svc/app/services/__init__.py": "",
    "flask_svc/app/utils/__init__.py": "",
    "flask_svc/app/extensions.py": """
        from flask_login import LoginManager
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        login_manager = LoginManager()
    """,
    "flask_svc/app/config.py": """
        import os


        class Config:
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "postgresql://app:app@localhost/flaskapp")
            SECRET_KEY = os.environ.get("SECRET_KEY", "dev")
            REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/1")
            CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/2")
    """,
    "flask_svc/wsgi.py": """
        from app import create_app

        app = create_app()
    """,
}


def flask_model_module(res: str) -> str:
    C = camel(res)
    return f'''
from datetime import datetime

from app.extensions import db


class {C}(db.Model):
    __tablename__ = "{res}s"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, index=True)
    status = db.Column(db.String(32), default="new")
    owner_id = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, default=datetime.utcnow)

    def to_dict(self) -> dict:
        return {{
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "owner_id": self.owner_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }}

    def __repr__(self) -> str:
        return f"<{C} {{self.id}}>"
'''


def flask_service_module(res: str) -> str:
    C = camel(res)
    return f"""
from typing import Optional

from app.extensions import db
from app.models.{res} import {C}


def list_{res}s(owner_id: int, page: int = 1, per_page: int = 50):
    return {C}.query.filter_by(owner_id=owner_id).order_by({C}.id).paginate(page=page, per_page=per_page)


def get_{res}(item_id: int) -> Optional[{C}]:
    return db.session.get({C}, item_id)


def create_{res}(owner_id: int, data: dict) -> {C}:
    obj = {C}(name=data["name"], status=data.get("status", "new"), owner_id=owner_id)
    db.session.add(obj)
    db.session.commit()
    return obj


def update_{res}(obj: {C}, data: dict) -> {C}:
    for key in ("name", "status"):
        if key in data:
            setattr(obj, key, data[key])
    db.session.commit()
    return obj


def delete_{res}(obj: {C}) -> None:
    db.session.delete(obj)
    db.session.commit()
"""


def flask_bp_module(res: str, rng: random.Random, bp_prefix: str):
    C = camel(res)
    verbs = rng.sample(VERBS, 3)
    routes: list[tuple[str, str, str]] = []
    parts: list[str] = []

    def add(methods: list[str], path: str, body: str, construct: str):
        for m in methods:
            routes.append((m, path, construct))
        parts.append(body)

    add(
        ["GET"],
        "/",
        f"""
@bp.route("/", methods=["GET"])
@login_required
def index():
    page = request.args.get("page", 1, type=int)
    result = svc.list_{res}s(current_user.id, page=page)
    return jsonify(items=[o.to_dict() for o in result.items], total=result.total)
""",
        "flask:route-methods",
    )
    add(
        ["POST"],
        "/",
        f"""
@bp.route("/", methods=["POST"])
@login_required
def create():
    data = request.get_json(force=True) or {{}}
    if not data.get("name"):
        abort(400, description="name is required")
    obj = svc.create_{res}(current_user.id, data)
    return jsonify(obj.to_dict()), 201
""",
        "flask:route-methods",
    )
    add(
        ["GET", "PUT", "DELETE"],
        "/<int:item_id>",
        f"""
@bp.route("/<int:item_id>", methods=["GET", "PUT", "DELETE"])
@login_required
def detail(item_id: int):
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    if request.method == "PUT":
        obj = svc.update_{res}(obj, request.get_json(force=True) or {{}})
    elif request.method == "DELETE":
        svc.delete_{res}(obj)
        return "", 204
    return jsonify(obj.to_dict())
""",
        "flask:route-multi-methods",
    )
    add(
        ["PATCH"],
        "/<int:item_id>",
        f"""
@bp.patch("/<int:item_id>")
@login_required
def patch(item_id: int):
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    return jsonify(svc.update_{res}(obj, request.get_json(force=True) or {{}}).to_dict())
""",
        "flask:bp.patch",
    )
    add(
        ["GET"],
        "/search",
        f"""
@bp.get("/search")
def search():
    q = request.args.get("q", "")
    if len(q) < 2:
        return jsonify(items=[])
    items = {C}.query.filter({C}.name.ilike(f"%{{q}}%")).limit(20).all()
    return jsonify(items=[o.to_dict() for o in items])
""",
        "flask:bp.get",
    )
    add(
        ["GET"],
        "/export",
        f"""
@bp.route("/export")
@login_required
def export():
    rows = {C}.query.filter_by(owner_id=current_user.id).all()
    lines = ["id,name,status"] + [f"{{r.id}},{{r.name}},{{r.status}}" for r in rows]
    return "\\n".join(lines), 200, {{"Content-Type": "text/csv"}}
""",
        "flask:route-default-get",
    )
    for v in verbs:
        add(
            ["POST"],
            f"/<int:item_id>/{v}",
            f'''
@bp.post("/<int:item_id>/{v}")
@login_required
def {v}_{res}(item_id: int):
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    obj = svc.update_{res}(obj, {{"status": "{v}"}})
    return jsonify(obj.to_dict())
''',
            "flask:bp.post",
        )
    add(
        ["GET", "POST"],
        "/<int:item_id>/comments",
        """
@bp.route("/<int:item_id>/comments", methods=("GET", "POST"))
@login_required
def comments(item_id: int):
    if request.method == "POST":
        body = (request.get_json(force=True) or {}).get("body", "")
        return jsonify(item_id=item_id, body=body), 201
    return jsonify(item_id=item_id, comments=[])
""",
        "flask:route-methods-tuple",
    )
    add(
        ["GET", "POST"],
        "/<int:item_id>/attachments",
        f'''
@bp.route("/<int:item_id>/attachments", methods=["GET", "POST"])
@login_required
def attachments(item_id: int):
    """List or upload the files attached to a {res.replace("_", " ")}."""
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            abort(400, description="file is required")
        data = upload.read()
        if len(data) > 5 * 1024 * 1024:
            abort(413)
        return jsonify(item_id=item_id, name=upload.filename, size=len(data)), 201
    return jsonify(item_id=item_id, files=[])
''',
        "flask:route-methods",
    )
    add(
        ["POST"],
        "/bulk",
        f'''
@bp.route("/bulk", methods=["POST"])
@login_required
def bulk_create():
    """Create many {res.replace("_", " ")}s from a JSON list."""
    payload = request.get_json(force=True) or []
    if not isinstance(payload, list) or len(payload) > 500:
        abort(400, description="expected a list of at most 500 objects")
    created = [svc.create_{res}(current_user.id, item) for item in payload if item.get("name")]
    return jsonify(items=[o.to_dict() for o in created]), 201
''',
        "flask:route-methods",
    )
    add(
        ["GET"],
        "/stats",
        f'''
@bp.get("/stats")
@login_required
def stats():
    """Counts of {res.replace("_", " ")}s by status."""
    counts = {{}}
    for obj in {C}.query.filter_by(owner_id=current_user.id).all():
        counts[obj.status] = counts.get(obj.status, 0) + 1
    return jsonify(total=sum(counts.values()), by_status=counts)
''',
        "flask:bp.get",
    )
    add(
        ["GET"],
        "/<int:item_id>/history",
        f'''
@bp.get("/<int:item_id>/history")
@login_required
def history(item_id: int):
    """What happened to a {res.replace("_", " ")}, newest first."""
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    events = [{{"event": "created", "at": obj.created_at.isoformat() if obj.created_at else None}}]
    return jsonify(item_id=item_id, events=events)
''',
        "flask:bp.get",
    )
    add(
        ["PUT"],
        "/<int:item_id>/owner",
        f'''
@bp.put("/<int:item_id>/owner")
@login_required
def transfer(item_id: int):
    """Give a {res.replace("_", " ")} to another user."""
    obj = svc.get_{res}(item_id)
    if obj is None:
        abort(404)
    new_owner = (request.get_json(force=True) or {{}}).get("owner_id")
    if not isinstance(new_owner, int):
        abort(400, description="owner_id must be an integer")
    obj.owner_id = new_owner
    return jsonify(svc.update_{res}(obj, {{}}).to_dict())
''',
        "flask:bp.put",
    )
    add(
        ["GET"],
        "/<string:slug>/by-slug",
        f"""
@bp.route("/<string:slug>/by-slug", methods=["GET"])
def by_slug(slug: str):
    obj = {C}.query.filter_by(name=slug).first_or_404()
    return jsonify(obj.to_dict())
""",
        "flask:route-methods",
    )

    bp_ctor = (
        f'Blueprint("{res}", __name__, url_prefix="{bp_prefix}")'
        if bp_prefix
        else f'Blueprint("{res}", __name__)'
    )
    src = f'''"""{C} blueprint."""
from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from app.models.{res} import {C}
from app.services import {res}_service as svc

bp = {bp_ctor}
''' + "\n".join(parts)
    return src, routes


def gen_flask(w: Writer, rng: random.Random, n_bps: int, used: set[str], decl: list[Declared],
              gen: Generated | None = None):
    for rel, text in FLASK_STATIC.items():
        w.write(rel, textwrap.dedent(text).lstrip("\n"))
    resources = unique_names(rng, n_bps, used)
    imports, registers = [], []
    for res in resources:
        seg = f"/api/{res.replace('_', '-')}s"
        on_ctor = rng.random() < 0.5
        src, routes = flask_bp_module(res, rng, seg if on_ctor else "")
        rel = f"flask_svc/app/blueprints/{res}.py"
        path = w.write(rel, src)
        if gen is not None and gen.edit_flask_file is None:
            gen.edit_flask_file, gen.edit_flask_prefix = path, seg
        w.write(f"flask_svc/app/models/{res}.py", flask_model_module(res))
        w.write(f"flask_svc/app/services/{res}_service.py", flask_service_module(res))
        imports.append(f"    from app.blueprints.{res} import bp as {res}_bp")
        if on_ctor:
            registers.append(f"    app.register_blueprint({res}_bp)")
        else:
            registers.append(f'    app.register_blueprint({res}_bp, url_prefix="{seg}")')
        where = "bp-url_prefix" if on_ctor else "register-url_prefix"
        for method, rpath, construct in routes:
            decl.append(Declared(method, join(seg, rpath), "flask", f"{construct},{where}", rel))
    w.write(
        "flask_svc/app/__init__.py",
        '''"""Application factory."""
from flask import Flask, jsonify

from app.config import Config
from app.extensions import db, login_manager


def create_app(config_object=Config) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config_object)
    db.init_app(app)
    login_manager.init_app(app)

'''
        + "\n".join(imports)
        + "\n\n"
        + "\n".join(registers)
        + """

    @app.route("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
""",
    )
    decl.append(
        Declared("GET", "/healthz", "flask", "flask:app.route-in-factory", "flask_svc/app/__init__.py")
    )


# ---- Django / DRF ---------------------------------------------------------------------------


def dj_models_module(app: str, resources: list[str]) -> str:
    out = ["from django.conf import settings", "from django.db import models", ""]
    for res in resources:
        C = camel(res)
        out.append(f'''
class {C}(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=120, db_index=True)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    quantity = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="{app}_{res}s")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
''')
    return "\n".join(out)


def dj_serializers_module(app: str, resources: list[str]) -> str:
    C_all = ", ".join(camel(r) for r in resources)
    out = ["from rest_framework import serializers", "", f"from .models import {C_all}", ""]
    for res in resources:
        C = camel(res)
        out.append(f"""
class {C}Serializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = {C}
        fields = ["id", "name", "description", "status", "quantity", "owner", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_quantity(self, value):
        if value > 100000:
            raise serializers.ValidationError("too many")
        return value
""")
    out.append("""
class StatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    window = serializers.ChoiceField(choices=["day", "week", "month"])
""")
    return "\n".join(out)


def dj_views_module(app: str, resources: list[str], rng: random.Random):
    """Return (views source, router registrations, plain url entries, declared relative routes)."""
    C_all = ", ".join(camel(r) for r in resources)
    out = [
        "from django.http import JsonResponse",
        "from django.views.decorators.http import require_http_methods",
        "from rest_framework import generics, permissions, status, viewsets",
        "from rest_framework.decorators import action, api_view, permission_classes",
        "from rest_framework.response import Response",
        "from rest_framework.views import APIView",
        "",
        f"from .models import {C_all}",
        "from .serializers import StatsSerializer, " + ", ".join(f"{camel(r)}Serializer" for r in resources),
        "",
    ]
    registers, urls = [], []
    routes: list[tuple[str, str, str]] = []  # (method, path relative to the app prefix, construct)
    for i, res in enumerate(resources):
        C = camel(res)
        seg = f"{res.replace('_', '-')}s"
        kind = i % 3
        if kind == 0:
            verb = rng.choice([v for v in VERBS if v != "import"])  # the action is a method name
            out.append(f"""
class {C}ViewSet(viewsets.ModelViewSet):
    serializer_class = {C}Serializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return {C}.objects.filter(owner=self.request.user).order_by("-created_at")

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    @action(detail=True, methods=["post"])
    def {verb}(self, request, pk=None):
        obj = self.get_object()
        obj.status = {C}.Status.ARCHIVED
        obj.save(update_fields=["status"])
        return Response(self.get_serializer(obj).data)

    @action(detail=False, methods=["get"], url_path="recent")
    def recent(self, request):
        qs = self.get_queryset()[:10]
        return Response(self.get_serializer(qs, many=True).data)
""")
            registers.append(f'router.register(r"{seg}", views.{C}ViewSet, basename="{app}-{res}")')
            for m in ("GET", "POST"):
                routes.append((m, f"/{seg}/", "drf:ModelViewSet-list"))
            for m in ("GET", "PUT", "PATCH", "DELETE"):
                routes.append((m, f"/{seg}/{{pk}}/", "drf:ModelViewSet-detail"))
            routes.append(("POST", f"/{seg}/{{pk}}/{verb}/", "drf:@action-detail"))
            routes.append(("GET", f"/{seg}/recent/", "drf:@action-url_path"))
        elif kind == 1:
            out.append(f"""
class {C}ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = {C}.objects.all()
    serializer_class = {C}Serializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]


class {C}StatsView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        qs = {C}.objects.all()
        data = {{"total": qs.count(), "active": qs.filter(status="active").count(), "window": "day"}}
        return Response(StatsSerializer(data).data)

    def post(self, request):
        {C}.objects.filter(status="draft").update(status="active")
        return Response(status=status.HTTP_202_ACCEPTED)
""")
            registers.append(f'router.register(r"{seg}", views.{C}ReadOnlyViewSet, basename="{app}-{res}")')
            urls.append(f'path("{seg}-stats/", views.{C}StatsView.as_view(), name="{app}-{res}-stats"),')
            routes.append(("GET", f"/{seg}/", "drf:ReadOnlyModelViewSet"))
            routes.append(("GET", f"/{seg}/{{pk}}/", "drf:ReadOnlyModelViewSet"))
            routes.append(("GET", f"/{seg}-stats/", "drf:APIView"))
            routes.append(("POST", f"/{seg}-stats/", "drf:APIView"))
        else:
            out.append(f'''
class {C}ListCreate(generics.ListCreateAPIView):
    queryset = {C}.objects.all()
    serializer_class = {C}Serializer
    permission_classes = [permissions.IsAuthenticated]


class {C}Detail(generics.RetrieveUpdateDestroyAPIView):
    queryset = {C}.objects.all()
    serializer_class = {C}Serializer
    permission_classes = [permissions.IsAuthenticated]


@api_view(["GET", "POST"])
@permission_classes([permissions.IsAuthenticated])
def {res}_bulk(request):
    if request.method == "POST":
        ser = {C}Serializer(data=request.data, many=True)
        ser.is_valid(raise_exception=True)
        ser.save(owner=request.user)
        return Response(ser.data, status=status.HTTP_201_CREATED)
    return Response({{"count": {C}.objects.count()}})


@require_http_methods(["GET"])
def {res}_ping(request):
    return JsonResponse({{"ok": True, "resource": "{res}"}})
''')
            urls.append(f'path("{seg}/", views.{C}ListCreate.as_view(), name="{app}-{res}-list"),')
            urls.append(f'path("{seg}/<int:pk>/", views.{C}Detail.as_view(), name="{app}-{res}-detail"),')
            urls.append(f'path("{seg}/bulk/", views.{res}_bulk, name="{app}-{res}-bulk"),')
            urls.append(f'path("{seg}/ping/", views.{res}_ping, name="{app}-{res}-ping"),')
            routes += [
                ("GET", f"/{seg}/", "drf:ListCreateAPIView"),
                ("POST", f"/{seg}/", "drf:ListCreateAPIView"),
            ]
            for m in ("GET", "PUT", "PATCH", "DELETE"):
                routes.append((m, f"/{seg}/{{pk}}/", "drf:RetrieveUpdateDestroyAPIView"))
            routes += [("GET", f"/{seg}/bulk/", "drf:@api_view"), ("POST", f"/{seg}/bulk/", "drf:@api_view")]
            routes.append(("GET", f"/{seg}/ping/", "django:require_http_methods"))
    return "\n".join(out), registers, urls, routes


def gen_django(w: Writer, rng: random.Random, n_apps: int, used: set[str], decl: list[Declared],
               gen: Generated | None = None):
    apps = unique_names(rng, n_apps, used)
    w.write(
        "django_svc/requirements.txt",
        "Django>=5.0\ndjangorestframework>=3.15\npsycopg[binary]\ncelery>=5.3\nredis>=5\n",
    )
    w.write(
        "django_svc/manage.py",
        """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
""",
    )
    w.write("django_svc/config/__init__.py", "")
    w.write("django_svc/apps/__init__.py", "")
    w.write(
        "django_svc/config/wsgi.py",
        """import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
""",
    )
    installed = "\n".join(f'    "apps.{a}",' for a in apps)
    w.write(
        "django_svc/config/settings.py",
        f"""import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-dev-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
{installed}
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("POSTGRES_DB", "app"),
        "USER": os.environ.get("POSTGRES_USER", "app"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", "app"),
        "HOST": os.environ.get("POSTGRES_HOST", "localhost"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
    }}
}}

CACHES = {{
    "default": {{
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://localhost:6379/3"),
    }}
}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/4")

REST_FRAMEWORK = {{
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
""",
    )
    includes = "\n".join(f'    path("api/{a.replace("_", "-")}/", include("apps.{a}.urls")),' for a in apps)
    w.write(
        "django_svc/config/urls.py",
        f"""from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("api/auth/token/", obtain_auth_token, name="api-token"),
{includes}
]
""",
    )
    decl.append(
        Declared("POST", "/api/auth/token/", "drf", "drf:obtain_auth_token", "django_svc/config/urls.py")
    )
    for a in apps:
        n_res = rng.randint(10, 13)
        resources = unique_names(rng, n_res, used)
        base = f"django_svc/apps/{a}"
        w.write(f"{base}/__init__.py", "")
        w.write(
            f"{base}/apps.py",
            f"""from django.apps import AppConfig


class {camel(a)}Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.{a}"
""",
        )
        w.write(f"{base}/models.py", dj_models_module(a, resources))
        w.write(f"{base}/serializers.py", dj_serializers_module(a, resources))
        w.write(
            f"{base}/admin.py",
            "from django.contrib import admin\n\nfrom .models import "
            + ", ".join(camel(r) for r in resources)
            + "\n\n"
            + "\n".join(f"admin.site.register({camel(r)})" for r in resources),
        )
        views_src, registers, urls, routes = dj_views_module(a, resources, rng)
        w.write(f"{base}/views.py", views_src)
        url_entries = "\n".join("    " + u for u in urls)
        w.write(
            f"{base}/urls.py",
            f"""from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
{chr(10).join(registers)}

urlpatterns = [
    path("", include(router.urls)),
{url_entries}
]
""",
        )
        prefix = f"/api/{a.replace('_', '-')}"
        if gen is not None and gen.edit_django_dir is None:
            gen.edit_django_dir, gen.edit_django_prefix = w.root / base, prefix
        for method, rpath, construct in routes:
            fw = "django" if construct.startswith("django:") else "drf"
            file = (
                f"{base}/urls.py"
                if construct.startswith(("drf:Model", "drf:ReadOnly", "drf:@action"))
                else f"{base}/views.py"
            )
            decl.append(Declared(method, prefix + rpath, fw, construct, file))
        # DefaultRouter (unlike SimpleRouter) also serves a browsable API root at its own prefix
        decl.append(Declared("GET", prefix + "/", "drf", "drf:DefaultRouter-api-root", f"{base}/urls.py"))


# ---- padding: realistic helper modules ------------------------------------------------------

UTIL_BLOCKS = [
    '''
def {fn}(value: str, *, max_length: int = {n}, strict: bool = False) -> str:
    """Normalise `value` for storage: trim, collapse whitespace and cut to `max_length`."""
    if value is None:
        if strict:
            raise ValueError("{fn}: value is required")
        return ""
    parts = [p for p in value.replace("\\t", " ").split(" ") if p]
    out = " ".join(parts)
    if len(out) > max_length:
        out = out[: max_length - 1].rstrip() + "\\u2026"
    return out
''',
    '''
def {fn}(items: Iterable[T], size: int = {n}) -> Iterator[list[T]]:
    """Yield lists of at most `size` items from `items`."""
    if size <= 0:
        raise ValueError("size must be positive")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
''',
    '''
def {fn}(attempts: int = {n}, delay: float = 0.05, exceptions: tuple = (Exception,)):
    """Retry the decorated function on `exceptions`, doubling `delay` each time."""

    def decorator(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            wait = delay
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions:
                    if attempt == attempts:
                        raise
                    time.sleep(wait)
                    wait *= 2
            raise RuntimeError("unreachable")

        return wrapper

    return decorator
''',
    '''
@dataclass
class {cls}:
    """A small value object used by the {topic} helpers."""

    key: str
    weight: int = {n}
    tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def merged(self, other: "{cls}") -> "{cls}":
        tags = sorted(set(self.tags) | set(other.tags))
        meta = {{**self.meta, **other.meta}}
        return {cls}(key=self.key, weight=self.weight + other.weight, tags=tags, meta=meta)

    def as_dict(self) -> dict[str, Any]:
        return {{"key": self.key, "weight": self.weight, "tags": list(self.tags), "meta": dict(self.meta)}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "{cls}":
        return cls(
            key=str(data["key"]),
            weight=int(data.get("weight", {n})),
            tags=list(data.get("tags", [])),
            meta=dict(data.get("meta", {{}})),
        )
''',
    '''
def {fn}(rows: Sequence[dict[str, Any]], key: str, *, reverse: bool = False) -> list[dict[str, Any]]:
    """Sort `rows` by `key`, rows lacking the key last, stable for equal keys."""
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (str(type(r[key])), r[key]), reverse=reverse)
    return present + missing
''',
    '''
class {cls}:
    """In-process LRU cache with a time-to-live, for {topic} look-ups."""

    def __init__(self, capacity: int = {n}, ttl: float = 60.0) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._data: "OrderedDict[str, tuple[float, Any]]" = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._data.get(key)
        if entry is None or entry[0] < time.monotonic():
            self.misses += 1
            self._data.pop(key, None)
            return default
        self._data.move_to_end(key)
        self.hits += 1
        return entry[1]

    def set(self, key: str, value: Any) -> None:
        self._data[key] = (time.monotonic() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)
''',
    '''
def {fn}(text: str) -> dict[str, str]:
    """Parse `k=v; k2=v2` pairs, ignoring blanks and comments."""
    result: dict[str, str] = {{}}
    for raw in text.split(";"):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        if "=" not in item:
            logger.warning("{fn}: ignoring %r", item)
            continue
        key, _, value = item.partition("=")
        result[key.strip().lower()] = value.strip().strip('"')
    return result
''',
    '''
def {fn}(amount_cents: int, currency: str = "EUR", *, locale: str = "en") -> str:
    """Format an integer amount of cents for display."""
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    grouped = f"{{whole:,}}"
    if locale.startswith(("de", "fr", "es")):
        grouped = grouped.replace(",", ".")
        return f"{{sign}}{{grouped}},{{cents:02d}} {{currency}}"
    return f"{{sign}}{{currency}} {{grouped}}.{{cents:02d}}"
''',
    '''
def {fn}(payload: Mapping[str, Any], schema: Mapping[str, type]) -> list[str]:
    """Return the problems of `payload` against a flat `schema` of field types."""
    errors: list[str] = []
    for name, expected in schema.items():
        if name not in payload:
            errors.append(f"{{name}}: missing")
            continue
        value = payload[name]
        if not isinstance(value, expected):
            errors.append(f"{{name}}: expected {{expected.__name__}}, got {{type(value).__name__}}")
    for name in payload:
        if name not in schema:
            errors.append(f"{{name}}: unexpected")
    return errors
''',
    '''
async def {fn}(coros: Iterable[Awaitable[T]], limit: int = {n}) -> list[T]:
    """Await `coros` with at most `limit` running at once, keeping their order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    return list(await asyncio.gather(*(run(c) for c in coros)))
''',
]

UTIL_HEADER = '''"""Helpers for {topic} ({pkg})."""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
'''


def util_module(rng: random.Random, topic: str, pkg: str, target_lines: int) -> str:
    parts = [UTIL_HEADER.format(topic=topic, pkg=pkg)]
    lines = parts[0].count("\n")
    i = 0
    while lines < target_lines:
        block = rng.choice(UTIL_BLOCKS)
        text = block.format(
            fn=f"{rng.choice(VERBS)}_{topic}_{i}",
            cls=f"{camel(topic)}{camel(rng.choice(NOUNS))}{i}",
            topic=topic,
            n=rng.randint(2, 512),
        )
        parts.append(text)
        lines += text.count("\n") + 1
        i += 1
    return "\n".join(parts)


def generate(root: Path, modules: int = 1000, seed: int = 1234, lines_per_module: int = 150) -> Generated:
    """Write the synthetic workspace into `root` (which should be empty)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    gen = Generated(root=root)
    w = Writer(root)
    used: set[str] = set()
    decl = gen.endpoints
    # Sizing: each FastAPI router brings 4 modules (router, schema, model, crud) and 21 routes;
    # each Flask blueprint 3 modules and 19 routes; each Django app 6 modules and ~85 routes.
    # For 1,000 modules that is ~5,000 endpoints in ~660 modules; helper modules fill the rest.
    # About 30 modules are fixed (settings, deps, factories ...), whatever the size.
    scale = max(0, modules - 30)
    n_fa = max(1, round(scale * 0.072))
    n_fl = max(1, round(scale * 0.077))
    n_dj = max(1, round(scale * 0.025))
    gen_fastapi(w, rng, n_fa, used, decl, gen)
    gen_flask(w, rng, n_fl, used, decl, gen)
    gen_django(w, rng, n_dj, used, decl, gen)
    w.write(
        "docker-compose.yml",
        """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: app
  cache:
    image: redis:7
""",
    )
    w.write("README.md", "# Synthetic workspace generated by benchmarks/scan.py\n")
    # pad with helper modules so the module and line counts reach the targets
    homes = ["fastapi_svc/app/utils", "flask_svc/app/utils", "django_svc/common"]
    made: set[str] = set()
    target_lines = modules * lines_per_module
    i = 0
    while w.files < modules:
        home = homes[i % len(homes)]
        if home not in made:
            made.add(home)
            if not (w.root / home / "__init__.py").exists():
                w.write(f"{home}/__init__.py", "")
            continue
        topic = UTIL_TOPICS[(i // len(homes)) % len(UTIL_TOPICS)]
        sub = f"{home}/{topic}"
        if sub not in made:
            made.add(sub)
            w.write(f"{sub}/__init__.py", f'"""{topic} helpers."""')
            continue
        per = max(20, (target_lines - w.lines) // (modules - w.files))
        w.write(f"{sub}/{topic}_{i}.py", util_module(rng, topic, sub.replace("/", "."), per))
        i += 1
    gen.files, gen.lines = w.files, w.lines
    gen.seconds = time.perf_counter() - t0
    return gen


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".seamline" not in p.parts)


def cpu_now() -> float:
    """CPU seconds (user + system) of this process and of its reaped children, microsecond resolution."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Runs:
    """Wall-clock and CPU times of repeated runs of one thing."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, fn, *, collect: bool = True):
        if collect:  # a clean heap for one-off scans; rescans run on the heap the previous ones left
            gc.collect()
        w0, c0 = time.perf_counter(), cpu_now()
        result = fn()
        self.cpu.append(cpu_now() - c0)
        self.wall.append(time.perf_counter() - w0)
        return result

    def store(self, report: dict, name: str, *, median: bool = False) -> None:
        """The best run, or with `median` the median one (for figures taken over different inputs)."""
        pick = statistics.median if median else min
        report[name] = {
            "wall_s": pick(self.wall),
            "cpu_s": pick(self.cpu),
            "wall_runs": self.wall,
            "cpu_runs": self.cpu,
            "statistic": "median" if median else "min",
        }

    def text(self) -> str:
        return (
            f"{min(self.wall) * 1000:,.1f} ms wall, {min(self.cpu) * 1000:,.1f} ms CPU "
            f"(runs: {', '.join(f'{t:.3f}s' for t in self.wall)})"
        )


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    """Best wall time of `repeat` calls (seconds), all times, and the last result."""
    runs, result = Runs(), None
    for _ in range(repeat):
        result = runs.time(fn)
    return min(runs.wall), runs.wall, result


def floor_parse(root: Path) -> int:
    """The least any static analyser must do: find the .py files, read them and parse them."""
    n = 0
    for f in py_files(root):
        tree = ast.parse(f.read_bytes(), filename=str(f))
        n += len(tree.body)
    return n


def load_analyser():
    """(scan, Index) or raise ImportError with a readable message."""
    try:
        from seamline.core.analyze.index import Index
        from seamline.core.analyze.scan import scan
    except ImportError as exc:
        raise ImportError(
            f"the analyser is not importable yet ({exc}); expected seamline.core.analyze.scan.scan "
            "and seamline.core.analyze.index.Index under server/"
        ) from exc
    return scan, Index


_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>")


def norm_key(method: str, path: str) -> str:
    p = _PARAM.sub("{}", path or "/")
    p = re.sub(r"/+", "/", "/" + p.strip("/"))
    return f"{method.upper()} {p}"


def compare_endpoints(declared: list[Declared], found) -> dict:
    want: dict[str, Declared] = {}
    for d in declared:
        want[norm_key(d.method, d.path)] = d
    got = Counter(norm_key(e.method, e.path) for e in found)
    missing = [d for k, d in want.items() if k not in got]
    extra = sorted(k for k in got if k not in want)
    by_fw_decl = Counter(d.framework for d in want.values())
    by_fw_found = Counter(d.framework for k, d in want.items() if k in got)
    by_construct_missing: Counter = Counter()
    for d in missing:
        for c in d.construct.split(","):
            by_construct_missing[c] += 1
    return {
        "declared": len(want),
        "found_total": len(found),
        "found_distinct": len(got),
        "matched": len(want) - len(missing),
        "missing": len(missing),
        "extra": len(extra),
        "by_framework": {
            fw: {"declared": n, "matched": by_fw_found.get(fw, 0)} for fw, n in sorted(by_fw_decl.items())
        },
        "missing_by_construct": dict(by_construct_missing.most_common()),
        "missing_samples": [f"{d.method} {d.path}  [{d.construct}]  {d.file}" for d in missing[:15]],
        "extra_samples": extra[:15],
    }


def findings_summary(project) -> dict:
    findings = getattr(project, "findings", ()) or ()
    by_code = Counter(f.code for f in findings)
    samples: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        if len(samples[f.code]) < 3:
            samples[f.code].append(f"{f.file}:{f.line}: {f.message}")
    return {"total": len(findings), "by_code": dict(by_code.most_common()), "samples": dict(samples)}


MEM_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from seamline.core.analyze.index import Index
from seamline.core.analyze.scan import scan


def hwm_kb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None


base = hwm_kb()
t0 = time.perf_counter()
project = scan(Path(sys.argv[1]), index=Index(cache_dir=Path(sys.argv[2])))
dt = time.perf_counter() - t0
print(json.dumps({"baseline_hwm_kb": base, "hwm_kb": hwm_kb(), "seconds": dt, "endpoints": len(project.endpoints)}))
"""

# A tiny launcher runs the scan child and reads RUSAGE_CHILDREN. It exists because on Linux a
# process's ru_maxrss starts at its parent's RSS at fork time (it survives exec), so a child
# forked straight from this benchmark, which holds the generated project, would report at least
# this process's size. The launcher itself is ~10 MB, far below any scan.
MEM_LAUNCHER = r"""
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr[-4000:], "maxrss": kb}))
"""


def measure_peak_memory(root: Path, cache_dir: Path) -> dict:
    """Cold scan in a fresh interpreter; peak RSS from RUSAGE_CHILDREN of a tiny launcher."""
    child = [sys.executable, "-c", MEM_CHILD, str(root), str(cache_dir), str(SERVER)]
    proc = subprocess.run(
        [sys.executable, "-c", MEM_LAUNCHER, *child],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"launcher exit {proc.returncode}"])[-1]}
    outer = json.loads(proc.stdout)
    if outer["rc"] != 0:
        return {"error": (outer["stderr"].strip().splitlines() or [f"scan child exit {outer['rc']}"])[-1]}
    data = json.loads(outer["stdout"].strip().splitlines()[-1])
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    data["peak_mb"] = outer["maxrss"] / unit
    if data.get("hwm_kb"):
        data["vmhwm_mb"] = data["hwm_kb"] / 1024
    if data.get("baseline_hwm_kb"):
        data["baseline_mb"] = data["baseline_hwm_kb"] / 1024
    data["method"] = (
        "ru_maxrss via resource.getrusage(RUSAGE_CHILDREN) in a small launcher process: peak RSS "
        "of a fresh interpreter doing imports + one cold scan; VmHWM from /proc is a cross-check"
    )
    return data


TINY_APP = """
from fastapi import APIRouter, Depends, FastAPI

app = FastAPI()
router = APIRouter(prefix="/items")


def get_user() -> str:
    return "alice"


@router.get("/")
def list_items(user: str = Depends(get_user)):
    return []


@router.get("/{item_id}")
def read_item(item_id: int):
    return {"id": item_id}


@router.post("/")
def create_item(name: str):
    return {"name": name}


app.include_router(router, prefix="/api")


@app.get("/health")
def health():
    return {"ok": True}
"""


def measure_runtime_comparison(base: Path, scan_fn, index_cls, repeat: int) -> dict:
    tiny = base / "tiny_app"
    tiny.mkdir(parents=True, exist_ok=True)
    (tiny / "app.py").write_text(TINY_APP.lstrip(), encoding="utf-8")
    out: dict = {"python": sys.executable}
    # The plain listing first. FastAPI >= 0.16x keeps included routers as lazy `_IncludedRouter`
    # entries without `.path`; then fall back to the public openapi() schema, which flattens them.
    variants = [
        ("routes", "import app; [r.path for r in app.app.routes]"),
        ("openapi", "import app; sorted(app.app.openapi()['paths'])"),
    ]
    failures = []
    for label, code in variants:
        cmd = [sys.executable, "-c", code]
        probe = subprocess.run(cmd, cwd=tiny, capture_output=True, text=True, timeout=120, check=False)
        if probe.returncode != 0:
            last = (
                probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else f"exit {probe.returncode}"
            )
            failures.append(f"{code!r}: {last}")
            if "ModuleNotFoundError" in last:
                break  # FastAPI (or a dependency) is not installed: no variant will do better
            continue
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=tiny, check=True, capture_output=True, timeout=120)
            times.append(time.perf_counter() - t0)
        out["import_s"] = min(times)
        out["import_cmd"] = code
        break
    if failures:
        out["import_failures"] = failures
    if "import_s" not in out:
        out["import_skipped"] = (
            f"importing the tiny app failed ({'; '.join(failures)}); nothing was installed"
        )
    else:
        # what the framework itself says, to compare with scan() (not timed)
        code = (
            "import app, json; s = app.app.openapi()['paths']; "
            "print(json.dumps(sorted(f'{m.upper()} {p}' for p, ops in s.items() for m in ops)))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=tiny, capture_output=True, text=True, timeout=120, check=False
        )
        if proc.returncode == 0:
            out["runtime_endpoints"] = json.loads(proc.stdout.strip().splitlines()[-1])
    # bare interpreter start, for reference
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=60)
        times.append(time.perf_counter() - t0)
    out["python_startup_s"] = min(times)
    if scan_fn is not None:

        def one():
            cache = Path(tempfile.mkdtemp(prefix="seamline-tiny-cache-", dir=base))
            try:
                return scan_fn(tiny, index=index_cls(cache_dir=cache))
            finally:
                shutil.rmtree(cache, ignore_errors=True)

        best, _, project = timed(one, repeat)
        out["scan_s"] = best
        out["scan_endpoints"] = sorted(e.key for e in project.endpoints)
        if "runtime_endpoints" in out:
            out["scan_matches_runtime"] = sorted(
                norm_key(*k.split(" ", 1)) for k in out["runtime_endpoints"]
            ) == sorted(norm_key(*k.split(" ", 1)) for k in out["scan_endpoints"])
        # the same in a fresh interpreter, so that start-up and imports count on both sides
        code = (
            "import sys, tempfile; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from seamline.core.analyze.index import Index; from seamline.core.analyze.scan import scan; "
            "scan(Path('.'), index=Index(cache_dir=Path(tempfile.mkdtemp())))"
        )
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", code, str(SERVER)],
                cwd=tiny,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            times.append(time.perf_counter() - t0)
        if proc.returncode == 0:
            out["scan_subprocess_s"] = min(times)
        if "import_s" in out:
            out["import_over_scan"] = out["import_s"] / best if best else None
            if "scan_subprocess_s" in out:
                out["import_over_scan_subprocess"] = out["import_s"] / out["scan_subprocess_s"]
    return out


INCR_ROUTE = """

@router.get("/bench-added-{n}")
def bench_added_{n}(db: Session = Depends(get_db)) -> dict:
    return {{"n": {n}}}
"""


INCR_BLUEPRINT_ROUTE = """

@bp.route("/bench-added-{n}", methods=["GET"])
def bench_added_{n}():
    return jsonify(n={n})
"""

INCR_ACTION = """
    @action(detail=False, methods=["get"], url_path="bench-{n}")
    def bench_{n}(self, request):
        return Response({{"n": {n}}})
"""


@dataclass
class Edit:
    """One editor change of the incremental step: what it does to a file, and how to tell that
    the rescan saw it."""

    kind: str  # "router" | "model" | "crud" | "flask-blueprint" | "django-views" | "django-urls" | "drf-serializer"
    path: Path
    apply: object  # (text, n) -> new text
    seen: object  # (project, n) -> bool


def incremental_edits(gen: Generated) -> list[Edit]:
    """A route added to a router module, a column added to a model, a crud helper's body changed:
    the three files of one FastAPI resource a developer touches most; then a route added to a
    Flask blueprint, and in one Django app an `@action` added to a viewset (in the middle of
    views.py, so the views after it move), a `path()` added to urls.py and a field added to a
    serializer."""
    assert gen.edit_file and gen.edit_model_file and gen.edit_crud_file
    return [*fastapi_edits(gen), *flask_django_edits(gen)]


def path_seen(project, needle: str) -> bool:
    return any(needle in e.path for e in project.endpoints)


def flask_django_edits(gen: Generated) -> list[Edit]:
    assert gen.edit_flask_file and gen.edit_django_dir
    views, urls = gen.edit_django_dir / "views.py", gen.edit_django_dir / "urls.py"
    serializers = gen.edit_django_dir / "serializers.py"

    def add_blueprint_route(text: str, n: int) -> str:
        return text + INCR_BLUEPRINT_ROUTE.format(n=n)

    def blueprint_route_seen(project, n: int) -> bool:
        want = norm_key("GET", join(gen.edit_flask_prefix, f"/bench-added-{n}"))
        return any(norm_key(e.method, e.path) == want for e in project.endpoints)

    hook = "        serializer.save(owner=self.request.user)\n"

    def add_action(text: str, n: int) -> str:
        head, sep, tail = text.partition(hook)
        return f"{head}{sep}{INCR_ACTION.format(n=n)}{tail}"

    def add_path(text: str, n: int) -> str:
        view = re.search(r"views\.(\w+_ping)\b", text)
        assert view, "no function view to route to"
        head, sep, tail = text.partition("urlpatterns = [\n")
        return f'{head}{sep}    path("bench-{n}/", views.{view.group(1)}, name="bench-{n}"),\n{tail}'

    owner = "    owner = serializers.PrimaryKeyRelatedField(read_only=True)\n"

    def add_field(text: str, n: int) -> str:  # declared on the first serializer, and listed in its Meta
        head, sep, tail = text.partition(owner)
        tail = tail.replace("        fields = [", f'        fields = ["bench_{n}", ', 1)
        return f"{head}{sep}    bench_{n} = serializers.CharField(required=False)\n{tail}"

    def field_seen(project, n: int) -> bool:
        return any(f.name == f"bench_{n}" for s in project.schemas for f in s.fields)

    return [Edit("flask-blueprint", gen.edit_flask_file, add_blueprint_route, blueprint_route_seen),
            Edit("django-views", views, add_action, lambda project, n: path_seen(project, f"/bench-{n}/")),
            Edit("django-urls", urls, add_path,
                 lambda project, n: path_seen(project, f"{gen.edit_django_prefix}/bench-{n}/")),
            Edit("drf-serializer", serializers, add_field, field_seen)]


def fastapi_edits(gen: Generated) -> list[Edit]:
    assert gen.edit_file and gen.edit_model_file and gen.edit_crud_file

    def add_route(text: str, n: int) -> str:
        return text + INCR_ROUTE.format(n=n)

    def route_seen(project, n: int) -> bool:
        want = norm_key("GET", join(gen.edit_prefix, f"/bench-added-{n}"))
        return any(norm_key(e.method, e.path) == want for e in project.endpoints)

    anchor = "    __tablename__ = "

    def add_column(text: str, n: int) -> str:
        head, sep, rest = text.partition(anchor)
        line, nl, tail = rest.partition("\n")
        return f"{head}{sep}{line}{nl}    bench_col_{n} = Column(Integer, default={n})\n{tail}"

    def column_seen(project, n: int) -> bool:
        return any(m.name.endswith("." + gen.edit_model) and any(f.name == f"bench_col_{n}" for f in m.fields)
                   for m in project.models)

    def change_helper(text: str, n: int) -> str:
        head, sep, rest = text.partition("\ndef get(")
        body, ret, tail = rest.partition("\n    return ")
        return f"{head}{sep}{body}\n    bench_{n} = {n}{ret}{tail}"

    return [Edit("router", gen.edit_file, add_route, route_seen),
            Edit("model", gen.edit_model_file, add_column, column_seen),
            Edit("crud", gen.edit_crud_file, change_helper, lambda project, n: True)]


def run(args) -> dict:
    report: dict = {"targets": TARGETS, "notes": []}
    base = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="seamline-bench-"))
    root = base / "workspace"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    try:
        gen = generate(root, modules=args.modules, seed=args.seed)
        by_fw = Counter(d.framework for d in gen.endpoints)
        report["generated"] = {
            "root": str(root),
            "modules": gen.files,
            "lines": gen.lines,
            "endpoints_declared": len(gen.endpoints),
            "endpoints_by_framework": dict(sorted(by_fw.items())),
            "seconds": gen.seconds,
            "seed": args.seed,
        }
        log(
            args,
            f"generated {gen.files} modules, {gen.lines} lines, {len(gen.endpoints)} endpoints declared "
            f"({', '.join(f'{k} {v}' for k, v in sorted(by_fw.items()))}) in {gen.seconds:.2f}s -> {root}",
        )

        runs = Runs()
        for _ in range(args.repeat):
            runs.time(lambda: floor_parse(root))
        runs.store(report, "floor")
        log(args, f"floor (walk + read + ast.parse of {gen.files} files): {runs.text()}")

        try:
            scan_fn, Index = load_analyser()
        except ImportError as exc:
            report["analyser"] = f"SKIPPED: {exc}"
            log(args, f"analyser: SKIPPED: {exc}")
            scan_fn = Index = None

        if scan_fn is not None:
            measure_analyser(args, report, gen, root, base, scan_fn, Index)
        report["runtime_comparison"] = measure_runtime_comparison(base, scan_fn, Index, args.repeat)
        if "import_skipped" in report["runtime_comparison"]:
            log(args, f"runtime comparison: skipped: {report['runtime_comparison']['import_skipped']}")
    finally:
        if not args.keep and not args.out:
            shutil.rmtree(base, ignore_errors=True)
        else:
            report["notes"].append(f"workspace kept at {root}")
    report["clock"] = args.clock
    report["checks"] = checks(report, args.clock)
    note = busy_note(report)
    if note:
        report["notes"].append(note)
    return report


def measure_priming(args, report, gen: Generated, root: Path, cache_dir: Path, scan_fn, Index) -> None:
    """The server primes the memos in the background after a warm start (scan.prime: every app
    linked again, no file read). Measured on a warm Index of its own: the priming itself, then
    the first edit of each app on it, beside the same first edits without priming."""
    from seamline.core.analyze import heap
    from seamline.core.analyze.scan import prime

    primed = Index(cache_dir=cache_dir)
    scan_fn(root, index=primed)
    heap.settle(primed, first=True)
    priming = Runs()
    priming.time(lambda: (prime(root, primed), heap.settle(primed, first=False)), collect=False)
    priming.store(report, "prime")
    primed_first, primed_by_app = Runs(), {}
    for first in incremental_edits(gen):
        if first.kind in ("router", "flask-blueprint", "django-views"):
            first.path.write_text(first.apply(first.path.read_text(encoding="utf-8"), 998), encoding="utf-8")
            primed_first.time(lambda: (scan_fn(root, index=primed, changed=[first.path]),  # noqa: B023
                                       heap.settle(primed, first=False)), collect=False)
            primed_by_app[first.kind] = round(primed_first.wall[-1] * 1000, 1)
    primed_first.store(report, "incremental_first_primed")
    report["incremental_first_primed_by_edit_ms"] = primed_by_app
    log(args, f"priming after a warm start (background, in the server): {priming.text()}; first edit of each app "
        f"after it: {primed_first.text()}; by edit (ms): {primed_by_app}")


def measure_analyser(args, report, gen: Generated, root: Path, base: Path, scan_fn, Index) -> None:
    cache_root = base / "caches"
    cache_root.mkdir(exist_ok=True)

    # (b) cold: a fresh Index over an empty cache_dir, every time
    runs, project, cache_dir = Runs(), None, None
    for i in range(args.repeat):
        cache_dir = cache_root / f"cold-{i}"
        cache_dir.mkdir()
        index = Index(cache_dir=cache_dir)
        project = runs.time(lambda: scan_fn(root, index=index))  # noqa: B023
    runs.store(report, "cold")
    log(args, f"cold scan: {runs.text()}")
    report["endpoints"] = compare_endpoints(gen.endpoints, project.endpoints)
    report["findings"] = findings_summary(project)
    report["services"] = sorted({s.kind for s in getattr(project, "services", ())})
    ep = report["endpoints"]
    log(
        args,
        f"endpoints: {ep['matched']}/{ep['declared']} declared found; {ep['found_total']} reported, "
        f"{ep['extra']} not declared",
    )

    # (c) warm: a fresh Index over the populated cache_dir (the last cold one)
    runs = Runs()
    for _ in range(args.repeat):
        index = Index(cache_dir=cache_dir)
        warm_project = runs.time(lambda: scan_fn(root, index=index))  # noqa: B023
    runs.store(report, "warm")
    report["warm_endpoints_same"] = sorted(e.key for e in warm_project.endpoints) == sorted(
        e.key for e in project.endpoints
    )
    report["warm_stats"] = dict(getattr(warm_project, "stats", {}) or {})
    log(args, f"warm scan: {runs.text()}; same endpoints as cold: {report['warm_endpoints_same']}")

    # (d) incremental: same Index object; make each edit of `incremental_edits` in turn (FastAPI
    # router, model, crud; Flask blueprint; Django views, urls, serializer), `--edits` rounds, and
    # rescan after each edit naming the file, as the editor does (so the folder is not walked
    # again). The figure is the median over all edits, with the median of each kind beside it.
    # The first edit after a warm start is timed apart: the warm scan took every app from the
    # link cache, so that edit links its app afresh and fills the memo later edits reuse.
    # Each of the three apps is linked afresh on its first edit, so there is one such edit per app
    # (the FastAPI router, the Flask blueprint and the Django views edit).
    # Rescans run as in the language server: no collection before each, and after each the
    # server's heap step (`heap.settle`: freeze the heap after a scan that built lasting state),
    # timed with the scan. A full collection that lands on a rescan counts in its time.
    from seamline.core.analyze import heap

    def rescan(path: Path):
        project = scan_fn(root, index=index, changed=[path])
        heap.settle(index, first=False)
        return project

    heap.settle(index, first=True)  # the warm scan was this Index's first: the server's first index

    measure_priming(args, report, gen, root, cache_dir, scan_fn, Index)

    warmup, first_seen, first_by_app = Runs(), [], {}
    for first in incremental_edits(gen):
        if first.kind not in ("router", "flask-blueprint", "django-views"):
            continue
        first.path.write_text(first.apply(first.path.read_text(encoding="utf-8"), 999), encoding="utf-8")
        p2 = warmup.time(lambda: rescan(first.path), collect=False)  # noqa: B023
        first_seen.append(first.seen(p2, 999))
        first_by_app[first.kind] = round(warmup.wall[-1] * 1000, 1)
    warmup.store(report, "incremental_first")
    report["incremental_first_by_edit_ms"] = first_by_app
    report["incremental_first_seen"] = all(first_seen)
    log(args, f"first edit of each app after a warm start (links the app afresh, fills its memo): "
        f"{warmup.text()}; by edit (ms): {first_by_app}")
    runs, seen, by_kind, kinds = Runs(), [], defaultdict(list), []
    for n in range(args.edits):
        for edit in incremental_edits(gen):
            edit.path.write_text(edit.apply(edit.path.read_text(encoding="utf-8"), n), encoding="utf-8")
            p2 = runs.time(lambda: rescan(edit.path), collect=False)  # noqa: B023
            by_kind[edit.kind].append(runs.wall[-1])
            kinds.append(edit.kind)
            seen.append(edit.seen(p2, n))
    runs.store(report, "incremental", median=True)
    report["incremental_by_edit_ms"] = {k: [round(t * 1000, 1) for t in v] for k, v in by_kind.items()}
    report["incremental_by_kind_median_ms"] = {k: round(statistics.median(v) * 1000, 1) for k, v in by_kind.items()}
    report["incremental_by_kind_median_cpu_ms"] = {
        k: round(statistics.median(runs.cpu[i] for i in range(len(runs.cpu)) if kinds[i] == k) * 1000, 1)
        for k in by_kind}
    report["incremental_max_ms"] = round(max(runs.wall) * 1000, 1)
    report["incremental_p90_ms"] = round(statistics.quantiles(runs.wall, n=10)[-1] * 1000, 1)
    report["incremental_p90_cpu_ms"] = round(statistics.quantiles(runs.cpu, n=10)[-1] * 1000, 1)
    report["incremental_over_target"] = sum(t * 1000 >= TARGETS["incremental_ms"] for t in runs.wall)
    report["incremental_stats"] = dict(getattr(p2, "stats", {}) or {})
    report["incremental_files"] = [str(e.path.relative_to(root)) for e in incremental_edits(gen)]
    report["incremental_new_endpoint_found"] = all(seen) and report["incremental_first_seen"]
    report["incremental_new_endpoint_key"] = f"GET {join(gen.edit_prefix, '/bench-added-N')}"
    inc = report["incremental"]
    log(args, f"incremental: median {inc['wall_s'] * 1000:.1f} ms wall, {inc['cpu_s'] * 1000:.1f} ms CPU over "
        f"{len(runs.wall)} edits ({inc['wall_s'] * 1000 / TARGETS['incremental_ms']:.2f}x the "
        f"{TARGETS['incremental_ms']:g} ms target); median by kind (ms wall): "
        f"{report['incremental_by_kind_median_ms']}, (ms CPU): {report['incremental_by_kind_median_cpu_ms']}; "
        f"slowest edit {report['incremental_max_ms']} ms, {report['incremental_over_target']} of "
        f"{len(runs.wall)} at or over the target; edits seen: {all(seen)}")

    # (e) peak memory of a cold scan in a fresh interpreter
    mem_cache = cache_root / "mem"
    mem_cache.mkdir()
    report["memory"] = measure_peak_memory(root, mem_cache)
    if "peak_mb" in report["memory"]:
        mem = report["memory"]
        base_mb = f"{mem['baseline_mb']:.0f} MB" if "baseline_mb" in mem else "?"
        log(args, f"peak RSS of cold scan: {mem['peak_mb']:.0f} MB (interpreter + imports alone: {base_mb})")
    else:
        log(args, f"peak memory: failed: {report['memory'].get('error')}")


def phase(r: dict, name: str, clock: str) -> float | None:
    """Best time of a phase in seconds on the chosen clock ("wall" or "cpu")."""
    return (r.get(name) or {}).get(f"{clock}_s")


def checks(r: dict, clock: str = "wall") -> list[dict]:
    rows = []

    def row(name, value, target, ok, fmt):
        rows.append(
            {
                "check": name,
                "value": value,
                "target": target,
                "status": "SKIP" if value is None else ("PASS" if ok else "MISS"),
                "shown": fmt,
            }
        )

    floor, cold, warm = phase(r, "floor", clock), phase(r, "cold", clock), phase(r, "warm", clock)
    v = cold / floor if cold and floor else None
    row(
        "cold / floor",
        v,
        f"<= {TARGETS['cold_over_floor']:g}x",
        v is not None and v <= TARGETS["cold_over_floor"],
        f"{v:.2f}x" if v is not None else "-",
    )
    v = warm / cold if warm is not None and cold else None
    row(
        "warm / cold",
        v,
        f"<= {TARGETS['warm_over_cold']:.0%}",
        v is not None and v <= TARGETS["warm_over_cold"],
        f"{v:.1%}" if v is not None else "-",
    )
    inc = phase(r, "incremental", clock)
    v = None if inc is None else inc * 1000
    found = r.get("incremental_new_endpoint_found", False)
    ok = v is not None and v < TARGETS["incremental_ms"] and found
    shown = "-" if v is None else (f"{v:.1f} ms ({v / TARGETS['incremental_ms']:.2f}x)"
                                   + ("" if found else " (an edit NOT seen)"))
    row("incremental rescan (median)", v, f"< {TARGETS['incremental_ms']:g} ms + every edit seen", ok, shown)
    # no kind of edit may hide behind the others: the slowest kind's median must make it too
    per_kind = r.get(f"incremental_by_kind_median{'_cpu' if clock == 'cpu' else ''}_ms") or {}
    worst = max(per_kind, key=per_kind.get) if per_kind else None
    v = per_kind[worst] if worst else None
    row("incremental, slowest kind (median)", v, f"< {TARGETS['incremental_ms']:g} ms",
        v is not None and v < TARGETS["incremental_ms"], "-" if v is None else f"{v:.1f} ms ({worst})")
    # nor the first edit of an app after a warm start, once the server has primed the memos
    by_app = r.get("incremental_first_primed_by_edit_ms") or {}
    v = max(by_app.values()) if by_app else None
    row("first edit after warm start, primed", v, f"< {TARGETS['incremental_ms']:g} ms (slowest app)",
        v is not None and v < TARGETS["incremental_ms"], "-" if v is None else f"{v:.1f} ms")
    # nor may the odd slow rescan (a collection landing on it): nine edits in ten make it
    v = r.get(f"incremental_p90{'_cpu' if clock == 'cpu' else ''}_ms")
    row("incremental, 90th percentile", v, f"< {TARGETS['incremental_ms']:g} ms",
        v is not None and v < TARGETS["incremental_ms"], "-" if v is None else f"{v:.1f} ms")
    v = r.get("memory", {}).get("peak_mb")
    row(
        "peak RSS, cold scan",
        v,
        f"< {TARGETS['peak_mb']:g} MB",
        v is not None and v < TARGETS["peak_mb"],
        f"{v:.0f} MB" if v is not None else "-",
    )
    ep = r.get("endpoints")
    v = ep["matched"] / ep["declared"] if ep else None
    row(
        "endpoints found / declared",
        v,
        "100%",
        v is not None and v >= TARGETS["endpoint_recall"],
        f"{ep['matched']}/{ep['declared']} ({v:.1%})" if ep else "-",
    )
    return rows


def busy_note(r: dict) -> str | None:
    """Say so when wall time ran well past CPU time: other work was competing for the CPUs."""
    walls = sum(sum((r.get(p) or {}).get("wall_runs", [])) for p in ("floor", "cold", "warm"))
    cpus = sum(sum((r.get(p) or {}).get("cpu_runs", [])) for p in ("floor", "cold", "warm"))
    if cpus and walls / cpus > 1.25:
        return (
            f"wall time was {walls / cpus:.1f}x CPU time: the machine was busy, so wall figures are inflated; "
            "the CPU column (or --clock cpu) is the steadier one"
        )
    return None


def log(args, msg: str) -> None:
    if not args.json:
        print(msg, flush=True)
    else:
        print(msg, file=sys.stderr, flush=True)


def print_table(r: dict) -> None:
    g = r["generated"]
    print()
    print(
        f"workspace: {g['modules']} modules, {g['lines']:,} lines, {g['endpoints_declared']} endpoints declared"
    )
    print()
    print(f"  {'figure':<34}{'wall':>14}{'CPU':>14}")
    print(f"  {'-' * 62}")

    def ms(v):
        return "-" if v is None else f"{v * 1000:,.0f} ms"

    def ms1(v):
        return "-" if v is None else f"{v * 1000:,.1f} ms"

    for name, label, fmt in (
        ("floor", "floor (walk + read + ast.parse)", ms),
        ("cold", "cold scan (empty cache)", ms),
        ("warm", "warm scan (fresh Index, cache)", ms),
        ("prime", "priming after a warm start (bg)", ms),
        ("incremental_first_primed", "first edit of an app, primed", ms1),
        ("incremental_first", "first edit of an app, not primed", ms),
        ("incremental", "incremental (median, 1 file)", ms1),
    ):
        print(f"  {label:<34}{fmt(phase(r, name, 'wall')):>14}{fmt(phase(r, name, 'cpu')):>14}")
    if "incremental_max_ms" in r:
        print(f"  {'incremental (slowest edit)':<34}{r['incremental_max_ms']:>11,.1f} ms")
    mem = r.get("memory", {})
    peak = "-" if "peak_mb" not in mem else f"{mem['peak_mb']:.0f} MB"
    print(f"  {'peak RSS of cold scan':<34}{peak:>14}")
    rc = r.get("runtime_comparison", {})
    if "import_s" in rc:
        print(f"  {'tiny app: import + routes (subproc)':<34}{ms(rc['import_s']):>14}")
    print(f"  {'tiny app: python startup alone':<34}{ms(rc.get('python_startup_s')):>14}")
    if "scan_s" in rc:
        print(f"  {'tiny app: scan() in process':<34}{ms(rc['scan_s']):>14}")
    if "scan_subprocess_s" in rc:
        print(f"  {'tiny app: scan() in a subprocess':<34}{ms(rc['scan_subprocess_s']):>14}")
    if "import_skipped" in rc:
        print(f"  runtime comparison skipped: {rc['import_skipped']}")
    elif "import_cmd" in rc:
        print(f"  tiny app runtime command: python -c {rc['import_cmd']!r}")
    if "scan_matches_runtime" in rc:
        print(
            f"  tiny app: scan() endpoints == FastAPI's own openapi() endpoints: {rc['scan_matches_runtime']}"
        )
    if "import_over_scan" in rc:
        line = f"  tiny app, import / scan: {rc['import_over_scan']:.1f}x in process"
        if "import_over_scan_subprocess" in rc:
            line += f", {rc['import_over_scan_subprocess']:.1f}x both as subprocesses"
        print(line)
    print()
    print(f"  checks on {r.get('clock', 'wall')} time:")
    print(f"  {'check':<28}{'value':>24}  {'target':<36}status")
    print(f"  {'-' * 96}")
    for c in r["checks"]:
        print(f"  {c['check']:<28}{c['shown']:>24}  {c['target']:<36}{c['status']}")
    ep = r.get("endpoints")
    if ep:
        print()
        for fw, d in ep["by_framework"].items():
            print(f"  {fw:<8} {d['matched']:>6}/{d['declared']:<6} matched")
        if ep["missing"]:
            print(f"  missing by construct: {ep['missing_by_construct']}")
            for s in ep["missing_samples"]:
                print(f"    missing: {s}")
        if ep["extra"]:
            print(f"  {ep['extra']} reported endpoints were not declared, e.g.:")
            for s in ep["extra_samples"][:8]:
                print(f"    extra: {s}")
    f = r.get("findings")
    if f and f["total"]:
        print(f"  findings: {f['total']} {f['by_code']}")
        for code, samples in f["samples"].items():
            for s in samples:
                print(f"    [{code}] {s}")
    if "analyser" in r:
        print(f"\n  {r['analyser']}")
    for n in r.get("notes", []):
        print(f"  note: {n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--modules", type=int, default=1000, help="size of the synthetic workspace (default 1000)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is reported (default 3)")
    ap.add_argument(
        "--edits", type=int, default=5, help="rounds of router, model and crud edits for the incremental median (5)"
    )
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument(
        "--json", action="store_true", help="print the report as JSON on stdout (progress to stderr)"
    )
    ap.add_argument("--json-file", help="also write the JSON report to this file")
    ap.add_argument("--out", help="generate into this folder and keep it (default: a temp dir, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument(
        "--generate-only", action="store_true", help="only generate the workspace (implies --keep)"
    )
    ap.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="which times the checks use (default wall; cpu is steadier on a busy machine)",
    )
    args = ap.parse_args(argv)
    if args.generate_only:
        base = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="seamline-bench-"))
        root = base / "workspace"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        gen = generate(root, modules=args.modules, seed=args.seed)
        print(
            f"generated {gen.files} modules, {gen.lines} lines, {len(gen.endpoints)} endpoints declared "
            f"in {gen.seconds:.2f}s -> {root}"
        )
        return 0
    report = run(args)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_table(report)
    if args.check and any(c["status"] == "MISS" for c in report["checks"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
