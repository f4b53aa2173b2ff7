"""Drift findings and merging into the user's compose file: pure, no engine."""

import json

import pytest
import yaml
from seamline.cli import main
from seamline.core.errors import UsageError
from seamline.core.generate.compose import generate_compose
from seamline.core.generate.compose_merge import DRIFT_CODE, drift, env_kinds, merge_compose
from seamline.core.model import Evidence, Service

PROJECT = "seamline-0123456789"
REDIS = Service(kind="redis", settings=("REDIS_URL",), evidence=(
    Evidence(kind="dependency", detail="redis>=5", file="requirements.txt", line=2),
    Evidence(kind="import", detail="import redis", file="app/cache.py", line=1),
))
POSTGRES = Service(kind="postgres", settings=("DATABASE_URL",),
                   evidence=(Evidence(kind="setting", detail="Settings.DATABASE_URL", file="app/config.py", line=9),))

USER_COMPOSE = """\
# our dev environment
services:
  db:
    image: postgres:16   # pinned on purpose
    ports:
      - "5432:5432"
  web:
    build: .

# named volumes
volumes:
  pgdata: {}
"""


def test_drift_reports_each_missing_kind_on_the_code_that_uses_it():
    doc = yaml.safe_load(USER_COMPOSE)
    findings = drift([POSTGRES, REDIS], doc, compose_file="compose.yaml")
    assert [(f.code, f.severity, f.file, f.line) for f in findings] == [(DRIFT_CODE, "warning", "app/cache.py", 1)]
    assert "compose.yaml has no redis service" in findings[0].message
    assert "seamline gen compose --merge" in findings[0].message


def test_no_drift_when_the_env_covers_the_code():
    doc = yaml.safe_load(USER_COMPOSE)
    doc["services"]["cache"] = {"image": "docker.io/library/redis:7-alpine"}
    assert drift([POSTGRES, REDIS], doc) == []
    assert drift([Service(kind="sqlite"), Service(kind="http", name="api.x.com")], {"services": {}}) == []


def test_drift_knows_mariadb_serves_mysql_and_celery_needs_its_broker():
    mysql = Service(kind="mysql")
    assert drift([mysql], {"services": {"db": {"image": "mariadb:10.11"}}}) == []
    celery = Service(kind="celery", evidence=(Evidence(kind="setting", detail="broker_url = 'amqp://x//'",
                                                       file="app/worker.py", line=3),))
    findings = drift([celery], {"services": {"cache": {"image": "redis:7"}}})
    assert [f.message.split(" (")[0] for f in findings] == ["Celery needs rabbitmq"]
    assert drift([celery], {"services": {"mq": {"image": "rabbitmq:3-management"}}}) == []


def test_seamline_kind_labels_count_whatever_the_service_is_called():
    spec = generate_compose([POSTGRES, REDIS], project_name=PROJECT)
    assert env_kinds(spec.document) == {"postgres": "postgres", "redis": "redis"}
    assert drift([POSTGRES, REDIS], spec.document) == []


def test_merge_adds_only_missing_services_and_keeps_the_users_lines():
    spec = generate_compose([POSTGRES, REDIS], project_name=PROJECT)
    merged = merge_compose(USER_COMPOSE, spec, source="compose.yaml")
    assert merged.added == ("redis",)
    body = merged.text.split("\n", 2)[2]  # after the two header lines
    assert body.startswith(USER_COMPOSE.split("# named volumes")[0].rstrip("\n"))  # every user line, comments too
    assert "# named volumes\nvolumes:\n  pgdata: {}\n" in body
    doc = yaml.safe_load(merged.text)
    assert list(doc["services"]) == ["db", "web", "redis"]
    assert doc["services"]["db"] == yaml.safe_load(USER_COMPOSE)["services"]["db"]
    assert set(doc["x-seamline"]["env"]) >= {"REDIS_URL", "SEAMLINE_REDIS_URL"}
    assert "DATABASE_URL" not in doc["x-seamline"]["env"]  # the user's postgres: credentials unknown
    assert any("already has postgres (service db)" in n for n in merged.notes)
    assert merged.diff.startswith("--- compose.yaml\n+++ compose.yaml + Seamline\n")
    assert "+  redis:\n" in merged.diff and "-" not in [line[:1] for line in merged.diff.splitlines()[2:]]
    assert drift([POSTGRES, REDIS], doc) == []


def test_merge_renames_on_a_name_clash_and_wires_the_renamed_service():
    user = "services:\n  redis:\n    build: ./my-redis-proxy\n"
    merged = merge_compose(user, generate_compose([REDIS], project_name=PROJECT), source="compose.yaml")
    assert merged.added == ("seamline-redis",)
    doc = yaml.safe_load(merged.text)
    assert doc["x-seamline"]["env"]["REDIS_URL"]["service"] == "seamline-redis"


def test_merge_into_a_flow_style_file_falls_back_to_a_full_rewrite_with_a_note():
    user = "services: {db: {image: 'postgres:15'}}\n"
    merged = merge_compose(user, generate_compose([POSTGRES, REDIS], project_name=PROJECT), source="c.yaml")
    doc = yaml.safe_load(merged.text)
    assert list(doc["services"]) == ["db", "redis"] and doc["services"]["db"] == {"image": "postgres:15"}
    assert any("comments are not in the copy" in n for n in merged.notes)


def test_nothing_to_merge_returns_the_file_unchanged():
    merged = merge_compose(USER_COMPOSE, generate_compose([POSTGRES], project_name=PROJECT), source="compose.yaml")
    assert (merged.added, merged.text, merged.diff) == ((), USER_COMPOSE, "")


@pytest.mark.parametrize("text", ["services: [a, b]\n", "just text\n", "a: [\n"])
def test_merge_refuses_what_is_not_a_compose_file(text):
    with pytest.raises(UsageError):
        merge_compose(text, generate_compose([REDIS], project_name=PROJECT), source="compose.yaml")


# --- CLI --------------------------------------------------------------------------------------------


def _project(tmp_path):
    (tmp_path / "requirements.txt").write_text("redis>=5\npsycopg>=3\n")
    (tmp_path / "app.py").write_text("import os\nimport redis\n\nr = redis.Redis.from_url(os.environ['REDIS_URL'])\n"
                                     "DATABASE_URL = os.environ['DATABASE_URL']\n")
    (tmp_path / "docker-compose.yml").write_text(USER_COMPOSE)


def test_cli_merge_shows_the_diff_then_writes_a_copy_and_never_the_users_file(tmp_path, capsys):
    _project(tmp_path)
    assert main(["gen", "compose", str(tmp_path), "--merge", "--dry-run"]) == 0
    assert "+  redis:" in capsys.readouterr().out and not (tmp_path / "compose.test.yaml").exists()
    assert main(["gen", "compose", str(tmp_path), "--merge", "--no-check"]) == 0
    out = capsys.readouterr().out
    assert out.index("+  redis:") < out.index("created compose.test.yaml")
    assert (tmp_path / "docker-compose.yml").read_text() == USER_COMPOSE
    merged = yaml.safe_load((tmp_path / "compose.test.yaml").read_text())
    assert set(merged["services"]) == {"db", "web", "redis"}
    assert "REDIS_URL" in merged["x-seamline"]["env"]  # the wiring `env up` reads, as in a generated file
    assert main(["gen", "compose", str(tmp_path), "--merge", "--output", "docker-compose.yml"]) == 2


def test_cli_env_check_exits_1_with_findings_and_0_once_merged(tmp_path, capsys):
    _project(tmp_path)
    assert main(["env", "check", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["compose_files"] == "docker-compose.yml"
    assert [(f["code"], f["file"]) for f in report["findings"]] == [(DRIFT_CODE, "app.py")]
    assert main(["gen", "compose", str(tmp_path), "--merge", "--no-check"]) == 0
    capsys.readouterr()
    assert main(["env", "check", str(tmp_path)]) == 0
    assert "compose.test.yaml: covers every service the code uses" in capsys.readouterr().out
