"""A docker compose test environment from the services the analysis found.

Pure: `generate_compose` returns the compose document and the env wiring as values; rendering
is text in, text out; nothing here touches the engine or writes files (see `writer.py`).

The wiring travels inside the compose file (`x-seamline.env`), so `seamline env up` can fill in
the host ports the engine actually chose without re-running the analysis, and a compose file the
user edited by hand still wires the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ... import __version__
from ..errors import SeamlineError
from ..model import Service
from .compose_hints import VersionHint

HOST = "127.0.0.1"
USER = "test"
DATABASE = "test"
SPEC_VERSION = 1
MANAGED_LABEL = "dev.seamline.managed"
PROJECT_LABEL = "dev.seamline.project"
KIND_LABEL = "dev.seamline.kind"

# Current, pinned defaults; users override per kind (settings/CLI `--image KIND=IMAGE`), and a
# version hint the analysis found (Service.version) replaces the tag.
DEFAULT_IMAGES: Mapping[str, str] = {
    "postgres": "postgres:16",
    "mysql": "mysql:8.4",
    "mariadb": "mariadb:11.4",
    "redis": "redis:7.4",
    "rabbitmq": "rabbitmq:3.13-management",
    "kafka": "apache/kafka:3.8.0",
    "mongodb": "mongo:7.0",
    "smtp": "axllent/mailpit:v1.21",
    "s3": "minio/minio:RELEASE.2024-10-13T13-34-11Z",
    "http": "wiremock/wiremock:3.9.1",
}
NO_CONTAINER = frozenset({"sqlite"})  # celery needs its broker only; http only when stubbed
INIT_SQL_DIR = ".seamline/init"  # *.sql here run once when a database container starts (seeding hook)
INIT_SQL_MOUNT = "/docker-entrypoint-initdb.d"
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")


class WiringError(SeamlineError):
    """A binding names a port the running environment does not publish."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvBinding:
    """One env var for the app under test. `template` holds `{host}` and `{port}`, filled from the
    host port the engine published for (`service`, `port`); `port` is None for constants."""

    name: str
    service: str
    port: int | None
    template: str
    origin: str = "analysis"  # "analysis": a setting the app reads | "seamline": SEAMLINE_* for our fixtures


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeSpec:
    project_name: str
    document: dict[str, Any] = field(hash=False, compare=False)
    bindings: tuple[EnvBinding, ...] = ()
    notes: tuple[str, ...] = ()  # what was merged, skipped or could not be wired, for the user


@dataclass(frozen=True, slots=True, kw_only=True)
class _Planned:
    """One container: its compose body and the values its settings can take (facet -> (port, template))."""

    name: str
    kind: str
    body: dict[str, Any]
    facets: dict[str, tuple[int | None, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Ctx:
    project: str
    image: str
    services: tuple[Service, ...]  # the analysed services this container stands in for
    init_sql: str | None = None  # compose-relative folder of seed SQL for databases, when there is one


# --- names, labels, credentials ---------------------------------------------------------------


def project_name(root: str | Path, run_id: str | None = None) -> str:
    """`seamline-<hash of the workspace root>`: stable per workspace, never the folder name, so it
    cannot collide with the user's own compose project; tests add a run id."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:10]
    name = f"seamline-{digest}"
    if run_id:
        name += "-" + re.sub(r"[^a-z0-9_-]+", "-", run_id.lower()).strip("-")
    return name


def seamline_labels(project: str, kind: str | None = None) -> dict[str, str]:
    """Every label Seamline puts on what it creates; `seamline env prune` deletes by these."""
    labels = {MANAGED_LABEL: "true", PROJECT_LABEL: project, "dev.seamline.version": __version__}
    if kind:
        labels[KIND_LABEL] = kind
    return labels


def _password(project: str, kind: str) -> str:
    # Deterministic (regeneration gives the same file) and never taken from the user's .env.
    return "t" + hashlib.sha256(f"seamline:{project}:{kind}".encode()).hexdigest()[:20]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "api"


# --- building blocks ----------------------------------------------------------------------------


def _health(test: list[str], *, interval: str = "1s", timeout: str = "5s", retries: int = 120) -> dict[str, Any]:
    return {"test": test, "interval": interval, "timeout": timeout, "retries": retries, "start_period": "0s"}


def _container(ctx: _Ctx, kind: str, *, ports: Iterable[str], healthcheck: dict[str, Any],
               environment: dict[str, str] | None = None, command: list[str] | None = None,
               tmpfs: Iterable[str] = (), volumes: Iterable[str] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"image": ctx.image, "init": True}
    if command:
        body["command"] = command
    if environment:
        body["environment"] = environment
    body["ports"] = list(ports)
    if tmpfs:
        body["tmpfs"] = list(tmpfs)  # data dies with the container: fast start, nothing to clean
    if volumes:
        body["volumes"] = list(volumes)  # bind mounts only: no named volume outlives `down`
    body["healthcheck"] = healthcheck
    body["labels"] = seamline_labels(ctx.project, kind)
    return body


def _ephemeral(port: int) -> str:
    return f"{HOST}::{port}"  # 127.0.0.1 only, host port chosen by the engine


def _credentials_facets(port: int, url: str, password: str, **extra: str) -> dict[str, tuple[int | None, str]]:
    facets: dict[str, tuple[int | None, str]] = {
        "url": (port, url), "host": (None, "{host}"), "port": (port, "{port}"),
        "user": (None, USER), "password": (None, password), "db": (None, DATABASE),
    }
    facets.update({k: (None, v) for k, v in extra.items()})
    return facets


def _init_sql(ctx: _Ctx) -> list[str]:
    """The seeding hook: the official postgres/mysql/mariadb images run `*.sql` in this folder once,
    before the server listens on TCP, so the TCP healthcheck passes only after the seed is loaded."""
    return [f"./{ctx.init_sql.strip('/').removeprefix('./')}:{INIT_SQL_MOUNT}:ro"] if ctx.init_sql else []


def _evidence_text(services: Iterable[Service]) -> str:
    return " ".join(f"{e.kind} {e.detail}" for s in services for e in s.evidence).lower()


def _sql_driver(services: Iterable[Service], drivers: tuple[tuple[str, str], ...]) -> str:
    """`+asyncpg`-style SQLAlchemy driver suffix when the evidence names a non-default driver."""
    text = _evidence_text(services)
    for needle, suffix in drivers:
        if re.search(needle, text):
            return suffix
    return ""


def _postgres(ctx: _Ctx) -> _Planned:
    pw = _password(ctx.project, "postgres")
    driver = _sql_driver(ctx.services, ((r"asyncpg", "+asyncpg"), (r"psycopg(?!2)\b|psycopg\[", "+psycopg")))
    body = _container(
        ctx, "postgres", ports=[_ephemeral(5432)],
        environment={"POSTGRES_USER": USER, "POSTGRES_PASSWORD": pw, "POSTGRES_DB": DATABASE},
        # durability is worthless for throwaway test data and costs start-up and write time
        command=["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        tmpfs=["/var/lib/postgresql/data"], volumes=_init_sql(ctx),
        healthcheck=_health(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", USER, "-d", DATABASE]),
    )
    url = f"postgresql{driver}://{USER}:{pw}@{{host}}:{{port}}/{DATABASE}"
    return _Planned(name="postgres", kind="postgres", body=body, facets=_credentials_facets(5432, url, pw))


def _mysql_like(ctx: _Ctx, kind: str) -> _Planned:
    pw = _password(ctx.project, kind)
    mariadb = "mariadb" in ctx.image.rsplit("/", 1)[-1]
    admin = "mariadb-admin" if mariadb else "mysqladmin"
    # TCP on purpose: the images' init phase runs a socket-only server that must not count as ready
    probe = ["CMD", admin, "ping", "--protocol=tcp", "-h", "127.0.0.1", "-u", USER, f"-p{pw}"]
    body = _container(
        ctx, kind, ports=[_ephemeral(3306)],
        environment={"MYSQL_ROOT_PASSWORD": pw, "MYSQL_DATABASE": DATABASE, "MYSQL_USER": USER, "MYSQL_PASSWORD": pw},
        tmpfs=["/var/lib/mysql"], volumes=_init_sql(ctx), healthcheck=_health(probe),
    )
    driver = _sql_driver(ctx.services, ((r"aiomysql", "+aiomysql"), (r"asyncmy", "+asyncmy"), (r"pymysql", "+pymysql"),
                                        (r"mysqlclient|mysqldb", "+mysqldb")))
    # the app and its tests connect as root, not USER: the generated suites create databases of their own (one
    # per pytest-xdist worker, Django's test_<name>), and MYSQL_USER may only use MYSQL_DATABASE
    url = f"mysql{driver}://root:{pw}@{{host}}:{{port}}/{DATABASE}"
    return _Planned(name=kind, kind=kind, body=body, facets=_credentials_facets(3306, url, pw, user="root"))


def _redis(ctx: _Ctx) -> _Planned:
    body = _container(ctx, "redis", ports=[_ephemeral(6379)],
                      command=["redis-server", "--save", "", "--appendonly", "no"], tmpfs=["/data"],
                      healthcheck=_health(["CMD", "redis-cli", "ping"]))
    facets: dict[str, tuple[int | None, str]] = {
        "url": (6379, "redis://{host}:{port}/0"), "host": (None, "{host}"), "port": (6379, "{port}"),
        "db": (None, "0"), "password": (None, ""),
    }
    return _Planned(name="redis", kind="redis", body=body, facets=facets)


def _rabbitmq(ctx: _Ctx) -> _Planned:
    pw = _password(ctx.project, "rabbitmq")
    body = _container(
        ctx, "rabbitmq", ports=[_ephemeral(5672)],
        environment={"RABBITMQ_DEFAULT_USER": USER, "RABBITMQ_DEFAULT_PASS": pw, "RABBITMQ_DEFAULT_VHOST": "/"},
        tmpfs=["/var/lib/rabbitmq"],
        # `ping` passes as soon as the Erlang node runs, seconds before AMQP accepts connections;
        # check_port_connectivity passes only once the listeners do. Each probe starts a VM: probe less often.
        healthcheck=_health(["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"], interval="2s",
                            timeout="10s", retries=60),
    )
    facets = _credentials_facets(5672, f"amqp://{USER}:{pw}@{{host}}:{{port}}//", pw, vhost="/")
    del facets["db"]
    return _Planned(name="rabbitmq", kind="rabbitmq", body=body, facets=facets)


def kafka_host_port(project: str) -> int:
    """Kafka advertises an address to its clients, so its host port cannot be ephemeral: a fixed
    port per project, derived from the name, in 20000-39999."""
    return 20000 + int(hashlib.sha256(project.encode()).hexdigest()[:8], 16) % 20000


def _kafka(ctx: _Ctx) -> _Planned:
    port = kafka_host_port(ctx.project)
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": f"INTERNAL://:19092,CONTROLLER://:9093,EXTERNAL://:{port}",
        "KAFKA_ADVERTISED_LISTENERS": f"INTERNAL://kafka:19092,EXTERNAL://{HOST}:{port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
    }
    probe = ["CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:19092 >/dev/null"]
    body = _container(ctx, "kafka", ports=[f"{HOST}:{port}:{port}"], environment=env, tmpfs=["/var/lib/kafka/data"],
                      healthcheck=_health(probe, interval="2s", timeout="10s", retries=60))
    facets: dict[str, tuple[int | None, str]] = {
        "url": (port, "{host}:{port}"), "host": (None, "{host}"), "port": (port, "{port}"),
    }
    return _Planned(name="kafka", kind="kafka", body=body, facets=facets)


def _mongodb(ctx: _Ctx) -> _Planned:
    pw = _password(ctx.project, "mongodb")
    body = _container(
        ctx, "mongodb", ports=[_ephemeral(27017)],
        environment={"MONGO_INITDB_ROOT_USERNAME": USER, "MONGO_INITDB_ROOT_PASSWORD": pw,
                     "MONGO_INITDB_DATABASE": DATABASE},
        tmpfs=["/data/db", "/data/configdb"],
        healthcheck=_health(["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"],
                            interval="2s", timeout="10s"),
    )
    url = f"mongodb://{USER}:{pw}@{{host}}:{{port}}/{DATABASE}?authSource=admin"
    return _Planned(name="mongodb", kind="mongodb", body=body, facets=_credentials_facets(27017, url, pw))


def _smtp(ctx: _Ctx) -> _Planned:
    pw = _password(ctx.project, "smtp")
    body = _container(ctx, "smtp", ports=[_ephemeral(1025), _ephemeral(8025)],
                      environment={"MP_SMTP_AUTH_ACCEPT_ANY": "1", "MP_SMTP_AUTH_ALLOW_INSECURE": "1"},
                      healthcheck=_health(["CMD", "/mailpit", "readyz"]))
    facets = _credentials_facets(1025, "smtp://{host}:{port}", pw)
    del facets["db"]
    facets["api"] = (8025, "http://{host}:{port}")  # mailpit's API: tests read sent mail here
    return _Planned(name="smtp", kind="smtp", body=body, facets=facets)


def _s3(ctx: _Ctx) -> _Planned:
    pw = _password(ctx.project, "s3")
    body = _container(ctx, "s3", ports=[_ephemeral(9000)], command=["server", "/data"],
                      environment={"MINIO_ROOT_USER": USER, "MINIO_ROOT_PASSWORD": pw}, tmpfs=["/data"],
                      healthcheck=_health(["CMD", "mc", "ready", "local"]))
    facets = _credentials_facets(9000, "http://{host}:{port}", pw, region="us-east-1", bucket=DATABASE)
    del facets["db"]
    return _Planned(name="s3", kind="s3", body=body, facets=facets)


def _http_stub(ctx: _Ctx, name: str) -> _Planned:
    body = _container(ctx, "http", ports=[_ephemeral(8080)],
                      healthcheck=_health(["CMD", "curl", "-fsS", "http://localhost:8080/__admin/health"]))
    facets: dict[str, tuple[int | None, str]] = {
        "url": (8080, "http://{host}:{port}"), "host": (None, "{host}"), "port": (8080, "{port}"),
    }
    return _Planned(name=name, kind="http", body=body, facets=facets)


_BUILDERS: dict[str, Callable[[_Ctx], _Planned]] = {
    "postgres": _postgres,
    "mysql": lambda ctx: _mysql_like(ctx, "mysql"),
    "mariadb": lambda ctx: _mysql_like(ctx, "mariadb"),
    "redis": _redis,
    "rabbitmq": _rabbitmq,
    "kafka": _kafka,
    "mongodb": _mongodb,
    "smtp": _smtp,
    "s3": _s3,
}


# --- settings -> facets -------------------------------------------------------------------------

_URL_WORDS = {"URL", "URI", "DSN", "URLS", "ADDR", "ADDRESS", "ENDPOINT", "SERVERS", "BROKER", "BASE"}


def setting_facet(setting: str) -> str | None:
    """Which value an env var / setting name expects, from its name: `DATABASE_URL` -> "url",
    `POSTGRES_SERVER` -> "host", `AWS_SECRET_ACCESS_KEY` -> "password". None when unclear."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", setting.upper()) if w]
    if not words:
        return None
    last = words[-1]
    if "SECRET" in words and last in ("KEY", "PASSWORD"):
        return "password"
    if "ACCESS" in words and last in ("ID", "KEY"):
        return "user"
    if "BUCKET" in words:
        return "bucket"
    if last == "BACKEND":  # CELERY_RESULT_BACKEND is a URL; EMAIL_BACKEND, CACHE_BACKEND are class paths
        return "url" if "RESULT" in words else None
    if last in _URL_WORDS:
        return "url"
    if "ENDPOINT" in words:
        return "url"
    table = {
        "HOST": "host", "HOSTNAME": "host", "SERVER": "host",
        "PORT": "port",
        "USER": "user", "USERNAME": "user", "LOGIN": "user",
        "PASSWORD": "password", "PASS": "password", "PASSWD": "password", "PWD": "password",
        "DB": "db", "DATABASE": "db", "DBNAME": "db", "NAME": "db",
        "REGION": "region", "BUCKET": "bucket", "VHOST": "vhost",
    }
    return table.get(last)


# --- generation ---------------------------------------------------------------------------------


def _image_for(kind: str, group: list[Service], images: Mapping[str, str], hints: Sequence[VersionHint],
               notes: list[str]) -> str:
    """An explicit `--image` wins; else the tag the project already uses: compose files first (the
    analysis put it in Service.version), then CI service containers and Dockerfiles; else the default."""
    if kind in images:
        return images[kind]
    default = DEFAULT_IMAGES[kind]
    # (image family, tag, where it was found)
    found = [(_family(kind, s), s.version.rsplit(":", 1)[-1], "a compose file") for s in group if s.version]
    found += [(h.image, h.tag, f"{h.file}:{h.line}") for h in hints if h.kind == kind]
    if not found:
        return default
    family, tag, where = found[0]
    distinct = sorted({f"{f}:{t}" for f, t, _w in found})
    if len(distinct) > 1:
        notes.append(f"{kind}: several version hints ({', '.join(distinct)}); using {tag} from {where}.")
    if not _TAG.match(tag):
        notes.append(f"{kind}: version hint {tag!r} is not a usable image tag; using {default}.")
        return default
    repo = family if kind == "mysql" and family == "mariadb" else default.rsplit(":", 1)[0]
    return f"{repo}:{tag}"


def _family(kind: str, service: Service) -> str:
    """The image family an analysed service's compose hint came from (MariaDB counts as mysql)."""
    return "mariadb" if kind == "mysql" and "mariadb" in _evidence_text([service]) else kind


def celery_broker(celery: Sequence[Service], planned: Collection[str]) -> str:
    """The broker Celery talks to: what its evidence names, else a broker the app already has, else redis."""
    text = _evidence_text(celery)
    if "amqp" in text or "rabbitmq" in text:
        return "rabbitmq"
    if "redis" in text:
        return "redis"
    if "rabbitmq" in planned and "redis" not in planned:
        return "rabbitmq"
    return "redis"


def by_kind(services: Iterable[Service]) -> dict[str, list[Service]]:
    out: dict[str, list[Service]] = {}
    for s in services:
        out.setdefault(s.kind, []).append(s)
    return out


def container_kinds(services: Iterable[Service], *, present: Collection[str] = ()) -> dict[str, list[Service]]:
    """The containers the services need, by kind (sqlite and outside APIs need none; Celery needs its
    broker), each with the analysed services it stands in for. `present`: kinds already there,
    which decide Celery's broker when its evidence does not."""
    groups = by_kind(services)
    out = {k: g for k, g in groups.items() if k in _BUILDERS}
    if "celery" in groups:
        broker = celery_broker(groups["celery"], {*out, *present})
        out.setdefault(broker, [])
        out[broker] = out[broker] + groups["celery"]
    return out


def generate_compose(services: Iterable[Service], *, project_name: str, images: Mapping[str, str] | None = None,
                     stub_http: bool = False, hints: Sequence[VersionHint] = (),
                     init_sql: str | None = None) -> ComposeSpec:
    """One container per backing-service kind (services of several apps share it), healthchecked,
    on 127.0.0.1 with engine-chosen ports, plus the env bindings for every setting the analysis saw.
    `hints`: image versions found in Dockerfiles/CI (`compose_hints.version_hints`); `init_sql`: a
    folder (relative to the compose file) of seed SQL the databases run on first start."""
    images = {**(images or {})}
    notes: list[str] = []
    groups = by_kind(services)

    planned: dict[str, _Planned] = {}
    wired: list[tuple[_Planned, Service]] = []  # (container, analysed service whose settings it answers)
    for kind, group in groups.items():
        if kind in _BUILDERS:
            ctx = _Ctx(project=project_name, image=_image_for(kind, group, images, hints, notes),
                       services=tuple(group), init_sql=init_sql)
            planned[kind] = _BUILDERS[kind](ctx)
            wired += [(planned[kind], s) for s in group]
        elif kind not in NO_CONTAINER | {"celery", "http"}:
            notes.append(f"{kind}: Seamline has no container recipe for this kind of service; add one by hand.")

    if "celery" in groups:
        broker = celery_broker(groups["celery"], planned)
        if broker not in planned:
            ctx = _Ctx(project=project_name, image=_image_for(broker, [], images, hints, notes), services=())
            planned[broker] = _BUILDERS[broker](ctx)
            notes.append(f"celery: added {broker} as its broker.")
        wired += [(planned[broker], s) for s in groups["celery"]]

    for s in groups.get("http", []):
        if not stub_http:
            continue
        name = "stub-" + _slug(s.name or "api")
        if name not in planned:
            ctx = _Ctx(project=project_name, image=images.get("http", DEFAULT_IMAGES["http"]), services=(s,))
            planned[name] = _http_stub(ctx, name)
        wired.append((planned[name], s))

    bindings = _bindings(wired, planned, notes)
    document: dict[str, Any] = {
        "name": project_name,
        "services": {p.name: p.body for p in planned.values()},
        "networks": {"default": {"labels": seamline_labels(project_name)}},
        "x-seamline": {  # read by `seamline env up` to write the env file with the real host ports
            "version": SPEC_VERSION,
            "env": {b.name: {"service": b.service, "port": b.port, "value": b.template, "origin": b.origin}
                    for b in bindings},
        },
    }
    return ComposeSpec(project_name=project_name, document=document, bindings=tuple(bindings), notes=tuple(notes))


def _bindings(wired: list[tuple[_Planned, Service]], planned: dict[str, _Planned],
              notes: list[str]) -> list[EnvBinding]:
    out: dict[str, EnvBinding] = {}
    redis = planned.get("redis")
    for container, service in wired:
        for setting in service.settings:
            facet = setting_facet(setting)
            target = container
            if service.kind == "celery" and facet == "url" and "RESULT" in setting.upper() and redis:
                target = redis  # results in redis even when the broker is rabbitmq
            if facet is None or facet not in target.facets:
                notes.append(f"{setting}: can't tell which {target.kind} value it expects from its name; "
                             "not wired (set it in your test settings).")
                continue
            port, template = target.facets[facet]
            binding = EnvBinding(name=setting, service=target.name, port=port, template=template)
            previous = out.setdefault(setting, binding)
            if previous != binding:
                notes.append(f"{setting}: read for both {previous.service} and {target.name}; wired to "
                             f"{previous.service}.")
    for container in planned.values():
        prefix = "SEAMLINE_" + re.sub(r"[^A-Z0-9]+", "_", container.name.upper())
        for facet in ("url", "host", "port", "user", "password", "db", "api"):
            if facet in container.facets:
                port, template = container.facets[facet]
                name = f"{prefix}_{facet.upper()}"
                out[name] = EnvBinding(name=name, service=container.name, port=port, template=template,
                                       origin="seamline")
    return list(out.values())


def wire_env(spec: ComposeSpec, ports: Mapping[tuple[str, int], int], *, host: str = HOST) -> dict[str, str]:
    """Env values from the host ports the engine actually published: (service, container_port) -> host_port."""
    env: dict[str, str] = {}
    for b in spec.bindings:
        value = b.template.replace("{host}", host)
        if b.port is not None:
            if (b.service, b.port) not in ports:
                raise WiringError(f"{b.name} needs the host port of {b.service}:{b.port}, which is not published. "
                                  "Is the environment up? Run `seamline env status`.")
            value = value.replace("{port}", str(ports[(b.service, b.port)]))
        env[b.name] = value
    return env


# --- YAML ---------------------------------------------------------------------------------------


def render_compose(spec: ComposeSpec, *, regenerate: str = "seamline gen compose") -> str:
    """The compose file text: a Seamline header, then the document (key order kept)."""
    kinds = ", ".join(spec.document.get("services", {})) or "no services"
    header = [
        f"# Generated by Seamline {__version__}: test services for this workspace ({kinds}).",
        f"# Regenerate: {regenerate}   (a file you edited is kept; --force replaces it)",
        "# Start: seamline env up   Status: seamline env status   Remove everything: seamline env down",
        "# Credentials here are generated for tests only; ports are published on 127.0.0.1.",
    ]
    header += [f"# note: {n}" for n in spec.notes]
    body = yaml.safe_dump(spec.document, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)
    return "\n".join(header) + "\n" + body


def load_spec(text: str) -> ComposeSpec | None:
    """Read a compose file back into a spec (document + bindings); None when it has no Seamline wiring."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("x-seamline"), dict):
        return None
    env = doc["x-seamline"].get("env") or {}
    bindings = tuple(
        EnvBinding(name=str(name), service=str(b["service"]), port=b.get("port"), template=str(b["value"]),
                   origin=str(b.get("origin", "analysis")))
        for name, b in env.items() if isinstance(b, dict) and "service" in b and "value" in b
    )
    return ComposeSpec(project_name=str(doc.get("name", "")), document=doc, bindings=bindings)


# --- structural validation ----------------------------------------------------------------------

_SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes", "tmpfs",
    "healthcheck", "labels", "depends_on", "init", "restart", "networks", "working_dir", "user", "stop_grace_period",
    "stop_signal", "container_name", "hostname", "profiles", "ulimits", "shm_size", "cap_add", "extra_hosts",
    "platform", "deploy", "logging", "read_only", "security_opt", "sysctls", "x-seamline",
}
_HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}


def validate_compose(doc: Any) -> list[str]:
    """Problems with a compose document, checked without an engine (`docker compose config -q` adds
    the engine-side view when one is there). Empty list: fine."""
    if not isinstance(doc, dict):
        return ["the document is not a mapping"]
    problems: list[str] = []
    name = doc.get("name")
    if name is not None and (not isinstance(name, str) or not _PROJECT_NAME.match(name)):
        problems.append(f"name {name!r}: a project name is lower-case letters, digits, '-' and '_'")
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        return problems + ["services: missing or empty"]
    for svc, body in services.items():
        problems += [f"services.{svc}: {p}" for p in _validate_service(str(svc), body, set(services))]
    problems += _validate_wiring(doc.get("x-seamline"), services)
    return problems


def _validate_service(name: str, body: Any, names: set[str]) -> list[str]:
    if not _SERVICE_NAME.match(name):
        return ["invalid service name"]
    if not isinstance(body, dict):
        return ["not a mapping"]
    out = [f"unknown key {k!r}" for k in body if k not in _SERVICE_KEYS and not str(k).startswith("x-")]
    if "image" not in body and "build" not in body:
        out.append("needs an image or a build section")
    for port in body.get("ports", []) or []:
        if not isinstance(port, str):
            out.append(f"port {port!r}: write ports as strings (\"127.0.0.1::5432\")")
        elif not port.startswith(("127.0.0.1:", "[::1]:")):
            out.append(f"port {port!r} is published on every interface; bind it to 127.0.0.1")
    env = body.get("environment", {})
    if isinstance(env, dict):
        out += [f"environment.{k}: value must be a string" for k, v in env.items()
                if v is not None and not isinstance(v, str)]
    elif not isinstance(env, list):
        out.append("environment must be a mapping or a list")
    out += _validate_healthcheck(body.get("healthcheck"))
    deps = body.get("depends_on", {})
    out += [f"depends_on {d!r}: no such service" for d in (deps if isinstance(deps, (dict, list)) else [])
            if d not in names]
    tmpfs = body.get("tmpfs", [])
    if not isinstance(tmpfs, (list, str)) or (isinstance(tmpfs, list) and not all(isinstance(t, str) for t in tmpfs)):
        out.append("tmpfs must be a path or a list of paths")
    return out


def _validate_healthcheck(health: Any) -> list[str]:
    if health is None:
        return ["no healthcheck: `up --wait` cannot tell when it is ready"]
    if not isinstance(health, dict):
        return ["healthcheck must be a mapping"]
    out = [f"healthcheck: unknown key {k!r}" for k in health if k not in _HEALTH_KEYS]
    test = health.get("test")
    if health.get("disable"):
        return out
    if isinstance(test, list):
        if not test or test[0] not in ("CMD", "CMD-SHELL", "NONE") or len(test) < 2 and test[0] != "NONE":
            out.append("healthcheck.test must start with CMD or CMD-SHELL and name a command")
    elif not isinstance(test, str) or not test.strip():
        out.append("healthcheck.test is missing")
    for key in ("interval", "timeout", "start_period", "start_interval"):
        value = health.get(key)
        if value is not None and not (isinstance(value, str) and _DURATION.match(value)):
            out.append(f"healthcheck.{key} {value!r} is not a duration like '1s' or '500ms'")
    retries = health.get("retries")
    if retries is not None and (not isinstance(retries, int) or retries < 1):
        out.append("healthcheck.retries must be a positive integer")
    return out


def _validate_wiring(meta: Any, services: dict[str, Any]) -> list[str]:
    if meta is None:
        return []
    env = meta.get("env", {}) if isinstance(meta, dict) else None
    if not isinstance(env, dict):
        return ["x-seamline.env must be a mapping"]
    out = []
    for name, b in env.items():
        if not isinstance(b, dict) or "service" not in b or "value" not in b:
            out.append(f"x-seamline.env.{name}: needs service and value")
            continue
        body = services.get(b["service"])
        if not isinstance(body, dict):
            out.append(f"x-seamline.env.{name}: no service {b['service']!r}")
            continue
        port = b.get("port")
        published = {_container_port(p) for p in body.get("ports", []) or [] if isinstance(p, str)}
        if port is not None and port not in published:
            out.append(f"x-seamline.env.{name}: {b['service']} does not publish port {port}")
    return out


def _container_port(spec: str) -> int | None:
    """`127.0.0.1::5432` / `127.0.0.1:8080:80/tcp` / `5432` -> the container port."""
    last = spec.rsplit(":", 1)[-1].split("/", 1)[0]
    return int(last) if last.isdigit() else None
