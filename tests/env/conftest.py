"""Env tests run against a real docker engine: skip with a reason when none answers, fail instead
under REQUIRE_DOCKER=1 (CI), so CI cannot go green by skipping."""

from __future__ import annotations

import uuid

import docker
import pytest
from docker_engine import require_engine
from seamline.core.generate.compose import project_name
from seamline.env import ComposeCli, leftovers, prune

# The only tags the recipe's engine provides here (shared/recipes/README.md).
IMAGES = {"postgres": "postgres:15", "redis": "redis:7", "rabbitmq": "rabbitmq:3", "mysql": "mariadb:10.11"}
BASE_IMAGE = "debian:bookworm-slim"


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return require_engine([*IMAGES.values(), BASE_IMAGE])


@pytest.fixture
def project(docker_client, tmp_path):
    """A unique compose project for one test; whatever it leaves is removed (and the test fails)."""
    name = project_name(tmp_path, uuid.uuid4().hex[:8])
    yield name
    left = leftovers(name, client=docker_client)
    prune(client=docker_client, project=name)
    assert left == [], f"test leaked docker resources: {left}"


@pytest.fixture
def compose(tmp_path) -> ComposeCli:
    return ComposeCli(cwd=tmp_path)
