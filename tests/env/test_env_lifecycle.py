"""The compose lifecycle against a real engine: up, healthy, wired, down, nothing left."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import BASE_IMAGE, IMAGES
from seamline.cli import main
from seamline.core.generate.compose import generate_compose, render_compose, seamline_labels, validate_compose
from seamline.core.generate.envfile import ENV_FILE, parse_env
from seamline.core.generate.writer import write_generated
from seamline.core.model import Evidence, Service
from seamline.env import (
    ComposeCli,
    DockerUnavailable,
    EnvSpec,
    ImageUnavailable,
    ServiceUnhealthy,
    leftovers,
    running_env,
    status,
)
from seamline.env.engine import connect
from wire import amqp_connection_start, pg_query_one, redis_ping

pytestmark = pytest.mark.docker


def _write(tmp_path, text):
    path = tmp_path / "compose.test.yaml"
    write_generated(path, text)
    return path


def test_postgres_redis_rabbitmq_come_up_healthy_wired_and_leave_nothing(tmp_path, project, compose, docker_client):
    services = [
        Service(kind="postgres", settings=("DATABASE_URL", "POSTGRES_SERVER", "POSTGRES_PORT")),
        Service(kind="redis", settings=("REDIS_URL",)),
        Service(kind="celery", settings=("CELERY_BROKER_URL",),
                evidence=(Evidence(kind="setting", detail="broker_url = 'amqp://guest@localhost//'"),)),
    ]
    spec = generate_compose(services, project_name=project, images=IMAGES)
    assert validate_compose(spec.document) == []
    path = _write(tmp_path, render_compose(spec))
    compose.config([path])  # the engine-side view agrees with our structural validation

    env_spec = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=90)
    with running_env(env_spec, compose, client=docker_client) as env:
        assert env.status.healthy, env.status
        assert {s.service for s in env.status.services} == {"postgres", "redis", "rabbitmq"}
        for s in env.status.services:
            assert s.ports and all(p.host_ip == "127.0.0.1" for p in s.ports), s
            assert s.uptime_s is not None and s.last_health_output is not None
        assert parse_env((tmp_path / ENV_FILE).read_text()) == env.env

        assert pg_query_one(env.env["DATABASE_URL"], "select current_database(), current_user") == ["test", "test"]
        assert env.env["POSTGRES_SERVER"] == "127.0.0.1"
        assert env.env["DATABASE_URL"].endswith(f":{env.env['POSTGRES_PORT']}/test")
        assert redis_ping(env.env["REDIS_URL"]) == b"+PONG\r\n"
        frame = amqp_connection_start(env.env["CELERY_BROKER_URL"])
        assert frame[0] == 1 and frame[7:11] == b"\x00\x0a\x00\x0a", frame  # method frame, Connection.Start

    assert leftovers(project, client=docker_client) == []
    assert status(project, client=docker_client).services == ()


def test_service_that_never_gets_healthy_reports_its_logs_and_leaks_nothing(tmp_path, project, compose,
                                                                            docker_client):
    doc = {
        "name": project,
        "services": {"stuck": {
            "image": BASE_IMAGE, "init": True,
            "command": ["sh", "-c", "echo stuck-service-started; echo about-to-wait; exec sleep 300"],
            "healthcheck": {"test": ["CMD-SHELL", "echo probe-says-not-ready; exit 1"], "interval": "1s",
                            "timeout": "2s", "retries": 2, "start_period": "0s"},
            "labels": seamline_labels(project, "fault"),
        }},
    }
    assert validate_compose(doc) == []
    path = _write(tmp_path, yaml.safe_dump(doc))
    env_spec = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=30)
    with pytest.raises(ServiceUnhealthy) as info, running_env(env_spec, compose, client=docker_client):
        pytest.fail("the body must not run when a service is unhealthy")
    err = info.value
    assert err.service == "stuck"
    assert "probe-says-not-ready" in str(err) and "stuck-service-started" in str(err), str(err)
    assert "about-to-wait" in err.logs
    assert leftovers(project, client=docker_client) == []


def test_missing_image_is_a_clear_error_and_leaks_nothing(tmp_path, project, compose, docker_client):
    doc = {"name": project, "services": {"ghost": {
        "image": "seamline-test/not-here:0", "healthcheck": {"test": ["CMD", "true"]},
        "labels": seamline_labels(project)}}}
    path = _write(tmp_path, yaml.safe_dump(doc))
    env_spec = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=20)
    with pytest.raises(ImageUnavailable, match="cannot be pulled") as info, \
            running_env(env_spec, compose, client=docker_client):
        pytest.fail("the body must not run without the image")
    assert "--image KIND=IMAGE" in str(info.value)
    assert leftovers(project, client=docker_client) == []


def test_interrupted_run_is_torn_down(tmp_path, project, compose, docker_client):
    spec = generate_compose([Service(kind="redis", settings=("REDIS_URL",))], project_name=project, images=IMAGES)
    path = _write(tmp_path, render_compose(spec))
    env_spec = EnvSpec(project=project, files=(path,), workdir=tmp_path, wait_timeout_s=30)
    with pytest.raises(KeyboardInterrupt), running_env(env_spec, compose, client=docker_client) as env:
        assert env.status.healthy
        raise KeyboardInterrupt  # what Ctrl-C raises in the middle of a test run
    assert leftovers(project, client=docker_client) == []


def test_cli_up_status_down(tmp_path, project, docker_client, capsys):
    spec = generate_compose([Service(kind="postgres", settings=("DATABASE_URL",))], project_name=project,
                            images=IMAGES)
    _write(tmp_path, render_compose(spec))
    try:
        assert main(["env", "up", str(tmp_path), "-p", project, "--timeout", "60"]) == 0
        assert main(["env", "status", str(tmp_path), "-p", project, "--format", "json"]) == 0
        out = capsys.readouterr().out
        report = json.loads(out[out.index("{"):])
        assert report["healthy"] and report["services"][0]["health"] == "healthy"
        assert report["services"][0]["ports"][0]["host_ip"] == "127.0.0.1"
        assert "DATABASE_URL=postgresql://test:" in (tmp_path / ENV_FILE).read_text()
    finally:
        assert main(["env", "down", str(tmp_path), "-p", project]) == 0
    assert "removed" in capsys.readouterr().out


# --- no engine: these need no running engine at all -------------------------------------------

NO_ENGINE = "unix:///nonexistent/seamline-test.sock"


def test_no_engine_is_reported_with_how_to_start_one(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    with pytest.raises(DockerUnavailable, match="systemctl start docker"):
        connect(timeout_s=2)


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI (not an engine)")
def test_compose_without_engine_is_reported(tmp_path):
    (tmp_path / "c.yaml").write_text(f"services:\n  x:\n    image: {BASE_IMAGE}\n")
    cli = ComposeCli(cwd=tmp_path, env={"DOCKER_HOST": NO_ENGINE})
    with pytest.raises(DockerUnavailable, match="docker-engine.sh"):
        cli.up("seamline-no-engine", [tmp_path / "c.yaml"], wait_timeout_s=5)


def test_status_json_without_engine_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    (tmp_path / "compose.test.yaml").write_text(f"services:\n  x:\n    image: {BASE_IMAGE}\n")
    assert main(["env", "status", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["engine"] is False and "docker" in report["error"]
