"""Bring a test environment up, wire the app's settings to it, and take it down without a trace."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import docker
import docker.errors

from ..core.generate.compose import MANAGED_LABEL, PROJECT_LABEL, ComposeSpec, load_spec, wire_env
from ..core.generate.envfile import ENV_FILE, render_env
from ..core.generate.writer import WriteResult, write_generated
from .compose_cli import Compose
from .engine import connect, engine_error
from .errors import ComposeFailed, EnvError, ImageUnavailable, PortClash, ServiceUnhealthy
from .status import COMPOSE_PROJECT, EnvStatus, ServiceStatus, project_containers, published_ports, status

log = logging.getLogger(__name__)

LOG_LINES = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvSpec:
    project: str  # always explicit: `seamline-<root hash>[-<run id>]`
    files: tuple[Path, ...]
    workdir: Path  # the workspace root; the env file goes under it
    wait_timeout_s: int = 120
    keep: bool = False  # leave it running after `running_env` (the user asked to)
    env_file: str | None = ENV_FILE  # relative to workdir; None: do not write one
    services: tuple[str, ...] = ()  # only these compose services (a run whose tests fake the others); () = all


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvHandle:
    project: str
    status: EnvStatus
    env: dict[str, str] = field(hash=False)
    env_file: WriteResult | None = None


def read_spec(files: Sequence[Path]) -> ComposeSpec | None:
    """The Seamline wiring from the first compose file that has some."""
    for f in files:
        try:
            spec = load_spec(Path(f).read_text(encoding="utf-8"))
        except OSError as e:
            raise EnvError(f"{f}: cannot read the compose file ({e}). Run `seamline gen compose` first.") from e
        if spec is not None:
            return spec
    return None


def up(spec: EnvSpec, compose: Compose, *, client: docker.DockerClient | None = None) -> EnvHandle:
    """`up -d --wait`, then status and wiring. A service that never gets healthy raises
    ServiceUnhealthy quoting its health output and last log lines (the containers are left for
    the caller to inspect or tear down; `running_env` tears down)."""
    client = client or connect()
    try:
        compose.up(spec.project, spec.files, wait_timeout_s=spec.wait_timeout_s, services=spec.services)
    except (ImageUnavailable, PortClash):
        raise
    except ComposeFailed as e:
        unhealthy = diagnose(spec.project, client=client, cause=e.stderr)
        if unhealthy is not None:
            raise unhealthy from e
        raise
    st = status(spec.project, client=client)
    compose_spec = read_spec(spec.files)
    if compose_spec and spec.services:  # settings of services left down are not wired
        compose_spec = replace(compose_spec, bindings=tuple(b for b in compose_spec.bindings
                                                             if b.service in spec.services))
    env = wire_env(compose_spec, published_ports(st)) if compose_spec else {}
    written = None
    if spec.env_file and compose_spec:
        written = write_generated(spec.workdir / spec.env_file, render_env(env, project=spec.project), force=True)
    return EnvHandle(project=spec.project, status=st, env=env, env_file=written)


def _not_ready(s: ServiceStatus) -> int:
    """Sort key: the most telling failure first (unhealthy, then exited, then still starting)."""
    if s.health == "unhealthy":
        return 0
    if s.state != "running":
        return 1
    if s.health == "starting":
        return 2
    return 9


def diagnose(project: str, *, client: docker.DockerClient, cause: str = "") -> ServiceUnhealthy | None:
    """The service that kept the environment from becoming healthy, with its logs; None if all look fine."""
    try:
        containers = {c.name: c for c in project_containers(client, project)}
        st = status(project, client=client)
    except docker.errors.DockerException as e:
        log.warning("could not inspect %s after a failed up: %s", project, e)
        return None
    bad = sorted((s for s in st.services if _not_ready(s) < 9), key=_not_ready)
    if not bad:
        return None
    worst = bad[0]
    try:
        logs = containers[worst.container].logs(tail=LOG_LINES).decode("utf-8", "replace").strip()
    except (KeyError, docker.errors.DockerException) as e:
        logs = f"(logs unavailable: {e})"
    others = ", ".join(f"{s.service} ({s.state}/{s.health})" for s in bad[1:])
    message = "\n".join([
        f"service {worst.service!r} never became healthy (state {worst.state}, health {worst.health}"
        + (f", exit code {worst.exit_code}" if worst.exit_code is not None else "") + ").",
        "Last health check output:",
        _indent(worst.last_health_output or "(none recorded)"),
        f"Last {LOG_LINES} log lines:",
        _indent(logs or "(no output)"),
        *( [f"Also not ready: {others}."] if others else [] ),
        "Fix the service or its healthcheck in the compose file, then run `seamline env up` again.",
    ])
    return ServiceUnhealthy(message, service=worst.service, logs=logs, health_output=worst.last_health_output,
                            stderr=cause)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def down(spec: EnvSpec, compose: Compose) -> None:
    compose.down(spec.project, spec.files)


@contextmanager
def running_env(spec: EnvSpec, compose: Compose, *, client: docker.DockerClient | None = None) -> Iterator[EnvHandle]:
    """Up for the `with` body, down afterwards, also when `up` fails half-way or the body is interrupted
    (Ctrl-C). A teardown failure never hides the error that caused it."""
    try:
        handle = up(spec, compose, client=client)
    except BaseException:
        if not spec.keep:
            _down_after_failure(spec, compose)
        raise
    try:
        yield handle
    except BaseException:
        if not spec.keep:
            _down_after_failure(spec, compose)
        raise
    if not spec.keep:
        down(spec, compose)


def _down_after_failure(spec: EnvSpec, compose: Compose) -> None:
    try:
        down(spec, compose)
    except EnvError as e:
        log.error("teardown of %s failed too (%s); run `seamline env prune`", spec.project, e)


def _label_filter(project: str | None) -> dict[str, Any]:
    return {"label": f"{COMPOSE_PROJECT}={project}" if project else f"{MANAGED_LABEL}=true"}


def leftovers(project: str, *, client: docker.DockerClient) -> list[str]:
    """Containers, networks and volumes still carrying the project's label (expected: none after down)."""
    try:
        found = [f"container {c.name}" for c in client.containers.list(all=True, filters=_label_filter(project))]
        found += [f"network {n.name}" for n in client.networks.list(filters=_label_filter(project))]
        found += [f"volume {v.name}" for v in client.volumes.list(filters=_label_filter(project))]
    except docker.errors.DockerException as e:
        raise engine_error(e) from e
    return found


def prune(*, client: docker.DockerClient, project: str | None = None, images: bool = False) -> list[str]:
    """Remove what Seamline left behind: one project's resources, or every Seamline-labelled one.
    `images`: also the app images full-stack mode built (kept by `down` so the next `up` is warm)."""
    removed: list[str] = []
    flt = _label_filter(project)
    try:
        removed += _remove_each("container", client.containers.list(all=True, filters=flt),
                                lambda c: c.remove(force=True, v=True))
        removed += _remove_each("network", client.networks.list(filters=flt), lambda n: n.remove())
        removed += _remove_each("volume", client.volumes.list(filters=flt), lambda v: v.remove(force=True))
        if images:
            removed += _remove_each("image", built_images(client, project),
                                    lambda i: client.images.remove(i.id, force=True))
    except docker.errors.APIError as e:
        raise EnvError(f"prune could not remove everything: {e.explanation or e}. Run it again, or remove the "
                       f"resources labelled {flt['label']} by hand.") from e
    except docker.errors.DockerException as e:
        raise engine_error(e) from e
    return removed


def built_images(client: docker.DockerClient, project: str | None = None) -> list[Any]:
    """Images Seamline built (full-stack app images), for one project or all."""
    label = f"{PROJECT_LABEL}={project}" if project else f"{MANAGED_LABEL}=true"
    try:
        return list(client.images.list(filters={"label": label}))
    except docker.errors.DockerException as e:
        raise engine_error(e) from e


def _remove_each(kind: str, items: list[Any], remove: Callable[[Any], None]) -> list[str]:
    done = []
    for item in items:
        try:
            remove(item)
        except docker.errors.NotFound:  # gone meanwhile (compose down running in parallel): fine
            continue
        name = getattr(item, "name", None) or ",".join(getattr(item, "tags", None) or []) or item.id[:19]
        done.append(f"{kind} {name}")
    return done

