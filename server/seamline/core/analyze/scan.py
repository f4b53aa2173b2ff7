"""`scan(root)`: the whole analysis, from a folder to a `Project`."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from ..config import AppConfig, load_config
from ..errors import UsageError
from ..model import App, Endpoint, Finding, OrmModel, Project, Schema, Service, TokenSource
from . import django as django_linker
from . import fastapi as fastapi_linker
from . import flask as flask_linker
from . import heap, orm, services
from .context import AppContext, LinkResult
from .discover import Discovery, discover
from .index import Index
from .resolve import Resolver

log = logging.getLogger(__name__)

ENDPOINT_ORDER = attrgetter("app", "path", "method", "file", "line")  # the order a scan reports endpoints in

# (framework name, import prefixes that suggest it, linker)
LINKERS = (
    ("fastapi", ("fastapi", "starlette"), fastapi_linker.analyze),
    ("flask", ("flask",), flask_linker.analyze),
    ("django", ("django", "rest_framework"), django_linker.analyze),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppAnalysis:
    """Everything linking one app produced; cached whole, keyed by what the app's analysis read."""

    app: App | None
    endpoints: tuple[Endpoint, ...] = ()
    schemas: tuple[Schema, ...] = ()
    models: tuple[OrmModel, ...] = ()
    token_sources: tuple[TokenSource, ...] = ()
    services: tuple[Service, ...] = ()
    findings: tuple[Finding, ...] = ()


def _analyse_app(ctx: AppContext) -> AppAnalysis:
    frameworks: list[str] = []
    entry = None
    endpoints: list[Endpoint] = []
    schemas: list[Schema] = []
    models: list[OrmModel] = []
    tokens: list[TokenSource] = []
    # the ORM index first: linkers read it, and collecting it at a fixed point keeps its findings
    # in the same place whichever endpoints the memo has to link again
    orm_models = orm.collect_models(ctx)
    for name, prefixes, linker in LINKERS:
        if not ctx.imports_any(prefixes):
            continue
        try:
            result: LinkResult = linker(ctx)
        except RecursionError:
            ctx.finding("analysis-error", f"{name} analysis hit a recursion limit in {ctx.app}; results are partial.")
            continue
        if result.endpoints or result.entry:
            frameworks.append(name)
        entry = entry or result.entry
        endpoints.extend(result.endpoints)
        schemas.extend(result.schemas)
        models.extend(result.models)
        tokens.extend(result.token_sources)
    known = {x.name for x in models}
    models.extend(m for m in orm_models if m.name not in known)
    app_services = services.analyze_services(ctx)
    app = None
    if frameworks or ctx.app == "." or app_services:
        app = App(root=ctx.app, frameworks=tuple(frameworks), entry=entry or ctx.config.entry,
                  config=tuple(ctx.config.values()))
    endpoints.sort(key=ENDPOINT_ORDER)  # sorted per app, so the scan's sort of all of them is a merge
    return AppAnalysis(app=app, endpoints=tuple(endpoints), schemas=tuple(schemas), models=tuple(models),
                       token_sources=tuple(tokens), services=tuple(app_services), findings=tuple(ctx.findings))


def _analyzer_version() -> str:
    """A digest of the analysis code itself, so a changed linker never reuses cached links."""
    h = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


ANALYZER_VERSION = _analyzer_version()


def _discovery(root: Path, config: AppConfig, index: Index,
               changed: list[str | Path] | None) -> tuple[Discovery, set[str] | None]:
    """Reuse the previous walk when every changed file is a known Python file that still exists
    (an edit); anything else (a new, deleted or non-Python file) walks the folder again."""
    key = (str(root), repr(config))
    previous = index.last_discovery.get(key)
    if changed is not None and previous is not None:
        known = {f.rel for f in previous.files}
        rels = set()
        for c in changed:
            p = Path(c)
            p = p.resolve() if p.is_absolute() else (root / p).resolve()
            try:
                rels.add(p.relative_to(root).as_posix())
            except ValueError:
                continue  # outside this workspace: not ours
        if rels <= known and all((root / r).is_file() for r in rels):
            return previous, rels
    found = discover(root, include=list(config.include) or None, exclude=list(config.exclude))
    index.last_discovery = {key: found}
    return found, None


def _facts_of(files: list, results: dict) -> list:
    """Facts of an app's files; reading them decodes cached facts, so only apps being linked do."""
    return [facts for facts in (results[f.rel].facts for f in files) if facts is not None]


def _other_files_digest(root: Path, other_files: dict[str, list[str]]) -> str:
    """Requirements, lock, .env and compose files feed service detection: hash their bytes."""
    h = hashlib.sha1()
    for app in sorted(other_files):
        for rel in other_files[app]:
            h.update(rel.encode())
            try:
                h.update(hashlib.sha1((root / rel).read_bytes()).digest())
            except OSError:
                h.update(b"unreadable")
    return h.hexdigest()


def _app_digest(app: str, files: list, results: dict, aliases: dict[str, str], config: AppConfig,
                app_roots: list[str], other_digest: str) -> str:
    h = hashlib.sha1(ANALYZER_VERSION.encode())
    h.update(repr((app, sorted(aliases.items()), config, app_roots, other_digest)).encode())
    h.update("".join([f"{f.rel}\0{f.module}\0{results[f.rel].digest}\n" for f in files]).encode())
    return h.hexdigest()


def scan(root: str | Path, *, index: Index | None = None, config: AppConfig | None = None,
         changed: list[str | Path] | None = None, relink: bool = False) -> Project:
    """Analyse the folder `root`. `changed` names the files that changed since the last scan
    with the same `index` (the editor knows them): then only they are read again, and the
    folder is not walked unless one of them is new or gone. `relink` links every app again
    even when the link cache holds its result: a warm scan takes apps whole from that cache,
    which leaves their memos (memo.py) empty, so the first edit of each app would link it from
    scratch; `prime` does this after a warm start."""
    with heap.paused():  # see heap.py: collections during a scan only walk what it is building
        return _scan(root, index, config, changed, relink)


def prime(root: str | Path, index: Index) -> int:
    """After a scan with `index` that took apps from the link cache: link them again, so that
    their memos are filled before the first edit (the language server does this in the
    background). Reads no file again; gives how many apps it linked."""
    scan(root, index=index, changed=[], relink=True)
    return index.linked


def _scan(root: str | Path, index: Index | None, config: AppConfig | None,
          changed: list[str | Path] | None, relink: bool) -> Project:
    started = time.perf_counter()
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise UsageError(f"{root}: not a folder. Pass the folder that holds your project.")
    index = index or Index()
    root_config = load_config(root_path, config)
    found, only = _discovery(root_path, root_config, index, changed)
    results = index.load(found.files, only=only)
    findings: list[Finding] = list(found.findings)

    files_by_app: dict[str, list] = defaultdict(list)
    aliases: dict[str, dict[str, str]] = defaultdict(dict)
    for f in found.files:
        findings.extend(results[f.rel].findings)
        files_by_app[f.app].append(f)
        for alias in f.aliases:
            aliases[f.app][alias] = f.module

    apps: list[App] = []
    endpoints: list[Endpoint] = []
    runs: list[tuple[Endpoint, ...]] = []  # each app's endpoints, sorted
    all_services: list[Service] = []
    schemas, models, tokens = [], [], []
    # An editor rescan names only known .py files (else `_discovery` walked again), so the
    # requirements, .env and compose files are as they were: no need to read them again.
    previous_other = index.other_files_digest.get(str(root_path))
    if only is not None and previous_other is not None:
        other_digest = previous_other
    else:
        other_digest = _other_files_digest(root_path, found.other_files)
        index.other_files_digest = {str(root_path): other_digest}
    index.linked = index.from_cache = 0
    # an editor rescan leaves the apps of the files it did not name as they were (their config
    # files too, as above): their digests need no working out
    touched = {f.app for f in found.files if f.rel in only} if only is not None else None
    digests = index.app_digests.get(str(root_path), {})
    for app in found.app_roots:
        app_dir = root_path if app == "." else root_path / app
        app_files = files_by_app.get(app, [])
        app_config = None
        digest = digests.get(app) if touched is not None and app not in touched else None
        if digest is None:
            app_config = load_config(app_dir, root_config) if app != "." else root_config
            digest = digests[app] = _app_digest(app, app_files, results, aliases.get(app, {}), app_config,
                                                found.app_roots, other_digest)
        cached = None if relink else index.cached_link(app, digest)
        if isinstance(cached, AppAnalysis):
            out = cached
            index.from_cache += 1
        else:
            if app_config is None:
                app_config = load_config(app_dir, root_config) if app != "." else root_config
            ctx = AppContext(root=root_path, app=app,
                             resolver=Resolver(_facts_of(app_files, results), aliases.get(app)),
                             config=app_config, app_roots=tuple(found.app_roots), other_files=found.other_files,
                             other_digest=other_digest,
                             lasting=index.app_state.setdefault(app, {}),
                             digests={f.module: results[f.rel].digest for f in app_files})
            out = _analyse_app(ctx)
            index.store_link(app, digest, out)
            index.linked += 1
        endpoints.extend(out.endpoints)
        if out.endpoints:
            runs.append(out.endpoints)
        schemas.extend(out.schemas)
        models.extend(out.models)
        tokens.extend(out.token_sources)
        all_services.extend(out.services)
        findings.extend(out.findings)
        if out.app is not None:
            apps.append(out.app)
    index.save_links(list(found.app_roots), persist=changed is None)
    index.app_digests = {str(root_path): {a: d for a, d in digests.items() if a in found.app_roots}}

    # apps are analysed in folder order, so their sorted runs are usually in order already
    if any(ENDPOINT_ORDER(a[-1]) > ENDPOINT_ORDER(b[0]) for a, b in zip(runs, runs[1:])):
        endpoints.sort(key=ENDPOINT_ORDER)
    stats = {
        "files": len(found.files),
        "parsed": index.parsed,
        "lines": sum(r.lines for r in results.values()),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return Project(root=str(root_path), apps=tuple(apps), endpoints=tuple(endpoints),
                   services=tuple(all_services), schemas=tuple(schemas), models=tuple(models),
                   token_sources=tuple(tokens), findings=tuple(findings), stats=stats)
