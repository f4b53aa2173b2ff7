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
