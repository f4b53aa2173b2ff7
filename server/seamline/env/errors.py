"""What can go wrong with a test environment, each with a message that says what to do next."""

from __future__ import annotations

from ..core.errors import SeamlineError

START_ENGINE_HINT = ("Start one with `sudo systemctl start docker` (Docker Desktop: start the app; on Seamline's "
                     "CI machines: `bash ../shared/recipes/docker-engine.sh`), then try again.")


class EnvError(SeamlineError):
    """Base for test-environment failures."""


class DockerUnavailable(EnvError):
    """No docker CLI, or no engine answers on its socket."""


class DockerPermissionDenied(DockerUnavailable):
    """The engine runs, but this user may not use its socket."""


class ComposeMissing(EnvError):
    """`docker compose` (v2) is not installed."""


class ComposeFailed(EnvError):
    """A compose command failed; `stderr` holds its last lines."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class ImageUnavailable(ComposeFailed):
    """An image is not present locally and cannot be pulled."""


class PortClash(ComposeFailed):
    """A fixed host port is already taken."""


class ServiceUnhealthy(ComposeFailed):
    """A service never became healthy; carries its last log lines and health output."""

    def __init__(self, message: str, *, service: str, logs: str = "", health_output: str = "",
                 stderr: str = "") -> None:
        super().__init__(message, stderr=stderr)
        self.service = service
        self.logs = logs
        self.health_output = health_output
