"""Backing services an app needs (databases, caches, queues, mail, object storage, outside
HTTP APIs), from the evidence the project itself gives: declared dependencies, imports, URL
literals, settings and env names, `.env` files and existing compose files.

Each piece of evidence becomes a `_Clue` for one service kind. A clue is *strong* (it alone
shows the app uses the service: a direct dependency, an import in app code, a settings name
or URL) or *weak* (it only corroborates: a lock-file entry, a test-only dependency, a compose
file of an enclosing folder). A service is reported when it has at least one strong clue;
weak clues then add their evidence, settings names and version hints.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from ..model import Evidence, Finding, Service
from .compose_files import compose_images
from .context import AppContext
from .deps_files import DepReader, DepRef
from .expr import call_func, call_kwargs, is_call, walk
from .facts import ModuleFacts
from .project_files import file_role, is_test_path
from .resolve import local_env
from .settings_sources import SettingRef, env_file_settings, first_url, module_settings

log = logging.getLogger(__name__)

SQL_KINDS = ("postgres", "mysql", "sqlite")

# distribution name (normalised) -> kind
DEPENDENCY_KINDS = {
    **dict.fromkeys(("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "psycopg-c", "psycopg-pool",
                     "asyncpg", "pg8000", "aiopg", "psycopg2cffi"), "postgres"),
    **dict.fromkeys(("pymysql", "mysqlclient", "aiomysql", "asyncmy", "mysql-connector-python",
                     "mysql-connector", "mariadb"), "mysql"),
    "aiosqlite": "sqlite",
    **dict.fromkeys(("pymongo", "motor", "mongoengine", "beanie", "odmantic", "djongo", "flask-pymongo",
                     "flask-mongoengine"), "mongodb"),
    **dict.fromkeys(("redis", "aioredis", "django-redis", "hiredis", "redis-py-cluster", "flask-redis", "rq",
                     "arq", "channels-redis", "django-rq"), "redis"),
    **dict.fromkeys(("pika", "aio-pika", "aiormq", "kombu", "amqp", "librabbitmq", "amqpstorm"), "rabbitmq"),
    **dict.fromkeys(("kafka-python", "kafka-python-ng", "aiokafka", "confluent-kafka", "faust",
                     "faust-streaming"), "kafka"),
    **dict.fromkeys(("celery", "django-celery-beat", "django-celery-results"), "celery"),
    **dict.fromkeys(("aiosmtplib", "flask-mail", "flask-mailman", "fastapi-mail", "emails"), "smtp"),
    **dict.fromkeys(("boto3", "aiobotocore", "aioboto3", "minio", "s3fs", "django-s3-storage"), "s3"),
    **dict.fromkeys(("elasticsearch", "elasticsearch-dsl", "elasticsearch7", "elasticsearch8",
                     "elasticsearch-async", "opensearch-py"), "elasticsearch"),
}
# packages that other packages pull in: listed directly they still count, but only weakly,
# because a pinned freeze of `celery` lists `kombu` and `amqp` whatever the broker is
_WEAK_DEPENDENCIES = frozenset({"kombu", "amqp", "hiredis", "botocore"})
EXTRA_KINDS = {
    **dict.fromkeys(("postgres", "postgresql", "psycopg", "psycopg2", "asyncpg", "postgresql-psycopg",
                     "postgresql-asyncpg", "postgresql-psycopg2binary", "pg"), "postgres"),
    **dict.fromkeys(("mysql", "pymysql", "aiomysql", "mariadb"), "mysql"),
    **dict.fromkeys(("sqlite", "aiosqlite"), "sqlite"),
    **dict.fromkeys(("mongodb", "pymongo", "motor", "mongo"), "mongodb"),
    **dict.fromkeys(("redis", "hiredis"), "redis"),
    **dict.fromkeys(("amqp", "librabbitmq", "rabbitmq", "pika"), "rabbitmq"),
    **dict.fromkeys(("kafka", "confluent-kafka"), "kafka"),
    **dict.fromkeys(("s3", "boto3", "aws"), "s3"),
}
# top-level import (or dotted prefix) -> kind
IMPORT_KINDS = {
    **dict.fromkeys(("psycopg", "psycopg2", "asyncpg", "pg8000", "aiopg"), "postgres"),
    **dict.fromkeys(("pymysql", "MySQLdb", "aiomysql", "asyncmy", "mysql.connector", "mariadb"), "mysql"),
    **dict.fromkeys(("sqlite3", "aiosqlite"), "sqlite"),
    **dict.fromkeys(("pymongo", "motor", "mongoengine", "beanie", "odmantic", "flask_pymongo"), "mongodb"),
    **dict.fromkeys(("redis", "aioredis", "django_redis", "rq", "arq", "flask_redis"), "redis"),
    **dict.fromkeys(("pika", "aio_pika", "aiormq", "kombu"), "rabbitmq"),
    **dict.fromkeys(("kafka", "aiokafka", "confluent_kafka", "faust"), "kafka"),
    "celery": "celery",
    **dict.fromkeys(("smtplib", "aiosmtplib", "flask_mail", "flask_mailman", "fastapi_mail", "emails"), "smtp"),
    **dict.fromkeys(("boto3", "aiobotocore", "aioboto3", "minio", "s3fs"), "s3"),
    **dict.fromkeys(("elasticsearch", "elasticsearch_dsl", "opensearchpy"), "elasticsearch"),
}
# URL scheme (before any "+driver") -> kind
SCHEME_KINDS = {
    **dict.fromkeys(("postgres", "postgresql", "postgis", "pgsql", "cockroachdb"), "postgres"),
    **dict.fromkeys(("mysql", "mariadb"), "mysql"),
    "sqlite": "sqlite",
    **dict.fromkeys(("mongodb", "mongo"), "mongodb"),
    **dict.fromkeys(("redis", "rediss", "valkey"), "redis"),
    **dict.fromkeys(("amqp", "amqps", "pyamqp", "librabbitmq"), "rabbitmq"),
    "kafka": "kafka",
    **dict.fromkeys(("smtp", "smtps", "submission"), "smtp"),
    "s3": "s3",
    **dict.fromkeys(("elasticsearch", "es"), "elasticsearch"),
}
# Django (and friends) backend paths in settings values -> kind
BACKEND_KINDS = (
    ("django.db.backends.postgresql", "postgres"),
    ("django.contrib.gis.db.backends.postgis", "postgres"),
    ("django.db.backends.mysql", "mysql"),
    ("django.contrib.gis.db.backends.mysql", "mysql"),
    ("django.db.backends.sqlite3", "sqlite"),
    ("django.contrib.gis.db.backends.spatialite", "sqlite"),
    ("djongo", "mongodb"),
    ("django_redis.", "redis"),
    ("django.core.cache.backends.redis.", "redis"),
    ("channels_redis.", "redis"),
    ("redis_cache.", "redis"),
    ("django.core.mail.backends.smtp.", "smtp"),
    ("storages.backends.s3", "s3"),
)
# pydantic DSN types in settings annotations -> kind
ANNOTATION_KINDS = (
    ("PostgresDsn", "postgres"), ("MySQLDsn", "mysql"), ("MariaDBDsn", "mysql"), ("RedisDsn", "redis"),
    ("AmqpDsn", "rabbitmq"), ("MongoDsn", "mongodb"), ("KafkaDsn", "kafka"),
)
# settings/env names -> kind; (pattern, kind, strong)
NAME_KINDS = (
    (re.compile(r"(^|_)(POSTGRES|POSTGRESQL|PG)(_|$)|^PG(HOST|USER|PASSWORD|DATABASE|PORT)$"), "postgres", True),
    (re.compile(r"(^|_)(MYSQL|MARIADB)(_|$)"), "mysql", True),
    (re.compile(r"(^|_)SQLITE(_|$)"), "sqlite", True),
    (re.compile(r"(^|_)MONGO(DB)?(_|$)"), "mongodb", True),
    (re.compile(r"(^|_)REDIS(_|$)"), "redis", True),
    (re.compile(r"(^|_)(RABBITMQ|RABBIT|AMQP)(_|$)"), "rabbitmq", True),
    (re.compile(r"(^|_)KAFKA(_|$)"), "kafka", True),
    (re.compile(r"(^|_)CELERY(_|$)"), "celery", True),
    (re.compile(r"^(BROKER_URL|RESULT_BACKEND|BROKER_TRANSPORT_OPTIONS)$"), "celery", False),
    (re.compile(r"(^|_)SMTP(_|$)|^(EMAIL|MAIL)_(HOST|SERVER|PORT|HOST_USER|HOST_PASSWORD|USERNAME|PASSWORD|"
                r"USE_TLS|USE_SSL|BACKEND|TIMEOUT|STARTTLS|SSL_TLS)$"), "smtp", True),
    (re.compile(r"(^|_)(S3|MINIO)(_|$)|^AWS_STORAGE_BUCKET_NAME$"), "s3", True),
    (re.compile(r"^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION|ENDPOINT_URL)$"),
     "s3", False),
    (re.compile(r"(^|_)(ELASTICSEARCH|ELASTIC|OPENSEARCH)(_|$)"), "elasticsearch", True),
)
# names that configure "the database" without saying which one
GENERIC_DB_NAME = re.compile(r"(^|_)(DATABASE|DB)_(URL|URI|DSN|HOST|SERVER|PORT|NAME|USER|USERNAME|PASSWORD|"
                             r"PASS|ENGINE)$|(^|_)SQLALCHEMY_DATABASE_(URI|URL)$|^DATABASES$")
# images in compose files, matched on the last path part of the repository
IMAGE_KINDS = {
    **dict.fromkeys(("postgres", "postgresql", "postgis", "timescaledb"), "postgres"),
    **dict.fromkeys(("mysql", "mariadb", "mysql-server"), "mysql"),
    **dict.fromkeys(("mongo", "mongodb", "mongodb-community-server"), "mongodb"),
    **dict.fromkeys(("redis", "redis-stack", "redis-stack-server", "valkey"), "redis"),
    "rabbitmq": "rabbitmq",
    **dict.fromkeys(("kafka", "cp-kafka", "cp-server", "redpanda"), "kafka"),
    **dict.fromkeys(("minio", "localstack"), "s3"),
    **dict.fromkeys(("mailhog", "mailpit", "smtp4dev", "maildev"), "smtp"),
    **dict.fromkeys(("elasticsearch", "opensearch"), "elasticsearch"),
}

_URL = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://(?:[^@/?#\s]*@)?([^/?#:\s]*)(\S*)$")
_HTTP_CLIENTS = ("httpx.", "requests.", "aiohttp.", "urllib3.", "urllib.request.")
_HTTP_URL_KWARGS = ("base_url", "url", "api_url", "api_base", "endpoint")
_LOCAL_HOSTS = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1?\]|testserver|host\.docker\.internal|"
                          r"(.*\.)?example\.(com|org|net)|.*\.(example|test|invalid|localhost|local))$")
_NOT_APIS = re.compile(r"^(www\.w3\.org|json-schema\.org|schemas?\..*|docs?\..*|github\.com|gitlab\.com|"
                       r"www\.python\.org|pypi\.org|fastapi\.tiangolo\.com|.*\.readthedocs\.io|swagger\.io|"
                       r"(www\.)?google\.com|(www\.)?youtube\.com|fonts\.googleapis\.com|cdn\..*|.*sentry\.io)$")
# settings names that hold this app's own URLs or links shown to users, not APIs it calls
_NOT_API_NAMES = re.compile(r"CORS|ORIGIN|REDIRECT|CALLBACK|FRONTEND|DOCS|HOMEPAGE|LOGO|ICON|IMAGE|STATIC|"
                            r"MEDIA|TEMPLATE|SERVER_HOST|SERVER_NAME|SITE|DOMAIN|WEBSITE|LINK|TERMS|PRIVACY|"
                            r"LICENSE|SENTRY|DSN|HELP|SUPPORT|TWITTER|GITHUB_REPO", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Clue:
    kind: str
    evidence: Evidence
    strong: bool = True
    name: str = ""  # the host, for "http"
    setting: str | None = None  # a settings/env name that configures the service
    version: str | None = None
    generic_db: bool = False  # a DATABASE_URL-style name: attached to whichever SQL kinds are found


def analyze_services(ctx: AppContext) -> list[Service]:
    first_new = len(ctx.findings)
    files = _Files(ctx)
    clues: list[_Clue] = []
    clues += _from_files(ctx, "dependencies", lambda found: _dependency_clues(ctx, files, found))
    modules = [m for m in ctx.modules() if not files.is_test(m.path)]
    # per module, reused across scans while nothing the module's clues read changes
    for found in ctx.memoized_each("services.module-clues", modules, key=attrgetter("module"),
                                   bucket=attrgetter("module"), compute=lambda m: _module_clues(ctx, files, m),
                                   reads=lambda m: (m.module,)):
        clues += found
    clues += _from_files(ctx, f"env-compose:{bool(modules)}",
                         lambda found: _env_clues(ctx, files, found) + _compose_clues(ctx, files, found,
                                                                                     has_code=bool(modules)))
    services = build_services(ctx.app, clues)
    _check_celery_broker(ctx, services)
    # file readers report with the default app; findings belong to this one
    ctx.findings[first_new:] = [dataclasses.replace(f, app=ctx.app) for f in ctx.findings[first_new:]]
    return services


def _from_files(ctx: AppContext, part: str, read: Callable[[list[Finding]], list[_Clue]]) -> list[_Clue]:
    """Clues from the app's non-Python files, read again only when one of them changed (the
    scan's digest of those files says so); the findings reading them gave come along."""
    def compute() -> tuple[tuple[_Clue, ...], tuple[Finding, ...]]:
        found: list[Finding] = []
        return tuple(read(found)), tuple(found)

    if ctx.other_digest:
        clues, findings = ctx.memoized(("services.files", part, ctx.other_digest), compute)
    else:
        clues, findings = compute()
    ctx.findings.extend(findings)
    return list(clues)


def _env_clues(ctx: AppContext, files: _Files, findings: list[Finding]) -> list[_Clue]:
    return [c for rel in files.own("env") for s in env_file_settings(ctx.root, rel, findings)
            for c in setting_clues(s, weak=files.is_test(rel))]


def _module_clues(ctx: AppContext, files: _Files, m: ModuleFacts) -> tuple[_Clue, ...]:
    settings = module_settings(ctx.resolver, m)
    return (*_import_clues(ctx, files, m), *_url_clues(m), *_http_call_clues(ctx, m),
            *(c for s in settings for c in setting_clues(s)))


class _Files:
    """The app's own non-Python files by role, the compose files of enclosing apps, and a
    small line cache for finding import lines (facts keep imports without lines)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.prefix = "" if ctx.app == "." else ctx.app + "/"
        self.by_role: dict[str, list[str]] = defaultdict(list)
        for rel in ctx.other_files.get(ctx.app, ()):
            role = file_role(rel)
            if role:
                self.by_role[role].append(rel)
        self._lines: dict[str, list[str]] = {}

    def own(self, role: str) -> list[str]:
        return self.by_role.get(role, [])

    def enclosing_compose(self) -> list[str]:
        """Compose files of apps that contain this one (a monorepo root's compose file)."""
        out = []
        for other in self.ctx.app_roots:
            if other != self.ctx.app and (other == "." or self.prefix.startswith(other + "/")):
                out += [r for r in self.ctx.other_files.get(other, ()) if file_role(r) == "compose"]
        return out

    def is_test(self, rel: str) -> bool:
        # asked of every module on every re-link: remember the answers (paths never change meaning)
        known = self.ctx.lasting_dict("services.is-test")
        found = known.get(rel)
        if found is None:
            found = known[rel] = is_test_path(rel.removeprefix(self.prefix))
        return found

    def lines(self, rel: str) -> list[str]:
        if rel not in self._lines:
            try:
                self._lines[rel] = (self.ctx.root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[rel] = []
        return self._lines[rel]


# ---- dependencies and imports ---------------------------------------------------------------


def _dependency_clues(ctx: AppContext, files: _Files, findings: list[Finding]) -> list[_Clue]:
    reader = DepReader(ctx.root)
    deps: list[DepRef] = []
    for role in ("requirements", "pyproject", "setup-cfg", "pipfile", "poetry-lock", "uv-lock"):
        for rel in files.own(role):
            deps += reader.read(rel, role)
    findings.extend(reader.findings)
    out = []
    for d in deps:
        kinds = {DEPENDENCY_KINDS[d.name]} if d.name in DEPENDENCY_KINDS else set()
        kinds |= {EXTRA_KINDS[e] for e in d.extras if e in EXTRA_KINDS}
        strong = d.direct and not d.test_only and d.name not in _WEAK_DEPENDENCIES
        ev = Evidence(kind="dependency", detail=d.spec if d.direct else f"{d.spec} (indirect)", file=d.file,
                      line=d.line)
        out += [_Clue(kind=k, evidence=ev, strong=strong) for k in sorted(kinds)]
    return out


def _import_kind(target: str) -> str | None:
    parts = target.split(".")
    for n in (2, 1):
        kind = IMPORT_KINDS.get(".".join(parts[:n]))
        if kind:
            return kind
    return None


def _import_clues(ctx: AppContext, files: _Files, m: ModuleFacts) -> list[_Clue]:
    targets = [t for _a, t in m.imports]
    for f in list(m.functions) + list(getattr(m, "local_functions", ())):
        targets += [t for _a, t in f.imports]
    out = []
    seen: set[str] = set()
    for target in targets:
        kind = _import_kind(target)
        top = target.split(".")[0]
        if kind is None or top in seen or ctx.resolver.module(top) is not None:
            continue  # not a service package, already counted, or the app's own module of that name
        seen.add(top)
        out.append(_Clue(kind=kind, evidence=Evidence(kind="import", detail=f"import {top}", file=m.path,
                                                      line=_import_line(files.lines(m.path), top))))
    return out


def _import_line(lines: list[str], top: str) -> int:
    pattern = re.compile(rf"^\s*(from\s+{re.escape(top)}[\s.]|import\s+(.*[\s,])?{re.escape(top)}([\s.,]|$))")
    return next((i + 1 for i, line in enumerate(lines) if pattern.match(line)), 0)


# ---- URLs, settings and env ---------------------------------------------------------------------


def url_parts(text: str) -> tuple[str, str, str] | None:
    """A whole-string URL -> (kind-scheme, host, shown). `shown` keeps only scheme and host
    (plus the path for sqlite, which is a file name), never user, password or query."""
    m = _URL.match(text)
    if m is None:
        return None
    scheme, host, rest = m.group(1).lower(), m.group(2).lower(), m.group(3)
    base = scheme.split("+")[0]
    shown = f"{scheme}://{host}"
    if base == "sqlite":
        shown = f"{scheme}://{rest.split('?')[0]}" if not host else shown
    return base, host, shown


def _url_kind(text: str | None) -> tuple[str | None, str, str]:
    """(kind, host, shown) of a URL; kind "http" for http(s), None if unknown."""
    parts = url_parts(text) if text else None
    if parts is None:
        return None, "", ""
    base, host, shown = parts
    if base in ("http", "https"):
        return "http", host, shown
    return SCHEME_KINDS.get(base), host, shown


def _is_outside_api(host: str, name: str = "") -> bool:
    return bool(host) and "{" not in host and not _LOCAL_HOSTS.match(host) and not _NOT_APIS.match(host) \
        and not (name and _NOT_API_NAMES.search(name))


def _url_clues(m: ModuleFacts) -> list[_Clue]:
    """Service URLs written in code (`redis://cache:6379/0`). http(s) URLs are left to the
    settings and client-call rules, which know whether the URL names an API."""
    out = []
    for text, line in m.urls:
        kind, _host, shown = _url_kind(text)
        if kind and kind != "http":
            out.append(_Clue(kind=kind, evidence=Evidence(kind="url", detail=shown, file=m.path, line=line)))
    return out


def setting_clues(s: SettingRef, *, weak: bool = False) -> list[_Clue]:
    """Clues from one settings/env name: its name pattern, its URL value's scheme, its
    declared DSN type and Django backend paths in its value."""
    upper = s.name.upper()
    url_kind, host, shown = _url_kind(s.value)
    detail = f"{s.owner}.{s.name}" if s.owner else s.name
    if shown:
        detail += f" = {shown}"
    found: dict[str, bool] = {}
    for pattern, kind, strong in NAME_KINDS:
        if pattern.search(upper):
            found[kind] = found.get(kind, False) or strong
    for type_name, kind in ANNOTATION_KINDS:
        if type_name in s.annotation:
            found[kind] = True
    for path in s.paths:
        for prefix, kind in BACKEND_KINDS:
            if path.startswith(prefix):
                found[kind] = True
                detail = f"{detail} {path}"
    out = []
    if url_kind == "http":
        if _is_outside_api(host, s.name) and s.origin != "env-file":
            out.append(_Clue(kind="http", name=host, setting=s.name, strong=not weak,
                             evidence=Evidence(kind=s.origin, detail=detail, file=s.file, line=s.line)))
    elif url_kind:
        found[url_kind] = True
    ev = Evidence(kind=s.origin, detail=detail, file=s.file, line=s.line)
    out += [_Clue(kind=k, evidence=ev, setting=s.name, strong=strong and not weak) for k, strong in found.items()]
    if not found and not url_kind and GENERIC_DB_NAME.search(upper):
        out.append(_Clue(kind="", evidence=ev, setting=s.name, strong=False, generic_db=True))
    return out


def _http_call_clues(ctx: AppContext, m: ModuleFacts) -> list[_Clue]:
    """Outside APIs called through HTTP clients: `httpx.AsyncClient(base_url="https://api.x.com")`,
    `requests.get("https://api.x.com/v1/...")`, or any client built with `base_url=`."""
    out = []
    scopes: list[tuple[list, dict, dict]] = [
        (list(m.calls) + [c for _n, v, _l in m.assigns for c in walk(v) if is_call(c)], {}, {})]
    for f in list(m.functions) + list(getattr(m, "local_functions", ())):
        env, imports = local_env(f)
        scopes.append((list(f.calls), env, imports))
    for calls, env, imports in scopes:
        for call in calls:
            clue = _http_call(ctx, m, call, env, imports)
            if clue is not None:
                out.append(clue)
    return out


def _http_call(ctx: AppContext, m: ModuleFacts, call: tuple, env: dict, imports: dict) -> _Clue | None:
    kwargs = call_kwargs(call)
    base_url = first_url(kwargs.get("base_url"))
    qual = ""
    if base_url is None:
        qual = ctx.resolver.qualname(m.module, call_func(call), env, imports) or ""
        if not qual.startswith(_HTTP_CLIENTS):
            return None
        args = call[2]
        candidates = [kwargs.get(k) for k in _HTTP_URL_KWARGS] + [args[0] if args else None]
        base_url = next((u for u in (first_url(c) for c in candidates) if u), None)
    kind, host, shown = _url_kind(base_url)
    if kind != "http" or not _is_outside_api(host):
        return None
    what = qual or "base_url"
    return _Clue(kind="http", name=host, evidence=Evidence(kind="code", detail=f"{what}({shown})", file=m.path,
                                                           line=call[4]))


# ---- compose ----------------------------------------------------------------------------------


def _compose_clues(ctx: AppContext, files: _Files, findings: list[Finding], *, has_code: bool) -> list[_Clue]:
    out = []
    sources = [(rel, has_code and not files.is_test(rel)) for rel in files.own("compose")]
    sources += [(rel, False) for rel in files.enclosing_compose()]
    for rel, strong in sources:
        for img in compose_images(ctx.root, rel, findings):
            kind = IMAGE_KINDS.get(img.image.rsplit("/", 1)[-1].lower())
            if kind is None:
                continue
            ref = f"{img.image}:{img.tag}" if img.tag else img.image
            detail = f"image {ref}" + (f" (service {img.service})" if img.service else "")
            out.append(_Clue(kind=kind, strong=strong, version=img.tag,
                             evidence=Evidence(kind="compose", detail=detail, file=img.file, line=img.line)))
    return out


# ---- merging ----------------------------------------------------------------------------------


def build_services(app: str, clues: list[_Clue]) -> list[Service]:
    """One Service per (kind, name) that has a strong clue; deterministic order."""
    groups: dict[tuple[str, str], list[_Clue]] = defaultdict(list)
    for c in clues:
        if not c.generic_db:
            groups[(c.kind, c.name)].append(c)
    kept = {key: cs for key, cs in groups.items() if any(c.strong for c in cs)}
    sql = [key for key in kept if key[0] in SQL_KINDS]
    for c in clues:
        if c.generic_db:
            for key in sql:
                kept[key].append(c)
    services = []
    for (kind, name), cs in sorted(kept.items()):
        evidence = sorted({c.evidence for c in cs}, key=lambda e: (e.file, e.line, e.kind, e.detail))
        settings = sorted({c.setting for c in cs if c.setting})
        versions = [c.version for c in sorted(cs, key=lambda c: (not c.strong, c.evidence.file, c.evidence.line))
                    if c.version]
        services.append(Service(kind=kind, app=app, name=name, evidence=tuple(evidence), settings=tuple(settings),
                                version=versions[0] if versions else None))
    return services


def _check_celery_broker(ctx: AppContext, services: list[Service]) -> None:
    kinds = {s.kind for s in services}
    if "celery" in kinds and not kinds & {"redis", "rabbitmq", "kafka", "sqlite", "postgres", "mysql"}:
        celery = next(s for s in services if s.kind == "celery")
        first = celery.evidence[0] if celery.evidence else Evidence(kind="code", detail="")
        ctx.findings.append(Finding(code="celery-broker-unknown", severity="info", file=first.file,
                                    line=first.line, app=ctx.app,
                                    message="Celery is used but its broker URL was not found statically; "
                                            "set CELERY_BROKER_URL (or broker=) so the test environment "
                                            "can start the right broker."))

