"""`seamline run` when no docker engine answers: run the generated suite against what can serve without
one, and say so plainly.

Stand-ins, per service the analysis found for the app:
- postgres, mysql, mariadb: a SQLite file in a temp dir, when the app's models allow it (no
  dialect-only column types, no SQL server defaults, no raw-SQL migrations) and its database setting is
  one URL; Django apps get a settings module that imports theirs and replaces DATABASES.
- redis: fakeredis in the test process (a pytest plugin patches the `redis` client before the app is
  imported), when the interpreter that runs the tests has it; Django apps also get the local-memory cache.
- outside APIs and mail relays the generated tests answer with their own in-process doubles: the same
  as in a docker run; nothing to start.
- anything else: no stand-in. Tests that reach it fail and are classified as environment problems.

A fallback run is never reported as one against the real services: the header says so, every finding's
message says so, `--format json` carries `"fallback": true`, and failing tests are not marked in the
generated files. `--require-docker` or REQUIRE_DOCKER=1 turns the fallback off.
"""

from __future__ import annotations

import ast
import dataclasses
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..core.generate.compose import setting_facet
from ..core.generate.tests import Suite
from ..core.model import Project, Service
from .classify import Report
from .runner import has_module

log = logging.getLogger(__name__)

FALLBACK_ENV = "SEAMLINE_FALLBACK"  # the generated conftest then leaves `.seamline/env` alone
REQUIRE_ENV = "REQUIRE_DOCKER"
PLUGIN = "seamline_fallback_plugin"  # fallback_plugin.py, copied beside the run under this name
SETTINGS_MODULE = "seamline_fallback_settings"
SQL_KINDS = ("postgres", "mysql", "mariadb")
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # never a developer's own Redis; fakeredis never dials it
_TITLES = {"postgres": "Postgres", "mysql": "MySQL", "mariadb": "MariaDB", "redis": "Redis"}
_DIALECT_MODULES = ("sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.mysql", "django.contrib.postgres")
_SQLITE_FUNCS = {"now", "current_timestamp", "current_date", "current_time"}  # func.X() SQLite compiles


@dataclass(frozen=True, slots=True, kw_only=True)
class StandIn:
    service: str  # the service's kind: "postgres"
    by: str = ""  # what serves in its place ("SQLite"); empty: nothing does
    note: str = ""  # why nothing does, or what differs

    @property
    def text(self) -> str:
        title = _TITLES.get(self.service, self.service)
        return f"{self.by} in place of {title}" if self.by else f"no stand-in for {title} ({self.note})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteFallback:
    """How one app's suite runs without docker, or why it cannot (`refused`)."""

    app: str
    env: dict[str, str] = field(default_factory=dict, hash=False)
    stand_ins: tuple[StandIn, ...] = ()
    refused: str = ""

    @property
    def summary(self) -> str:
        served = [s.text for s in self.stand_ins if s.by]
        return ", ".join(served) or "no service stood in for"

    def to_json(self) -> dict:
        return {"fallback": True, "refused": self.refused or None,
                "stand_ins": [{"service": s.service, "by": s.by or None, "note": s.note or None}
                              for s in self.stand_ins]}


def docker_required(args: object) -> bool:
    return bool(getattr(args, "require_docker", False)) or os.environ.get(REQUIRE_ENV) == "1"


def engine_problem() -> str | None:
    """Why no docker engine can be used (its error message, with how to start one), or None if one answers."""
    from ..env import DockerUnavailable  # the docker SDK only when a run needs it
    from ..env.engine import connect

    try:
        connect(timeout_s=5).close()
    except DockerUnavailable as e:
        return str(e)
    return None


def plan_suite(root: Path, project: Project, suite: Suite, *, workdir: Path, python: str) -> SuiteFallback:
    """The environment that points `suite` at the stand-ins (files it needs are written to `workdir`)."""
    app_dir = root if suite.app == "." else root / suite.app
    services = [s for s in project.services if s.app == suite.app]
    refused = _stale_env_file(app_dir, suite)
    if refused:
        return SuiteFallback(app=suite.app, refused=refused)
    django = suite.orm == "django"
    env = {FALLBACK_ENV: "1"}
    stand_ins: list[StandIn] = []
    database = workdir / f"{re.sub(r'[^A-Za-z0-9]+', '_', suite.app).strip('_') or 'app'}.sqlite3"
    doubled = {d.kind for d in getattr(suite, "doubles", ())} | {"http"}  # answered in the test process anyway
    for kind in dict.fromkeys(s.kind for s in services):
        group = [s for s in services if s.kind == kind]
        if kind in SQL_KINDS:
            blockers = sql_blockers(root, project, suite)
            if blockers:
                return SuiteFallback(app=suite.app, refused=f"its models need {_TITLES[kind]}: {'; '.join(blockers)}")
            if not django:
                urls, other = _database_settings(group, suite)
                if other or not urls:
                    names = ", ".join(other or [suite.database_setting])
                    return SuiteFallback(app=suite.app, refused=f"its database settings ({names}) are not one URL, "
                                                                "so they cannot be pointed at SQLite")
                url = _sqlite_url(database, group)
                if url.startswith("sqlite+aiosqlite") and not has_module(python, "aiosqlite"):
                    return SuiteFallback(app=suite.app, refused=f"it talks to its database asynchronously and "
                                                                f"aiosqlite is not installed for {python}")
                env.update({name: url for name in urls})
            stand_ins.append(StandIn(service=kind, by="SQLite",
                                     note=f"{_TITLES[kind]}'s SQL dialect, constraints and types differ"))
        elif kind == "redis":
            env.update({name: UNREACHABLE_REDIS for s in group for name in s.settings if setting_facet(name) == "url"})
            if has_module(python, "fakeredis"):
                stand_ins.append(StandIn(service=kind, by="fakeredis (in process)"))
            else:
                stand_ins.append(StandIn(service=kind, note=f"fakeredis is not installed for {python}; "
                                                            "tests that use Redis fail as environment problems"))
        elif kind != "sqlite" and kind not in doubled:
            stand_ins.append(StandIn(service=kind, note="tests that use it fail as environment problems"))
    stood_in = {s.service for s in stand_ins if s.by}
    _write_helpers(workdir, suite, env, database=database if django and stood_in & set(SQL_KINDS) else None,
                   redis="redis" in stood_in, cache=django and any(s.kind == "redis" for s in services))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(workdir), str(app_dir), os.environ.get("PYTHONPATH", "")) if p)
    return SuiteFallback(app=suite.app, env=env, stand_ins=tuple(stand_ins))


def _stale_env_file(app_dir: Path, suite: Suite) -> str:
    """A conftest generated before fallback runs existed loads `.seamline/env` whatever we set; if such
    a file is there, the tests would go to the (absent) docker services instead of the stand-ins."""
    conftest = app_dir / suite.output / "conftest.py"
    try:
        text = conftest.read_text(encoding="utf-8")
    except OSError:
        return ""
    if FALLBACK_ENV in text or "_load_env_file" not in text:
        return ""
    found = next((f / ".seamline" / "env" for f in (app_dir, *app_dir.parents) if (f / ".seamline" / "env").is_file()),
                 None)
    if found is None:
        return ""
    return (f"its {conftest.relative_to(app_dir)} predates fallback runs and would load {found} (the docker "
            "services); `seamline gen tests` updates it")


def _database_settings(group: list[Service], suite: Suite) -> tuple[list[str], list[str]]:
    """(URL settings, settings of another shape such as a host or a port) of the app's SQL database."""
    names = dict.fromkeys([n for s in group for n in s.settings] + [suite.database_setting])
    urls = [n for n in names if setting_facet(n) == "url"]
    return urls, [n for n in names if setting_facet(n) not in ("url", None)]


def _sqlite_url(database: Path, group: list[Service]) -> str:
    asynchronous = any("async" in e.detail for s in group for e in s.evidence)
    return f"sqlite{'+aiosqlite' if asynchronous else ''}:///{database}"


def sql_blockers(root: Path, project: Project, suite: Suite) -> list[str]:
    """What in the app's model files (and Django migrations) SQLite cannot serve, each with its place."""
    prefix = "" if suite.app == "." else suite.app.rstrip("/") + "/"
    files = sorted({m.file for m in project.models if m.file.startswith(prefix)})
    if suite.orm == "django":
        files += sorted(str(PurePosixPath(p.relative_to(root).as_posix())) for f in list(files)
                        for p in (root / f).parent.glob("migrations/[0-9]*.py"))
    found: list[str] = []
    for rel in files:
        try:
            tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
        except (OSError, SyntaxError, ValueError) as e:
            log.debug("fallback: cannot read %s: %s", rel, e)
            continue
        found += [f"{what} ({rel}:{line})" for what, line in _blockers_in(tree)]
    return found


def _blockers_in(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [f"{node.module}.{a.name}" for a in node.names]  # the most telling name first
            hit = next((m for m in modules if m.startswith(_DIALECT_MODULES)), None)
            if hit:
                out.append((f"imports {hit}", node.lineno))
        elif isinstance(node, ast.Import):
            out += [(f"imports {a.name}", node.lineno) for a in node.names if a.name.startswith(_DIALECT_MODULES)]
        elif isinstance(node, (ast.Name, ast.Attribute)) and _name(node) == "ARRAY":
            out.append(("an ARRAY column", node.lineno))
        elif isinstance(node, ast.keyword) and node.arg == "server_default" and isinstance(node.value, ast.Call):
            func = node.value.func
            called = _name(func)
            owner = func.value if isinstance(func, ast.Attribute) else None
            if called == "text" or (isinstance(owner, ast.Name) and owner.id == "func"
                                    and called.lower() not in _SQLITE_FUNCS):
                out.append((f"server_default={ast.unparse(node.value)}", node.value.lineno))
        elif isinstance(node, ast.Call) and _name(node.func) == "RunSQL":
            out.append(("a migration runs raw SQL", node.lineno))
    return out


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""



def _write_helpers(workdir: Path, suite: Suite, env: dict[str, str], *, database: Path | None, redis: bool,
                   cache: bool) -> None:
    """The pytest plugin (fakeredis) and, for Django, the settings module the run needs."""
    if redis:
        shutil.copyfile(Path(__file__).with_name("fallback_plugin.py"), workdir / f"{PLUGIN}.py")
        env["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p {PLUGIN}".strip()
    if database is None:
        return
    lines = [f"# Written by `seamline run` for a fallback run without docker: {suite.entry} with SQLite.",
             f"from {suite.entry} import *  # noqa: F401,F403", "",
             f'DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {str(database)!r}}}}}']
    if cache:
        lines.append('CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}')
    (workdir / f"{SETTINGS_MODULE}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE


def render_header(problem: str, plans: list[SuiteFallback]) -> str:
    """What the user must not miss: this run is not the real thing, and how to get the real thing."""
    ran = [p for p in plans if not p.refused]
    served = ", ".join(dict.fromkeys(s.text for p in ran for s in p.stand_ins if s.by))
    lines = [f"No docker engine: ran against {served or 'no stand-ins'} (fallback run — not the same as the real "
             "services)" if ran else "No docker engine, and no fallback for any app here: nothing was run."]
    for p in plans:
        where = "" if len(plans) == 1 else f"{p.app}: "
        if p.refused:
            lines.append(f"  {where}no fallback for this app: {p.refused}")
        lines += [f"  {where}{s.text}" for s in p.stand_ins if not s.by]
    lines.append(f"  why: {problem}")
    lines.append("  For the real services start docker and run again; --require-docker (or REQUIRE_DOCKER=1) "
                 "refuses to fall back.")
    return "\n".join(lines)


def label(report: Report, plan: SuiteFallback) -> Report:
    """The report with every finding marked as coming from a fallback run."""
    tag = f"[fallback run: {plan.summary}] "

    def mark(finding):
        return None if finding is None else dataclasses.replace(finding, message=tag + finding.message)

    failed = tuple(dataclasses.replace(c, finding=mark(c.finding)) for c in report.failed)
    return dataclasses.replace(report, failed=failed, findings=tuple(mark(f) for f in report.findings))
