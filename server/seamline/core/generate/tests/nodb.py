"""Apps with no database at all (FastAPI's "bigger applications": routers, a header-key dependency,
items in a module-level dict): no schema, no rows to seed or read back, so tests talk to the app over
HTTP only and check its answers. Also what the generator knows of such apps' constants: the fixed
API keys their dependencies compare against (recorded by the analysis) and the path values their
handlers accept (a key of the module-level dict they look up, the literal they compare with)."""

from __future__ import annotations

import ast
import logging
from typing import Any

from ...model import Endpoint, OrmModel, Project
from .adapters import Section
from .code_facts import CodeFacts
from .model import Suite

log = logging.getLogger(__name__)


def fixed_keys(e: Endpoint) -> list[tuple[str, str, str]]:
    """(where, name, value) of each fixed API key the endpoint requires: ("header", "x-token",
    "fake-super-secret-token") from the analysis' `detail="header:x-token=fake-super-secret-token"`."""
    out = []
    for a in e.auth:
        where, sep, rest = a.detail.partition(":")
        name, eq, value = rest.partition("=")
        if a.kind == "api-key" and sep and eq and where in ("header", "query"):
            out.append((where, name, value))
    return out


def known_path_values(code: CodeFacts, e: Endpoint) -> dict[str, Any]:
    """A value each path parameter is accepted with when no row stands behind it: the literal the
    handler compares it with (`if item_id != "plumbus": raise ...`), or the first key of the module-level
    dict it looks it up in (`if item_id not in fake_items_db: raise 404`). Parameters the handler never
    checks are left out (any value of their type does)."""
    module, _, name = e.handler.rpartition(".")
    tree = code.tree(module)
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and n.name == name), None) if tree is not None else None
    if fn is None:
        return {}
    tables = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
              for t in node.targets if isinstance(t, ast.Name)}
    params = {p.name for p in e.params if p.location == "path"}
    out: dict[str, Any] = {}
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.left, ast.Name)
                and node.left.id in params and node.left.id not in out):
            continue
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant):
            out[node.left.id] = right.value
        elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.Name):
            key = _first_key(tables.get(right.id))
            if key is not None:
                out[node.left.id] = key
    return out


def _first_key(table: ast.expr | None) -> Any:
    if isinstance(table, ast.Dict) and table.keys and isinstance(table.keys[0], ast.Constant):
        return table.keys[0].value
    if isinstance(table, (ast.List, ast.Set, ast.Tuple)) and table.elts and isinstance(table.elts[0], ast.Constant):
        return table.elts[0].value
    return None


class NoDbAdapter:
    """The ORM adapter of an app without a database: nothing to create, isolate, seed or count."""

    orm = "none"
    database_doc = """
Database: none found (no ORM, no sqlite3), so the tests seed nothing and check only the app's answers:
status codes and bodies. State the app keeps in memory (module-level dicts) lives as long as the test
process does.
"""

    def prepare_project(self, project: Project) -> Project:
        return project

    def model_import(self, model: OrmModel) -> str:
        return ""

    def database_sections(self, suite: Suite, models: tuple[OrmModel, ...]) -> tuple[Section, ...]:
        return ()

    def factory_section(self, suite: Suite, model: OrmModel, *, fk_parents: dict[str, OrmModel],
                        companions: tuple[tuple[OrmModel, str], ...] = ()) -> Section:
        return Section()  # no models

    def count_section(self, model: OrmModel) -> Section:
        return Section()

    def fetch_lines(self, model: OrmModel, pk: str, var: str = "row") -> list[str]:
        return []
