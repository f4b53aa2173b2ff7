"""Version hints from Dockerfiles and CI config, and the seeding hook: pure, no engine."""

import pytest
from seamline.core.generate.compose import INIT_SQL_MOUNT, generate_compose, validate_compose
from seamline.core.generate.compose_hints import VersionHint, version_hints
from seamline.core.model import Evidence, Service

PROJECT = "seamline-0123456789"

GITHUB = """\
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:14
        env: {POSTGRES_PASSWORD: x}
      cache: redis:6.2-alpine
    steps:
      - run: pytest
"""
GITLAB = """\
services:
  - name: mariadb:10.6
    alias: db
test:
  image: python:3.12
  services:
    - rabbitmq:3.12-management
"""


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_hints_come_from_ci_services_and_dockerfiles_with_their_lines(tmp_path):
    _write(tmp_path, ".github/workflows/ci.yml", GITHUB)
    _write(tmp_path, ".gitlab-ci.yml", GITLAB)
    _write(tmp_path, "Dockerfile", "FROM python:3.12-slim AS app\nRUN true\n")
    _write(tmp_path, "db/Dockerfile", "# our db\nFROM --platform=linux/amd64 docker.io/library/postgres:16.2 AS db\n")
    _write(tmp_path, "node_modules/x/Dockerfile", "FROM postgres:9\n")  # never read
    assert [(h.kind, h.ref, h.file, h.line, h.source) for h in version_hints(tmp_path)] == [
        ("postgres", "postgres:14", ".github/workflows/ci.yml", 8, "github-actions"),
        ("redis", "redis:6.2-alpine", ".github/workflows/ci.yml", 10, "github-actions"),
        ("mysql", "mariadb:10.6", ".gitlab-ci.yml", 2, "gitlab-ci"),
        ("rabbitmq", "rabbitmq:3.12-management", ".gitlab-ci.yml", 7, "gitlab-ci"),
        ("postgres", "postgres:16.2", "db/Dockerfile", 2, "dockerfile"),
    ]


def test_broken_or_missing_files_give_no_hints(tmp_path):
    assert version_hints(tmp_path) == []
    _write(tmp_path, ".gitlab-ci.yml", "services: [postgres:14\n")
    _write(tmp_path, "Dockerfile", "FROM postgres\n")  # untagged: no version to follow
    assert version_hints(tmp_path) == []


def _hint(kind, image, tag, file="ci.yml"):
    return VersionHint(kind=kind, image=image, tag=tag, file=file, line=3, source="github-actions")


def _image(spec, name):
    return spec.document["services"][name]["image"]


def test_a_ci_hint_sets_the_tag_a_compose_hint_beats_it_and_explicit_images_beat_both():
    hints = [_hint("postgres", "postgres", "14"), _hint("redis", "redis", "6.2")]
    spec = generate_compose([Service(kind="postgres"), Service(kind="redis", version="7")], project_name=PROJECT,
                            hints=hints)
    assert _image(spec, "postgres") == "postgres:14"
    assert _image(spec, "redis") == "redis:7"  # the compose file the analysis read comes first
    assert any("redis: several version hints (redis:6.2, redis:7); using 7 from a compose file" in n
               for n in spec.notes), spec.notes
    explicit = generate_compose([Service(kind="postgres")], project_name=PROJECT, hints=hints,
                                images={"postgres": "postgres:15"})
    assert _image(explicit, "postgres") == "postgres:15"


def test_a_mariadb_hint_for_mysql_keeps_the_mariadb_family_and_its_probe():
    spec = generate_compose([Service(kind="mysql")], project_name=PROJECT, hints=[_hint("mysql", "mariadb", "10.6")])
    mysql = spec.document["services"]["mysql"]
    assert mysql["image"] == "mariadb:10.6" and mysql["healthcheck"]["test"][1] == "mariadb-admin"
    from_compose = Service(kind="mysql", version="10.11",
                           evidence=(Evidence(kind="compose", detail="image mariadb:10.11 (service db)"),))
    assert _image(generate_compose([from_compose], project_name=PROJECT), "mysql") == "mariadb:10.11"


def test_hints_also_choose_the_broker_celery_brings():
    spec = generate_compose([Service(kind="celery")], project_name=PROJECT, hints=[_hint("redis", "redis", "6.2")])
    assert _image(spec, "redis") == "redis:6.2"


@pytest.mark.parametrize("kind", ["postgres", "mysql", "mariadb"])
def test_init_sql_is_mounted_read_only_into_databases_only(kind):
    spec = generate_compose([Service(kind=kind), Service(kind="redis")], project_name=PROJECT,
                            init_sql=".seamline/init")
    assert spec.document["services"][kind]["volumes"] == [f"./.seamline/init:{INIT_SQL_MOUNT}:ro"]
    assert "volumes" not in spec.document["services"]["redis"]
    assert validate_compose(spec.document) == []


def test_no_init_sql_no_volume():
    spec = generate_compose([Service(kind="postgres")], project_name=PROJECT)
    assert "volumes" not in spec.document["services"]["postgres"]
