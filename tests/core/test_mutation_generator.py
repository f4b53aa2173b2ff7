"""The mutant generator of benchmarks/mutation.py (no docker, nothing run): on every example app it makes
each kind of mutant, and every mutant is a valid program that differs from the original."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import sys
from pathlib import Path

import pytest
from generated import scanned_example

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "mutation.py"


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("seamline_mutation_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["fastapi_items", "flask_notes", "drf_tasks"])
def test_every_kind_of_mutant_on_each_example(name, mutation, tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, name)
    mutants, skipped = mutation.generate_mutants(root, project)

    assert {m.kind for m in mutants} == set(mutation.KINDS), [(m.kind, m.what) for m in mutants]
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:
        original = (root / m.file).read_text(encoding="utf-8")
        assert m.text != original, m
        assert ast.dump(ast.parse(m.text)) != ast.dump(ast.parse(original)), m
        assert m.endpoints and set(m.endpoints) <= {e.key for e in project.endpoints}, m
    for s in skipped:
        assert s.reason and s.kind in mutation.KINDS


def test_each_kind_changes_what_it_says(mutation, tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "flask_notes")
    mutants, _ = mutation.generate_mutants(root, project)
    by_what = {(m.kind, m.file, m.what): m for m in mutants}

    def changed(kind: str, file: str, what: str) -> tuple[str, str]:
        m = by_what[(kind, file, what)]
        diff = list(difflib.ndiff((root / file).read_text(encoding="utf-8").splitlines(), m.text.splitlines()))
        return "\n".join(x[2:] for x in diff if x[0] == "-"), "\n".join(x[2:] for x in diff if x[0] == "+")

    removed, added = changed("drop-write", "notes/api.py", "drop `db.session.commit()`")
    assert "db.session.commit()" in removed and added.strip() == "pass"
    removed, added = changed("drop-auth", "notes/auth.py", "drop `@login_required`")
    assert removed.strip() == "@login_required" and added == ""
    removed, added = changed("status-code", "notes/api.py", "returned status 201 -> 200")
    assert "201" in removed and added.strip() == "return jsonify(note.to_dict()), 200"
    removed, added = changed("response-field", "notes/models.py", "drop the returned field 'title'")
    assert '"title": self.title' in removed and "'title'" not in added and "'body'" in added


def test_no_op_and_equivalent_mutants_are_skipped_with_a_reason(mutation, tmp_path_factory):
    root, project = scanned_example(tmp_path_factory, "drf_tasks")
    mutants, skipped = mutation.generate_mutants(root, project)
    assert any("AllowAny" in s.what and s.reason.startswith("equivalent") for s in skipped)
    assert not any("AllowAny" in m.what for m in mutants)
