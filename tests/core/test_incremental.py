"""Re-linking after an edit reuses memoized per-endpoint results (memo.py), and the outcome is
exactly what a scan with a fresh Index gives."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from seamline.core.analyze.index import Index
from seamline.core.analyze.memo import LASTING_KEY
from seamline.core.analyze.scan import scan
from workspace import write_packages

REPO = Path(__file__).resolve().parent.parent.parent
APPS = sorted(p for p in (REPO / "tests" / "fixtures" / "apps").iterdir() if p.is_dir())
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if (p / "requirements.txt").exists()
                  or (p / "pyproject.toml").exists())


def _comparable(project) -> dict:
    data = project.to_json()
    data.pop("stats", None)
    return data


def _rescan_matches_fresh(root: Path, index: Index, changed: Path):
    """Scan again with the warm index (naming the changed file, as the editor does) and with a
    fresh one; both must agree exactly. Returns the warm result."""
    warm = scan(root, index=index, changed=[changed])
    fresh = scan(root, index=Index())
    assert _comparable(warm) == _comparable(fresh)
    return warm


def _counts(index: Index) -> tuple[int, int]:
    """(computed, reused) memo entries over the apps the last scan re-linked."""
    stores = [state[LASTING_KEY] for state in index.app_state.values() if LASTING_KEY in state]
    return sum(s.computed for s in stores), sum(s.reused for s in stores)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("app", APPS + EXAMPLES, ids=lambda p: p.name)
def test_editing_a_handler_module_relinks_like_a_fresh_scan(app, tmp_path):
    root = tmp_path / app.name
    shutil.copytree(app, root, ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv"))
    index = Index()
    first = scan(root, index=index)
    handler_files = list(dict.fromkeys(e.file for e in first.endpoints))[:2]
    for rel in handler_files:
        # a new helper the module's handlers do not call: facts change, endpoints do not
        with (root / rel).open("a") as fh:
            fh.write("\n\ndef _seamline_added_helper(x):\n    return x\n")
        _rescan_matches_fresh(root, index, root / rel)
    if handler_files:
        computed, reused = _counts(index)
        assert reused > 0, "nothing was reused from the memo"


def test_fastapi_edits_of_handler_route_and_helper(tmp_path):
    root = tmp_path / "fastapi_items"
    shutil.copytree(REPO / "examples" / "fastapi_items", root, ignore=shutil.ignore_patterns("tests"))
    index = Index()
    scan(root, index=index)
    items = root / "app" / "api" / "routes" / "items.py"

    def effects(project, method, path):
        (e,) = [e for e in project.endpoints if (e.method, e.path) == (method, path)]
        return {(x.model, x.action) for x in e.effects}

    # a handler body now also creates a user
    _replace(items, "    return crud.create_item(db, data, owner_id=user.id)",
             "    crud.create_user(db, data)\n    return crud.create_item(db, data, owner_id=user.id)")
    p = _rescan_matches_fresh(root, index, items)
    assert ("app.models.User", "create") in effects(p, "POST", "/api/v1/items/")

    # a new route in the same module
    with items.open("a") as fh:
        fh.write('\n\n@router.get("/added")\ndef added_route(db: SessionDep):\n'
                 '    return crud.list_items(db, 1, 0, 10)\n')
    p = _rescan_matches_fresh(root, index, items)
    assert effects(p, "GET", "/api/v1/items/added") == {("app.models.Item", "read")}

    # a crud helper the handlers call now deletes a user: every caller's effects change
    crud = root / "app" / "crud.py"
    _replace(crud, "    item = Item(title=data.title",
             "    db.delete(db.get(User, owner_id))\n    item = Item(title=data.title")
    p = _rescan_matches_fresh(root, index, crud)
    assert ("app.models.User", "delete") in effects(p, "POST", "/api/v1/items/")


_LAYERED = {
    "app/main.py": """
        from fastapi import FastAPI
        from app import routes
        app = FastAPI()
        app.include_router(routes.router, prefix="/api")
    """,
    "app/models.py": """
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        class Base(DeclarativeBase):
            pass
        class Order(Base):
            __tablename__ = "orders"
            id: Mapped[int] = mapped_column(primary_key=True)
        class Audit(Base):
            __tablename__ = "audit"
            id: Mapped[int] = mapped_column(primary_key=True)
    """,
    "app/crud.py": """
        from app.models import Order
        def save_order(db, order):
            db.add(order)
            db.commit()
    """,
    "app/service.py": """
        from app import crud
        from app.models import Order
        def place(db):
            order = Order()
            crud.save_order(db, order)
            return order
    """,
    "app/routes.py": """
        from fastapi import APIRouter
        from app import service
        router = APIRouter()
    """ + "".join(f"""
        @router.post("/orders{i}")
        def place_{i}(db=None):
            return service.place(db)

        @router.get("/ping{i}")
        def ping_{i}():
            return {{}}
    """ for i in range(10)),
}


def test_a_helper_two_modules_away_invalidates_its_callers_only(tmp_path):
    root = write_packages(tmp_path, _LAYERED, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    first = scan(root, index=index)
    assert {(x.model, x.action) for e in first.endpoints if e.method == "POST" for x in e.effects} == {
        ("app.models.Order", "create")}
    crud = root / "app" / "crud.py"
    _replace(crud, "    db.add(order)\n", "    db.add(order)\n    db.delete(db.get(Audit, 1))\n")
    _replace(crud, "from app.models import Order\n", "from app.models import Audit, Order\n")
    p = _rescan_matches_fresh(root, index, crud)
    posts = [e for e in p.endpoints if e.method == "POST"]
    assert len(posts) == 10
    assert all(("app.models.Audit", "delete") in {(x.model, x.action) for x in e.effects} for e in posts)
    computed, reused = _counts(index)
    # recomputed: the ten POST routes and their effects, and the two edited-or-calling modules'
    # token functions and service clues; the ping routes and everything else come from the memo
    assert computed == 24 and reused >= 10 + 5, (computed, reused)


def test_memo_hit_rate_is_high_after_a_one_file_edit(tmp_path):
    files = dict(_LAYERED)
    for n in range(20):  # twenty router modules of five routes each
        files[f"app/r{n}.py"] = """
            from fastapi import APIRouter, Depends
            from app import service
            router = APIRouter()
        """ + "".join(f"""
            @router.get("/x{i}")
            def h{i}(db=None):
                return service.place(db)
        """ for i in range(5))
    files["app/main.py"] = textwrap.dedent(files["app/main.py"]) + "".join(
        f"from app import r{n}\napp.include_router(r{n}.router, prefix='/r{n}')\n" for n in range(20))
    root = write_packages(tmp_path, files, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    scan(root, index=index)
    edited = root / "app" / "r3.py"
    with edited.open("a") as fh:
        fh.write('\n@router.get("/added")\ndef added():\n    return {}\n')
    p = _rescan_matches_fresh(root, index, edited)
    assert any(e.path == "/r3/added" for e in p.endpoints)
    computed, reused = _counts(index)
    assert computed <= 15 and reused >= 100, (computed, reused)
