"""What a compose project's containers are doing, read through the docker SDK by project label:
state, health, published ports, uptime and the last health probe's output."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import docker
import docker.errors

from .engine import connect, engine_error

log = logging.getLogger(__name__)

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"


@dataclass(frozen=True, slots=True, kw_only=True)
class PortBinding:
    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStatus:
    service: str
    container: str
    image: str
    state: str  # "running" | "exited" | "created" | "restarting" | ...
    health: str  # "healthy" | "unhealthy" | "starting" | "none" (no healthcheck)
    ports: tuple[PortBinding, ...] = ()
    started_at: str = ""
    uptime_s: float | None = None
    exit_code: int | None = None
    last_health_output: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvStatus:
    project: str
    services: tuple[ServiceStatus, ...] = ()

    @property
    def healthy(self) -> bool:
        return bool(self.services) and all(s.state == "running" and s.health in ("healthy", "none")
                                           for s in self.services)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["engine"] = True
        out["healthy"] = self.healthy
        return out


def _parse_time(text: str) -> datetime | None:
    if not text or text.startswith("0001-"):
        return None
    # docker writes nanoseconds; datetime takes microseconds
    head, _, frac = text.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")
    except ValueError:
        return None


def _ports(attrs: dict[str, Any]) -> tuple[PortBinding, ...]:
    out = []
    for key, binds in ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        for b in binds or ():
            out.append(PortBinding(container_port=int(port), protocol=proto or "tcp", host_ip=b.get("HostIp", ""),
                                   host_port=int(b["HostPort"])))
    return tuple(sorted(out, key=lambda p: (p.container_port, p.host_ip)))


def service_status(attrs: dict[str, Any], *, now: datetime) -> ServiceStatus:
    """One container's `docker inspect` attributes as a ServiceStatus."""
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    probes = health.get("Log") or []
    started = _parse_time(state.get("StartedAt", ""))
    running = state.get("Status") == "running"
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    # docker keeps the last health verdict on a stopped container ("unhealthy"); it means nothing then
    alive = state.get("Status") in ("running", "restarting", "paused")
    return ServiceStatus(
        service=labels.get(COMPOSE_SERVICE, ""),
        container=attrs.get("Name", "").lstrip("/"),
        image=(attrs.get("Config") or {}).get("Image", ""),
        state=state.get("Status", "unknown"),
        health=health.get("Status", "none") if alive else "none",
        ports=_ports(attrs),
        started_at=state.get("StartedAt", "") if started else "",
        uptime_s=round((now - started).total_seconds(), 1) if started and running else None,
        exit_code=None if running else state.get("ExitCode"),
        last_health_output=(probes[-1].get("Output") or "").strip() if probes else "",
    )


def project_containers(client: docker.DockerClient, project: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{COMPOSE_PROJECT}={project}"})


def status(project: str, *, client: docker.DockerClient | None = None, now: datetime | None = None) -> EnvStatus:
    """The project's services, sorted by name; raises DockerUnavailable when no engine answers."""
    client = client or connect()
    now = now or datetime.now(timezone.utc)
    try:
        containers = project_containers(client, project)
    except docker.errors.DockerException as e:
        raise engine_error(e) from e
    services = sorted((service_status(c.attrs, now=now) for c in containers), key=lambda s: (s.service, s.container))
    return EnvStatus(project=project, services=tuple(services))


def published_ports(st: EnvStatus) -> dict[tuple[str, int], int]:
    """(service, container_port) -> host port, for `wire_env`; 127.0.0.1 bindings preferred."""
    out: dict[tuple[str, int], int] = {}
    for s in st.services:
        for p in s.ports:
            if p.protocol == "tcp" and ((s.service, p.container_port) not in out or p.host_ip == "127.0.0.1"):
                out[(s.service, p.container_port)] = p.host_port
    return out


def render_status(st: EnvStatus) -> str:
    if not st.services:
        return f"{st.project}: no containers (run `seamline env up`)\n"
    lines = [f"{st.project}: {'healthy' if st.healthy else 'NOT healthy'}"]
    for s in st.services:
        ports = ", ".join(f"{p.host_ip}:{p.host_port}->{p.container_port}" for p in s.ports) or "-"
        up = f"up {s.uptime_s:.0f}s" if s.uptime_s is not None else f"exit {s.exit_code}"
        lines.append(f"  {s.service:<16} {s.state:<9} {s.health:<9} {up:<10} {ports}")
        if s.health == "unhealthy" and s.last_health_output:
            lines.append(f"    last health output: {s.last_health_output.splitlines()[-1]}")
    return "\n".join(lines) + "\n"
