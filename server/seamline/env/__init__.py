"""Test environments: the compose lifecycle (through the compose CLI) and status, health and logs
(through the docker SDK, by compose project label). Uses only core's values; core never imports this."""

from .compose_cli import ComposeCli
from .errors import (
    ComposeFailed,
    ComposeMissing,
    DockerPermissionDenied,
    DockerUnavailable,
    EnvError,
    ImageUnavailable,
    PortClash,
    ServiceUnhealthy,
)
from .lifecycle import EnvHandle, EnvSpec, built_images, down, leftovers, prune, running_env, up
from .status import EnvStatus, ServiceStatus, published_ports, render_status, status
from .watch import StatusChange, Watch, render_change, subscribe

__all__ = [
    "ComposeCli", "ComposeFailed", "ComposeMissing", "DockerPermissionDenied", "DockerUnavailable", "EnvError",
    "EnvHandle", "EnvSpec", "EnvStatus", "ImageUnavailable", "PortClash", "ServiceStatus", "ServiceUnhealthy",
    "StatusChange", "Watch", "built_images", "down", "leftovers", "prune", "published_ports", "render_change",
    "render_status", "running_env", "status", "subscribe", "up",
]
