"""The real docker engine for tests that need one (tests/env, tests/e2e): skip with a reason when
none answers or the images the shared recipe provides are missing; fail instead under
REQUIRE_DOCKER=1 (CI), so CI cannot go green by skipping. On sys.path through pytest's `pythonpath`."""

from __future__ import annotations

import os
from collections.abc import Iterable

import docker
import pytest
from seamline.env import ComposeCli, ComposeMissing, DockerUnavailable
from seamline.env.engine import connect

# The tags the shared engine recipe provides (shared/recipes/README.md); images cannot be pulled here.
RECIPE_IMAGES = {"postgres": "postgres:15", "redis": "redis:7", "rabbitmq": "rabbitmq:3", "mysql": "mariadb:10.11"}


def unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_DOCKER") == "1":
        pytest.fail(f"REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_engine(images: Iterable[str]) -> docker.DockerClient:
    """A client of a usable engine (with compose v2) that has every image in `images`."""
    try:
        client = connect(timeout_s=5)
        ComposeCli().version()
    except (DockerUnavailable, ComposeMissing) as e:
        unavailable(f"no usable docker engine/compose v2: {e}")
    missing = [t for t in images if not client.images.list(name=t)]
    if missing:
        unavailable(f"images missing: {', '.join(missing)} (run `bash ../shared/recipes/docker-engine.sh`)")
    return client
