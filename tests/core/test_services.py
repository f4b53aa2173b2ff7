"""Backing-service detection: fixture apps end to end, plus focused inline sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan
from seamline.core.model import Service
from workspace import write_tree

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"


def _services(root: Path) -> dict[tuple[str, str], Service]:
    project = scan(root)
    return {(s.kind, s.name): s for s in project.services}


@pytest.fixture
def fixture_app(tmp_path, request) -> Path:
    dest = tmp_path / request.param
    shutil.copytree(APPS / request.param, dest)
    return dest



@pytest.mark.parametrize("fixture_app", ["services_fastapi"], indirect=True)
def test_fastapi_app_services(fixture_app):
    found = _services(fixture_app)
    assert sorted(found) == [("celery", ""), ("http", "api.exchangerate.host"), ("http", "api.stripe.com"),
                             ("postgres", ""), ("redis", ""), ("smtp", "")]
    pg = found[("postgres", "")]
    assert pg.version == "16"
    assert pg.settings == ("POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_PORT", "POSTGRES_SERVER", "POSTGRES_USER",
                           "SQLALCHEMY_DATABASE_URI")
    kinds = {(e.kind, e.file, e.line) for e in pg.evidence}
    assert ("dependency", "pyproject.toml", 7) in kinds
    assert ("compose", "docker-compose.yml", 3) in kinds
    assert ("setting", "app/core/config.py", 26) in kinds  # the computed DSN's scheme
    assert ("env-file", ".env.example", 8) in kinds
    redis = found[("redis", "")]
    assert redis.version == "7-alpine"
    assert "CELERY_BROKER_URL" in redis.settings  # the broker URL's scheme says redis
    assert ("import", "app/core/cache.py", 1) in {(e.kind, e.file, e.line) for e in redis.evidence}
    assert found[("smtp", "")].settings == ("SMTP_HOST", "SMTP_PORT")
    assert found[("http", "api.stripe.com")].evidence[0].kind == "code"


@pytest.mark.parametrize("fixture_app", ["services_fastapi"], indirect=True)
def test_tests_locks_and_links_do_not_make_services(fixture_app):
    found = _services(fixture_app)
    kinds = {k for k, _ in found}
    assert "mongodb" not in kinds  # only tests/ and a "test" dependency group use pymongo
    assert "s3" not in kinds  # boto3 only in a test file
    assert "rabbitmq" not in kinds  # kombu/amqp only in uv.lock
    hosts = {n for _, n in found}
    assert not hosts & {"localhost", "docs.stripe.com", "docs.pydantic.dev", "dashboard.example.com"}


@pytest.mark.parametrize("fixture_app", ["services_fastapi"], indirect=True)
def test_secret_values_never_reach_the_model(fixture_app):
    text = json.dumps(scan(fixture_app).to_json())
    assert "s3cr3t-value" not in text
    assert "hunter2" not in text
    assert "changethis" not in text


@pytest.mark.parametrize("fixture_app", ["services_django"], indirect=True)
def test_django_settings_services(fixture_app):
    found = _services(fixture_app)
    assert sorted(found) == [("celery", ""), ("postgres", ""), ("rabbitmq", ""), ("redis", ""), ("s3", ""),
                             ("smtp", "")]
    pg = found[("postgres", "")]
    assert pg.settings == ("DATABASES", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER")
    assert any(e.detail == "DATABASES django.db.backends.postgresql" for e in pg.evidence)
    # `-r requirements/base.txt` is followed; lines are in the included file
    assert ("dependency", "requirements/base.txt", 12) in {(e.kind, e.file, e.line) for e in pg.evidence}
    assert "CACHES" in found[("redis", "")].settings
    assert found[("rabbitmq", "")].settings == ("CELERY_BROKER_URL",)
    assert found[("s3", "")].settings == ("AWS_S3_ENDPOINT_URL", "AWS_STORAGE_BUCKET_NAME", "STORAGES")
    assert found[("smtp", "")].settings == ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT")
    assert "mongodb" not in {k for k, _ in found}  # pymongo only in requirements/test.txt


@pytest.mark.parametrize("fixture_app", ["services_flask"], indirect=True)
def test_flask_config_services(fixture_app):
    found = _services(fixture_app)
    assert sorted(found) == [("kafka", ""), ("mysql", ""), ("s3", ""), ("smtp", ""), ("sqlite", "")]
    # the sqlite fallback and the mysql driver are both reported; the evidence says which is which
    assert {e.detail for e in found[("sqlite", "")].evidence} >= {"sqlite:///local.db"}
    assert ("dependency", "Pipfile", 9) in {(e.kind, e.file, e.line) for e in found[("mysql", "")].evidence}
    assert found[("kafka", "")].settings == ("KAFKA_BOOTSTRAP_SERVERS",)
    assert found[("smtp", "")].settings == ("MAIL_PORT", "MAIL_SERVER")


def test_services_order_and_app_are_deterministic(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "redis\npsycopg2-binary\npymongo\n",
        "app.py": "import redis\nimport pymongo\n",
    })
    first = scan(root).services
    assert [s.kind for s in first] == ["mongodb", "postgres", "redis"]
    assert all(s.app == "." for s in first)
    assert scan(root).services == first


def test_import_lines_and_local_module_shadowing(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "flask\n",
        "app.py": "import os\n\nfrom celery import Celery\nimport kafka\n",
        "kafka.py": "# the app's own module called kafka, not the client library\n",
    })
    found = _services(root)
    assert list(found) == [("celery", "")]
    assert [(e.kind, e.file, e.line) for e in found[("celery", "")].evidence] == [("import", "app.py", 3)]


def test_env_reads_and_env_files(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "flask\n",
        "app.py": 'import os\nMONGO = os.getenv("MONGODB_URI", "mongodb+srv://u:p@cluster0.mongodb.net/db")\n'
                  'RABBIT = os.environ["AMQP_URL"]\n',
        ".env": 'export REDIS_URL="rediss://:topsecret@cache.internal:6380/0"  # prod\nDEBUG=1\n',
    })
    found = _services(root)
    assert sorted(found) == [("mongodb", ""), ("rabbitmq", ""), ("redis", "")]
    assert found[("mongodb", "")].settings == ("MONGO", "MONGODB_URI")
    redis_ev = found[("redis", "")].evidence
    assert [(e.kind, e.detail, e.line) for e in redis_ev] == [("env-file", "REDIS_URL = rediss://cache.internal", 1)]
    assert "topsecret" not in json.dumps(scan(root).to_json())


def test_base_settings_prefix_aliases_and_dsn_types(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "pydantic-settings\n",
        "settings.py": (
            "from pydantic import Field, RedisDsn, AmqpDsn\n"
            "from pydantic_settings import BaseSettings\n\n"
            "class Base(BaseSettings):\n"
            "    pass\n\n"
            "class Settings(Base):\n"
            "    cache: RedisDsn\n"
            "    queue: AmqpDsn | None = None\n"
            "    db: str = Field('sqlite:///./app.db', validation_alias='APP_DB')\n\n"
            "    class Config:\n"
            "        env_prefix = 'SVC_'\n"
        ),
    })
    found = _services(root)
    assert sorted(found) == [("rabbitmq", ""), ("redis", ""), ("sqlite", "")]
    assert found[("redis", "")].settings == ("SVC_CACHE",)
    assert found[("rabbitmq", "")].settings == ("SVC_QUEUE",)
    assert found[("sqlite", "")].settings == ("APP_DB",)
    assert found[("sqlite", "")].evidence[0].detail == "Settings.APP_DB = sqlite:///./app.db"


def test_generic_database_names_follow_the_detected_database(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "asyncpg\n",
        "config.py": 'import os\nDATABASE_URL = os.environ["DATABASE_URL"]\nDB_HOST = os.getenv("DB_HOST")\n',
    })
    found = _services(root)
    assert list(found) == [("postgres", "")]
    assert found[("postgres", "")].settings == ("DATABASE_URL", "DB_HOST")
    # without any database evidence, a generic name alone reports nothing
    (root / "requirements.txt").write_text("flask\n")
    assert _services(root) == {}


def test_docstrings_and_plain_words_are_not_evidence(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "fastapi\n",
        "app.py": '"""Talks to redis://cache and postgres; see https://api.stripe.com for details."""\n'
                  'NOTE = "we might add kafka later"\nHOMEPAGE_URL = "https://shop.acme.io"\n',
    })
    assert _services(root) == {}


def test_http_clients_and_constants(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "requests\n",
        "client.py": (
            "import requests\n"
            "from httpx import Client as HttpClient\n"
            'GEO_API = "https://geo.api.acme.io/v2"\n'
            'LOCAL = "http://localhost:8000"\n\n'
            "def fetch():\n"
            '    requests.get("https://api.github.com/repos/x/y")\n'
            '    HttpClient(base_url="https://billing.internal.acme.io")\n'
        ),
    })
    found = _services(root)
    assert sorted(found) == [("http", "api.github.com"), ("http", "billing.internal.acme.io"),
                             ("http", "geo.api.acme.io")]
    assert found[("http", "geo.api.acme.io")].settings == ("GEO_API",)
    assert found[("http", "api.github.com")].evidence[0].detail == "requests.get(https://api.github.com)"


def test_compose_only_in_enclosing_folder_adds_version_but_no_service(tmp_path):
    root = write_tree(tmp_path, {
        "compose.yaml": "services:\n  db:\n    image: docker.io/library/postgres:15.4@sha256:abc\n"
                        "  q:\n    image: rabbitmq:3-management\n",
        "api/requirements.txt": "psycopg\n",
        "api/main.py": "import psycopg\n",
    })
    project = scan(root)
    assert [(s.app, s.kind, s.version) for s in project.services] == [("api", "postgres", "15.4")]


def test_invalid_compose_falls_back_to_image_lines(tmp_path):
    root = write_tree(tmp_path, {
        "requirements.txt": "redis\n",
        "docker-compose.yml": "services:\n  cache:\n    image: redis:6.2\n  broken: [\n",
    })
    project = scan(root)
    assert [(s.kind, s.version) for s in project.services] == [("redis", "6.2")]
    assert [f.code for f in project.findings] == ["invalid-compose"]


def test_celery_without_a_known_broker_is_a_finding(tmp_path):
    root = write_tree(tmp_path, {"requirements.txt": "celery\n", "tasks.py": "from celery import shared_task\n"})
    project = scan(root)
    assert [s.kind for s in project.services] == ["celery"]
    assert [(f.code, f.file) for f in project.findings] == [("celery-broker-unknown", "requirements.txt")]
