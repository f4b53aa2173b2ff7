"""Names of generated fixtures (plurals), the token-function note only where it matters, and the note
for apps that pin Werkzeug/SQLAlchemy below what the generated tests call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.core.generate.tests.naming import plural
from seamline.core.generate.tests.versions import version_notes


@pytest.mark.parametrize(("model", "expected"), [
    ("app.models.Hero", "heroes"), ("Tags", "tags"), ("Category", "categories"), ("Status", "statuses"),
    ("Box", "boxes"), ("Item", "items"), ("OrderLine", "order_lines"), ("Address", "addresses"),
    ("Todo", "todos"), ("Photo", "photos"), ("Key", "keys"), ("Match", "matches"), ("Radio", "radios"),
])
def test_plural_of_model_names(model, expected):
    assert plural(model) == expected


_APP = '''
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

engine = create_engine("sqlite:///./app.db")
SessionLocal = sessionmaker(bind=engine)
Base = declarative_base()


class Hero(Base):
    __tablename__ = "hero"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)


class HeroIn(BaseModel):
    name: str


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


app = FastAPI()


@app.post("/heroes", status_code=201)
def create_hero(body: HeroIn, db: Session = Depends(get_db)):
    hero = Hero(name=body.name)
    db.add(hero)
    db.commit()
    return {"id": hero.id, "name": hero.name}
'''


def _hero_app(tmp_path: Path, requirements: str) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text(_APP, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    return tmp_path


def test_fixture_names_agree_between_conftest_and_modules_and_no_auth_note_without_protected_endpoints(tmp_path):
    root = _hero_app(tmp_path, "fastapi\nsqlalchemy>=2\n")
    project = scan(root)
    files = {f.path: f.content for f in generate_tests(project, root=root)}
    conftest = files.pop("tests/integration/conftest.py")
    defined = set(re.findall(r"^def (count_\w+)\(", conftest, re.MULTILINE))
    used = {n for text in files.values() for n in re.findall(r"\b(count_\w+)\(", text)}
    assert used == defined == {"count_heroes"}
    (suite,) = plan_tests(project, root=root)
    assert suite.notes == (), "no protected endpoint: no note about a token function, no pinned versions"


def test_pins_below_what_the_generated_tests_call_are_noted_with_their_line(tmp_path):
    root = _hero_app(tmp_path, "fastapi\n# the ORM\nSQLAlchemy==1.3.24\n")
    (suite,) = plan_tests(scan(root), root=root)
    (note,) = suite.notes
    assert note.startswith("requirements.txt:3 pins SQLAlchemy==1.3.24") and "sqlalchemy >= 1.4" in note
    assert suite.pin_notes == (note,)  # what `seamline run` says before the failures such a pin causes


@pytest.mark.parametrize(("files", "expected"), [
    ({"requirements.txt": "Flask\nWerkzeug<2.1\n"}, ["requirements.txt:2 pins Werkzeug<2.1 (werkzeug)"]),
    ({"requirements.txt": "Flask==1.1.4\nWerkzeug>=2.2\n"}, ["requirements.txt:1 pins Flask==1.1.4 (flask)"]),
    ({"Pipfile": '[packages]\nflask = "*"\nwerkzeug = "~=2.0.3"\n'}, ["Pipfile:3 pins ~=2.0.3 (werkzeug)"]),
    ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\nsqlalchemy = "~1.3"\n'},
     ["pyproject.toml:3 pins ~1.3 (sqlalchemy)"]),
    ({"requirements.txt": "Werkzeug>=2.0,<3\nSQLAlchemy==1.4.*\nFlask~=2.0\n"}, []),
    ({"requirements-test.txt": "Werkzeug<2.1\n"}, []),  # a test-only pin is not the app's
])
def test_version_pins_read_from_each_kind_of_file(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    notes = version_notes(tmp_path, framework="flask", orm="sqlalchemy")
    assert [n.split(";")[0] for n in notes] == expected
