"""Integration tests from the project model: `generate_tests(project, root=...)` -> files to write.

Layout per app (default output `tests/integration/` of the app, or the app's configured `output`):
`conftest.py` (services from `.seamline/env`, the app's HTTP client, database isolation, factories,
credentials) and one `test_<router>_api.py` per module of handlers. Writing them to disk, with the
user's edits kept, is `write.write_tests`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ...model import App, OrmModel, Project
from ..fingerprint import endpoint_markers, stamp_fingerprints
from .adapters import orm_adapter, web_adapter
from .code_facts import CodeFacts
from .model import Case, GeneratedFile, Suite
from .plan import plan_suite
from .project_fixtures import reuse_plan
from .render import Renderer
from .sqlite3_db import sqlite_setup
from .versions import version_notes

log = logging.getLogger(__name__)

__all__ = ["Case", "GeneratedFile", "Suite", "generate_tests", "plan_tests", "render_tests"]


def _orm_of(project: Project, app: App) -> str | None:
    orms = [m.orm for m in project.models if app.root == "." or m.file.startswith(app.root.rstrip("/") + "/")]
    return orms[0] if orms else None


def plan_tests(project: Project, *, root: Path, endpoints: Iterable[str] | None = None,
               output: str | None = None, flows: bool = False) -> list[Suite]:
    """The planned suites (one per app Seamline can generate for); apps it cannot serve yet get a
    suite with no modules and a note saying why."""
    suites = []
    selected = list(endpoints) if endpoints is not None else None
    for app in project.apps:
        if not any(e.app == app.root for e in project.endpoints):
            continue
        framework = next((f for f in app.frameworks if web_adapter(f) is not None), None)
        app_dir = Path(root) if app.root == "." else Path(root) / app.root
        orm = _orm_of(project, app)
        code = CodeFacts(app_dir=app_dir)  # one parse cache per app, shared by the readers below
        sqlite = sqlite_setup(project, app, code) if orm is None and framework == "flask" \
            else None  # the Flask tutorial: sqlite3, no ORM
        orm = "sqlite3" if sqlite else orm
        if orm is None and framework in ("fastapi", "flask"):
            orm = "none"  # no database found: tests check the app's answers only (nodb.py)
        if framework is None or orm is None or orm_adapter(orm) is None:
            what = ", ".join(app.frameworks) or "no framework"
            suites.append(Suite(app=app.root, framework=what, orm=orm or "", entry=app.entry or "",
                                output=output or "tests/integration",
                                notes=(f"test generation for {what} with {orm or 'no ORM'} is not supported yet",)))
            continue
        web = web_adapter(framework)
        seen = web.prepare_project(orm_adapter(orm).prepare_project(project), code)
        suite = plan_suite(seen, app, root=Path(root), web=web, orm=orm, endpoints=selected, output=output,
                           flows=flows)
        reuse = reuse_plan(suite, app_dir)  # the project's own `client`/`auth_headers`, reused or not, and why
        pins = version_notes(app_dir, framework=framework, orm=orm)  # the app pins older Werkzeug/SQLAlchemy
        suites.append(replace(suite, notes=tuple(dict.fromkeys((*suite.notes, *reuse.notes, *pins))),
                              pin_notes=tuple(pins), reused_fixtures=frozenset(reuse.reused),
                              sqlite_setup=sqlite or (), app_is_package=(app_dir / "__init__.py").is_file()))
    return suites


def generate_tests(project: Project, *, root: Path, endpoints: Iterable[str] | None = None,
                   output: str | None = None, flows: bool = False) -> list[GeneratedFile]:
    """The files Seamline would write, as they would be written fresh (headers included, no hash
    line). `endpoints` holds Endpoint keys ("POST /api/v1/items/") or handler names; a router's test
    file always holds all of that router's endpoints, so the conftest plus those routers' files come
    back. `output` is relative to each app's folder. `flows` adds `test_flows_api.py`: requests
    across endpoints (sign up -> log in -> protected call; create -> read -> update -> delete)."""
    return render_tests(project, plan_tests(project, root=root, endpoints=endpoints, output=output, flows=flows),
                        output=output)


def render_tests(project: Project, suites: list[Suite], *, output: str | None = None) -> list[GeneratedFile]:
    """The files of suites `plan_tests` planned (with the same `output`), as `generate_tests` gives them."""
    files: list[GeneratedFile] = []
    for suite in suites:
        if not suite.modules:
            continue
        web, orm = web_adapter(suite.framework), orm_adapter(suite.orm)
        models = {m.name: m for m in orm.prepare_project(project).models}
        app_arg = "." if suite.app == "." else suite.app
        regenerate = f"seamline gen tests {app_arg}" + (f" --out {output}" if output else "")
        renderer = Renderer(suite, web, orm, models, regenerate)
        factories, counted = _fixture_models(suite, models)
        folder = PurePosixPath(suite.app) / suite.output if suite.app != "." else PurePosixPath(suite.output)
        files.append(GeneratedFile(path=str(folder / "conftest.py"),
                                   content=renderer.conftest(factories, counted, {m.name: m for m in factories},
                                                             reuse=suite.reused_fixtures),
                                   endpoints=()))
        suite_markers = endpoint_markers(project, app=suite.app)  # for stale checks
        for module in suite.modules:
            content = stamp_fingerprints(renderer.module(module), suite_markers, module.endpoints)
            files.append(GeneratedFile(path=str(folder / module.file), content=content, endpoints=module.endpoints))
    return files


def _fixture_models(suite: Suite, models: dict[str, OrmModel]) -> tuple[list[OrmModel], list[OrmModel]]:
    """Models that need a factory (seeded, plus the user model and every required FK parent) and
    those that need a row counter."""
    wanted = [n for n in suite.models if n in models]
    if suite.auth.user_model and suite.auth.user_model in models:
        wanted.insert(0, suite.auth.user_model)
    counted = sorted({c.model for m in suite.modules for case in m.cases for c in case.checks
                      if c.kind == "count" and c.model in models})
    wanted += counted
    seen: dict[str, OrmModel] = {}
    while wanted:
        name = wanted.pop(0)
        if name in seen or name not in models:
            continue
        seen[name] = models[name]
        wanted += [f.type[3:] for f in models[name].fields if f.type.startswith("fk:") and f.required]
    ordered = sorted(seen.values(), key=lambda m: (m.name != suite.auth.user_model, m.name))
    return ordered, [models[n] for n in counted]
