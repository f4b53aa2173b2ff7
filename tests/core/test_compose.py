"""Compose generation, validation and env wiring: pure, no engine."""

import copy

import pytest
import yaml
from seamline.core.generate.compose import (
    DEFAULT_IMAGES,
    MANAGED_LABEL,
    WiringError,
    generate_compose,
    kafka_host_port,
    load_spec,
    project_name,
    render_compose,
    setting_facet,
    validate_compose,
    wire_env,
)
from seamline.core.model import Evidence, Service

PROJECT = "seamline-0123456789"


def _gen(*services, **kw):
    return generate_compose(list(services), project_name=PROJECT, **kw)


def test_postgres_service_is_healthchecked_local_ephemeral_and_throwaway():
    spec = _gen(Service(kind="postgres", settings=("DATABASE_URL",)))
    pg = spec.document["services"]["postgres"]
    assert pg["image"] == DEFAULT_IMAGES["postgres"]
    assert pg["ports"] == ["127.0.0.1::5432"]
    assert pg["tmpfs"] == ["/var/lib/postgresql/data"]
    assert pg["init"] is True
    assert pg["healthcheck"]["test"] == ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "test", "-d", "test"]
    assert pg["healthcheck"]["interval"] == "1s"
    assert pg["environment"]["POSTGRES_USER"] == "test" and pg["environment"]["POSTGRES_DB"] == "test"
    assert pg["labels"][MANAGED_LABEL] == "true"
    assert spec.document["name"] == PROJECT


@pytest.mark.parametrize(("kind", "probe"), [
    pytest.param("redis", ["CMD", "redis-cli", "ping"], id="redis"),
    pytest.param("rabbitmq", ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"], id="rabbitmq"),
    pytest.param("smtp", ["CMD", "/mailpit", "readyz"], id="smtp"),
    pytest.param("s3", ["CMD", "mc", "ready", "local"], id="s3"),
])
def test_each_kind_has_a_real_readiness_probe(kind, probe):
    spec = _gen(Service(kind=kind))
    assert spec.document["services"][kind]["healthcheck"]["test"] == probe


def test_mysql_probe_follows_the_image_family():
    mysql = _gen(Service(kind="mysql")).document["services"]["mysql"]
    maria = _gen(Service(kind="mysql"), images={"mysql": "mariadb:10.11"}).document["services"]["mysql"]
    assert mysql["healthcheck"]["test"][1] == "mysqladmin"
    assert maria["healthcheck"]["test"][1] == "mariadb-admin"
    assert maria["image"] == "mariadb:10.11"


def test_mysql_apps_connect_as_root_so_their_suites_may_create_databases():
    # a database per pytest-xdist worker, Django's test_<name>: MYSQL_USER may only use MYSQL_DATABASE
    spec = _gen(Service(kind="mysql", settings=("DATABASE_URL", "DB_USER", "DB_PASSWORD")))
    password = spec.document["services"]["mysql"]["environment"]["MYSQL_ROOT_PASSWORD"]
    templates = {b.name: b.template for b in spec.bindings}
    assert templates["DATABASE_URL"] == f"mysql://root:{password}@{{host}}:{{port}}/test"
    assert (templates["DB_USER"], templates["DB_PASSWORD"]) == ("root", password)


def test_kafka_is_kraft_with_an_advertised_fixed_port():
    spec = _gen(Service(kind="kafka", settings=("KAFKA_BOOTSTRAP_SERVERS",)))
    kafka = spec.document["services"]["kafka"]
    port = kafka_host_port(PROJECT)
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "ZOOKEEPER" not in " ".join(kafka["environment"])
    assert kafka["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"EXTERNAL://127.0.0.1:{port}" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert wire_env(spec, {("kafka", port): port})["KAFKA_BOOTSTRAP_SERVERS"] == f"127.0.0.1:{port}"


def test_version_hint_sets_the_tag_and_explicit_images_win():
    hinted = _gen(Service(kind="postgres", version="15"), Service(kind="redis", version="7-alpine"))
    assert hinted.document["services"]["postgres"]["image"] == "postgres:15"
    assert hinted.document["services"]["redis"]["image"] == "redis:7-alpine"
    explicit = _gen(Service(kind="postgres", version="15"), images={"postgres": "postgres:14"})
    assert explicit.document["services"]["postgres"]["image"] == "postgres:14"


def test_unusable_version_hint_falls_back_with_a_note():
    spec = _gen(Service(kind="postgres", version="${PG_VERSION}"))
    assert spec.document["services"]["postgres"]["image"] == DEFAULT_IMAGES["postgres"]
    assert any("not a usable image tag" in n for n in spec.notes)


def test_sqlite_and_unstubbed_http_need_no_container():
    spec = _gen(Service(kind="sqlite"), Service(kind="http", name="api.stripe.com"))
    assert spec.document["services"] == {}


def test_http_stub_per_outside_api_when_asked():
    spec = _gen(Service(kind="http", name="api.stripe.com", settings=("STRIPE_API_BASE",)), stub_http=True)
    assert list(spec.document["services"]) == ["stub-api-stripe-com"]
    env = wire_env(spec, {("stub-api-stripe-com", 8080): 40001})
    assert env["STRIPE_API_BASE"] == "http://127.0.0.1:40001"


def test_celery_alone_brings_its_broker():
    spec = _gen(Service(kind="celery", settings=("CELERY_BROKER_URL",)))
    assert list(spec.document["services"]) == ["redis"]
    assert any("celery: added redis" in n for n in spec.notes)
    assert wire_env(spec, {("redis", 6379): 41000})["CELERY_BROKER_URL"] == "redis://127.0.0.1:41000/0"


def test_celery_with_amqp_evidence_uses_rabbitmq_and_results_go_to_redis():
    celery = Service(kind="celery", settings=("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"),
                     evidence=(Evidence(kind="setting", detail="CELERY_BROKER_URL = 'amqp://guest@rabbit//'"),))
    spec = _gen(celery, Service(kind="redis", settings=("REDIS_URL",)))
    env = wire_env(spec, {("rabbitmq", 5672): 41001, ("redis", 6379): 41002})
    broker = env["CELERY_BROKER_URL"]
    assert broker.startswith("amqp://test:") and broker.endswith("@127.0.0.1:41001//")
    assert env["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:41002/0"


def test_services_of_several_apps_share_one_container_per_kind():
    spec = _gen(Service(kind="postgres", app="a", settings=("DATABASE_URL",)),
                Service(kind="postgres", app="b", settings=("PG_DSN",)))
    assert list(spec.document["services"]) == ["postgres"]
    env = wire_env(spec, {("postgres", 5432): 40000})
    assert env["DATABASE_URL"] == env["PG_DSN"]


def test_wiring_uses_the_published_ports_and_each_setting_gets_its_part():
    spec = _gen(Service(kind="postgres", settings=("SQLALCHEMY_DATABASE_URI", "POSTGRES_SERVER", "POSTGRES_PORT",
                                                   "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")))
    env = wire_env(spec, {("postgres", 5432): 49153})
    password = spec.document["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert env["SQLALCHEMY_DATABASE_URI"] == f"postgresql://test:{password}@127.0.0.1:49153/test"
    assert (env["POSTGRES_SERVER"], env["POSTGRES_PORT"]) == ("127.0.0.1", "49153")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]) == ("test", password, "test")
    assert env["SEAMLINE_POSTGRES_URL"] == env["SQLALCHEMY_DATABASE_URI"]


def test_driver_named_in_the_evidence_goes_into_the_url():
    svc = Service(kind="postgres", settings=("DATABASE_URL",),
                  evidence=(Evidence(kind="dependency", detail="asyncpg>=0.29"),))
    assert wire_env(_gen(svc), {("postgres", 5432): 1})["DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_unclear_setting_is_a_note_not_a_guess():
    spec = _gen(Service(kind="postgres", settings=("DATABASES",)))
    assert "DATABASES" not in {b.name for b in spec.bindings}
    assert any(n.startswith("DATABASES:") for n in spec.notes)


@pytest.mark.parametrize(("name", "facet"), [
    ("DATABASE_URL", "url"), ("REDIS_URI", "url"), ("CELERY_BROKER_URL", "url"), ("CELERY_RESULT_BACKEND", "url"),
    ("EMAIL_BACKEND", None), ("POSTGRES_SERVER", "host"), ("DB_HOST", "host"), ("DB_PORT", "port"),
    ("DB_USER", "user"), ("DB_PASSWORD", "password"), ("DB_NAME", "db"), ("AWS_SECRET_ACCESS_KEY", "password"),
    ("AWS_ACCESS_KEY_ID", "user"), ("AWS_STORAGE_BUCKET_NAME", "bucket"), ("AWS_S3_ENDPOINT_URL", "url"),
    ("KAFKA_BOOTSTRAP_SERVERS", "url"), ("CACHES", None),
])
def test_setting_facet(name, facet):
    assert setting_facet(name) == facet


def test_missing_published_port_is_a_clear_error():
    spec = _gen(Service(kind="redis", settings=("REDIS_URL",)))
    with pytest.raises(WiringError, match="redis:6379"):
        wire_env(spec, {})


def test_credentials_are_generated_deterministically_and_not_from_the_users_env(monkeypatch):
    monkeypatch.setenv("POSTGRES_PASSWORD", "users-real-secret")
    a = _gen(Service(kind="postgres"))
    b = _gen(Service(kind="postgres"))
    pw = a.document["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert pw == b.document["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert "users-real-secret" not in render_compose(a)
    other = generate_compose([Service(kind="postgres")], project_name="seamline-other")
    assert other.document["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] != pw


def test_every_kind_renders_to_valid_yaml_that_round_trips():
    kinds = ["postgres", "mysql", "mariadb", "redis", "rabbitmq", "kafka", "mongodb", "smtp", "s3"]
    spec = _gen(*(Service(kind=k, settings=(f"{k.upper()}_URL",)) for k in kinds),
                Service(kind="http", name="api.example.com"), stub_http=True)
    text = render_compose(spec, regenerate="seamline gen compose .")
    assert text.startswith("# Generated by Seamline")
    assert "# Regenerate: seamline gen compose ." in text
    doc = yaml.safe_load(text)
    assert validate_compose(doc) == []
    assert set(doc["services"]) == set(kinds) | {"stub-api-example-com"}
    for body in doc["services"].values():
        assert all(p.startswith("127.0.0.1:") for p in body["ports"])
    loaded = load_spec(text)
    assert loaded is not None and loaded.bindings == spec.bindings


def test_load_spec_of_a_foreign_compose_file_is_none():
    assert load_spec("services:\n  db:\n    image: postgres:15\n") is None


@pytest.mark.parametrize(("mutate", "problem"), [
    pytest.param(lambda d: d["services"]["postgres"].pop("image"), "needs an image", id="no-image"),
    pytest.param(lambda d: d["services"]["postgres"].update(ports=["5432:5432"]), "every interface", id="public-port"),
    pytest.param(lambda d: d["services"]["postgres"].pop("healthcheck"), "no healthcheck", id="no-healthcheck"),
    pytest.param(lambda d: d["services"]["postgres"]["healthcheck"].update(interval="fast"), "not a duration",
                 id="bad-interval"),
    pytest.param(lambda d: d["services"]["postgres"]["healthcheck"].update(test=["pg_isready"]), "CMD",
                 id="bad-test"),
    pytest.param(lambda d: d["services"]["postgres"].update(imgae="x"), "unknown key 'imgae'", id="typo"),
    pytest.param(lambda d: d["services"]["postgres"].update(depends_on=["redis"]), "no such service",
                 id="bad-depends"),
    pytest.param(lambda d: d["services"]["postgres"]["environment"].update(PGPORT=5432), "must be a string",
                 id="int-env"),
    pytest.param(lambda d: d["services"]["postgres"].update(ports=["127.0.0.1::5433"]), "does not publish port 5432",
                 id="wiring-port"),
    pytest.param(lambda d: d.update(name="Seamline Env"), "project name", id="bad-name"),
    pytest.param(lambda d: d.update(services={}), "services: missing or empty", id="no-services"),
])
def test_validation_finds_structural_problems(mutate, problem):
    doc = copy.deepcopy(_gen(Service(kind="postgres", settings=("DATABASE_URL",))).document)
    assert validate_compose(doc) == []
    mutate(doc)
    problems = validate_compose(doc)
    assert any(problem in p for p in problems), problems


def test_project_name_is_stable_per_root_and_takes_a_run_id(tmp_path):
    a = project_name(tmp_path)
    assert a == project_name(tmp_path / "." )
    assert a.startswith("seamline-") and a != project_name(tmp_path / "other")
    assert project_name(tmp_path, "Run 7") == f"{a}-run-7"
