"""End-to-end tests run against a real docker engine (see tests/docker_engine.py)."""

from __future__ import annotations

import docker
import pytest
from docker_engine import RECIPE_IMAGES, require_engine

IMAGES = {kind: RECIPE_IMAGES[kind] for kind in ("postgres", "redis")}  # what the example apps use


@pytest.fixture(scope="session")
def docker_engine() -> docker.DockerClient:
    return require_engine(IMAGES.values())
