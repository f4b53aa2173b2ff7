"""The test environment from the editor: seamline.envUp/envDown/envStatus/envLogs over
`seamline.env` (the same code as `seamline env ...`), and the seamline/envStatus notification the
panel listens to. Refused in an untrusted workspace: docker runs what the workspace's files say."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from ...core.errors import SeamlineError
from ...core.generate.compose import project_name
from ...core.generate.workspace_compose import find_compose_files, service_kinds
from ..progress import progress
from ..server import SeamlineServer, command

log = logging.getLogger(__name__)

ENV_STATUS = "seamline/envStatus"


def _kinds(root: Path) -> dict[str, str]:
    files = find_compose_files(root)
    return service_kinds(files[0].read_text(encoding="utf-8", errors="replace")) if files else {}


def status_payload(ls: SeamlineServer, st: Any | None, *, engine: bool, message: str | None) -> dict[str, Any]:
    """The seamline/envStatus body; `st` is a seamline.env.EnvStatus (or None when unknown)."""
    kinds = _kinds(ls.root) if ls.root else {}
    services = [{"name": s.service, "kind": kinds.get(s.service, s.service), "state": s.state, "health": s.health,
                 "ports": [{"container": p.container_port, "host": p.host_port} for p in s.ports],
                 "uptime_s": s.uptime_s} for s in (st.services if st is not None else ())]
    project = st.project if st is not None else (project_name(ls.root) if ls.root else None)
    return {"engine": engine, "project": project, "trusted": ls.trusted, "services": services, "message": message}


def _root(ls: SeamlineServer) -> Path:
    if ls.root is None:
        raise SeamlineError("open a folder first: the test environment belongs to a workspace folder.")
    return ls.root


def _read_status(ls: SeamlineServer) -> dict[str, Any]:
    """Runs in a worker thread (the docker SDK blocks)."""
    from ...env import DockerUnavailable, status

    try:
        return status_payload(ls, status(project_name(_root(ls))), engine=True, message=None)
    except DockerUnavailable as e:
        return status_payload(ls, None, engine=False, message=str(e))


def _up(ls: SeamlineServer) -> dict[str, Any]:
    from ...env import ComposeCli, EnvError, down, up
    from ...env.workspace import workspace_env_spec

    spec = workspace_env_spec(_root(ls))
    compose = ComposeCli(cwd=spec.workdir)
    try:
        handle = up(spec, compose)
    except EnvError:
        down(spec, compose)  # the error quotes the logs already; leave nothing half-started behind
        raise
    return status_payload(ls, handle.status, engine=True, message=None)


def _down(ls: SeamlineServer) -> dict[str, Any]:
    from ...env import ComposeCli, down
    from ...env.workspace import workspace_env_spec

    spec = workspace_env_spec(_root(ls))
    down(spec, ComposeCli(cwd=spec.workdir))
    return _read_status(ls)


def _logs(ls: SeamlineServer, services: list[str]) -> str:
    from ...env import ComposeCli
    from ...env.workspace import workspace_env_spec

    spec = workspace_env_spec(_root(ls))
    return ComposeCli(cwd=spec.workdir).logs(spec.project, spec.files, services=services, tail=200)


async def _undo_up(ls: SeamlineServer, starting: asyncio.Future) -> None:
    try:
        await starting
    except Exception as e:  # it failed on its own; `_up` already tore down what it could
        log.warning("the cancelled env up failed as well: %s", e)
    payload = await asyncio.to_thread(_down, ls)
    await publish(ls, {**payload, "message": "Starting the test environment was cancelled; it was removed."})


async def publish(ls: SeamlineServer, payload: dict[str, Any]) -> dict[str, Any]:
    ls.notify(ENV_STATUS, payload)
    return payload


def register(server: SeamlineServer) -> None:
    @command(server, "seamline.envUp")
    async def env_up(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        ls.require_trust("start containers")
        async with progress(ls, "Seamline: starting the test environment", cancellable=True) as report:
            report("docker compose up --wait")
            starting = asyncio.ensure_future(asyncio.to_thread(_up, ls))
            try:
                payload = await asyncio.shield(starting)
            except asyncio.CancelledError:
                # the thread cannot be stopped; once compose is done, take down what it started
                ls.run_task(_undo_up(ls, starting), "env down after a cancelled up")
                raise
            except Exception as e:
                await publish(ls, status_payload(ls, None, engine=True, message=str(e)))
                raise
        return await publish(ls, payload)

    @command(server, "seamline.envDown")
    async def env_down(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        ls.require_trust("stop containers")
        async with progress(ls, "Seamline: removing the test environment"):
            payload = await asyncio.to_thread(_down, ls)
        return await publish(ls, payload)

    @command(server, "seamline.envStatus")
    async def env_status(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        ls.require_trust("talk to docker")
        return await publish(ls, await asyncio.to_thread(_read_status, ls))

    @command(server, "seamline.envLogs")
    async def env_logs(ls: SeamlineServer, *args: Any) -> str:
        ls.require_trust("read container logs")
        services = [str(a) for a in args if a]
        return await asyncio.to_thread(_logs, ls, services)

    async def on_trust(ls: SeamlineServer) -> None:
        message = None if ls.trusted else "The workspace is untrusted: Seamline analyses only."
        await publish(ls, status_payload(ls, None, engine=False, message=message))

    server.dispatcher.on("trust_changed", on_trust)
