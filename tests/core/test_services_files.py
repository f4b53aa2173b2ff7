"""Dependency, env and compose file readers on their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from seamline.core.analyze.compose_files import compose_images, split_image
from seamline.core.analyze.deps_files import DepReader, parse_requirement
from seamline.core.analyze.project_files import file_role, is_test_path
from seamline.core.analyze.services import url_parts


def _read(tmp_path: Path, rel: str, role: str, text: str) -> list[tuple]:
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(text, encoding="utf-8")
    return [(d.name, d.extras, d.line, d.direct, d.test_only) for d in DepReader(tmp_path).read(rel, role)]


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("psycopg[binary,pool]>=3.1 ; python_version>'3.8'", ("psycopg", ("binary", "pool"),
                                                                       "psycopg[binary,pool]>=3.1"), id="extras"),
    pytest.param("Django_Redis==5.4", ("django-redis", (), "Django_Redis==5.4"), id="normalised"),
    pytest.param("mylib @ https://tok:x@github.com/a/b.zip", ("mylib", (), "mylib"), id="url-hidden"),
    pytest.param("git+https://github.com/a/b.git#egg=aio_pika", ("aio-pika", (), "aio_pika"), id="egg"),
])
def test_parse_requirement(text, expected):
    assert parse_requirement(text) == expected


def test_requirements_includes_constraints_and_pip_compile(tmp_path):
    (tmp_path / "c.txt").write_text("redis==5.0\n")
    (tmp_path / "base.txt").write_text("pika  # queue\n-r requirements.txt\n")  # a loop: read once
    deps = _read(tmp_path, "requirements.txt", "requirements",
                 "# top\n--requirement=base.txt\n-c c.txt\n-e .\n--index-url https://x\n"
                 "kombu==5.3\n    # via celery\nasyncpg==0.29\n    # via\n    #   -r requirements.in\n")
    assert deps == [
        ("pika", (), 1, True, False),
        ("redis", (), 1, False, False),  # a constraint pins, it does not require
        ("kombu", (), 6, False, False),  # pip-compile says it came with celery
        ("asyncpg", (), 8, True, False),
    ]


def test_requirements_outside_the_workspace_are_not_read(tmp_path):
    assert _read(tmp_path, "requirements.txt", "requirements", "-r ../../etc/secrets.txt\nredis\n") == [
        ("redis", (), 2, True, False)]


def test_pyproject_pep621_groups_and_poetry(tmp_path):
    deps = _read(tmp_path, "pyproject.toml", "pyproject", """
[project]
dependencies = [
  "fastapi",
  "asyncpg>=0.29",
]
[project.optional-dependencies]
queue = ["aio-pika"]
[dependency-groups]
test = ["pymongo", {include-group = "queue"}]
[tool.poetry.dependencies]
python = "^3.11"
celery = {version = "^5", extras = ["redis"]}
[tool.poetry.group.tests.dependencies]
mongomock = "*"
""")
    assert deps == [
        ("fastapi", (), 4, True, False),
        ("asyncpg", (), 5, True, False),
        ("aio-pika", (), 8, True, False),
        ("pymongo", (), 10, True, True),
        ("celery", ("redis",), 13, True, False),
        ("mongomock", (), 15, True, True),
    ]


def test_locks_pipfile_and_setup_cfg(tmp_path):
    assert _read(tmp_path, "poetry.lock", "poetry-lock", '[[package]]\nname = "Redis"\nversion = "5"\n') == [
        ("redis", (), 2, False, False)]
    assert _read(tmp_path, "uv.lock", "uv-lock", '[[package]]\nname = "pymysql"\n') == [
        ("pymysql", (), 2, False, False)]
    assert _read(tmp_path, "Pipfile", "pipfile", '[packages]\nmotor = "*"\n[dev-packages]\nfakeredis = "*"\n') == [
        ("motor", (), 2, True, False), ("fakeredis", (), 4, True, True)]
    cfg = "[metadata]\nname = x\n[options]\ninstall_requires =\n    pymysql>=1\n    flask\n" \
          "[options.extras_require]\ntest =\n    pytest\ns3 = boto3\n"
    assert _read(tmp_path, "setup.cfg", "setup-cfg", cfg) == [
        ("pymysql", (), 5, True, False), ("flask", (), 6, True, False), ("pytest", (), 9, True, True),
        ("boto3", (), 10, True, False)]


def test_invalid_toml_is_a_finding(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project\n")
    reader = DepReader(tmp_path)
    assert reader.read("pyproject.toml", "pyproject") == []
    assert [f.code for f in reader.findings] == ["invalid-toml"]


@pytest.mark.parametrize(("rel", "role"), [
    ("requirements.txt", "requirements"), ("requirements-dev.in", "requirements"),
    ("requirements/prod.txt", "requirements"), ("notes.txt", None), ("Pipfile", "pipfile"),
    (".env", "env"), (".env.example", "env"), ("deploy/prod.env", "env"), (".envrc", None),
    ("docker-compose.yml", "compose"), ("compose.override.yaml", "compose"), ("composer.json", None),
])
def test_file_roles(rel, role):
    assert file_role(rel) == role


@pytest.mark.parametrize(("rel", "is_test"), [
    ("tests/x.py", True), ("app/test_x.py", True), ("conftest.py", True), ("requirements-test.txt", True),
    (".env.test", True), ("docker-compose.test.yml", True), ("app/latest.py", False), ("app/contest.py", False),
])
def test_test_paths(rel, is_test):
    assert is_test_path(rel) is is_test


@pytest.mark.parametrize(("url", "parts"), [
    ("postgresql+asyncpg://user:pw@db.internal:5432/app?ssl=1", ("postgresql", "db.internal",
                                                                  "postgresql+asyncpg://db.internal")),
    ("sqlite:///./app.db", ("sqlite", "", "sqlite:///./app.db")),
    ("redis://:pw@{}:6379", ("redis", "{}", "redis://{}")),
    ("see https://x.io for more", None),
])
def test_url_parts_keep_no_credentials(url, parts):
    assert url_parts(url) == parts


def test_compose_images_and_tags(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: 'postgres:${PG_VERSION:-16}'\n  cache:\n    image: bitnami/redis:latest\n"
        "  app:\n    build: .\n")
    images = compose_images(tmp_path, "compose.yaml", [])
    assert [(i.service, i.image, i.tag, i.line) for i in images] == [
        ("db", "postgres", "16", 3), ("cache", "bitnami/redis", None, 5)]
    assert split_image("localhost:5000/mysql:8.0") == ("localhost:5000/mysql", "8.0")
    assert split_image("redis:${REDIS_TAG}") == ("redis", None)
