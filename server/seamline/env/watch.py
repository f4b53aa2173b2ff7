"""Status changes of a compose project as they happen, from docker events by project label: the
editor's environment panel subscribes to these, `seamline env status --watch` prints them.

A `Watch` first reports every container as it is (event "snapshot"), then one `StatusChange` each
time a container's state or health changes (created, running, healthy, unhealthy, exited,
removed). Each event is turned into a change by inspecting the container *now*, so replayed or
duplicate events report nothing new and no transition is invented from an event's name.

    with Watch(project, timeout_s=60) as w:           # iterate in this thread ...
        for change in w: ...
    w = subscribe(project, on_change, on_error=...)    # ... or get callbacks from a thread
    w.close()                                          # from any thread; ends the iteration
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from .engine import connect, engine_error
from .errors import DockerUnavailable
from .status import COMPOSE_PROJECT, ServiceStatus, project_containers, service_status

log = logging.getLogger(__name__)

# Container events that can change state or health. Health probes also emit exec_* events every
# second; they change nothing and are filtered out by the engine.
EVENTS = ("create", "start", "restart", "die", "stop", "kill", "oom", "pause", "unpause", "destroy",
          "health_status")
_STREAM_FAILURES = (docker.errors.DockerException, requests.exceptions.RequestException,
                    urllib3.exceptions.HTTPError, OSError)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChange:
    project: str
    service: str
    container: str
    state: str  # "created" | "running" | "exited" | ... | "removed"
    health: str  # "healthy" | "unhealthy" | "starting" | "none"
    previous_state: str | None = None  # None in a snapshot or for a container first seen
    previous_health: str | None = None
    event: str = "snapshot"  # the docker action that led here ("start", "health_status: healthy" ...)
    time: float = 0.0  # unix seconds
    exit_code: int | None = None
    health_output: str = ""  # the last probe's output, when the service is unhealthy

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Watch:
    """An iterator of one project's status changes until `timeout_s` passes, `count` changes were
    reported, or `close()` is called. Raises DockerUnavailable if the engine goes away meanwhile."""

    def __init__(self, project: str, *, client: docker.DockerClient | None = None, timeout_s: float | None = None,
                 count: int | None = None, snapshot: bool = True) -> None:
        self.project = project
        self._client = client
        self.timeout_s = timeout_s
        self.count = count
        self.snapshot = snapshot
        self._stream: Any = None
        self._closed = threading.Event()
        self._known: dict[str, tuple[str, str]] = {}  # container id -> (state, health)
        self._names: dict[str, tuple[str, str]] = {}  # container id -> (service, container name)

    def __enter__(self) -> Watch:  # noqa: PYI034 - py3.10 has no typing.Self
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the iteration (safe from any thread, and more than once)."""
        self._closed.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except _STREAM_FAILURES as e:  # already closed by the engine
                log.debug("closing the event stream: %s", e)

    def __iter__(self) -> Iterator[StatusChange]:
        for reported, change in enumerate(self._changes(), 1):
            yield change
            if self.count is not None and reported >= self.count:
                self.close()
                return

    def _changes(self) -> Iterator[StatusChange]:
        client = self._client or connect()
        start = time.time()
        until = start + self.timeout_s if self.timeout_s is not None else None
        try:
            # subscribe before the snapshot, from a second earlier: nothing falls between the two
            self._stream = client.events(
                decode=True, since=int(start) - 1, until=int(until) + 1 if until is not None else None,
                filters={"type": "container", "label": f"{COMPOSE_PROJECT}={self.project}", "event": list(EVENTS)})
            containers = project_containers(client, self.project)
        except _STREAM_FAILURES as e:
            raise engine_error(e) from e
        now = datetime.now(timezone.utc)
        for c in containers:
            change = self._update(c.id, service_status(c.attrs, now=now), "snapshot", start)
            if change is not None and self.snapshot:
                yield change
        while not self._closed.is_set():
            try:
                event = next(self._stream)
            except StopIteration:
                break
            except _STREAM_FAILURES as e:
                if self._closed.is_set():
                    return
                raise engine_error(e) from e
            if until is not None and time.time() > until:
                return
            change = self._on_event(client, event)
            if change is not None:
                yield change
        if not self._closed.is_set() and (until is None or time.time() < until - 1):
            raise DockerUnavailable("the docker engine stopped answering while watching "
                                    f"{self.project}; its containers' state is unknown. Check the engine "
                                    "(`docker info`), then run `seamline env status`.")

    def _on_event(self, client: docker.DockerClient, event: dict[str, Any]) -> StatusChange | None:
        cid = event.get("id") or (event.get("Actor") or {}).get("ID", "")
        action = str(event.get("Action") or event.get("status") or "")
        stamp = event.get("timeNano", 0) / 1e9 or float(event.get("time", 0))
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        if cid not in self._names:
            self._names[cid] = (attrs.get("com.docker.compose.service", ""), attrs.get("name", cid[:12]))
        if action == "destroy":
            return self._update(cid, None, action, stamp)
        try:
            current = service_status(client.api.inspect_container(cid), now=datetime.now(timezone.utc))
        except docker.errors.NotFound:
            current = None  # removed since the event
        except _STREAM_FAILURES as e:
            raise engine_error(e) from e
        return self._update(cid, current, action, stamp)

    def _update(self, cid: str, st: ServiceStatus | None, action: str, stamp: float) -> StatusChange | None:
        """A change when (state, health) differs from what was last reported for the container."""
        if st is not None:
            self._names[cid] = (st.service, st.container)
        state, health = (st.state, st.health) if st is not None else ("removed", "none")
        previous = self._known.get(cid)
        if previous == (state, health) or (previous is None and state == "removed"):
            return None
        self._known[cid] = (state, health)
        service, name = self._names.get(cid, ("", cid[:12]))
        return StatusChange(
            project=self.project, service=service, container=name, state=state, health=health,
            previous_state=previous[0] if previous and action != "snapshot" else None,
            previous_health=previous[1] if previous and action != "snapshot" else None,
            event=action, time=round(stamp, 3),
            exit_code=st.exit_code if st is not None else None,
            health_output=st.last_health_output if st is not None and health == "unhealthy" else "")


def subscribe(project: str, on_change: Callable[[StatusChange], None], *,
              on_error: Callable[[Exception], None] | None = None, client: docker.DockerClient | None = None,
              timeout_s: float | None = None) -> tuple[Watch, threading.Thread]:
    """Call `on_change` from a daemon thread for each change; `on_error` gets DockerUnavailable (or
    any error from the callbacks) when the watch ends abnormally. Stop with `watch.close()`."""
    watch = Watch(project, client=client, timeout_s=timeout_s)

    def run() -> None:
        try:
            for change in watch:
                on_change(change)
        except Exception as e:  # noqa: BLE001 - handed to the subscriber, which decides; never lost
            log.warning("watch of %s ended: %s", project, e)
            if on_error is not None:
                on_error(e)

    thread = threading.Thread(target=run, name=f"seamline-watch-{project}", daemon=True)
    thread.start()
    return watch, thread


def render_change(change: StatusChange) -> str:
    """One line for a terminal: `12:00:01 redis running/starting -> running/healthy (health_status: healthy)`."""
    when = datetime.fromtimestamp(change.time or time.time()).strftime("%H:%M:%S")
    now = f"{change.state}/{change.health}"
    was = f"{change.previous_state}/{change.previous_health} -> " if change.previous_state else ""
    tail = f"  last health output: {change.health_output.splitlines()[-1]}" if change.health_output else ""
    return f"{when} {change.service or change.container:<16} {was}{now} ({change.event}){tail}"
