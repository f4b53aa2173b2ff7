"""The docker compose v2 CLI as a small typed seam: argv lists (never a shell), output captured,
both streams logged when a command fails, and failures turned into specific errors."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from .errors import (
    START_ENGINE_HINT,
    ComposeFailed,
    ComposeMissing,
    DockerPermissionDenied,
    DockerUnavailable,
    ImageUnavailable,
    PortClash,
)

log = logging.getLogger(__name__)

_IMAGE_FAILURES = re.compile(
    r"pull access denied|manifest unknown|manifest for .* not found|failed to resolve reference|"
    r"repository does not exist|no such image|error pulling image|failed to do request|"
    r"dial tcp: lookup|Get \"?https://[^ ]*/v2/|toomanyrequests", re.IGNORECASE)
_PORT_FAILURES = re.compile(r"port is already allocated|address already in use", re.IGNORECASE)


class Compose(Protocol):
    """What the lifecycle needs from compose (tests may substitute a fake)."""

    def up(self, project: str, files: Sequence[Path], *, wait_timeout_s: int = 120,
           services: Sequence[str] = ()) -> None:
        ...
    def down(self, project: str, files: Sequence[Path] = ()) -> None: ...
    def logs(self, project: str, files: Sequence[Path] = (), *, services: Sequence[str] = (),
             tail: int = 200) -> str: ...


class ComposeCli:
    """`docker compose ...` with a project name on every call (two runs in one folder never collide)."""

    def __init__(self, *, docker: str = "docker", cwd: Path | None = None, env: Mapping[str, str] | None = None,
                 timeout_s: float = 600) -> None:
        self.docker = docker
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.timeout_s = timeout_s

    def run(self, args: Sequence[str], *, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
        argv = [self.docker, "compose", "--ansi", "never", *args]
        log.debug("running %s", argv)
        env = {**os.environ, **self.env} if self.env is not None else None
        try:
            return subprocess.run(argv, cwd=self.cwd, env=env, capture_output=True, text=True, check=True,
                                  timeout=timeout_s or self.timeout_s)
        except FileNotFoundError as e:
            raise DockerUnavailable(f"the docker CLI ({self.docker}) is not installed. Install Docker Engine "
                                    f"or Docker Desktop. {START_ENGINE_HINT}") from e
        except subprocess.TimeoutExpired as e:
            log.error("%s timed out; stdout:\n%s\nstderr:\n%s", argv, e.stdout or "", e.stderr or "")
            raise ComposeFailed(f"`{' '.join(argv)}` did not finish within {e.timeout:.0f} s.",
                                stderr=str(e.stderr or "")) from e
        except subprocess.CalledProcessError as e:
            log.error("%s failed (exit %s); stdout:\n%s\nstderr:\n%s", argv, e.returncode, e.stdout, e.stderr)
            raise classify_failure(argv, e.returncode, e.stderr or "") from e

    @staticmethod
    def _base(project: str, files: Sequence[Path]) -> list[str]:
        args = ["-p", project]
        for f in files:
            args += ["-f", str(f)]
        return args

    def version(self) -> str:
        return self.run(["version", "--short"], timeout_s=30).stdout.strip()

    def config(self, files: Sequence[Path]) -> None:
        """`config -q`: the engine-side view of the file's validity (needs the CLI, not a running engine)."""
        args: list[str] = []
        for f in files:
            args += ["-f", str(f)]
        self.run([*args, "config", "-q"], timeout_s=60)

    def up(self, project: str, files: Sequence[Path], *, wait_timeout_s: int = 120,
           services: Sequence[str] = ()) -> None:
        """All services, or only `services` (and what they depend on)."""
        self.run([*self._base(project, files), "up", "-d", "--wait", "--wait-timeout", str(wait_timeout_s), *services],
                 timeout_s=wait_timeout_s + 120)  # headroom for creating containers before the wait starts

    def down(self, project: str, files: Sequence[Path] = ()) -> None:
        self.run([*self._base(project, files), "down", "-v", "-t", "1", "--remove-orphans"], timeout_s=120)

    def logs(self, project: str, files: Sequence[Path] = (), *, services: Sequence[str] = (), tail: int = 200) -> str:
        out = self.run([*self._base(project, files), "logs", "--no-color", "--tail", str(tail), *services],
                       timeout_s=60)
        return out.stdout


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def classify_failure(argv: Sequence[str], returncode: int, stderr: str) -> Exception:
    """A compose failure as the specific error whose message says what to do."""
    tail = _tail(stderr)
    if "is not a docker command" in stderr or "unknown shorthand flag: 'p'" in stderr:
        return ComposeMissing("docker compose v2 is not installed (`docker compose version` fails). Install the "
                              "compose plugin (Debian/Ubuntu: `apt-get install docker-compose-plugin` or "
                              "`docker-compose-v2`; see https://docs.docker.com/compose/install/linux/).")
    if re.search(r"permission denied.*docker\.sock|docker\.sock.*permission denied", stderr, re.IGNORECASE):
        return DockerPermissionDenied("the docker engine is running but this user may not use its socket. "
                                      "Add yourself to the `docker` group (`sudo usermod -aG docker $USER`, "
                                      "then log in again) or run as root.")
    if "Cannot connect to the Docker daemon" in stderr or "Is the docker daemon running" in stderr:
        return DockerUnavailable(f"no docker engine answers. {START_ENGINE_HINT}")
    if _IMAGE_FAILURES.search(stderr):
        return ImageUnavailable(
            "an image is not present locally and cannot be pulled:\n"
            f"{tail}\nLoad or build it (`docker images` lists what you have), or choose a tag you have with "
            "`seamline gen compose --image KIND=IMAGE`.", stderr=stderr)
    if _PORT_FAILURES.search(stderr):
        return PortClash(f"a host port is already taken:\n{tail}\nStop what holds it, or use ephemeral ports "
                         "(`127.0.0.1::PORT`, Seamline's default).", stderr=stderr)
    return ComposeFailed(f"`{' '.join(argv)}` failed (exit {returncode}):\n{tail}", stderr=stderr)
