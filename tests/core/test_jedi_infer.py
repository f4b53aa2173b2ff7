from pathlib import Path

from seamline.core.analyze.jedi_infer import JediInfer


def test_jedi_infers_the_class_a_helper_returns_without_annotations(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text("class Item:\n    pass\n")
    (tmp_path / "app" / "repo.py").write_text(
        "from app import models\n\ndef load(key):\n    registry = {'item': models.Item}\n    return registry[key]()\n")
    handler = tmp_path / "app" / "views.py"
    handler.write_text("from app.repo import load\n\ndef view():\n    obj = load('item')\n    obj.delete()\n")
    infer = JediInfer(tmp_path)
    [found] = infer.infer(handler, 5, "obj")
    assert found.full_name == "app.models.Item"
    assert found.file == tmp_path / "app" / "models.py" and found.line == 1
    # answers are memoised per JediInfer
    infer.infer(handler, 5, "obj")
    assert infer.calls == 1


def test_jedi_gives_nothing_for_unknowable_names_and_unreadable_files(tmp_path: Path):
    f = tmp_path / "m.py"
    f.write_text("def view(x):\n    return x\n")
    infer = JediInfer(tmp_path)
    assert infer.infer(f, 2, "x") == ()
    assert infer.infer(tmp_path / "missing.py", 1, "x") == ()
    assert infer.infer(f, 99, "x") == ()


def test_scan_uses_jedi_when_the_facts_cannot_type_a_deleted_object(tmp_path: Path):
    """`obj` comes from a registry lookup the fact resolver doesn't follow; jedi settles it,
    so the handler gets a delete effect instead of an `orm-effect-unresolved` finding."""
    from seamline.core.analyze.scan import scan

    (tmp_path / "requirements.txt").write_text("fastapi\nsqlalchemy\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class Item(Base):\n    __tablename__ = 'items'\n    id: Mapped[int] = mapped_column(primary_key=True)\n")
    (app / "repo.py").write_text(
        "from app import models\n\nREGISTRY = {'item': models.Item}\n\n"
        "def load(kind, key, db):\n    return db.get(REGISTRY[kind], key)\n")
    (app / "main.py").write_text(
        "from fastapi import FastAPI\nfrom app.repo import load\n\napp = FastAPI()\n\n"
        "@app.delete('/items/{item_id}')\ndef delete_item(item_id: int, db=None):\n"
        "    obj: 'models.Item' = load('item', item_id, db)\n    db.delete(obj)\n    db.commit()\n")
    (app / "main.py").write_text((app / "main.py").read_text().replace(
        "from app.repo import load\n", "from app import models\nfrom app.repo import load\n"))
    project = scan(tmp_path)
    [ep] = project.endpoints
    assert ("app.models.Item", "delete") in {(e.model, e.action) for e in ep.effects}, project.findings
    assert not [f for f in project.findings if f.code == "orm-effect-unresolved"]


def test_jedi_stops_asking_once_the_round_budget_is_spent(tmp_path: Path):
    f = tmp_path / "m.py"
    f.write_text("class A:\n    pass\n\ndef view():\n    a = A()\n    b = A()\n    return a, b\n")
    infer = JediInfer(tmp_path, budget_s=0.0)
    assert infer.infer(f, 5, "a") == ()
    assert (infer.calls, infer.skipped) == (0, 1)
    infer.budget_s = 60.0
    infer.begin_round()
    assert infer.infer(f, 6, "b")[0].name == "A"
    assert infer.calls == 1
