"""`scan(root)`: the whole analysis, from a folder to a `Project`."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from pathlib import Path

from ..config import AppConfig, load_config
from ..errors import UsageError
from ..model import App, Endpoint, Finding, Project, Service
from . import django as django_linker
from . import fastapi as fastapi_linker
from . import flask as flask_linker
from . import orm, services
from .context import AppContext, LinkResult
from .discover import discover
from .index import Index
from .resolve import Resolver

log = logging.getLogger(__name__)

# (framework name, import prefixes that suggest it, linker)
LINKERS = (
    ("fastapi", ("fastapi", "starlette"), fastapi_linker.analyze),
    ("flask", ("flask",), flask_linker.analyze),
    ("django", ("django", "rest_framework"), django_linker.analyze),
)


def scan(root: str | Path, *, index: Index | None = None, config: AppConfig | None = None) -> Project:
    started = time.perf_counter()
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise UsageError(f"{root}: not a folder. Pass the folder that holds your project.")
    index = index or Index()
    root_config = load_config(root_path, config)
    found = discover(root_path, include=list(root_config.include) or None, exclude=list(root_config.exclude))
    results = index.load(found.files)
    findings: list[Finding] = list(found.findings)

    by_app: dict[str, list] = defaultdict(list)
    aliases: dict[str, dict[str, str]] = defaultdict(dict)
    for f in found.files:
        res = results[f.rel]
        findings.extend(res.findings)
        if res.facts is not None:
            by_app[f.app].append(res.facts)
            for alias in f.aliases:
                aliases[f.app][alias] = f.module

    apps: list[App] = []
    endpoints: list[Endpoint] = []
    all_services: list[Service] = []
    schemas, models, tokens = [], [], []
    for app in found.app_roots:
        app_dir = root_path if app == "." else root_path / app
        app_config = load_config(app_dir, root_config) if app != "." else root_config
        ctx = AppContext(root=root_path, app=app, resolver=Resolver(by_app.get(app, []), aliases.get(app)),
                         config=app_config, app_roots=tuple(found.app_roots), other_files=found.other_files)
        frameworks: list[str] = []
        entry = None
        for name, prefixes, linker in LINKERS:
            if not ctx.imports_any(prefixes):
                continue
            try:
                result: LinkResult = linker(ctx)
            except RecursionError:
                ctx.finding("analysis-error", f"{name} analysis hit a recursion limit in {app}; results are partial.")
                continue
            if result.endpoints or result.entry:
                frameworks.append(name)
            entry = entry or result.entry
            endpoints.extend(result.endpoints)
            schemas.extend(result.schemas)
            models.extend(result.models)
            tokens.extend(result.token_sources)
        models.extend(m for m in orm.collect_models(ctx) if m.name not in {x.name for x in models})
        app_services = services.analyze_services(ctx)
        all_services.extend(app_services)
        findings.extend(ctx.findings)
        if frameworks or app == "." or app_services:
            apps.append(App(root=app, frameworks=tuple(frameworks), entry=entry or app_config.entry,
                            config=tuple(app_config.values())))

    endpoints.sort(key=lambda e: (e.app, e.path, e.method, e.file, e.line))
    stats = {
        "files": len(found.files),
        "parsed": index.parsed,
        "lines": sum(r.facts.lines for r in results.values() if r.facts),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return Project(root=str(root_path), apps=tuple(apps), endpoints=tuple(endpoints),
                   services=tuple(all_services), schemas=tuple(schemas), models=tuple(models),
                   token_sources=tuple(tokens), findings=tuple(findings), stats=stats)
