"""Full-stack mode: the app and its worker as compose services. Pure, no engine (the real build
and healthcheck run in tests/env/test_env_features.py)."""

import pytest
import yaml
from seamline.core.generate.compose import (
    generate_compose,
    render_compose,
    seamline_labels,
    validate_compose,
    wire_env,
)
from seamline.core.generate.compose_stack import (
    APP_SERVICE,
    GENERATED_DOCKERFILE,
    WORKER_SERVICE,
    StackPlan,
    add_app_services,
    exposed_port,
    plan_stack,
    render_dockerfile,
    workspace_stack,
)
from seamline.core.model import App, Endpoint, Evidence, Project, Service

PROJECT = "seamline-0123456789"
CELERY = Service(kind="celery", settings=("CELERY_BROKER_URL",), evidence=(
    Evidence(kind="import", detail="from celery import Celery", file="app/worker.py", line=1),))


def _project(*, frameworks=("fastapi",), entry="app.main:app", services=(), endpoints=()):
    return Project(root="/w", apps=(App(root=".", frameworks=frameworks, entry=entry),), services=tuple(services),
                   endpoints=tuple(endpoints))


@pytest.mark.parametrize(("frameworks", "entry", "command"), [
    pytest.param(("fastapi",), "app.main:app", ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"),
                 id="fastapi"),
    pytest.param(("flask",), "notes:create_app", ("flask", "--app", "notes:create_app", "run", "--host", "0.0.0.0",
                                                  "--port", "8000"), id="flask"),
    pytest.param(("django", "drf"), "taskhub.settings", ("python", "manage.py", "runserver", "0.0.0.0:8000",
                                                         "--noreload"), id="django"),
])
def test_the_command_follows_the_framework(frameworks, entry, command):
    project = _project(frameworks=frameworks, entry=entry)
    plan = plan_stack(project, app=project.apps[0], dockerfile=None, requirements="requirements.txt")
    assert plan.command == command
    assert f'CMD ["{command[0]}", ' in render_dockerfile(plan)


def test_the_projects_dockerfile_keeps_its_own_command():
    project = _project()
    plan = plan_stack(project, app=project.apps[0], dockerfile="Dockerfile", requirements=None, port=8080)
    assert plan.command is None and plan.port == 8080 and plan.notes == ()


def test_a_health_endpoint_is_probed_when_there_is_one():
    eps = [Endpoint(method="GET", path=p, framework="fastapi", handler="h", file="a.py", line=1)
           for p in ("/api/v1/items/", "/api/v1/utils/health-check/")]
    project = _project(endpoints=eps)
    plan = plan_stack(project, app=project.apps[0], dockerfile=None, requirements=None)
    assert plan.health_path == "/api/v1/utils/health-check/"
    assert any("installs nothing" in n for n in plan.notes)
    probe = add_app_services(generate_compose([], project_name=PROJECT), plan).document["services"]["app"]
    assert "'/api/v1/utils/health-check/'" in probe["healthcheck"]["test"][-1]


def test_app_waits_for_healthy_services_and_gets_in_network_wiring():
    services = [Service(kind="postgres", settings=("DATABASE_URL", "DB_HOST", "DB_PORT")),
                Service(kind="kafka", settings=("KAFKA_BOOTSTRAP_SERVERS",)), CELERY]
    project = _project(services=services)
    plan = plan_stack(project, app=project.apps[0], dockerfile=None, requirements="requirements.txt")
    spec = add_app_services(generate_compose(services, project_name=PROJECT), plan)
    assert validate_compose(spec.document) == []
    app = spec.document["services"][APP_SERVICE]
    assert app["depends_on"] == {k: {"condition": "service_healthy"} for k in ("postgres", "kafka", "redis")}
    assert app["build"] == {"context": ".", "dockerfile": GENERATED_DOCKERFILE,
                            "labels": seamline_labels(PROJECT, "app")}
    assert app["ports"] == ["127.0.0.1::8000"]
    env = app["environment"]
    assert env["DATABASE_URL"].endswith("@postgres:5432/test") and (env["DB_HOST"], env["DB_PORT"]) == ("postgres",
                                                                                                         "5432")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    host = wire_env(spec, {("postgres", 5432): 1, ("redis", 6379): 2, ("app", 8000): 3,
                           ("kafka", int(spec.document["services"]["kafka"]["ports"][0].rsplit(":", 1)[1])): 4})
    assert host["SEAMLINE_APP_URL"] == "http://127.0.0.1:3"  # the tests' view from the host
    assert host["DATABASE_URL"].endswith("@127.0.0.1:1/test")


def test_celery_gets_a_worker_from_the_same_image_with_a_ping_healthcheck():
    project = _project(services=[CELERY])
    plan = plan_stack(project, app=project.apps[0], dockerfile=None, requirements="requirements.txt")
    assert plan.celery_app == "app.worker"
    spec = add_app_services(generate_compose([CELERY], project_name=PROJECT), plan)
    worker = spec.document["services"][WORKER_SERVICE]
    assert worker["command"][:4] == ["celery", "-A", "app.worker", "worker"]
    assert worker["image"] == spec.document["services"][APP_SERVICE]["image"]
    assert "inspect ping" in worker["healthcheck"]["test"][1] and "ports" not in worker
    text = render_compose(spec)
    assert "&id" not in text and "*id" not in text  # no YAML anchors: each service reads on its own
    assert yaml.safe_load(text)["services"][WORKER_SERVICE]["depends_on"] == {"redis": {"condition": "service_healthy"}}


def test_celery_without_a_module_is_a_note_not_a_guess():
    celery = Service(kind="celery", evidence=(Evidence(kind="dependency", detail="celery", file="requirements.txt"),))
    project = _project(services=[celery])
    plan = plan_stack(project, app=project.apps[0], dockerfile=None, requirements=None)
    assert plan.celery_app is None and any("no worker service" in n for n in plan.notes)


def test_dockerfile_installs_requirements_in_their_own_layer():
    text = render_dockerfile(StackPlan(command=("python", "app.py"), requirements="requirements.txt"))
    lines = text.splitlines()
    assert "FROM python:3.11-slim" in lines
    assert lines.index("RUN pip install --no-cache-dir -r /tmp/requirements.txt") < lines.index("COPY . /app")
    assert lines[-1] == 'CMD ["python", "app.py"]'


def test_exposed_port():
    assert exposed_port("FROM x\nEXPOSE 8080/tcp\nEXPOSE 9000\n") == 8080
    assert exposed_port("FROM x\n") is None


def test_workspace_stack_reads_the_apps_files(tmp_path):
    project = Project(root=str(tmp_path), apps=(App(root=".", frameworks=("flask",), entry="notes:create_app"),))
    (tmp_path / "requirements.txt").write_text("flask\n")
    plan, files = workspace_stack(project, tmp_path)
    assert plan.requirements == "requirements.txt" and plan.dockerfile is None
    assert [p.relative_to(tmp_path).as_posix() for p, _ in files] == [GENERATED_DOCKERFILE,
                                                                      GENERATED_DOCKERFILE + ".dockerignore"]
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nEXPOSE 5000\n")
    plan, files = workspace_stack(project, tmp_path)
    assert (plan.dockerfile, plan.port, files) == ("Dockerfile", 5000, [])
