"""Re-linking after an edit reuses memoized per-endpoint results (memo.py), and the outcome is
exactly what a scan with a fresh Index gives."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from seamline.core.analyze import memo
from seamline.core.analyze.index import Index
from seamline.core.analyze.memo import LASTING_KEY
from seamline.core.analyze.scan import prime, scan
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
    # recomputed: the ten POST routes and their effects, the two edited-or-calling modules'
    # declarations (with their token functions) and service clues (and the two buckets those
    # clues are checked in, see Memo.memoized_each), the edited module's objects, and the walks
    # of the two objects above those routes (app, router); the ping routes and everything else
    # come from the memo
    assert computed == 29 and reused >= 10 + 5, (computed, reused)


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
    # the new route and its effects (r3's other routes depend on their own handlers, not on all of
    # r3), r3's objects, declarations and service clues (and their bucket), main's declarations
    # (they include r3's router), and the walks of app and r3.router
    assert computed == 9 and reused >= 10 * computed, (computed, reused)


# ---- edits of every kind: an editor rescan gives exactly what a fresh scan gives ----------------


def _copy_example(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(REPO / "examples" / name, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    return root


def _keys(project) -> set[tuple[str, str]]:
    return {(e.method, e.path) for e in project.endpoints}


def test_fastapi_edits_of_every_kind_match_a_fresh_scan(tmp_path):
    root = _copy_example("fastapi_items", tmp_path)
    index = Index()
    first = scan(root, index=index)
    items = root / "app" / "api" / "routes" / "items.py"
    main = root / "app" / "main.py"
    models = root / "app" / "models.py"
    deps = root / "app" / "api" / "deps.py"
    assert ("GET", "/api/v1/items/search") in _keys(first)

    # a route's path
    _replace(items, '@router.get("/search"', '@router.get("/find"')
    p = _rescan_matches_fresh(root, index, items)
    assert ("GET", "/api/v1/items/find") in _keys(p) and ("GET", "/api/v1/items/search") not in _keys(p)

    # the prefix an include_router in another module gives the router
    _replace(main, 'app.include_router(items.router, prefix="/api/v1")',
             'app.include_router(items.router, prefix="/api/v2")')
    p = _rescan_matches_fresh(root, index, main)
    assert ("GET", "/api/v2/items/find") in _keys(p) and ("GET", "/api/v1/items/find") not in _keys(p)

    # a model field: a new column, then a renamed one that a handler's query expression names
    price = "    price_cents: Mapped[int] = mapped_column(Integer)\n"
    _replace(models, price, price + "    sku: Mapped[str] = mapped_column(String(20))\n")
    p = _rescan_matches_fresh(root, index, models)
    (item,) = [m for m in p.models if m.name == "app.models.Item"]
    assert "sku" in {f.name for f in item.fields}
    _replace(models, "    title: Mapped[str]", "    label: Mapped[str]")
    p = _rescan_matches_fresh(root, index, models)
    (item,) = [m for m in p.models if m.name == "app.models.Item"]
    assert "label" in {f.name for f in item.fields} and "title" not in {f.name for f in item.fields}

    # the auth dependency, in another module than the handlers: it no longer decodes a JWT
    def auth_kinds(project) -> set[str]:
        (e,) = [e for e in project.endpoints if (e.method, e.path) == ("GET", "/api/v2/items/find")]
        return {a.kind for a in e.auth}

    assert "jwt" in auth_kinds(p)
    _replace(deps, "        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[ALGORITHM])",
             '        payload = {"sub": token}')
    p = _rescan_matches_fresh(root, index, deps)
    assert "jwt" not in auth_kinds(p) and auth_kinds(p)

    # the models' base class, in yet another module, stops being declarative: no models, no effects
    db = root / "app" / "core" / "db.py"
    _replace(db, "class Base(DeclarativeBase):", "class Base:")
    p = _rescan_matches_fresh(root, index, db)
    assert not p.models and not any(e.effects for e in p.endpoints)
    _replace(db, "class Base:", "class Base(DeclarativeBase):")
    p = _rescan_matches_fresh(root, index, db)
    assert p.models and any(e.effects for e in p.endpoints)

    # a syntax error in the edited file drops its routes (with a finding) until it is fixed
    good = items.read_text()
    items.write_text(good + "\n\ndef broken(:\n    pass\n")
    p = _rescan_matches_fresh(root, index, items)
    assert not any(e.file.endswith("routes/items.py") for e in p.endpoints)
    assert any(f.code == "syntax-error" and f.file.endswith("routes/items.py") for f in p.findings)
    items.write_text(good)
    p = _rescan_matches_fresh(root, index, items)
    assert ("GET", "/api/v2/items/find") in _keys(p)


def test_adding_and_removing_modules_match_a_fresh_scan(tmp_path):
    root = _copy_example("fastapi_items", tmp_path)
    index = Index()
    scan(root, index=index)
    extra = root / "app" / "api" / "routes" / "extra.py"
    main = root / "app" / "main.py"

    # a new router module: on its own it is an unmounted router ...
    extra.write_text('from fastapi import APIRouter\n\nfrom app.api.deps import CurrentUser\n\n'
                     'router = APIRouter(prefix="/extra")\n\n\n@router.get("/ping")\n'
                     'def ping(user: CurrentUser):\n    return {"ok": True}\n')
    p = _rescan_matches_fresh(root, index, extra)
    assert ("GET", "/extra/ping") in _keys(p)
    assert any(f.code == "unmounted-router" for f in p.findings)

    # ... until another module includes it
    _replace(main, "from app.api.routes import items, login, prices, users",
             "from app.api.routes import extra, items, login, prices, users")
    with main.open("a") as fh:
        fh.write('app.include_router(extra.router, prefix="/api/v1")\n')
    p = _rescan_matches_fresh(root, index, main)
    assert ("GET", "/api/v1/extra/ping") in _keys(p) and ("GET", "/extra/ping") not in _keys(p)

    # the module is deleted while main still imports it: the include no longer resolves
    extra.unlink()
    p = _rescan_matches_fresh(root, index, extra)
    assert not any("/extra/" in e.path for e in p.endpoints)
    assert any(f.code == "unresolved-router" for f in p.findings)

    # a module the routes' helpers live in is deleted, then comes back
    crud = root / "app" / "crud.py"
    text = crud.read_text()
    crud.unlink()
    p = _rescan_matches_fresh(root, index, crud)
    assert all(not e.effects for e in p.endpoints if e.path.startswith("/api/v1/items") and e.method == "POST")
    crud.write_text(text)
    p = _rescan_matches_fresh(root, index, crud)
    assert any(e.effects for e in p.endpoints if e.path.startswith("/api/v1/items") and e.method == "POST")


@pytest.mark.parametrize("app", APPS + EXAMPLES, ids=lambda p: p.name)
def test_breaking_deleting_and_copying_a_handler_module_relinks_like_a_fresh_scan(app, tmp_path):
    root = tmp_path / app.name
    shutil.copytree(app, root, ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv"))
    index = Index()
    first = scan(root, index=index)
    files = list(dict.fromkeys(e.file for e in first.endpoints))
    if not files:
        pytest.skip("no endpoints to edit")
    path = root / files[0]
    good = path.read_text()
    path.write_text(good + "\n\ndef broken(:\n")  # a syntax error while typing
    _rescan_matches_fresh(root, index, path)
    path.write_text(good)
    _rescan_matches_fresh(root, index, path)
    path.unlink()
    _rescan_matches_fresh(root, index, path)
    path.write_text(good)
    _rescan_matches_fresh(root, index, path)
    copy = path.with_name("zz_copy_" + path.name)  # a new module declaring the same routes again
    copy.write_text(good)
    _rescan_matches_fresh(root, index, copy)
    copy.unlink()
    p = _rescan_matches_fresh(root, index, copy)
    assert _comparable(p) == _comparable(first)


def test_flask_blueprint_prefix_edit_in_another_module(tmp_path):
    root = _copy_example("flask_notes", tmp_path)
    index = Index()
    scan(root, index=index)
    api = root / "notes" / "api.py"
    _replace(api, 'notes_bp = Blueprint("notes", __name__, url_prefix="/notes")',
             'notes_bp = Blueprint("notes", __name__, url_prefix="/memos")')
    p = _rescan_matches_fresh(root, index, api)
    assert any(e.path.startswith("/api/memos") for e in p.endpoints)
    assert not any(e.path.startswith("/api/notes") for e in p.endpoints)


def test_drf_router_prefix_edit(tmp_path):
    root = _copy_example("drf_tasks", tmp_path)
    index = Index()
    scan(root, index=index)
    urls = root / "tasks" / "urls.py"
    _replace(urls, 'router.register("tasks", TaskViewSet, basename="task")',
             'router.register("todos", TaskViewSet, basename="task")')
    p = _rescan_matches_fresh(root, index, urls)
    assert any("/api/todos/" in e.path for e in p.endpoints) and not any("/api/tasks/" in e.path for e in p.endpoints)


def _benchmark_generator():
    spec = importlib.util.spec_from_file_location("seamline_scan_benchmark", REPO / "benchmarks" / "scan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_edits_match_a_fresh_scan(tmp_path):
    """The incremental step of benchmarks/scan.py (router, model, crud edits in a workspace that
    mixes FastAPI, Flask and Django apps), checked against fresh scans at a small size."""
    bench = _benchmark_generator()
    root = tmp_path / "workspace"
    root.mkdir()
    gen = bench.generate(root, modules=60)
    index = Index()
    scan(root, index=index)
    for n in range(2):
        for edit in bench.incremental_edits(gen):
            edit.path.write_text(edit.apply(edit.path.read_text(), n))
            p = _rescan_matches_fresh(root, index, edit.path)
            assert edit.seen(p, n), (edit.kind, n)


def test_a_module_that_starts_declaring_routes_on_another_modules_router(tmp_path):
    files = dict(_LAYERED)
    files["app/more.py"] = """
        def helper():
            return 1
    """
    root = write_packages(tmp_path, files, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    scan(root, index=index)
    more = root / "app" / "more.py"
    more.write_text("from app.routes import router\n\n\n@router.get('/more')\ndef more_route():\n    return {}\n")
    p = _rescan_matches_fresh(root, index, more)
    assert ("GET", "/api/more") in _keys(p)
    _replace(more, "'/more'", "'/most'")
    p = _rescan_matches_fresh(root, index, more)
    assert ("GET", "/api/most") in _keys(p) and ("GET", "/api/more") not in _keys(p)


_MODELS_APART = {
    "app/declarative.py": """
        from sqlalchemy.orm import DeclarativeBase
        class Root(DeclarativeBase):
            pass
    """,
    "app/db.py": """
        from app.declarative import Root
        class Base(Root):
            __abstract__ = True
    """,
    "app/mixins.py": """
        from sqlalchemy.orm import Mapped, mapped_column
        class Stamped:
            created: Mapped[int] = mapped_column()
    """,
    "app/orders.py": """
        from sqlalchemy.orm import Mapped, mapped_column
        from app.db import Base
        from app.mixins import Stamped
        class Order(Stamped, Base):
            __tablename__ = "orders"
            id: Mapped[int] = mapped_column(primary_key=True)
    """,
    "app/users.py": """
        from sqlalchemy.orm import Mapped, mapped_column
        from app.db import Base
        class Customer(Base):
            __tablename__ = "customers"
            id: Mapped[int] = mapped_column(primary_key=True)
    """,
    "app/main.py": """
        from fastapi import FastAPI
        from app.orders import Order
        from app.users import Customer
        app = FastAPI()
        @app.get("/newest")
        def newest():
            return {"order_by": str(Order.created.desc())}
        @app.post("/customers")
        def add_customer(db=None):
            db.add(Customer())
            db.commit()
    """,
}


def _effects(project, method: str, path: str) -> set[tuple[str, str]]:
    (e,) = [e for e in project.endpoints if (e.method, e.path) == (method, path)]
    return {(x.model, x.action) for x in e.effects}


def test_model_edits_in_modules_the_handlers_do_not_import(tmp_path):
    """Which classes are models, and what their fields are, can change in a module no handler
    reads: a mixin, the base class of the shared base class."""
    root = write_packages(tmp_path, _MODELS_APART, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    first = scan(root, index=index)
    assert {m.name for m in first.models} == {"app.orders.Order", "app.users.Customer"}
    assert _effects(first, "GET", "/newest") == set()  # `Order.created` is a column, not a query
    assert _effects(first, "POST", "/customers") == {("app.users.Customer", "create")}

    # the base's own base stops being declarative: neither class is a model any more
    declarative = root / "app" / "declarative.py"
    _replace(declarative, "class Root(DeclarativeBase):", "class Root:")
    p = _rescan_matches_fresh(root, index, declarative)
    assert not p.models and _effects(p, "POST", "/customers") == set()
    _replace(declarative, "class Root:", "class Root(DeclarativeBase):")
    p = _rescan_matches_fresh(root, index, declarative)
    assert _comparable(p) == _comparable(first)

    # the mixin's column is renamed: `Order.created` is no longer a column of Order
    mixins = root / "app" / "mixins.py"
    _replace(mixins, "    created: Mapped[int]", "    made: Mapped[int]")
    p = _rescan_matches_fresh(root, index, mixins)
    assert _effects(p, "GET", "/newest") == {("app.orders.Order", "read")}


def test_editing_requirements_is_seen_by_an_editor_rescan(tmp_path):
    root = _copy_example("fastapi_items", tmp_path)
    index = Index()
    first = scan(root, index=index)
    assert "mongodb" not in {s.kind for s in first.services}
    reqs = root / "requirements.txt"
    reqs.write_text(reqs.read_text() + "pymongo>=4\n")
    p = _rescan_matches_fresh(root, index, reqs)
    assert "mongodb" in {s.kind for s in p.services}


_BINDINGS = {
    "app/models.py": _LAYERED["app/models.py"],
    "app/util_a.py": """
        def unrelated():
            return 1
    """,
    "app/util_b.py": """
        from app.models import Order
        def helper(db):
            db.add(Order())
            db.commit()
    """,
    "app/util_c.py": """
        from app.models import Audit
        def helper(db):
            db.delete(db.get(Audit, 1))
            db.commit()
    """,
    "app/repo.py": """
        from app.models import Order
        class Repo:
            def save(self, db):
                db.add(Order())
                db.commit()
    """,
    "app/main.py": """
        from fastapi import FastAPI
        from app.util_a import *
        from app.util_b import *
        from app.repo import Repo
        from extras import make_thing
        app = FastAPI()
        @app.post("/star")
        def star(db=None):
            helper(db)
        @app.post("/method")
        def method(db=None):
            repo = Repo()
            repo.save(db)
        @app.post("/later")
        def later(db=None):
            make_thing(db)
    """,
}


def test_what_a_name_is_bound_to_moves_with_the_edit(tmp_path):
    """A route depends on what each module binds the names it looks up to: a star import ahead
    of the one that used to answer, a method body of a class, a module that did not exist."""
    root = write_packages(tmp_path, _BINDINGS, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    first = scan(root, index=index)
    assert _effects(first, "POST", "/star") == {("app.models.Order", "create")}
    assert _effects(first, "POST", "/method") == {("app.models.Order", "create")}
    assert _effects(first, "POST", "/later") == set()

    main = root / "app" / "main.py"
    # on the same line, so that no function below moves (its facts would change anyway)
    _replace(main, "from app.util_a import *\n", "from app.util_a import *; from app.util_c import *\n")
    p = _rescan_matches_fresh(root, index, main)
    assert ("app.models.Audit", "delete") in _effects(p, "POST", "/star")

    repo = root / "app" / "repo.py"
    _replace(repo, "        db.add(Order())\n", "        db.delete(db.get(Order, 1))\n")
    p = _rescan_matches_fresh(root, index, repo)
    assert ("app.models.Order", "delete") in _effects(p, "POST", "/method")

    extras = root / "extras.py"
    extras.write_text("from app.models import Order\n\n\ndef make_thing(db):\n    db.add(Order())\n    db.commit()\n")
    p = _rescan_matches_fresh(root, index, extras)
    assert _effects(p, "POST", "/later") == {("app.models.Order", "create")}


def test_entries_nothing_uses_any_more_are_dropped(tmp_path, monkeypatch):
    monkeypatch.setattr(memo, "_SWEEP_SLACK", 0)
    root = write_packages(tmp_path, _LAYERED, requirements="fastapi\nsqlalchemy\n")
    index = Index()
    scan(root, index=index)
    (store,) = [s[LASTING_KEY] for s in index.app_state.values() if LASTING_KEY in s]
    routes = root / "app" / "routes.py"
    sizes = []
    for _ in range(8):
        # a line on top moves every route, so each rescan links them all under new keys
        routes.write_text("\n" + routes.read_text())
        scan(root, index=index, changed=[routes])
        sizes.append(len(store.entries))
    assert max(sizes) <= 2 * sizes[0] + 1, sizes  # swept whenever it doubled, not growing for ever
    _rescan_matches_fresh(root, index, routes)


def test_editor_rescans_leave_the_disk_cache_to_the_next_full_scan(tmp_path):
    (tmp_path / "ws").mkdir()
    root = write_packages(tmp_path / "ws", _LAYERED, requirements="fastapi\nsqlalchemy\n")
    cache = tmp_path / "cache"
    index = Index(cache_dir=cache)
    scan(root, index=index)
    crud = root / "app" / "crud.py"
    with crud.open("a") as fh:
        fh.write("\n\ndef added():\n    return 1\n")
    scan(root, index=index, changed=[crud])

    def parsed_by_a_fresh_index(name: str) -> int:
        """What a new process would parse, reading a copy of the cache as it stands."""
        fresh = Index(cache_dir=shutil.copytree(cache, tmp_path / name))
        scan(root, index=fresh)
        return fresh.parsed

    assert parsed_by_a_fresh_index("after-edit") == 1  # the editor rescan did not write the cache
    scan(root, index=index)  # a full scan writes what the editor rescans put off
    assert parsed_by_a_fresh_index("after-full-scan") == 0


def _generated_workspace(tmp_path: Path):
    """The benchmark's synthetic workspace at a small size, scanned once with `index`."""
    bench = _benchmark_generator()
    root = tmp_path / "workspace"
    root.mkdir()
    gen = bench.generate(root, modules=60)
    index = Index()
    scan(root, index=index)
    return root, gen, index


def _sub(path: Path, pattern: str, repl: str) -> None:
    import re

    text = path.read_text()
    new, count = re.subn(pattern, repl, text, count=1)
    assert count == 1, (path, pattern)
    path.write_text(new)


def test_flask_registration_and_blueprint_edits_match_a_fresh_scan(tmp_path):
    """The Flask graph (objects, routes, registrations) is memoized per module and each route
    per mount: a registration's prefix moving in the factory, a blueprint dropped from and put
    back into the factory, a blueprint renamed, and a route added each relink like a fresh scan."""
    root, gen, index = _generated_workspace(tmp_path)
    factory = root / "flask_svc" / "app" / "__init__.py"
    original = factory.read_text()
    bp = gen.edit_flask_file
    name = bp.stem
    # the prefix moves: given at registration (replacing the blueprint's own, if any)
    _sub(factory, rf"app\.register_blueprint\({name}_bp(, url_prefix=\"[^\"]*\")?\)",
         f'app.register_blueprint({name}_bp, url_prefix="/moved")')
    p = _rescan_matches_fresh(root, index, factory)
    assert any(e.path.startswith("/moved/") and e.file.endswith(f"{name}.py") for e in p.endpoints)
    # dropped from the factory: reported under its own prefix, with a finding
    _sub(factory, rf"\n    app\.register_blueprint\({name}_bp[^\n]*", "")
    p = _rescan_matches_fresh(root, index, factory)
    assert any(f.code == "unregistered-blueprint" for f in p.findings)
    assert not any(e.path.startswith("/moved/") for e in p.endpoints)
    factory.write_text(original)
    p = _rescan_matches_fresh(root, index, factory)
    assert not any(f.code == "unregistered-blueprint" for f in p.findings)
    # the blueprint's name (endpoint names) and a new route on it
    _sub(bp, rf'Blueprint\("{name}"', 'Blueprint("renamed"')
    p = _rescan_matches_fresh(root, index, bp)
    assert any(e.name.startswith("renamed.") for e in p.endpoints)
    bp.write_text(bp.read_text() + '\n\n@bp.get("/added")\ndef added():\n    return {}\n')
    p = _rescan_matches_fresh(root, index, bp)
    assert any(e.path.endswith("/added") and e.name == "renamed.added" for e in p.endpoints)
    store = index.app_state["flask_svc"][LASTING_KEY]
    assert store.reused > store.computed, (store.computed, store.reused)  # the other blueprint was reused


def test_django_urlconf_view_and_serializer_edits_match_a_fresh_scan(tmp_path):
    """The Django URL walk is memoized per urlconf and prefix, each urlconf entry and router
    registration per mount, serializer schemas per serializer: an include's prefix and target
    moving, a router prefix, a view's permissions and a serializer's fields each relink like a
    fresh scan."""
    root, gen, index = _generated_workspace(tmp_path)
    app_dir = gen.edit_django_dir
    app = app_dir.name
    root_urls = root / "django_svc" / "config" / "urls.py"
    prefix = app.replace("_", "-")
    # the include's prefix, then its target (a module that does not exist), then back
    _sub(root_urls, rf'path\("api/{prefix}/", include', f'path("api/v2/{prefix}/", include')
    p = _rescan_matches_fresh(root, index, root_urls)
    assert any(e.path.startswith(f"/api/v2/{prefix}/") for e in p.endpoints)
    _sub(root_urls, rf'include\("apps\.{app}\.urls"\)', f'include("apps.{app}.missing_urls")')
    p = _rescan_matches_fresh(root, index, root_urls)
    assert not any(e.path.startswith(f"/api/v2/{prefix}/") for e in p.endpoints)
    assert any(f.code == "django-external-urls" for f in p.findings)
    _sub(root_urls, rf'include\("apps\.{app}\.missing_urls"\)', f'include("apps.{app}.urls")')
    _rescan_matches_fresh(root, index, root_urls)
    # a router prefix in the app's urls.py
    urls = app_dir / "urls.py"
    _sub(urls, r'router\.register\(r"([\w-]+)"', r'router.register(r"renamed-\1"')
    p = _rescan_matches_fresh(root, index, urls)
    assert any("/renamed-" in e.path for e in p.endpoints)
    # a view's permissions, with lines above the views after it moving
    views = app_dir / "views.py"
    _sub(views, r"permission_classes = \[permissions\.IsAuthenticated\]",
         "permission_classes = [\n        permissions.AllowAny,\n    ]")
    _rescan_matches_fresh(root, index, views)
    # a serializer's Meta fields
    serializers = app_dir / "serializers.py"
    _sub(serializers, r'fields = \["id", "name", ', 'fields = ["id", ')
    _rescan_matches_fresh(root, index, serializers)
    store = index.app_state["django_svc"][LASTING_KEY]
    assert store.reused > store.computed, (store.computed, store.reused)


def _insert_after_imports(path: Path, text: str) -> None:
    """Insert `text` before the first top-level def or class of `path`, so every one below moves."""
    import re

    source = path.read_text()
    found = re.search(r"^(@|def |async def |class )", source, re.M)
    assert found, path
    path.write_text(source[:found.start()] + text + source[found.start():])


def _moved(index: Index) -> int:
    return sum(state[LASTING_KEY].moved for state in index.app_state.values() if LASTING_KEY in state)


@pytest.mark.parametrize("app", APPS + EXAMPLES, ids=lambda p: p.name)
def test_lines_inserted_above_handlers_move_their_lines_like_a_fresh_scan(app, tmp_path):
    """Entries that read only moved classes and functions are reused with their lines shifted:
    the endpoints, schemas and findings must carry the lines a fresh scan gives, after lines are
    added above every handler of a module, and again after some are taken away."""
    root = tmp_path / app.name
    shutil.copytree(app, root, ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv"))
    index = Index()
    first = scan(root, index=index)
    import re

    handler_files = [rel for rel in dict.fromkeys(e.file for e in first.endpoints)
                     if re.search(r"^(@|def |async def |class )", (root / rel).read_text(), re.M)]
    for rel in handler_files[:2]:
        _insert_after_imports(root / rel, "# moved\n\n\nSEAMLINE_MOVED = 1\n\n\n")
        _rescan_matches_fresh(root, index, root / rel)
        _replace(root / rel, "# moved\n\n\n", "")
        _rescan_matches_fresh(root, index, root / rel)


def test_django_views_and_serializers_moving_are_shifted_not_relinked(tmp_path):
    """Lines added above the views and serializers of a Django app (and in the middle of them,
    then a real change to a view below, then lines taken away): each rescan matches a fresh scan,
    most entries are shifted rather than computed again, and the endpoints' lines really move."""
    root, gen, index = _generated_workspace(tmp_path)
    views, serializers = gen.edit_django_dir / "views.py", gen.edit_django_dir / "serializers.py"
    before = {(e.method, e.path): e.line for e in scan(root, index=index).endpoints if e.file.endswith("views.py")}
    _insert_after_imports(views, "# one\n# two\n# three\n")
    p = _rescan_matches_fresh(root, index, views)
    rel = views.relative_to(root).as_posix()
    after = {(e.method, e.path): e.line for e in p.endpoints if e.file == rel}
    assert after and all(after[k] == before[k] + 3 for k in after), "the moved views' lines were not shifted"
    store = index.app_state["django_svc"][LASTING_KEY]
    # the mount and urlconf entries over every view are shifted whole; what reads views.py whole
    # (its ORM models, service clues) is computed again
    assert store.moved > 0 and store.computed <= 6, (store.computed, store.moved)
    # in the middle: the first viewset's body grows (an @action, as the benchmark adds)
    hook = "        serializer.save(owner=self.request.user)\n"
    _replace(views, hook, hook + "\n    def extra(self):\n        return None\n")
    _rescan_matches_fresh(root, index, views)
    # a real change below the insertion: a view's permissions
    _sub(views, r"permission_classes = \[permissions\.IsAuthenticated\]",
         "permission_classes = [permissions.AllowAny]")
    _rescan_matches_fresh(root, index, views)
    _replace(views, "# one\n# two\n", "")
    _rescan_matches_fresh(root, index, views)
    assert _moved(index) > 0
    # serializers: a field declared on the first one moves the rest
    add_field = next(e for e in _benchmark_generator().incremental_edits(gen) if e.kind == "drf-serializer")
    serializers.write_text(add_field.apply(serializers.read_text(), 7))
    p = _rescan_matches_fresh(root, index, serializers)
    assert add_field.seen(p, 7)
    _insert_after_imports(serializers, "\n\n")
    _rescan_matches_fresh(root, index, serializers)
    assert store.moved > 0


def test_a_value_with_a_bare_number_is_not_shifted():
    """Relocation shifts only lines it can place (a model value's `line` with its `file`); any
    other number could be a line too, so such a value is computed again instead."""
    from seamline.core.model import Endpoint, Finding

    moves = {"a.py": [(10, 20, 5)]}
    ep = Endpoint(method="GET", path="/x", framework="flask", handler="m.f", file="a.py", line=12,
                  decorator_lines=(11, 30))
    moved = memo._relocated((ep, "name", (Finding(code="c", message="m", file="b.py", line=12),)), moves)
    assert moved[0].line == 17 and moved[0].decorator_lines == (16, 30) and moved[2][0].line == 12
    with pytest.raises(memo._Unmovable):
        memo._relocated((ep, 12), moves)


def test_a_path_added_at_the_top_of_a_urlconf_shifts_the_entries_below(tmp_path):
    """A path() added at the top of a urlconf moves every entry and router registration below it:
    their results are shifted (Memo.memoized_at) rather than linked again, the rescan matches a
    fresh scan, and the moved entries' url lines really move; taking the line away moves them back."""
    root, gen, index = _generated_workspace(tmp_path)
    urls = gen.edit_django_dir / "urls.py"
    rel = urls.relative_to(root).as_posix()

    def url_lines(project) -> dict:
        return {(e.method, e.path): e.decorator_lines for e in project.endpoints
                if (e.route_file or e.file) == rel}

    before = url_lines(scan(root, index=index))
    add_path = next(e for e in _benchmark_generator().incremental_edits(gen) if e.kind == "django-urls")
    urls.write_text(add_path.apply(urls.read_text(), 1))
    p = _rescan_matches_fresh(root, index, urls)
    assert add_path.seen(p, 1)
    after = url_lines(p)
    moved = [k for k in before if after[k] != before[k]]
    assert moved and all(after[k] == tuple(n + 1 for n in before[k]) for k in moved)
    store = index.app_state["django_svc"][LASTING_KEY]
    # shifted: each moved path() entry and router registration (the router's root view is made by
    # its mount's entry, computed again with the urlconf's entries, and the new path())
    assert store.moved >= len({before[k] for k in moved}) - 1 and store.computed <= 8, (store.computed, store.moved)
    _sub(urls, r'    path\("bench-1/".*\n', "")
    p = _rescan_matches_fresh(root, index, urls)
    assert url_lines(p) == before


def test_priming_after_a_warm_start_makes_the_first_edit_incremental(tmp_path):
    """A warm scan takes each app whole from the link cache, so its memo is empty and the first
    edit would link the app from scratch; `prime` fills the memos without reading any file, and
    the first edit then computes only what it touched (and matches a fresh scan)."""
    def first_edit(primed: bool, n: int) -> tuple[int, int]:
        root = _copy_example("fastapi_items", tmp_path / str(n))
        cache = tmp_path / f"cache-{n}"
        scan(root, index=Index(cache_dir=cache))  # cold: fills the on-disk caches
        index = Index(cache_dir=cache)
        warm = scan(root, index=index)
        assert index.from_cache >= 1 and index.linked == 0 and index.parsed == 0
        if primed:
            assert prime(root, index) == index.linked >= 1 and index.parsed == 0
        route = next(p for p in sorted(root.rglob("*.py")) if "APIRouter(" in p.read_text())
        with route.open("a") as fh:
            fh.write(f'\n\n@router.get("/primed-{n}")\ndef primed_{n}():\n    return {{}}\n')
        p = _rescan_matches_fresh(root, index, route)
        assert len(p.endpoints) == len(warm.endpoints) + 1
        return _counts(index)

    cold_computed, cold_reused = first_edit(False, 1)
    computed, reused = first_edit(True, 2)
    assert cold_reused == 0 and computed * 5 < cold_computed and reused > computed, (
        (cold_computed, cold_reused), (computed, reused))
