"""End-to-end tests run against a real docker engine: skip with a reason when none answers (or the
images the recipe provides are missing), fail instead under REQUIRE_DOCKER=1 (CI)."""

from __future__ import annotations

import os

import docker
import pytest
from seamline.env import ComposeCli, ComposeMissing, DockerUnavailable
from seamline.env.engine import connect

# The tags the shared engine recipe provides (images cannot be pulled here).
IMAGES = {"postgres": "postgres:15", "redis": "redis:7"}


def unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_DOCKER") == "1":
        pytest.fail(f"REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_engine() -> docker.DockerClient:
    try:
        client = connect(timeout_s=5)
        ComposeCli().version()
    except (DockerUnavailable, ComposeMissing) as e:
        unavailable(f"no usable docker engine/compose v2: {e}")
    missing = [t for t in IMAGES.values() if not client.images.list(name=t)]
    if missing:
        unavailable(f"images missing: {', '.join(missing)} (run `bash ../shared/recipes/docker-engine.sh`)")
    return client
