"""The generated tests of outside services, run: on the examples they pass, and on a copy whose handler
no longer catches the outside failure (the API's timeout or 503, the relay's refusal) the failure
cases fail, and `seamline run` classifies that as the app's bug at the handler. They run against
SQLite: the outside services are doubles in the test process, so no docker is needed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gen_examples import write_compose_without
from seamline.cli import main
from seamline.core.analyze.scan import scan
from seamline.core.generate.envfile import ENV_FILE, parse_env
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.testrun import classify
from seamline.testrun.runner import read_junit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PRICES = "tests/integration/test_prices_api.py"
NOTES = "tests/integration/test_notes_notes_api.py"
SHARING = "tests/integration/test_sharing_api.py"


def _run_generated(root: Path, test_file: str, select: str, tmp_path: Path, *,
                   env: dict[str, str] | None = None, plugins: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Generate the suite into `root` and run the selected tests against SQLite (they need no docker:
    the outside services are doubles, the database a file), or against the services `env` names."""
    project = scan(root)
    for f in generate_tests(project, root=root):
        (root / f.path).parent.mkdir(parents=True, exist_ok=True)
        (root / f.path).write_text(f.content, encoding="utf-8")
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"} if env is None else env
    env = {**os.environ, **database, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    loaded = [a for p in plugins for a in ("-p", p)]  # plugin autoload is off: only the ones the suite needs
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *loaded, test_file,
                           "-k", select, f"--junitxml={tmp_path / 'junit.xml'}"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def _copy(name: str, tmp_path: Path, needs: tuple[str, ...]) -> Path:
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the example's packages are not installed ({', '.join(missing)}): pip install -e '.[examples]'")
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "tests"))
    return root


def _mutate(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the example changed: {old!r} is no longer in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("mutant", [pytest.param(False, id="example"), pytest.param(True, id="uncaught-outage")])
def test_generated_api_double_tests_pass_and_catch_an_unhandled_outage(tmp_path, mutant):
    root = _copy("fastapi_items", tmp_path, ("fastapi", "httpx", "respx", "sqlalchemy", "jwt", "pydantic_settings"))
    if mutant:  # the handler lets PricingUnavailable escape: a crash where a 503 was due
        convert = "amount = pricing.convert_cents(item.price_cents, Currency.eur.value, currency.value)\n"
        _mutate(root / "app/api/routes/prices.py",
                f"    try:\n        {convert}    except pricing.PricingUnavailable:\n        raise HTTPException("
                'status_code=503, detail="Prices in other currencies are unavailable right now")\n',
                f"    {convert}")
    run = _run_generated(root, PRICES, "read_item_price", tmp_path)
    out = run.stdout + run.stderr
    failed = sorted(line.split("::")[1].split(" ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED"))
    if not mutant:
        assert run.returncode == 0 and " passed" in out and "failed" not in out, out[-3000:]
    else:
        assert failed == ["test_read_item_price_when_pricing_api_answers_503_is_handled",
                          "test_read_item_price_when_pricing_api_times_out_is_handled"], out[-3000:]
        assert "PricingUnavailable" in out
        # `seamline run` reports it as the app's bug, at the handler
        project = scan(root)
        report = classify(read_junit(tmp_path / "junit.xml", tests_root=root), suites=plan_tests(project, root=root),
                          project=project, app_packages=["app"])
        assert {c.category for c in report.failed} == {"app-bug"}, report.failed
        assert {(f.code, f.file, f.line) for f in report.findings} == {
            ("app-bug-server-error", "app/api/routes/prices.py", 12)}


@pytest.mark.parametrize("mutant", [pytest.param(False, id="example"), pytest.param(True, id="uncaught-refusal")])
def test_generated_mail_double_tests_pass_and_catch_an_unhandled_refusal(tmp_path, mutant):
    root = _copy("flask_notes", tmp_path, ("flask", "flask_sqlalchemy", "flask_login", "aiosmtpd"))
    if mutant:  # the view lets MailNotSent escape
        _mutate(root / "notes/api.py",
                "    try:\n        send_note(note, current_user.email)\n    except MailNotSent:\n"
                "        return jsonify(error=\"the mail could not be sent, try again later\"), 503\n",
                "    send_note(note, current_user.email)\n")
    run = _run_generated(root, NOTES, "email_note", tmp_path)
    out = run.stdout + run.stderr
    failed = [line.split("::")[1].split(" ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED")]
    if not mutant:
        assert run.returncode == 0 and " passed" in out and "failed" not in out, out[-3000:]
    else:
        assert failed == ["test_email_note_when_mail_is_refused_is_handled"], out[-3000:]
        assert "MailNotSent" in out and "554" in out


@pytest.mark.docker
@pytest.mark.parametrize("mutant", [pytest.param(False, id="example"), pytest.param(True, id="uncaught-failures")])
def test_generated_requests_and_s3_double_tests_pass_and_catch_unhandled_failures(tmp_path, mutant, docker_engine):
    """examples/drf_tasks on a real Postgres: its webhook (`requests`, answered by responses) and its S3
    export (boto3, answered by moto) in the test process; no S3 container is started."""
    root = _copy("drf_tasks", tmp_path, ("django", "rest_framework", "pytest_django", "psycopg", "requests",
                                         "responses", "boto3", "moto"))
    if mutant:  # the actions let the webhook's and the bucket's failures escape: crashes where 502/503 were due
        sharing = root / "tasks/sharing.py"
        _mutate(sharing, "        try:\n            permalink = post_to_webhook(message)\n        except "
                "WebhookUnavailable:\n", "        permalink = post_to_webhook(message)\n        if False:\n")
        _mutate(sharing, "        try:\n            store_export(key, document)\n        except ExportNotStored:\n",
                "        store_export(key, document)\n        if False:\n")
    write_compose_without(root, ("postgres",), ("s3",))
    try:
        assert main(["env", "up", str(root)]) == 0
        env = parse_env((root / ENV_FILE).read_text())
        run = _run_generated(root, SHARING, "share or export", tmp_path, env=env, plugins=("pytest_django.plugin",))
    finally:
        main(["env", "down", str(root)])
    out = run.stdout + run.stderr
    failed = sorted(line.split("::")[1].split(" ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED"))
    if not mutant:
        assert run.returncode == 0 and " passed" in out and "failed" not in out, out[-3000:]
    else:
        assert failed == ["test_project_sharing_export_when_s3_bucket_is_missing_is_handled",
                          "test_project_sharing_share_when_team_webhook_api_answers_503_is_handled",
                          "test_project_sharing_share_when_team_webhook_api_times_out_is_handled"], out[-3000:]
        assert "WebhookUnavailable" in out and "ExportNotStored" in out and "NoSuchBucket" in out
