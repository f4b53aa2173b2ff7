"""Two faults a user meets before anything runs: a socket they may not use, and a docker CLI
without the compose v2 plugin. Both must say what to do, not dump a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from seamline.env import ComposeCli, ComposeMissing

SERVER = Path(__file__).resolve().parents[2] / "server"
SOCKET = "/var/run/docker.sock"


def _system_python_like_ours() -> str | None:
    """A Python an unprivileged user can execute, of our minor version (the venv's packages are
    compiled for it); the venv's own interpreter may live under /root."""
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if not os.access(cand, os.X_OK):
            continue
        out = subprocess.run([cand, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, check=False)
        if out.stdout.strip() == str(tuple(sys.version_info[:2])):
            return cand
    return None


def test_a_user_outside_the_docker_group_is_told_how_to_get_access(docker_client):
    python = _system_python_like_ours()
    if os.geteuid() != 0 or shutil.which("runuser") is None or python is None or not Path(SOCKET).exists():
        pytest.skip("needs root (to run as `nobody`), runuser, a system Python of our version and the engine's "
                    "socket at /var/run/docker.sock")
    site = next(p for p in sys.path if p.endswith("site-packages") and ".venv" in p)
    code = ("from seamline.env.engine import connect\n"
            "from seamline.env import DockerPermissionDenied\n"
            "try:\n    connect(timeout_s=5)\nexcept DockerPermissionDenied as e:\n    print('DENIED', e)\n")
    out = subprocess.run(["runuser", "-u", "nobody", "--", "env", f"DOCKER_HOST=unix://{SOCKET}",
                          f"PYTHONPATH={SERVER}:{site}", python, "-c", code],
                         capture_output=True, text=True, cwd="/tmp", check=False, timeout=60)
    assert out.stdout.startswith("DENIED"), out.stdout + out.stderr
    assert "docker` group" in out.stdout and "usermod -aG docker" in out.stdout


def test_a_docker_cli_without_compose_v2_is_reported_with_the_fix(docker_client, tmp_path):
    real = shutil.which("docker")
    assert real is not None
    # The real CLI in front, minus its compose plugin: what a machine with only the docker
    # client package sees.
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "docker").write_text(
        "#!/bin/sh\n"
        "for a in \"$@\"; do\n"
        "  if [ \"$a\" = compose ]; then\n"
        "    echo \"docker: 'compose' is not a docker command.\" >&2\n"
        "    echo \"See 'docker --help'\" >&2\n"
        "    exit 1\n"
        "  fi\n"
        "done\n"
        f"exec {real} \"$@\"\n")
    (shim / "docker").chmod(0o755)
    (tmp_path / "c.yaml").write_text("services:\n  x:\n    image: debian:bookworm-slim\n")
    cli = ComposeCli(docker=str(shim / "docker"), cwd=tmp_path)
    with pytest.raises(ComposeMissing, match="compose v2"):
        cli.up("seamline-no-compose", [tmp_path / "c.yaml"], wait_timeout_s=5)
