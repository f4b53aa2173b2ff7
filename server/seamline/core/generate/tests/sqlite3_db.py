"""Apps on the standard library's sqlite3 with no ORM (the Flask tutorial): no models to seed or read
rows through, so tests talk to the app over HTTP only. Each test gets a fresh database file with the
schema the app's own function creates (`init_db`, which runs `schema.sql` through `executescript`),
pointed at through the `app.config` key the app connects with (`sqlite3.connect(current_app.config
["DATABASE"])`). Both are read statically from the module that imports sqlite3."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from ...analyze.expr import MaybeExpr, arg, call_func, dotted, string
from ...model import App, OrmModel, Project
from .adapters import Section
from .code_facts import CodeFacts, calls_to
from .model import Suite
from .nodb import NoDbAdapter

log = logging.getLogger(__name__)


def sqlite_setup(project: Project, app: App, code: CodeFacts) -> tuple[str, str] | None:
    """(config key, dotted schema function) of an app that uses sqlite3 directly, or None."""
    files = [ev.file for s in project.services if s.kind == "sqlite" and s.app == app.root for ev in s.evidence
             if ev.file.endswith(".py")]
    for file in dict.fromkeys(files):
        rel = file if app.root == "." else str(PurePosixPath(file).relative_to(app.root))
        module = ".".join(PurePosixPath(rel).with_suffix("").parts).removesuffix(".__init__")
        facts = code.module(module)
        if facts is None:
            continue
        key = next((k for fn in facts.functions for call in calls_to(fn, "connect")
                    if dotted(call_func(call)) == "sqlite3.connect" for k in (_config_key(arg(call, 0, "database")),)
                    if k), None)
        schema = next((fn.qualname for fn in facts.functions if calls_to(fn, "executescript")
                       and not fn.params), None)
        if key and schema:
            return key, f"{module}.{schema}"
        log.info("%s: sqlite3 without a config key or a schema function (key=%s, schema=%s)", file, key, schema)
    return None


def _config_key(e: MaybeExpr) -> str | None:
    """"DATABASE" from `current_app.config["DATABASE"]` (or `app.config[...]`)."""
    if not e or e[0] != "s" or not (dotted(e[1]) or "").endswith(".config"):
        return None
    return string(e[2])


class Sqlite3Adapter(NoDbAdapter):
    """Like an app with no database for seeding and reading rows (there are no models); only the
    database file and its schema are set up."""

    orm = "sqlite3"
    database_doc = """
Database: the app uses sqlite3 with no ORM, so there are no models to seed or read rows through: tests
go through the app's own endpoints (sign up, log in, ...). Every test gets a fresh database file in its
own temporary folder, with the schema the app's own function creates, set in the app's config before
the test's first request.
"""

    def database_sections(self, suite: Suite, models: tuple[OrmModel, ...]) -> tuple[Section, ...]:
        key, schema = suite.sqlite_setup
        module, _, name = schema.rpartition(".")
        code = f'''
@pytest.fixture(autouse=True)
def database(app, tmp_path):
    """A fresh database file for every test, with the schema the app's `{name}` creates."""
    app.config["{key}"] = str(tmp_path / "app.sqlite")
    with app.app_context():
        {name}()
    return app.config["{key}"]
'''
        return (Section(app=(f"from {module} import {name}",), code=code),)
