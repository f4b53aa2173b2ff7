"""Watching, seeding, full-stack mode and faults, against a real engine."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import IMAGES
from proxy import EngineProxy
from seamline.cli import main
from seamline.core.generate.compose import INIT_SQL_DIR, generate_compose, project_name, render_compose
from seamline.core.generate.compose_stack import StackPlan, add_app_services, render_dockerfile
from seamline.core.generate.writer import write_generated
from seamline.core.model import Service
from seamline.env import (
    DockerUnavailable,
    EnvSpec,
    PortClash,
    Watch,
    built_images,
    leftovers,
    prune,
    running_env,
    status,
    subscribe,
)
from wire import pg_query_one

pytestmark = pytest.mark.docker

NO_ENGINE = "unix:///nonexistent/seamline-test.sock"
SERVER = str(Path(__file__).resolve().parents[2] / "server")


def _redis_env(tmp_path: Path, project: str) -> EnvSpec:
    spec = generate_compose([Service(kind="redis", settings=("REDIS_URL",))], project_name=project, images=IMAGES)
    path = tmp_path / "compose.test.yaml"
    write_generated(path, render_compose(spec))
    return EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=60)


def _states(changes) -> list[tuple[str, str]]:
    return [(c.state, c.health) for c in changes]


# --- watch ----------------------------------------------------------------------------------------


def test_watch_streams_each_state_and_health_change_of_a_full_cycle(tmp_path, project, compose, docker_client):
    changes = []
    watch = Watch(project, client=docker_client, timeout_s=60)
    thread = threading.Thread(target=lambda: changes.extend(watch), daemon=True)
    thread.start()
    with running_env(_redis_env(tmp_path, project), compose, client=docker_client):
        pass
    deadline = time.monotonic() + 10
    while not any(c.state == "removed" for c in changes) and time.monotonic() < deadline:
        time.sleep(0.05)
    watch.close()
    thread.join(5)
    assert not thread.is_alive(), "close() must end the iteration"
    seen = _states(changes)
    # every step of the cycle, in order (the engine may collapse "created" into "running" on a fast start)
    order = [("running", "starting"), ("running", "healthy"), ("exited", "none"), ("removed", "none")]
    positions = [seen.index(s) for s in order]
    assert positions == sorted(positions), seen
    assert len(seen) == len(set(seen)), f"a change is reported once: {seen}"
    healthy = changes[seen.index(("running", "healthy"))]
    assert (healthy.service, healthy.previous_health, healthy.event) == ("redis", "starting", "health_status: healthy")
    assert all(c.project == project for c in changes)


def test_subscribe_calls_back_with_a_snapshot_then_changes(tmp_path, project, compose, docker_client):
    env = _redis_env(tmp_path, project)
    with running_env(env, compose, client=docker_client) as handle:
        got, errors, removed = [], [], threading.Event()

        def on_change(change):
            got.append(change)
            if change.state == "removed":
                removed.set()

        watch, thread = subscribe(project, on_change, on_error=errors.append, client=docker_client, timeout_s=60)
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _states(got) == [("running", "healthy")] and got[0].event == "snapshot"
        container = docker_client.containers.get(handle.status.services[0].container)
        container.stop(timeout=1)
    assert removed.wait(15), _states(got)
    watch.close()
    thread.join(5)
    assert errors == []
    assert ("exited", "none") in _states(got)


def test_cli_status_watch_prints_json_lines_until_count(tmp_path, project, compose, docker_client):
    env = _redis_env(tmp_path, project)
    with running_env(env, compose, client=docker_client) as handle:
        argv = [sys.executable, "-m", "seamline.cli", "env", "status", str(tmp_path), "-p", project, "--watch",
                "--format", "json", "--count", "2", "--timeout", "30"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": SERVER})
        try:
            first = json.loads(proc.stdout.readline())  # streamed: arrives while the command still runs
            assert proc.poll() is None
            assert (first["service"], first["state"], first["health"], first["event"]) == \
                ("redis", "running", "healthy", "snapshot")
            docker_client.containers.get(handle.status.services[0].container).stop(timeout=1)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    second = json.loads(out.strip().splitlines()[0])
    assert (second["state"], second["previous_state"], second["previous_health"]) == ("exited", "running", "healthy")
    assert proc.returncode == 0, err


def test_cli_status_watch_ends_at_its_deadline(tmp_path, project, docker_client, capsys):
    _redis_env(tmp_path, project)  # the compose file only; nothing runs
    started = time.monotonic()
    assert main(["env", "status", str(tmp_path), "-p", project, "--watch", "--format", "json", "--timeout", "2"]) == 0
    assert 1.5 < time.monotonic() - started < 10
    assert capsys.readouterr().out == ""


def test_watch_reports_an_engine_that_goes_away_mid_run(tmp_path, project, compose, docker_client, monkeypatch):
    proxy = EngineProxy(Path(f"/tmp/seamline-proxy-{project[-8:]}.sock"))
    try:
        with running_env(_redis_env(tmp_path, project), compose, client=docker_client):
            monkeypatch.setenv("DOCKER_HOST", proxy.docker_host)
            watch = Watch(project, timeout_s=60)
            changes = iter(watch)
            assert next(changes).health == "healthy"
            proxy.kill()  # the engine "dies": its socket closes mid-stream
            with pytest.raises(DockerUnavailable, match="stopped answering|no docker engine"):
                next(changes)
            monkeypatch.delenv("DOCKER_HOST")
    finally:
        proxy.kill()
        os.unlink(proxy.path)


def test_status_while_the_engine_is_unreachable_says_so(tmp_path, project, compose, docker_client, monkeypatch,
                                                         capsys):
    with running_env(_redis_env(tmp_path, project), compose, client=docker_client):
        with monkeypatch.context() as m:
            m.setenv("DOCKER_HOST", NO_ENGINE)
            with pytest.raises(DockerUnavailable, match="no docker engine answers.*systemctl start docker"):
                status(project)
            assert main(["env", "status", str(tmp_path), "-p", project, "--format", "json"]) == 1
            report = json.loads(capsys.readouterr().out)
            assert report["engine"] is False and "no docker engine answers" in report["error"]
            assert main(["env", "status", str(tmp_path), "-p", project, "--watch", "--format", "json"]) == 1
            line = json.loads(capsys.readouterr().out)
            assert line["engine"] is False
            assert main(["env", "status", str(tmp_path), "-p", project]) == 1
            assert "start docker" in capsys.readouterr().err
        assert status(project, client=docker_client).healthy  # the environment itself never noticed


# --- faults ---------------------------------------------------------------------------------------


def test_port_clash_on_a_fixed_host_port_is_a_clear_error_and_leaks_nothing(tmp_path, project, compose,
                                                                          docker_client):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        doc = generate_compose([Service(kind="redis")], project_name=project, images=IMAGES).document
        doc["services"]["redis"]["ports"] = [f"127.0.0.1:{port}:6379"]
        path = tmp_path / "compose.test.yaml"
        path.write_text(yaml.safe_dump(doc))
        env = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=30)
        with pytest.raises(PortClash) as info, running_env(env, compose, client=docker_client):
            pytest.fail("the body must not run when a port is taken")
    assert "already taken" in str(info.value) and str(port) in str(info.value), str(info.value)
    assert "127.0.0.1::PORT" in str(info.value)  # says how to avoid it
    assert leftovers(project, client=docker_client) == []


# --- seeding --------------------------------------------------------------------------------------


def test_init_sql_seeds_the_database_before_it_counts_as_healthy(tmp_path, project, compose, docker_client):
    seed = tmp_path / INIT_SQL_DIR
    seed.mkdir(parents=True)
    (seed / "001_schema.sql").write_text("create table item (id serial primary key, name text not null);\n")
    (seed / "002_data.sql").write_text("insert into item (name) values ('seeded-a'), ('seeded-b');\n")
    spec = generate_compose([Service(kind="postgres", settings=("DATABASE_URL",))], project_name=project,
                            images=IMAGES, init_sql=INIT_SQL_DIR)
    path = tmp_path / "compose.test.yaml"
    write_generated(path, render_compose(spec))
    env = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=60)
    with running_env(env, compose, client=docker_client) as handle:
        # straight after `up --wait`: no retry, the healthcheck already waited for the seed
        row = pg_query_one(handle.env["DATABASE_URL"], "select count(*), string_agg(name, ',' order by id) from item")
        assert row == ["2", "seeded-a,seeded-b"]


# --- full stack -----------------------------------------------------------------------------------

WSGI_APP = '''\
import os, socket
from urllib.parse import urlsplit
from wsgiref.simple_server import make_server

def app(environ, start_response):
    u = urlsplit(os.environ["REDIS_URL"])  # in-network wiring: redis://redis:6379/0
    with socket.create_connection((u.hostname, u.port), timeout=3) as s:
        s.sendall(b"PING\\r\\n")
        answer = s.recv(16)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"redis says " + answer.strip()]

make_server("0.0.0.0", 8000, app).serve_forever()
'''


def test_full_stack_app_is_built_started_after_its_services_healthy_and_torn_down(tmp_path, project, compose,
                                                                                   docker_client):
    (tmp_path / "app.py").write_text(WSGI_APP)
    (tmp_path / "requirements.txt").write_text("# no dependencies\n")
    plan = StackPlan(command=("python", "app.py"), requirements="requirements.txt")
    write_generated(tmp_path / ".seamline" / "Dockerfile", render_dockerfile(plan))
    spec = generate_compose([Service(kind="redis", settings=("REDIS_URL",))], project_name=project, images=IMAGES)
    spec = add_app_services(spec, plan)
    path = tmp_path / "compose.test.yaml"
    write_generated(path, render_compose(spec))
    env = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=90)
    try:
        with running_env(env, compose, client=docker_client) as handle:
            assert handle.status.healthy, handle.status
            assert {s.service: s.health for s in handle.status.services} == {"redis": "healthy", "app": "healthy"}
            with urllib.request.urlopen(handle.env["SEAMLINE_APP_URL"] + "/", timeout=10) as r:
                assert r.read() == b"redis says +PONG"
            assert handle.env["REDIS_URL"].startswith("redis://127.0.0.1:")  # the host's view, for tests
        assert leftovers(project, client=docker_client) == []
        assert built_images(docker_client, project), "down keeps the built image for a warm next start"
    finally:
        prune(client=docker_client, project=project, images=True)
    assert built_images(docker_client, project) == []


def test_cli_full_stack_uses_the_projects_own_dockerfile(tmp_path, project, docker_client, capsys):
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / "main.py").write_text("print('not imported by Seamline')\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /srv\nEXPOSE 8080\n"
                                         "CMD [\"python\", \"-m\", \"http.server\", \"8080\"]\n")
    assert main(["gen", "compose", str(tmp_path), "--full-stack"]) == 0
    doc = yaml.safe_load((tmp_path / "compose.test.yaml").read_text())
    app = doc["services"]["app"]
    assert app["build"]["dockerfile"] == "Dockerfile" and "command" not in app
    assert app["ports"] == ["127.0.0.1::8080"]
    assert not (tmp_path / ".seamline" / "Dockerfile").exists()
    try:
        assert main(["env", "up", str(tmp_path), "-p", project, "--timeout", "60"]) == 0
        env = (tmp_path / ".seamline" / "env").read_text()
        url = next(v.split("=", 1)[1] for v in env.splitlines() if v.startswith("SEAMLINE_APP_URL="))
        with urllib.request.urlopen(url + "/", timeout=10) as r:
            assert r.status == 200
    finally:
        assert main(["env", "down", str(tmp_path), "-p", project]) == 0
        prune(client=docker_client, project=project_name(tmp_path), images=True)  # the image carries the file's name
    assert "removed" in capsys.readouterr().out

