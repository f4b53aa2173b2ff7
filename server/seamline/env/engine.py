"""The docker SDK client, with engine failures turned into errors that say how to fix them."""

from __future__ import annotations

import logging

import docker
import docker.errors

from .errors import START_ENGINE_HINT, DockerPermissionDenied, DockerUnavailable

log = logging.getLogger(__name__)


def connect(*, timeout_s: int = 10) -> docker.DockerClient:
    """A client that has answered a ping (DOCKER_HOST and friends are honoured)."""
    try:
        client = docker.from_env(timeout=timeout_s)
        client.ping()
    except docker.errors.DockerException as e:
        raise engine_error(e) from e
    return client


def engine_error(e: Exception) -> DockerUnavailable:
    text = str(e)
    log.debug("docker engine unavailable: %s", text)
    if "Permission denied" in text or "PermissionError" in text:
        return DockerPermissionDenied(
            "the docker engine is running but this user may not use its socket. Add yourself to the `docker` "
            "group (`sudo usermod -aG docker $USER`, then log in again) or run as root.")
    return DockerUnavailable(f"no docker engine answers ({text.splitlines()[0] if text else type(e).__name__}). "
                             f"{START_ENGINE_HINT}")
